"""The writer thread: spool → InfluxDB, with a store (HTTP session) of its own.

It sends the oldest spooled readings in batches and deletes only what InfluxDB
confirmed. Whatever keeps it from writing — InfluxDB unreachable, credentials refused
(:class:`AccessDenied`), the database missing without the right to create it
(:class:`DatabaseMissing`), the spool itself failing — leaves the readings in the spool,
is shown in the stats (``writer_blocked``, which the evaluator turns into a
``collector_health`` alert) and is retried with backoff until the cause is gone. Only a
point InfluxDB refuses as a point (:class:`PointsRefused`) is isolated by halving the
batch and moved to the quarantine as ``database_refused``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import threading
import time
from datetime import timedelta

from collector.spool import QuarantineRecord, Spool
from collector.stats import Stats
from collector.worker import Backoff, FatalHandler, Worker
from museum.description.config import MuseumConfig
from museum.description.secrets import redact_url
from museum.storage.lineprotocol import encode_point
from museum.storage.schema import COLLECTOR_STATS
from museum.storage.store import (
    AccessDenied,
    DatabaseMissing,
    PointsRefused,
    StoreError,
    StoreUnavailable,
)
from museum.storage.stores import open_store
from museum.storage.versions import ensure_schema_version, patina_version

log = logging.getLogger("patina.collector")


class Writer(Worker):
    name = "influx-writer"

    def __init__(
        self,
        config: MuseumConfig,
        spool: Spool,
        stats: Stats,
        spooled: threading.Condition,
        stopping: threading.Event,
        on_fatal: FatalHandler,
        *,
        instance: str,
        batch_size: int,
        linger_s: float,
        stats_interval_s: float,
    ) -> None:
        super().__init__(stopping, on_fatal)
        self.config = config
        self.spool = spool
        self.stats = stats
        self.spooled = spooled
        self.instance = instance
        self.batch_size = batch_size
        self.linger_s = linger_s
        self.stats_interval_s = stats_interval_s
        self.store = open_store(config.influxdb)
        self._ready = False
        self._may_create = True
        self._backoff = Backoff(f"writing to InfluxDB at {redact_url(config.influxdb.url)}")

    def run(self) -> None:
        next_stats = time.monotonic()
        try:
            while not self.stopping.is_set():
                if time.monotonic() >= next_stats:
                    next_stats = time.monotonic() + self.stats_interval_s
                    self._write_stats()
                try:
                    rows = self._next_rows()
                    if rows:
                        self._prepare()
                        self._write(rows)
                        self._clear()
                except StoreUnavailable as error:
                    self._blocked("unreachable", error)
                except AccessDenied as error:
                    self._blocked("access_denied", error)
                except DatabaseMissing as error:
                    if self._ready and self._may_create:
                        self._ready = False  # dropped while we ran: create it again at once
                        continue
                    self._ready = False
                    self._blocked("database_missing", error)
                except sqlite3.Error as error:
                    self._blocked("spool_error", error)
        finally:
            self.store.close()

    def _next_rows(self) -> list[tuple[int, str]]:
        # Whether a batch is full is asked of the ids alone: reading the lines of a partial
        # batch and reading them again after the wait cost the writer a tenth of its CPU.
        waiting = self.spool.waiting(self.batch_size)
        if waiting < self.batch_size and not self.stopping.is_set():
            # Let a partial batch fill for a moment: fewer, larger writes to InfluxDB.
            if waiting:
                self.stopping.wait(self.linger_s)
            else:
                with self.spooled:
                    self.spooled.wait(0.5)
        return self.spool.oldest(self.batch_size)

    def _prepare(self) -> None:
        """Create the database and its downsampling once; a user who may write but not
        administer (what a careful admin gives a service) writes into a database made for it."""
        if self._ready:
            return
        try:
            self.store.create_database()
        except AccessDenied as error:
            if self._may_create:  # said once; tried again whenever the writer is not ready
                log.warning(
                    "may not create database %r (%s); writing to it if an administrator made it",
                    self.config.influxdb.database,
                    error,
                )
            self._may_create = False
        else:
            self._may_create = True
        retention = self.config.influxdb.raw_retention_s
        try:
            self.store.ensure_downsampling(timedelta(seconds=retention) if retention else None)
        except (StoreUnavailable, DatabaseMissing):
            raise
        except StoreError as error:
            log.error(
                "cannot set up hourly aggregates and retention (%s); readings are stored raw only", error
            )
        self._check_schema()
        self._ready = True

    def _check_schema(self) -> None:
        """Stamp or upgrade the database's schema version; a database a newer Patina wrote
        stops the collector (SchemaTooNew is fatal) before it writes a reading into it."""
        if self.config.influxdb.api != "v1":
            return
        try:
            for done in ensure_schema_version(self.store, patina_version()):
                log.info("%s", done)
        except (StoreUnavailable, DatabaseMissing):
            raise
        except StoreError as error:
            log.error("cannot read or record the database's schema version (%s)", error)

    def _blocked(self, reason: str, error: StoreError | sqlite3.Error) -> None:
        self.stats.set(
            writer_blocked=reason, writer_blocked_detail=str(error)[:300], database_reachable=False
        )
        self.stats.add(write_errors=1)
        self._backoff.fail(reason, f"{error}; {self.spool.depth()} readings wait in the spool", self.stopping)

    def _clear(self) -> None:
        if self._backoff.ok() or not self.stats.snapshot().database_reachable:
            log.info("writing to InfluxDB at %s", redact_url(self.config.influxdb.url))
        self.stats.set(writer_blocked=None, writer_blocked_detail="", database_reachable=True)

    def _write(self, rows: list[tuple[int, str]]) -> None:
        """Write rows; a point refused as a point is isolated by halving and quarantined."""
        try:
            self.store.write_lines([line for _, line in rows])
        except PointsRefused as error:
            if len(rows) > 1:
                middle = len(rows) // 2
                self._write(rows[:middle])
                self._write(rows[middle:])
                return
            reading_id, line = rows[0]
            record = QuarantineRecord(
                time.time_ns(), "influxdb", line.encode(), "database_refused", str(error)[:300]
            )
            self.spool.move_to_quarantine(reading_id, record)
            count = self.stats.count_rejection(record.reason)
            if count <= 10 or count % 1000 == 0:
                log.warning("InfluxDB refused a point (#%d): %s", count, record.detail)
            self.stats.add(spool_depth=-1)
            return
        self.spool.remove(reading_id for reading_id, _ in rows)
        self.stats.add(
            written=sum(1 for _, line in rows if line.startswith("climate,")), spool_depth=-len(rows)
        )

    def _write_stats(self) -> None:
        stats = self.stats.snapshot()
        if stats.writer_blocked:
            return  # the readings' own loop reports the fault; stats wait for the next round
        fields: dict[str, int | float | str | None] = {
            # Where it runs, beside its name (the instance tag): a person looks for a machine.
            "host": socket.gethostname(),
            "messages": stats.messages,
            "received": stats.received,
            "written": stats.written,
            "quarantined": stats.rejected_total,
            "ignored": sum(stats.ignored.values()),
            "spool_depth": stats.spool_depth,
            "broker_dropped": stats.broker_dropped,
            "redelivered": stats.redelivered,
            "quarantine_dropped": stats.quarantine_dropped,
        }
        fields.update({f"quarantined_{reason}": count for reason, count in stats.rejected.items()})
        # InfluxDB down: the readings' own retry loop reports it.
        with contextlib.suppress(StoreError):
            self.store.write_lines(
                [encode_point(COLLECTOR_STATS, {"instance": self.instance}, fields, time.time_ns())]
            )
