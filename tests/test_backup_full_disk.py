"""`patina backup` to a destination that fills up (docs/backup.md, "A full disk"): it
fails with a message that says where, while doing what and how much space it needs, exits
non-zero, leaves nothing that `patina backup --verify` would accept (no archive, no partial
file, no parts), and the collector running beside it goes on writing.

The destination is filled in one of two ways, neither of which touches the machine:

- ``tmpfs``: a tmpfs of a chosen size mounted in a private mount namespace
  (``unshare --mount``), where the backup and the checks after it run; it vanishes with
  the namespace. The disk is really full: "No space left on device" (ENOSPC). It needs the
  right to mount (root, as on the project's test machine); skipped otherwise.
- ``fsize``: ``RLIMIT_FSIZE`` set in the backup's process (``preexec_fn``, with SIGXFSZ
  ignored so that a write past the limit fails with EFBIG, "File too large", instead of
  killing the process; ``influxd backup`` inherits it): no file may grow past the limit, so
  every part fits and the archive, which holds them all, does not. Runs anywhere.

Sizes are taken from a backup of the same museum made first, so that the destination
takes every part but not the archive as well (``archive``), or not even the parts
(``parts``).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.backup import verify_backup
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import publish_all, wait_for
from tests.test_backup import START, fill_museum

#: Readings of random values (compression cannot shrink them much), half of them two
#: months before the others: two shards, so two parts of about the same size.
NOISE_READINGS = 80_000
ARCHIVE = "museum.tar"


@dataclass
class Attempt:
    """What a backup into a full destination did and left."""

    exit_code: int
    output: str
    left: list[str]
    verify_exit: int


@pytest.fixture
def museum(make_config: Callable[..., MuseumConfig], influxdb: InfluxServer) -> Iterator[MuseumConfig]:
    config = make_config(environ={"PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{influxdb.rpc_port}"})
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    fill_museum(config, store)
    rng = np.random.default_rng(28)
    starts_ns = [int((START - timedelta(days=days)).timestamp() * 1e9) for days in (0, 60)]
    # RH as whole numbers: fill_museum made the field an integer one.
    values = rng.uniform((15, 30), (30, 70), (NOISE_READINGS, 2))
    lines = [
        climate_line(Reading("s1", starts_ns[k % 2] + k * 3_000_000_000, float(t), int(rh)), "hanoi", "C1")  # type: ignore[arg-type]
        for k, (t, rh) in enumerate(values)
    ]
    for first in range(0, len(lines), 10_000):
        store.write_lines(lines[first : first + 10_000])
    yield config
    store.close()


def _environment(config: MuseumConfig) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{os.environ.get('PATH', '')}:/usr/sbin",
        "PATINA_INFLUX_URL": config.influxdb.url,
        "PATINA_INFLUX_BACKUP_ADDRESS": config.influxdb.backup_address,
    }


def _patina(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "patina", *arguments]


def backup_on_tmpfs(config: MuseumConfig, folder: Path, size_bytes: int) -> Attempt:
    """The backup into a tmpfs of ``size_bytes`` mounted on ``folder`` in a mount namespace
    of its own, and what it left there, looked at before the namespace (and the tmpfs) ends."""
    script = (
        'mount -t tmpfs -o size="$SIZE" patina-full "$DIR" || exit 97\n'
        '"$PY" -m patina backup --config "$CFG" --out "$DIR/$OUT"\n'
        'echo "backup-exit=$?"\n'
        'ls -A "$DIR" | sed "s/^/left=/"\n'
        '"$PY" -m patina backup --verify "$DIR/$OUT" >/dev/null 2>&1\n'
        'echo "verify-exit=$?"\n'
    )
    environ = {
        **_environment(config),
        "SIZE": str(size_bytes),
        "DIR": str(folder),
        "PY": sys.executable,
        "CFG": str(config.path),
        "OUT": ARCHIVE,
    }
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script], env=environ, capture_output=True, text=True, check=False
    )
    if done.returncode == 97 or "unshare failed" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace here: {done.stderr.strip()}")
    lines = done.stdout.splitlines()
    value = {
        k: v for k, _, v in (line.partition("=") for line in lines) if k in ("backup-exit", "verify-exit")
    }
    return Attempt(
        int(value["backup-exit"]),
        done.stdout + done.stderr,
        [line.removeprefix("left=") for line in lines if line.startswith("left=")],
        int(value["verify-exit"]),
    )


def backup_with_file_limit(config: MuseumConfig, folder: Path, limit_bytes: int) -> Attempt:
    """The backup with RLIMIT_FSIZE at ``limit_bytes`` (see the module), then what it left."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # kept across exec: EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    folder.mkdir()
    done = subprocess.run(
        _patina("backup", "--config", str(config.path), "--out", str(folder / ARCHIVE)),
        env=_environment(config),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit,
    )
    verified = subprocess.run(
        _patina("backup", "--verify", str(folder / ARCHIVE)),
        env=_environment(config),
        capture_output=True,
        check=False,
    )
    left = sorted(path.name for path in folder.iterdir())
    return Attempt(done.returncode, done.stdout + done.stderr, left, verified.returncode)


@pytest.mark.parametrize(("fill", "stage"), [("tmpfs", "archive"), ("tmpfs", "parts"), ("fsize", "archive")])
def test_a_backup_into_a_full_disk_fails_clearly_and_leaves_nothing(
    museum: MuseumConfig, mosquitto: MosquittoServer, tmp_path: Path, fill: str, stage: str
) -> None:
    if fill == "tmpfs" and shutil.which("unshare") is None:
        pytest.skip("no unshare(1) on this machine")
    first = tmp_path / "first"
    first.mkdir()
    made = subprocess.run(
        _patina("backup", "--config", str(museum.path), "--out", str(first / ARCHIVE)),
        env=_environment(museum),
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    sizes = [part["bytes"] for part in verify_backup(first / ARCHIVE)[0]["parts"].values()]
    parts_bytes = sum(sizes)
    assert parts_bytes > 400_000 and max(sizes) < parts_bytes * 2 // 3, sizes

    collector = Collector(museum)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        folder = tmp_path / "destination"
        if fill == "tmpfs":
            folder.mkdir()
            # influxd writes a shard's tar, then its gzip: 1.5 times the parts at most.
            size = parts_bytes * 7 // 4 if stage == "archive" else parts_bytes // 3
            attempt = backup_on_tmpfs(museum, folder, size)
        else:
            attempt = backup_with_file_limit(museum, folder, (max(sizes) + parts_bytes) // 2)
        # The collector was not disturbed: it takes and writes a reading after the failure.
        store = InfluxStore(museum.influxdb.url, museum.influxdb.database)
        before = store.count_climate()
        publish_all(mosquitto, [("patina/hanoi/s3/climate", b'{"temperature_c": 21.5, "rh_pct": 48}')])
        wait_for(lambda: store.count_climate() == before + 1)
        assert collector.stats().writer_blocked is None
        store.close()
    finally:
        collector.stop()

    assert attempt.exit_code != 0, attempt.output
    assert attempt.left == [], attempt.output  # no archive, no .partial, no .parts folder
    assert attempt.verify_exit != 0
    message = " ".join(attempt.output.split())
    assert f"no backup written: the disk of {folder} is full" in message, attempt.output
    reason = "No space left on device" if fill == "tmpfs" else "File too large"
    assert reason in message
    assert "Nothing was left behind" in message and "give another --out" in message
    if stage == "archive":
        assert "while writing the archive" in message
        assert "MB of parts, then an archive of about the same size" in message
    else:
        assert "while writing InfluxDB's portable backup" in message or "while copying" in message
        assert "and about as much again for the archive" in message
    assert "Traceback" not in attempt.output
