"""The weekly digest's sender: a worker of the collector that sleeps until ``[digest]``'s
weekday and time in the museum's zone, gathers the week (museum/files/digest.py) and sends
it by e-mail, one message per language, through ``[notify.email]``'s server.

Nothing it meets is fatal to the collector: the store or the mail server away is retried
(:data:`RETRY_DELAYS_S`) and logged, then given up for the week with an error in the log.
Who received the week's digest is kept beside the spool (:func:`digest_state_path`), so a
collector restarted soon after the digest's time (:data:`CATCH_UP`) sends it then, to
those who have not had it, and a restart never sends it twice. Only the first of several
collector instances sends it (collector/service.py)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from collector.notify import failure_reason, send_email
from collector.worker import FatalHandler, Worker
from museum.description.config import MuseumConfig

log = logging.getLogger("patina.digest")

#: Waits between the tries of a digest that failed (the store or the mail server away).
RETRY_DELAYS_S = (60.0, 300.0, 900.0)
#: A digest whose time came while the collector was stopped is sent when it starts within this.
CATCH_UP = timedelta(hours=12)
#: The longest sleep between looks at the clock: a clock set by NTP, or a machine woken
#: from sleep, is noticed within it.
CLOCK_CHECK_S = 60.0


def digest_state_path(spool_path: Path) -> Path:
    """Where the collector keeps who received the last week's digest: beside its spool."""
    return spool_path.with_name(spool_path.name + ".digest.json")


def send_digest(
    config: MuseumConfig,
    last_day: date,
    readers: Iterable[tuple[str, str]],
    generated: datetime | None = None,
) -> dict[str, str]:
    """Gather the week ending with ``last_day`` and send it to ``readers`` ((address,
    language) pairs), one message per language. Returns those it could not reach, address
    → reason (empty: every reader has it); raises :class:`~museum.storage.store.StoreError`
    when the week cannot be read."""
    from museum.files.digest import digest_message, gather_week, readers_by_language
    from museum.storage.stores import open_store

    store = open_store(config.influxdb)
    try:
        week = gather_week(config, store, last_day)
    finally:
        store.close()
    made = generated or datetime.now(UTC)
    failures: dict[str, str] = {}
    for language, addresses in readers_by_language(readers).items():
        try:
            send_email(config.notify, digest_message(week, config, language, addresses, made))
        except Exception as error:  # the server's refusal, the network, a page that failed to print
            log.debug("weekly digest in %s not sent", language, exc_info=True)
            failures.update(dict.fromkeys(addresses, failure_reason(error)))
    return failures


class DigestWorker(Worker):
    """Sends the weekly digest at its time, for as long as the collector runs."""

    name = "digest"

    def __init__(
        self,
        config: MuseumConfig,
        stopping: threading.Event,
        on_fatal: FatalHandler,
        state_path: Path,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(stopping, on_fatal)
        self.config = config
        self.state_path = state_path
        self.now = now
        #: Weeks (their last day) this run has tried: a week given up is not caught up again.
        self._tried: set[date] = set()

    def run(self) -> None:
        zone = self.config.zone
        while not self.stopping.is_set():
            due = self.due(self.now())
            if not self._sleep_until(due):
                return
            last_day = due.astimezone(zone).date() - timedelta(days=1)
            self._tried.add(last_day)
            self.deliver(last_day)

    def due(self, now: datetime) -> datetime:
        """When the next digest goes: the last scheduled time if it passed less than
        :data:`CATCH_UP` ago and some reader has not had its week, else the next one."""
        digest, zone = self.config.digest, self.config.zone
        previous = digest.previous_send(now, zone)
        week = previous.astimezone(zone).date() - timedelta(days=1)
        if now - previous <= CATCH_UP and week not in self._tried and self._pending(week):
            return previous
        return digest.next_send(now, zone)

    def _sleep_until(self, due: datetime) -> bool:
        """Wait for ``due``; False when the collector stops first."""
        while not self.stopping.is_set():
            left_s = (due - self.now()).total_seconds()
            if left_s <= 0:
                return True
            self.stopping.wait(min(left_s, CLOCK_CHECK_S))
        return False

    def deliver(self, last_day: date) -> None:
        """Send the week's digest to every reader who has not had it, retrying those who
        could not be reached; never raises."""
        week = last_day.isoformat()
        for attempt, delay_s in enumerate((*RETRY_DELAYS_S, None), start=1):
            pending = self._pending(last_day)
            if not pending:
                return
            try:
                failures = send_digest(self.config, last_day, pending)
            except Exception as error:  # the store away, or anything else: retried, never fatal
                failures = dict.fromkeys((address for address, _ in pending), failure_reason(error))
            self._record(last_day, [address for address, _ in pending if address not in failures])
            if not failures:
                log.info("weekly digest of the week ending %s sent to %d readers", week, len(pending))
                return
            reasons = "; ".join(sorted(set(failures.values())))
            if delay_s is None:
                log.error(
                    "weekly digest of the week ending %s not sent to %s after %d tries: %s",
                    week,
                    ", ".join(failures),
                    attempt,
                    reasons,
                )
                return
            log.warning(
                "weekly digest of the week ending %s not sent to %s (%s); trying again in %.0f s",
                week,
                ", ".join(failures),
                reasons,
                delay_s,
            )
            if self.stopping.wait(delay_s):
                return

    # --- who had which week ------------------------------------------------------------------

    def _pending(self, last_day: date) -> list[tuple[str, str]]:
        sent = self._sent(last_day)
        return [
            (address, language) for address, language in self.config.digest.readers if address not in sent
        ]

    def _sent(self, last_day: date) -> set[str]:
        """Who has had the digest of the week ending with ``last_day``."""
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as error:
            log.warning(
                "%s unreadable (%s): the digest's readers count as not served", self.state_path, error
            )
            return set()
        if not isinstance(state, dict) or state.get("week_ending") != last_day.isoformat():
            return set()
        return {str(address) for address in state.get("sent", ())}

    def _record(self, last_day: date, addresses: list[str]) -> None:
        if not addresses:
            return
        state = {"week_ending": last_day.isoformat(), "sent": sorted(self._sent(last_day) | set(addresses))}
        staged = self.state_path.with_name(self.state_path.name + ".tmp")
        try:
            staged.write_text(json.dumps(state), encoding="utf-8")
            os.replace(staged, self.state_path)
        except OSError as error:
            # Only a restart within CATCH_UP is affected: it would send the week again.
            log.warning("cannot record the digest's readers in %s: %s", self.state_path, error)
