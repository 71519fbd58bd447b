"""A backup of a museum in one file (docs/backup.md): InfluxDB 1.x's portable backup of the
whole database (every retention policy and measurement, found at run time), the config file,
the collector's spool state, and a manifest saying what is inside.

The archive is a plain tar::

    manifest.json        Patina and schema versions, counts per policy and measurement,
                         SHA-256 and size of every other part
    config/museum.toml   the config file the backup was made with
    spool/…              the spool (SQLite, copied through SQLite's backup API, so a
                         running collector's file is copied whole) and its state files
    influxdb/…           what ``influxd backup -portable`` wrote

:func:`verify_backup` checks every part against the manifest; the restore
(:mod:`museum.storage.restore`) refuses an archive that fails it.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from museum.description.config import MuseumConfig
from museum.storage.influxql import quote_identifier, time_literal
from museum.storage.store import DatabaseMissing, InfluxStore, StoreError
from museum.storage.versions import stored_version

#: The layout of the archive itself (not of the database: that is the schema version).
ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
#: Field counts by retention policy, measurement and field.
Counts = dict[str, dict[str, dict[str, int]]]
_CHUNK = 1 << 20
#: The errors that say the destination takes no more bytes: its disk full, the user's quota
#: spent, or a file size limit (ulimit -f) reached; and how influxd and SQLite word them.
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_FULL_WORDS = ("no space left on device", "disk quota exceeded", "file too large", "database or disk is full")
#: What InfluxDB 1.x answers about a shard it is still opening after a restore.
OPENING = ("shard is disabled", "engine is closed")


class BackupError(RuntimeError):
    """A backup could not be made or read; the message says what and why."""


class BackupInvalid(BackupError):
    """An archive whose parts do not match its manifest (damaged or altered)."""


def influxd_binary() -> str:
    """The ``influxd`` program, which makes and restores InfluxDB 1.x's portable backups."""
    found = shutil.which("influxd") or shutil.which("/usr/sbin/influxd") or shutil.which("/usr/bin/influxd")
    if found is None:
        raise BackupError(
            "influxd is not installed on this machine: install InfluxDB 1.x's package "
            "(its influxd program makes and restores backups through the backup service)"
        )
    return found


def run_influxd(*arguments: str) -> str:
    """Run ``influxd <arguments>``; its output, or a :class:`BackupError` with its last lines.
    A full disk stops it at once: ``influxd backup`` retries a shard it could not write ten
    times, backing off up to minutes (about 4 minutes in all, measured), and a full disk
    does not empty itself meanwhile."""
    process = subprocess.Popen(
        [influxd_binary(), *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None  # a pipe was asked for
    lines = []
    with process:
        for line in process.stdout:
            lines.append(line.rstrip())
            if disk_full_reason(line) is not None:
                process.kill()
                raise BackupError(f"influxd {arguments[0]} stopped: {line.strip()}")
    output = "\n".join(lines).strip()
    if process.returncode != 0:
        tail = "\n".join(output.splitlines()[-8:])
        raise BackupError(f"influxd {arguments[0]} failed (exit {process.returncode}):\n{tail}")
    return output


# --- what the database holds ------------------------------------------------------------------
def policies(store: InfluxStore) -> list[str]:
    return [row[0] for series in store.execute("SHOW RETENTION POLICIES") for row in series.get("values", [])]


def database_exists(store: InfluxStore) -> bool:
    names = {row[0] for series in store.execute("SHOW DATABASES") for row in series.get("values", [])}
    return store.database in names


def database_counts(store: InfluxStore, until: datetime | None = None) -> Counts:
    """How many values each field of each measurement holds in each retention policy
    (those at or before ``until``, when given); {} for a database that does not exist.
    Policies and measurements are read from the database, so whatever it holds is counted."""
    try:
        names = policies(store)
    except DatabaseMissing:
        return {}
    where = f" WHERE time <= {time_literal(until)}" if until is not None else ""
    counts: Counts = {}
    for policy in names:
        # /.*/: every measurement of the policy, one series each.
        source = f"{quote_identifier(store.database)}.{quote_identifier(policy)}./.*/"
        for series in _retrying(store, f"SELECT count(*) FROM {source}{where}"):
            columns, values = series["columns"], series["values"][0]
            fields = {
                column.removeprefix("count_"): int(value)
                for column, value in zip(columns[1:], values[1:], strict=True)
                if value is not None
            }
            counts.setdefault(policy, {})[series["name"]] = fields
    return counts


def _retrying(store: InfluxStore, statement: str, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """A query retried while InfluxDB still opens restored shards: it answers "shard is
    disabled" or "engine is closed" for a moment after ``influxd restore``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return store.execute(statement)
        except StoreError as error:
            if not any(word in str(error) for word in OPENING) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def points(fields: dict[str, int]) -> int:
    """Points of a measurement, near enough: its most counted field (every point has one)."""
    return max(fields.values(), default=0)


def counts_text(counts: Counts) -> list[str]:
    """One line per policy and measurement: ``autogen.climate: 1200 points``."""
    return [
        f"{policy}.{measurement}: {points(fields)} points"
        for policy, measurements in sorted(counts.items())
        for measurement, fields in sorted(measurements.items())
    ]


def is_empty(counts: Counts) -> bool:
    return not any(points(fields) for measurements in counts.values() for fields in measurements.values())


# --- the parts -----------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def spool_files(spool_path: Path) -> list[Path]:
    """The spool and its state files beside it (``<spool>.status.json``, ``.digest.json`` …);
    SQLite's -wal and -shm files are not parts: the copy of the spool holds their content."""
    if not spool_path.parent.is_dir():
        return []
    return sorted(
        path
        for path in spool_path.parent.iterdir()
        if path.is_file()
        and path.name.startswith(spool_path.name)
        and not path.name.endswith(("-wal", "-shm", "-journal"))
    )


def copy_spool(spool_path: Path, into: Path) -> list[Path]:
    """Copy the spool state into ``into``: the SQLite file through SQLite's backup API (a
    consistent copy while the collector writes to it), the other files as they are."""
    into.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in spool_files(spool_path):
        target = into / path.name
        if path == spool_path:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
        else:
            shutil.copy2(path, target)
        copied.append(target)
    return copied


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    bytes: int
    seconds: float
    #: Of which counting the database's values (the manifest's counts).
    counting_s: float = 0.0


def create_backup(config: MuseumConfig, out: Path, patina_version: str) -> BackupResult:
    """Back up the museum of ``config`` into the archive ``out`` (written whole or not at
    all: it is built beside and renamed; on a full disk nothing is left behind and the
    error says where, while doing what and how much space it needs)."""
    started = time.monotonic()
    influx = config.influxdb
    if influx.api != "v1":
        raise BackupError('patina backup works with InfluxDB 1.x (api = "v1"); for 2.x see docs/backup.md')
    store = InfluxStore(influx.url, influx.database, influx.username, influx.password, timeout_s=3600)
    out = out.resolve()
    work = out.with_name(f".{out.name}.parts")
    shutil.rmtree(work, ignore_errors=True)
    free_at_start = _free_bytes(out.parent)
    stage = "counting the database"
    try:
        counted_until = datetime.now(UTC)
        counts = database_counts(store, until=counted_until)
        counting_s = time.monotonic() - started
        if not counts:
            raise BackupError(f"database {influx.database!r} does not exist at {influx.url}")
        version, written_by = stored_version(store)
        stage = "writing InfluxDB's portable backup (influxd backup)"
        run_influxd(
            "backup",
            "-portable",
            "-database",
            influx.database,
            "-host",
            influx.backup_address,
            str(work / "influxdb"),
        )
        stage = "copying the spool"
        copy_spool(config.collector.spool_path, work / "spool")
        if config.path is not None:
            stage = "copying the config"
            (work / "config").mkdir()
            shutil.copy2(config.path, work / "config" / config.path.name)
        manifest = {
            "format": ARCHIVE_FORMAT,
            "patina_version": patina_version,
            # A database without a recorded version has version 1's layout (museum.storage.versions).
            "schema_version": version or 1,
            "database_written_by": written_by,
            "config_version": config.config_version,
            "database": influx.database,
            "created": counted_until.isoformat(),
            "counted_until": counted_until.isoformat(),
            "counts": counts,
            "parts": {name: _part(work / name) for name in _part_names(work)},
        }
        stage = "writing the archive"
        _write_archive(work, manifest, out)
    except (OSError, sqlite3.Error, BackupError) as error:
        reason = disk_full_reason(error)
        if reason is None:
            raise
        parts_bytes = sum(path.stat().st_size for path in work.rglob("*") if path.is_file())
        raise BackupError(
            full_disk_message(out, stage, reason, parts_bytes, free_at_start, stage == "writing the archive")
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        store.close()
    return BackupResult(out, manifest, out.stat().st_size, time.monotonic() - started, counting_s)


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def disk_full_reason(error: BaseException | str) -> str | None:
    """The system's words when ``error`` (an exception, or a line a program printed) says
    the destination takes no more bytes, else None."""
    if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
        return error.strerror or str(error)
    text = str(error).lower()
    return next((words.capitalize() for words in _FULL_WORDS if words in text), None)


def full_disk_message(
    out: Path, stage: str, reason: str, parts_bytes: int, free_at_start: int | None, parts_done: bool
) -> str:
    """What a person reads when the backup's destination filled up: where, while doing what,
    how much it needs (known once every part is written: the parts, then an archive of about
    their size beside them), what was free, and that nothing was left behind."""
    mb = 1e6
    parts = f"{parts_bytes / mb:,.1f} MB"
    if parts_done:
        needed = (
            f"it needs about {2 * parts_bytes / mb:,.1f} MB free there while it is made "
            f"({parts} of parts, then an archive of about the same size)"
        )
    else:
        needed = (
            f"it needs more than the {parts} of parts written before the disk filled, "
            "and about as much again for the archive"
        )
    free = "" if free_at_start is None else f"; {free_at_start / mb:,.1f} MB were free when it began"
    return (
        f"no backup written: the disk of {out.parent} is full ({reason}) while {stage}; "
        f"{needed}{free}. Nothing was left behind (no {out.name}, no partial file): free some "
        "space there or give another --out."
    )


def _part_names(work: Path) -> list[str]:
    return sorted(path.relative_to(work).as_posix() for path in work.rglob("*") if path.is_file())


def _part(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def _write_archive(work: Path, manifest: dict[str, Any], out: Path) -> None:
    partial = out.with_name(f".{out.name}.partial")
    try:
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(time.time())
            archive.addfile(info, io.BytesIO(body))
            for name in manifest["parts"]:
                archive.add(work / name, arcname=name, recursive=False)
        partial.replace(out)
    except BaseException:
        # A half-written archive takes the space the next backup needs, and is no backup.
        partial.unlink(missing_ok=True)
        raise


# --- reading an archive --------------------------------------------------------------------
def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member is not None else None
    except (KeyError, ValueError) as error:
        raise BackupInvalid(f"no readable {MANIFEST}: {error}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), dict):
        raise BackupInvalid(f"{MANIFEST} is not a Patina backup manifest")
    if int(manifest.get("format", 0)) > ARCHIVE_FORMAT:
        raise BackupError(
            f"archive format {manifest.get('format')} is newer than this Patina reads "
            f"({ARCHIVE_FORMAT}): upgrade Patina to {manifest.get('patina_version')} or later"
        )
    return manifest


def _members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in archive:
        if member.name != MANIFEST:
            yield member


def verify_backup(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The archive's manifest and what is wrong with it (empty when every part is present,
    whole and unaltered, and nothing else is inside)."""
    try:
        archive = tarfile.open(path, "r")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise BackupInvalid(f"{path}: not a readable backup archive: {error}") from None
    problems = []
    with archive:
        manifest = read_manifest(archive)
        expected: dict[str, dict[str, Any]] = dict(manifest["parts"])
        for member in _members(archive):
            part = expected.pop(member.name, None)
            if part is None:
                problems.append(f"{member.name}: not in the manifest")
                continue
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                problems.append(f"{member.name}: not a file")
                continue
            digest = hashlib.sha256()
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != part["sha256"] or member.size != part["bytes"]:
                problems.append(
                    f"{member.name}: SHA-256 or size differs from the manifest (damaged or altered)"
                )
        problems += [f"{name}: missing" for name in sorted(expected)]
    return manifest, problems


# --- scheduled backups -------------------------------------------------------------------------
SCHEDULED_PREFIX = "patina-backup-"
SCHEDULED_SUFFIX = ".tar"


def scheduled_name(database: str, moment: datetime) -> str:
    """``patina-backup-<database>-20260501T023000Z.tar``: sorted by name is sorted by time."""
    return f"{SCHEDULED_PREFIX}{database}-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}{SCHEDULED_SUFFIX}"


def scheduled_backups(folder: Path, database: str) -> list[Path]:
    """The scheduled backups of ``database`` in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    prefix = f"{SCHEDULED_PREFIX}{database}-"
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(prefix) and path.name.endswith(SCHEDULED_SUFFIX)
    )


def made_at(path: Path) -> datetime:
    stamp = path.name.removesuffix(SCHEDULED_SUFFIX).rsplit("-", 1)[-1]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def backup_due(config: MuseumConfig, now: datetime) -> bool:
    """Whether the day's scheduled backup is due: its time has come and no backup was made
    since (a timer that fires every hour, or after the machine was off, makes it once)."""
    folder = config.backup.folder
    if folder is None:
        raise BackupError("no [backup] folder in the config: scheduled backups are off")
    last_due = config.backup.last_due(now, config.zone)
    return not any(made_at(path) >= last_due for path in scheduled_backups(folder, config.influxdb.database))


def rotate(folder: Path, database: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest scheduled backups; the deleted ones."""
    found = scheduled_backups(folder, database)
    old = found[: max(0, len(found) - keep)]
    for path in old:
        path.unlink()
    return old
