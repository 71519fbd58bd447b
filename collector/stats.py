"""The collector's counters, shared by every worker thread behind one lock.

Workers change them only through :class:`Stats`' methods; readers get a copy
(:meth:`Stats.snapshot`), never the live object.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CollectorStats:
    """Counters since start. ``spool_depth`` are readings received but not yet in InfluxDB."""

    messages: int = 0
    received: int = 0
    written: int = 0
    #: Readings the alert engine has evaluated (it runs behind ingestion under load).
    evaluated: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    spool_depth: int = 0
    write_errors: int = 0
    broker_dropped: int | None = None
    connected: bool = False
    database_reachable: bool = False
    #: Why the writer cannot empty the spool (``access_denied``, ``database_missing``,
    #: ``unreachable``, ``spool_error``), or None while it can.
    writer_blocked: str | None = None
    writer_blocked_detail: str = ""
    #: The spool refused a commit (disk or ``spool_max_mb`` full): messages stay unacknowledged.
    spool_full: bool = False
    #: Redelivered messages recognised as already spooled, and not stored again.
    redelivered: int = 0
    #: Quarantine records dropped because the quarantine reached its cap.
    quarantine_dropped: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def pending(self) -> int:
        return self.spool_depth

    @property
    def problem(self) -> str | None:
        """What keeps readings from InfluxDB, if anything (for the health alert)."""
        # An unreachable InfluxDB (a restart, an outage) is what the spool is for; the spool
        # depth alert reports a long one. The others need a person.
        if self.writer_blocked and self.writer_blocked != "unreachable":
            return f"writer_blocked:{self.writer_blocked}"
        return "spool_full" if self.spool_full else None


class Stats:
    """The one :class:`CollectorStats` of a collector, behind a lock."""

    def __init__(self, spool_depth: int = 0) -> None:
        self._lock = threading.Lock()
        self._stats = CollectorStats(spool_depth=spool_depth)

    def snapshot(self) -> CollectorStats:
        with self._lock:
            return dataclasses.replace(
                self._stats, rejected=Counter(self._stats.rejected), ignored=Counter(self._stats.ignored)
            )

    def set(self, **values: Any) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(self._stats, name, value)

    def add(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + value)

    def count_ignored(self, reasons: list[str]) -> None:
        with self._lock:
            self._stats.ignored.update(reasons)

    def count_rejection(self, reason: str) -> int:
        """Count one quarantined message; returns how many of that reason so far."""
        with self._lock:
            self._stats.rejected[reason] += 1
            return self._stats.rejected[reason]


def status_path(spool_path: Path) -> Path:
    """Where a collector leaves its state for `patina status`, beside its spool: readable
    while InfluxDB, the usual place of ``collector_stats``, is the thing that is down."""
    return spool_path.with_name(spool_path.name + ".status.json")


def write_status(path: Path, instance: str, stats: CollectorStats) -> None:
    state = {key: value for key, value in dataclasses.asdict(stats).items() if not isinstance(value, dict)}
    state.update(
        instance=instance,
        pid=os.getpid(),
        time_s=time.time(),
        rejected=dict(stats.rejected),
        ignored=dict(stats.ignored),
    )
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(state, sort_keys=True))
        temporary.replace(path)
    except OSError:
        pass  # a full disk is reported by the spool itself; the status file is a convenience


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None
