"""Restoring a backup made by :mod:`museum.storage.backup` (docs/backup.md).

The archive is verified first (every part against its manifest) and its schema version
checked; the database must then be empty, unless the restore is forced, in which case the
message says what is replaced. ``influxd restore -portable`` brings the database back,
the counts are compared with the manifest's, and the spool state and config are put back
where they do not replace anything (or where forced).
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from museum.description.config import MuseumConfig
from museum.storage.backup import (
    BackupError,
    BackupInvalid,
    Counts,
    counts_text,
    database_counts,
    database_exists,
    is_empty,
    points,
    run_influxd,
    verify_backup,
)
from museum.storage.influxql import quote_identifier
from museum.storage.store import InfluxStore
from museum.storage.versions import SCHEMA_VERSION, SchemaTooNew, ensure_schema_version, too_new_message


class DatabaseNotEmpty(BackupError):
    """The database to restore into holds data; the message lists what a forced restore replaces."""


@dataclass
class RestoreResult:
    """What a restore did: the counts compared (``differences`` empty when every count is
    the manifest's), the files put back or left, and how long it took."""

    database: str
    counts: Counts
    differences: list[str]
    replaced: Counts = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lost(self) -> bool:
        """Whether some count is lower than the backup's (a count above it is data written
        while the backup was made, with an older time than its count's moment)."""
        return any(" fewer " in line for line in self.differences)


def compare_counts(expected: Counts, found: Counts) -> list[str]:
    """Every policy, measurement and field whose count differs, one line each."""
    lines = []
    keys = {(p, m, f) for c in (expected, found) for p, ms in c.items() for m, fs in ms.items() for f in fs}
    for policy, measurement, name in sorted(keys):
        want = expected.get(policy, {}).get(measurement, {}).get(name, 0)
        have = found.get(policy, {}).get(measurement, {}).get(name, 0)
        if have != want:
            word = "fewer" if have < want else "more"
            lines.append(
                f"{policy}.{measurement}.{name}: {have} ({abs(have - want)} {word} than the backup's {want})"
            )
    return lines


def settled_counts(
    store: InfluxStore, until: datetime, expected: Counts, quiet_s: float = 30.0, timeout_s: float = 900.0
) -> Counts:
    """The database's counts once the restore has landed. ``influxd restore`` returns before
    InfluxDB has opened the shards it copied: for a moment queries find nothing, or some
    shards only. So the counts are read again until they reach the manifest's, or until
    they have not changed for ``quiet_s`` (something is missing: it is reported)."""
    deadline = time.monotonic() + timeout_s
    found = database_counts(store, until=until)
    changed = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - changed < quiet_s:
        if not any(" fewer " in line for line in compare_counts(expected, found)):
            break
        time.sleep(0.2)
        again = database_counts(store, until=until)
        if again != found:
            found, changed = again, time.monotonic()
    return found


def check_restorable(manifest: dict[str, Any], problems: list[str], path: Path) -> None:
    """Refuse an archive that fails verification or that a newer schema wrote."""
    if problems:
        raise BackupInvalid(f"{path} fails verification, nothing restored:\n" + "\n".join(problems))
    version = int(manifest.get("schema_version", 0))
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            too_new_message(version, str(manifest.get("patina_version", "")), f"backup {path}")
        )


def restore_backup(
    config: MuseumConfig, path: Path, patina_version: str, force: bool = False
) -> RestoreResult:
    """Restore the archive at ``path`` into the database of ``config`` (see the module)."""
    started = time.monotonic()
    manifest, problems = verify_backup(path)
    check_restorable(manifest, problems, path)
    influx = config.influxdb
    if influx.api != "v1":
        raise BackupError('patina restore works with InfluxDB 1.x (api = "v1"); for 2.x see docs/backup.md')
    store = InfluxStore(influx.url, influx.database, influx.username, influx.password, timeout_s=3600)
    try:
        existing = database_counts(store)
        if existing and not is_empty(existing) and not force:
            raise DatabaseNotEmpty(
                f"database {influx.database!r} is not empty; nothing restored. With --force, "
                "its content would be replaced by the backup's:\n" + "\n".join(counts_text(existing))
            )
        if database_exists(store):
            # influxd restore makes the database; it refuses one that exists, even empty.
            store.execute(f"DROP DATABASE {quote_identifier(influx.database)}")
        with tempfile.TemporaryDirectory(prefix="patina-restore-") as folder:
            _extract(path, "influxdb/", Path(folder))
            run_influxd(
                "restore",
                "-portable",
                "-db",
                str(manifest["database"]),
                "-newdb",
                influx.database,
                "-host",
                influx.backup_address,
                folder,
            )
        until = datetime.fromisoformat(manifest["counted_until"])
        found = settled_counts(store, until, manifest["counts"])
        result = RestoreResult(influx.database, found, compare_counts(manifest["counts"], found), existing)
        # What the collector does at start: the continuous query (not in a portable backup),
        # the raw retention, and the schema version brought up to this Patina's.
        retention = influx.raw_retention_s
        store.ensure_downsampling(timedelta(seconds=retention) if retention else None)
        result.files += ensure_schema_version(store, patina_version)
    finally:
        store.close()
    result.files += _restore_files(config, path, force)
    result.seconds = time.monotonic() - started
    return result


def _extract(path: Path, prefix: str, into: Path) -> list[Path]:
    """Extract the members under ``prefix`` into ``into``, flat (names are checked: no
    absolute paths, no ``..``; tarfile's ``data`` filter refuses links and devices)."""
    written = []
    with tarfile.open(path, "r") as archive:
        for member in archive:
            if not member.name.startswith(prefix) or not member.isfile():
                continue
            name = member.name[len(prefix) :]
            if not name or "/" in name or name.startswith("."):
                raise BackupInvalid(f"{member.name}: an unexpected name in a backup")
            handle = archive.extractfile(member)
            assert handle is not None
            with (into / name).open("wb") as out:
                shutil.copyfileobj(handle, out)
            written.append(into / name)
    return written


def _restore_files(config: MuseumConfig, path: Path, force: bool) -> list[str]:
    """Put the spool state and the config back: a spool file that exists is kept unless
    forced (the collector must be stopped); the config is written beside the one in use
    (``<name>.from-backup``) when it differs, never over it."""
    lines = []
    spool_dir = config.collector.spool_path.parent
    with tempfile.TemporaryDirectory(prefix="patina-restore-") as folder:
        for extracted in _extract(path, "spool/", Path(folder)):
            target = spool_dir / extracted.name
            if target.exists() and not force:
                lines.append(f"kept {target} (exists; --force replaces it)")
                continue
            spool_dir.mkdir(parents=True, exist_ok=True)
            for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                stale.unlink(missing_ok=True)
            shutil.copy2(extracted, target)
            lines.append(f"restored {target}")
        for extracted in _extract(path, "config/", Path(folder)):
            if config.path is not None and extracted.read_bytes() == config.path.read_bytes():
                lines.append(f"config: {config.path} is the backup's")
                continue
            target = (config.path.parent if config.path else Path.cwd()) / f"{extracted.name}.from-backup"
            shutil.copy2(extracted, target)
            lines.append(f"config: the backup's differs from the one in use, written to {target}")
    return lines


def restore_summary(result: RestoreResult) -> list[str]:
    """What a person reads after a restore."""
    total = sum(points(fields) for ms in result.counts.values() for fields in ms.values())
    lines = []
    if not is_empty(result.replaced):
        lines.append("replaced (--force): " + "; ".join(counts_text(result.replaced)))
    lines.append(f"restored database {result.database!r}: {total} points in {result.seconds:.1f} s")
    if result.differences:
        lines.append("counts that differ from the backup's manifest:")
        lines += [f"  {line}" for line in result.differences]
    else:
        lines.append("every count is the backup's: " + "; ".join(counts_text(result.counts)))
    return lines + result.files
