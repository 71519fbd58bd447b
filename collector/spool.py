"""The durable spool: readings waiting for InfluxDB, and the quarantine, in one SQLite file.

A message is acknowledged to the broker only after what it became — readings, or a
quarantine record with its reason — is committed here. SQLite in WAL mode keeps every
commit through a killed process; with ``synchronous=NORMAL`` (the default here) a power
cut may lose the last commits before the operating system wrote them, which is the same
window the broker's own persistence has (Mosquitto saves every 30 s), so ``FULL`` would
cost throughput without closing it. Commits are grouped (many messages per transaction).

Each thread uses its own connection (SQLite connections are not shared across threads);
WAL lets the writer read while the committer writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
"""


@dataclass(frozen=True)
class QuarantineRecord:
    """A message that could not become a reading, kept with why."""

    received_ns: int
    topic: str
    payload: bytes
    reason: str
    detail: str
    id: int | None = None


class Spool:
    """The SQLite spool at ``path`` (created with its folder if missing)."""

    def __init__(self, path: Path, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.connection = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- readings ----------------------------------------------------------------------
    def commit(self, lines: Sequence[str], quarantined: Sequence[QuarantineRecord] = ()) -> None:
        """Store readings (line protocol) and quarantine records in one transaction."""
        if not lines and not quarantined:
            return
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany("INSERT INTO readings (line) VALUES (?)", ((line,) for line in lines))
            connection.executemany(
                "INSERT INTO quarantine (received_ns, topic, payload, reason, detail) VALUES (?, ?, ?, ?, ?)",
                ((q.received_ns, q.topic, q.payload, q.reason, q.detail) for q in quarantined))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def oldest(self, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` readings, oldest first, as (id, line)."""
        return self._connection().execute(
            "SELECT id, line FROM readings ORDER BY id LIMIT ?", (limit,)).fetchall()

    def remove(self, ids: Iterable[int]) -> None:
        """Forget readings InfluxDB confirmed."""
        ids = list(ids)
        if not ids:
            return
        connection = self._connection()
        if ids == list(range(ids[0], ids[0] + len(ids))):
            connection.execute("DELETE FROM readings WHERE id BETWEEN ? AND ?", (ids[0], ids[-1]))
        else:
            connection.executemany("DELETE FROM readings WHERE id = ?", ((i,) for i in ids))

    def move_to_quarantine(self, reading_id: int, record: QuarantineRecord) -> None:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO quarantine (received_ns, topic, payload, reason, detail) VALUES (?, ?, ?, ?, ?)",
            (record.received_ns, record.topic, record.payload, record.reason, record.detail))
        connection.execute("DELETE FROM readings WHERE id = ?", (reading_id,))
        connection.execute("COMMIT")

    def depth(self) -> int:
        """Readings waiting for InfluxDB."""
        return int(self._connection().execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    # --- quarantine --------------------------------------------------------------------
    def quarantined(self, limit: int | None = None) -> list[QuarantineRecord]:
        rows = self._connection().execute(
            "SELECT id, received_ns, topic, payload, reason, detail FROM quarantine ORDER BY id"
            + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [QuarantineRecord(id=r[0], received_ns=r[1], topic=r[2], payload=bytes(r[3]),
                                 reason=r[4], detail=r[5]) for r in rows]

    def quarantine_counts(self) -> dict[str, int]:
        return dict(self._connection().execute(
            "SELECT reason, COUNT(*) FROM quarantine GROUP BY reason ORDER BY reason").fetchall())

    def release(self, quarantine_id: int, lines: Sequence[str]) -> None:
        """A quarantined message that now decodes: its readings join the spool."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT INTO readings (line) VALUES (?)", ((line,) for line in lines))
        connection.execute("DELETE FROM quarantine WHERE id = ?", (quarantine_id,))
        connection.execute("COMMIT")

    def update_reason(self, quarantine_id: int, reason: str, detail: str) -> None:
        self._connection().execute("UPDATE quarantine SET reason = ?, detail = ? WHERE id = ?",
                                   (reason, detail, quarantine_id))
