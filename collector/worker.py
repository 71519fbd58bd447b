"""What every worker thread of the collector shares: a guard that turns an unexpected
exception into a stop of the whole process (so systemd restarts it) instead of a thread
that dies while the others carry on, and a backoff that logs a fault once, not per retry."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("patina.collector")

#: Called with the worker's name and the error that stopped it.
FatalHandler = Callable[[str, BaseException], None]


class Worker:
    """A daemon thread running :meth:`run` until ``stopping`` is set."""

    name = "worker"

    def __init__(self, stopping: threading.Event, on_fatal: FatalHandler) -> None:
        self.stopping = stopping
        self.on_fatal = on_fatal
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)
        self.thread.start()

    def join(self, timeout_s: float = 10.0) -> None:
        if self.thread is not None:
            self.thread.join(timeout_s)

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def run(self) -> None:
        raise NotImplementedError

    def _guarded(self) -> None:
        try:
            self.run()
        except BaseException as error:  # reported, then the whole process stops
            log.critical("%s stopped on an unexpected error: %r", self.name, error, exc_info=True)
            self.on_fatal(self.name, error)


class Backoff:
    """Retry delays 0.5 s … ``max_s``, doubling; :meth:`fail` logs a fault when it first
    appears or changes, and :meth:`ok` logs the recovery."""

    def __init__(self, what: str, max_s: float = 30.0) -> None:
        self.what = what
        self.max_s = max_s
        self.delay_s = 0.0
        self.fault: str | None = None

    def fail(self, fault: str, detail: object, stopping: threading.Event | None) -> None:
        """Log a new fault; wait the next delay (unless ``stopping`` is None: the caller
        must not block, and the next delay is longer all the same)."""
        if fault != self.fault:
            log.error("%s: %s (%s); retrying with backoff", self.what, fault, detail)
            self.fault = fault
            self.delay_s = 0.0  # a new cause: the old one's long delay says nothing about it
        self.delay_s = min(self.max_s, max(0.5, self.delay_s * 2))
        if stopping is not None:
            stopping.wait(self.delay_s)

    def ok(self) -> bool:
        """Clear the fault; True if there was one (the caller may say it recovered)."""
        recovered = self.fault is not None
        if recovered:
            log.info("%s: recovered from %s", self.what, self.fault)
        self.fault = None
        self.delay_s = 0.0
        return recovered
