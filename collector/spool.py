"""The durable spool: readings waiting for InfluxDB, and the quarantine, in one SQLite file.

A message is acknowledged to the broker only after what it became — readings, or a
quarantine record with its reason — is committed here. SQLite in WAL mode keeps every
commit through a killed process; with ``synchronous=NORMAL`` (the default here) a power
cut may lose the last commits before the operating system wrote them. Commits are
grouped (many messages per transaction).

Each thread uses its own connection (SQLite connections are not shared across threads);
WAL lets the writer read while the committer writes. One collector owns a spool: it
takes an exclusive lock on ``<spool>.lock`` (holding its process id) at start, and a
second collector on the same spool is refused, naming the first.

The quarantine keeps at most ``quarantine_payload_bytes`` of each payload, with the
payload's full size and SHA-256, and at most ``quarantine_max_mb`` in all; what does not
fit is counted (``quarantine_dropped``), never silently lost. ``max_mb`` caps the whole
file: a full spool refuses commits like a full disk, and messages wait at the broker.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import sys
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    line TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_ns INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quarantine_reason ON quarantine (reason);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery_groups (
    through INTEGER PRIMARY KEY,
    keys BLOB NOT NULL
);
"""
#: Columns added after the first release: an older spool gets them at open.
_ADDED_COLUMNS = (
    ("quarantine", "payload_size", "INTEGER"),
    ("quarantine", "payload_sha256", "TEXT"),
)
#: Keys of the last spooled messages kept for recognising redeliveries: only messages
#: committed but not yet acknowledged when a collector stopped come back: at most the
#: broker's receive maximum (10,000, collector/ingest.py), so twice that is enough.
#: They are kept one row per committed group (``delivery_groups``: the keys packed as
#: 8-byte integers, ``through`` counting the keys so far): a row and an index entry per
#: message cost more than the reading itself (benchmarks/bench_ingest.py --profile).
DELIVERIES_KEPT = 20_000
PAGE_SIZE = 4096

DEFAULT_QUARANTINE_PAYLOAD_BYTES = 64 * 1024
DEFAULT_QUARANTINE_MAX_MB = 100.0


class SpoolInUse(RuntimeError):
    """Another collector holds the spool."""


@dataclass(frozen=True)
class QuarantineRecord:
    """A message that could not become a reading, kept with why. ``payload`` may be a
    prefix; ``payload_size`` and ``payload_sha256`` describe the whole message."""

    received_ns: int
    topic: str
    payload: bytes
    reason: str
    detail: str
    id: int | None = None
    payload_size: int | None = None
    payload_sha256: str | None = None

    @property
    def truncated(self) -> bool:
        return self.payload_size is not None and self.payload_size > len(self.payload)


def pack_keys(keys: Sequence[int]) -> bytes:
    """Message keys as 8-byte little-endian integers (the same file on any machine)."""
    packed = array("q", keys)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_keys(blob: bytes) -> array[int]:
    keys = array("q")
    keys.frombytes(blob)
    if sys.byteorder == "big":
        keys.byteswap()
    return keys


def message_key(mid: int, topic: str, payload: bytes) -> int:
    """What identifies a redelivered message: its packet id (16 bits) and 47 bits of a
    digest of its topic and payload, in one SQLite integer (small: the spool keeps many)."""
    digest = hashlib.sha1(topic.encode() + b"\0" + payload, usedforsecurity=False).digest()
    return ((mid & 0xFFFF) << 47) | (int.from_bytes(digest[:8], "big") >> 17)


class Spool:
    """The SQLite spool at ``path`` (created with its folder if missing). With
    ``exclusive``, the spool is locked for this process (:class:`SpoolInUse` otherwise)."""

    def __init__(
        self,
        path: Path,
        synchronous: str = "NORMAL",
        *,
        exclusive: bool = False,
        max_mb: float | None = None,
        quarantine_payload_bytes: int = DEFAULT_QUARANTINE_PAYLOAD_BYTES,
        quarantine_max_mb: float = DEFAULT_QUARANTINE_MAX_MB,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous
        self._max_pages = int(max_mb * 1024 * 1024 / PAGE_SIZE) if max_mb else None
        self.quarantine_payload_bytes = quarantine_payload_bytes
        self.quarantine_max_bytes = int(quarantine_max_mb * 1024 * 1024)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._lock_file: IO[str] | None = None
        if exclusive:
            self._lock()
        connection = self._connection()
        connection.executescript(_SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._upgrade_deliveries(connection)

    def _upgrade_deliveries(self, connection: sqlite3.Connection) -> None:
        """A spool from before ``delivery_groups`` kept a row per key: its keys become one
        group, so redeliveries after the upgrade are still recognised."""
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'"
        ).fetchone()
        if not exists:
            return
        keys = [row[0] for row in connection.execute("SELECT message_key FROM deliveries ORDER BY id")]
        statements: list[tuple[str, Iterable[Sequence[object]]]] = []
        if keys:
            statements.append(
                (
                    "INSERT INTO delivery_groups (through, keys) "
                    "VALUES ((SELECT COALESCE(MAX(through), 0) FROM delivery_groups) + ?, ?)",
                    [(len(keys), pack_keys(keys))],
                )
            )
        statements.append(("DELETE FROM deliveries", [()]))
        self._transaction(statements)
        # Emptied above, so a failure to drop it here only means another try at next open.
        with contextlib.suppress(sqlite3.Error):
            connection.execute("DROP TABLE deliveries")

    def _lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SpoolInUse(
                f"the spool {self.path} is in use by {holder}; two collectors on one spool would "
                "drain it twice: stop the other one or give this one its own client_id"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._lock_file = handle

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
            if self._max_pages:
                connection.execute(f"PRAGMA max_page_count={self._max_pages}")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def close(self) -> None:
        """Close every thread's connection and release the lock."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        self._local = threading.local()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _transaction(self, statements: Iterable[tuple[str, Iterable[Sequence[object]]]]) -> None:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements:
                connection.executemany(sql, rows)
            connection.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back (a full disk does): do not fail twice.
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise

    # --- readings ----------------------------------------------------------------------
    def commit(
        self,
        lines: Sequence[str],
        quarantined: Sequence[QuarantineRecord] = (),
        delivered: Sequence[int] = (),
    ) -> int:
        """Store readings (line protocol), quarantine records and the keys of the messages
        they came from in one transaction. Returns how many quarantine records were dropped
        because the quarantine is full."""
        if not lines and not quarantined and not delivered:
            return 0
        kept, dropped = self._fit_quarantine([self.shorten(q) for q in quarantined])
        statements: list[tuple[str, Iterable[Sequence[object]]]] = [
            ("INSERT INTO readings (line) VALUES (?)", ((line,) for line in lines)),
            (
                "INSERT INTO quarantine (received_ns, topic, payload, reason, detail, payload_size, "
                "payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (q.received_ns, q.topic, q.payload, q.reason, q.detail, q.payload_size, q.payload_sha256)
                    for q in kept
                ),
            ),
        ]
        if dropped:
            statements.append(
                (
                    "INSERT INTO counters (name, value) VALUES ('quarantine_dropped', ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    [(dropped,)],
                )
            )
        if delivered:
            statements.append(
                (
                    "INSERT INTO delivery_groups (through, keys) "
                    "VALUES ((SELECT COALESCE(MAX(through), 0) FROM delivery_groups) + ?, ?)",
                    [(len(delivered), pack_keys(delivered))],
                )
            )
            # A group whose keys all lie before the last DELIVERIES_KEPT is no longer needed.
            statements.append(
                (
                    "DELETE FROM delivery_groups"
                    " WHERE through <= (SELECT MAX(through) FROM delivery_groups) - ?",
                    [(DELIVERIES_KEPT,)],
                )
            )
        self._transaction(statements)
        return dropped

    def delivered(self, key: int) -> bool:
        """Whether a message with this key (:func:`message_key`) was spooled recently."""
        return bool(self.recently_delivered([key]))

    def recently_delivered(self, keys: Iterable[int]) -> set[int]:
        """Which of these keys (:func:`message_key`) belong to messages spooled recently:
        one read of the kept keys for a whole group of redeliveries."""
        wanted = set(keys)
        if not wanted:
            return wanted
        found: set[int] = set()
        for (blob,) in self._connection().execute("SELECT keys FROM delivery_groups"):
            found.update(wanted.intersection(unpack_keys(blob)))
        return found

    def oldest(self, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` readings, oldest first, as (id, line)."""
        return (
            self._connection()
            .execute("SELECT id, line FROM readings ORDER BY id LIMIT ?", (limit,))
            .fetchall()
        )

    def waiting(self, limit: int) -> int:
        """Readings waiting, counted up to ``limit`` (the ids only: cheap at any depth)."""
        return int(
            self._connection()
            .execute("SELECT COUNT(*) FROM (SELECT id FROM readings ORDER BY id LIMIT ?)", (limit,))
            .fetchone()[0]
        )

    def remove(self, ids: Iterable[int]) -> None:
        """Forget readings InfluxDB confirmed."""
        ids = list(ids)
        if not ids:
            return
        if ids == list(range(ids[0], ids[0] + len(ids))):
            self._transaction([("DELETE FROM readings WHERE id BETWEEN ? AND ?", [(ids[0], ids[-1])])])
        else:
            self._transaction([("DELETE FROM readings WHERE id = ?", ((i,) for i in ids))])

    def move_to_quarantine(self, reading_id: int, record: QuarantineRecord) -> None:
        record = self.shorten(record)
        self._transaction(
            [
                (
                    "INSERT INTO quarantine (received_ns, topic, payload, reason, detail, payload_size, "
                    "payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            record.received_ns,
                            record.topic,
                            record.payload,
                            record.reason,
                            record.detail,
                            record.payload_size,
                            record.payload_sha256,
                        )
                    ],
                ),
                ("DELETE FROM readings WHERE id = ?", [(reading_id,)]),
            ]
        )

    def depth(self) -> int:
        """Points waiting for InfluxDB: readings, and the alert events and risk points the
        collector makes itself, which take the same way."""
        return int(self._connection().execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    def depth_by_kind(self) -> tuple[int, int]:
        """Points waiting, as (readings of the climate, the collector's own points): what
        the counters ``received`` and ``written`` count is the first (a scan of the lines:
        for a stop, not for every commit)."""
        total, climate = (
            self._connection()
            .execute("SELECT COUNT(*), COALESCE(SUM(substr(line, 1, 8) = 'climate,'), 0) FROM readings")
            .fetchone()
        )
        return int(climate), int(total) - int(climate)

    # --- quarantine --------------------------------------------------------------------
    def shorten(self, record: QuarantineRecord) -> QuarantineRecord:
        """Keep a prefix of the payload, with the whole payload's size and digest."""
        if record.payload_size is not None:
            return record
        return QuarantineRecord(
            received_ns=record.received_ns,
            topic=record.topic,
            payload=record.payload[: self.quarantine_payload_bytes],
            reason=record.reason,
            detail=record.detail,
            id=record.id,
            payload_size=len(record.payload),
            payload_sha256=hashlib.sha256(record.payload).hexdigest(),
        )

    def _fit_quarantine(self, records: list[QuarantineRecord]) -> tuple[list[QuarantineRecord], int]:
        if not records:
            return records, 0
        used = int(
            self._connection()
            .execute(
                "SELECT COALESCE(SUM(LENGTH(payload) + LENGTH(detail) + LENGTH(topic)), 0) FROM quarantine"
            )
            .fetchone()[0]
        )
        kept = []
        for record in records:
            used += len(record.payload) + len(record.detail) + len(record.topic)
            if used > self.quarantine_max_bytes:
                break
            kept.append(record)
        return kept, len(records) - len(kept)

    def quarantine_dropped(self) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE name = 'quarantine_dropped'")
            .fetchone()
        )
        return int(row[0]) if row else 0

    def quarantined(self, limit: int | None = None) -> list[QuarantineRecord]:
        rows = (
            self._connection()
            .execute(
                "SELECT id, received_ns, topic, payload, reason, detail, payload_size, payload_sha256 "
                "FROM quarantine ORDER BY id" + (" LIMIT ?" if limit else ""),
                (limit,) if limit else (),
            )
            .fetchall()
        )
        return [
            QuarantineRecord(
                id=r[0],
                received_ns=r[1],
                topic=r[2],
                payload=bytes(r[3]),
                reason=r[4],
                detail=r[5],
                payload_size=r[6],
                payload_sha256=r[7],
            )
            for r in rows
        ]

    def quarantine_counts(self) -> dict[str, int]:
        return dict(
            self._connection()
            .execute("SELECT reason, COUNT(*) FROM quarantine GROUP BY reason ORDER BY reason")
            .fetchall()
        )

    def release(self, quarantine_id: int, lines: Sequence[str]) -> None:
        """A quarantined message that now decodes (or a point InfluxDB once refused): its
        readings join the spool."""
        self._transaction(
            [
                ("INSERT INTO readings (line) VALUES (?)", ((line,) for line in lines)),
                ("DELETE FROM quarantine WHERE id = ?", [(quarantine_id,)]),
            ]
        )

    def update_reason(self, quarantine_id: int, reason: str, detail: str) -> None:
        self._connection().execute(
            "UPDATE quarantine SET reason = ?, detail = ? WHERE id = ?", (reason, detail, quarantine_id)
        )
