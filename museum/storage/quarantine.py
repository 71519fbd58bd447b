"""The collector's quarantine, read-only, for the dashboard's data quality page.

The collector keeps the messages it could not turn into readings in its spool, an SQLite
file (collector/spool.py owns its schema and writes it; `patina quarantine list` prints it).
The dashboard usually runs on the same server: it opens the file read-only, never takes the
collector's lock and never changes a record. When the spool is elsewhere (the dashboard on
another machine) there is nothing to read, and the page says where the quarantine lives.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: How much of a payload the page shows: enough to recognise a device's message.
PREVIEW_BYTES = 120


@dataclass(frozen=True)
class QuarantinedMessage:
    received: datetime
    topic: str
    reason: str
    detail: str
    payload_size: int
    preview: str


@dataclass(frozen=True)
class QuarantineView:
    """The newest quarantined messages and how many are kept per reason."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    newest: list[QuarantinedMessage] = field(default_factory=list)
    #: Records not kept because the quarantine was full (quarantine_max_mb).
    dropped: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def read_quarantine(spool_path: Path, limit: int = 200) -> QuarantineView | None:
    """The quarantine of the spool at ``spool_path``, newest first (at most ``limit``
    messages), or None when the file is not here or cannot be read."""
    if not spool_path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{spool_path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        counts = dict(
            connection.execute(
                "SELECT reason, COUNT(*) FROM quarantine GROUP BY reason ORDER BY COUNT(*) DESC, reason"
            ).fetchall()
        )
        rows = connection.execute(
            "SELECT received_ns, topic, reason, detail, COALESCE(payload_size, length(payload)), "
            "substr(payload, 1, ?) FROM quarantine ORDER BY id DESC LIMIT ?",
            (PREVIEW_BYTES, limit),
        ).fetchall()
        dropped_row = connection.execute(
            "SELECT value FROM counters WHERE name = 'quarantine_dropped'"
        ).fetchone()
    except sqlite3.Error:
        return None  # not a spool yet (a collector that never started), or locked for long
    finally:
        connection.close()
    newest = [
        QuarantinedMessage(
            received=datetime.fromtimestamp(received_ns / 1e9, UTC),
            topic=str(topic),
            reason=str(reason),
            detail=str(detail),
            payload_size=int(size or 0),
            # Bytes as text for a person; what is not UTF-8 shows as the replacement sign.
            preview=bytes(payload or b"").decode("utf-8", errors="replace"),
        )
        for received_ns, topic, reason, detail, size, payload in rows
    ]
    return QuarantineView(
        path=spool_path, counts=counts, newest=newest, dropped=int(dropped_row[0]) if dropped_row else 0
    )
