"""Files Patina writes for people (exports, reports): never a surprise on disk.

A command names its targets first; :class:`Staging` refuses any that already exists
unless the user said ``--force``, writes each target to a temporary file in the same
folder, and only renames the temporaries onto their targets once every one is complete
(a rename within a folder is atomic on POSIX, so a reader sees the old file or the new
one, never half of one). On any failure the temporaries are removed and nothing else:
a command never deletes or truncates a file it did not create.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


class OutputError(ValueError):
    """A target cannot be written; the message says which and what to do."""


def refuse_existing(targets: Iterable[Path], force: bool, option: str = "--out") -> None:
    """Raise :class:`OutputError` for targets that exist (all of them without ``force``;
    with it, those that are not regular files, such as devices or folders)."""
    existing = [Path(p) for p in targets if os.path.lexists(p)]
    odd = [p for p in existing if not p.is_file()]
    if odd:
        raise OutputError(f"{option}: {odd[0]} exists and is not a regular file; choose a file name")
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise OutputError(
            f"{option}: {names} already exist{'s' if len(existing) == 1 else ''}; "
            "add --force to replace, or choose another name"
        )


class Staging:
    """Temporaries beside their targets, renamed onto them by :meth:`commit`."""

    def __init__(self, targets: Iterable[Path], force: bool = False, option: str = "--out") -> None:
        self.targets = [Path(p) for p in targets]
        self.force = force
        self.option = option
        refuse_existing(self.targets, force, option)
        self._temporaries: dict[Path, Path] = {}

    def path(self, target: Path) -> Path:
        """The temporary file that stands for ``target`` until :meth:`commit`."""
        target = Path(target)
        if target not in self.targets:
            raise ValueError(f"{target} is not among the staged targets")
        if target not in self._temporaries:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            os.close(handle)
            self._temporaries[target] = Path(name)
        return self._temporaries[target]

    def commit(self) -> list[Path]:
        """Rename every written temporary onto its target; the targets written."""
        # Checked again: a file may have appeared while the command ran.
        refuse_existing(self._temporaries, self.force, self.option)
        written = []
        for target, temporary in self._temporaries.items():
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, target)
            written.append(target)
        self._temporaries.clear()
        return written

    def discard(self) -> None:
        """Remove the temporaries (only what this staging created)."""
        for temporary in self._temporaries.values():
            temporary.unlink(missing_ok=True)
        self._temporaries.clear()


def _umask() -> int:
    # mkstemp makes 0600 files; the target should get the mode an ordinary open() gives.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_new(target: Path, data: bytes, force: bool = False, option: str = "--out") -> Path:
    """Write one whole file through a temporary, refusing to replace one without ``force``."""
    staging = Staging([target], force, option)
    try:
        staging.path(target).write_bytes(data)
        return staging.commit()[0]
    except OSError as error:
        raise OutputError(f"{option}: cannot write {target}: {error.strerror or error}") from None
    finally:
        staging.discard()
