"""The collector: a small coordinator that starts and stops its workers.

Who owns what is in the table at the top of the package (collector/__init__.py). The
path of one message (docs/architecture.md, "The path of one message through the collector"):

1. paho delivers it (QoS 1, persistent session: MQTT 5, clean start off, session expiry
   a week; ``manual_ack``); the ingest decodes it (:class:`MessageDecoder`) into readings,
   a quarantine record with its reason, or nothing (retained state, availability, a
   redelivery of a message already spooled).
2. The ingest's committer writes the outcomes of many messages to the SQLite spool in one
   transaction, and only then acknowledges them. A crash before the commit gets them
   redelivered; a crash after it loses nothing, and a redelivery is recognised.
3. The writer sends the oldest spooled readings to InfluxDB and deletes only what
   InfluxDB confirmed; while it cannot, the readings wait in the spool.
4. The evaluator judges the readings (alerts, risk); its events and risk points join the
   spool; its notifications go to the notifier, one worker per channel.

A worker that meets an error it cannot survive stops the whole collector: :meth:`Collector.run`
returns the reason and `patina collect` exits non-zero, so systemd restarts it.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time

from collector.alerts import Notification
from collector.decoder import MessageDecoder, Outcome
from collector.digest import DigestWorker, digest_state_path
from collector.evaluator import Evaluator, EventClock
from collector.ingest import (
    BROKER_DROPPED_TOPIC,
    RECEIVE_MAXIMUM,
    SESSION_EXPIRY_S,
    Ingest,
    case_owner,
    connect_properties,
    observations_topic,
)
from collector.notify import Notifier
from collector.partners import PartnerLink, loan_cases
from collector.spool import QuarantineRecord, Spool
from collector.stats import CollectorStats, Stats, status_path, write_status
from collector.writer import Writer
from museum.broker.mqtt import make_mqtt_client
from museum.description.config import MuseumConfig
from museum.description.secrets import redact_url
from museum.storage.schema import AlertEvent, RiskPoint, alert_event_line, risk_line
from museum.storage.stores import open_store

__all__ = [
    "BROKER_DROPPED_TOPIC",
    "RECEIVE_MAXIMUM",
    "SESSION_EXPIRY_S",
    "Collector",
    "CollectorStats",
    "EventClock",
    "MessageDecoder",
    "Outcome",
    "case_owner",
    "collector_name",
    "connect_properties",
    "make_mqtt_client",
    "observations_topic",
    "replay_quarantine",
]

log = logging.getLogger("patina.collector")


def collector_name(config: MuseumConfig) -> str:
    """The name a person knows this collector by, on the dashboard and in ``collector_stats``:
    ``[collector] name`` (or PATINA_COLLECTOR_NAME), else the machine's host name; with
    several instances, its number ("museum-server 2/3"). Stable across restarts, so that a
    restart continues the same collector instead of adding one."""
    collector = config.collector
    name = collector.name or socket.gethostname()
    if collector.instances > 1:
        name += f" {collector.instance_index + 1}/{collector.instances}"
    return name


class Collector:
    """One collector instance bound to one museum config."""

    def __init__(
        self,
        config: MuseumConfig,
        *,
        client_id: str | None = None,
        instance: str | None = None,
        batch_size: int = 5000,
        commit_group: int = 1000,
        commit_interval_s: float = 0.02,
        stats_interval_s: float = 10.0,
        linger_s: float = 0.2,
        event_time: bool = False,
        notify: bool | None = None,
    ) -> None:
        self.config = config
        self.client_id = client_id or config.mqtt.client_id
        self.instance = instance or collector_name(config)
        self.stats_interval_s = stats_interval_s
        collector = config.collector
        self.spool = Spool(
            collector.spool_path,
            exclusive=True,
            max_mb=collector.spool_max_mb,
            quarantine_payload_bytes=collector.quarantine_payload_bytes,
            quarantine_max_mb=collector.quarantine_max_mb,
        )
        self._stats = Stats(spool_depth=self.spool.depth())
        self._stats.set(quarantine_dropped=0)
        self._status_path = status_path(self.spool.path)
        self._spooled = threading.Condition()
        self._stopping = threading.Event()
        self._failed = threading.Event()
        self._lifecycle_lock = threading.Lock()
        #: Why the collector stopped by itself (a worker's fatal error), or None.
        self.failure: str | None = None
        #: Cases whose alerts this instance evaluates (all of them without scale-out).
        self.owned_cases = {
            c.id for c in config.cases if case_owner(c.id, collector.instances) == collector.instance_index
        }
        evaluated = self._evaluated(event_time)
        self.notifier = Notifier(
            config,
            publish_mqtt=self._publish_retained,
            on_failure=self._notify_failed,
            on_sent=self._notified,
        )
        # History replayed on its own clock is not news: notify only when asked.
        send = (not event_time) if notify is None else notify
        self.evaluator = Evaluator(
            config,
            evaluated,
            self._stats,
            self._stopping,
            self._fatal,
            write_event=self._write_event,
            write_risk=self._write_risk,
            notify=self.notifier,
            event_time=event_time,
            send_notifications=send,
        )
        self.ingest = Ingest(
            config,
            self.client_id,
            self.spool,
            self._stats,
            self._spooled,
            self._stopping,
            self._fatal,
            observe=self.evaluator.inbox.put,
            owned_cases=self.owned_cases,
            commit_group=commit_group,
            commit_interval_s=commit_interval_s,
        )
        self.writer = Writer(
            config,
            self.spool,
            self._stats,
            self._spooled,
            self._stopping,
            self._fatal,
            instance=self.instance,
            batch_size=batch_size,
            linger_s=linger_s,
            stats_interval_s=stats_interval_s,
        )
        # The weekly digest: sent by the first instance only, so each reader gets it once, and
        # not by a replay of history on its own clock.
        self.digest = (
            DigestWorker(config, self._stopping, self._fatal, digest_state_path(self.spool.path))
            if config.digest.enabled and collector.instance_index == 0 and not event_time
            else None
        )
        self.partners = self._partner_link(event_time)
        self._monitor_thread = threading.Thread(target=self._monitor, name="collector-monitor", daemon=True)
        self.decoder = self.ingest.decoder
        self.event_clock = self.evaluator.event_clock
        self.alerts = self.evaluator.alerts

    def _evaluated(self, event_time: bool) -> MuseumConfig:
        """The cases this instance judges: those it owns and, the first instance live, the
        cases at partners holding this museum's objects (collector/partners.py)."""
        config = self.config
        loans = loan_cases(config) if config.collector.instance_index == 0 and not event_time else ()
        owned = tuple(c for c in config.cases if c.id in self.owned_cases)
        return dataclasses.replace(config, cases=(*owned, *loans))

    def _partner_link(self, event_time: bool) -> PartnerLink | None:
        """Heartbeat and partner museums (collector/partners.py): live, on the first instance."""
        if self.config.collector.instance_index != 0 or event_time:
            return None
        link = PartnerLink(
            self.config,
            self.client_id,
            self._stats,
            self._stopping,
            self._fatal,
            spool_points=self._spool_points,
            open_incidents=lambda: len(self.evaluator.alerts.open_alerts()),
            observe=self.evaluator.inbox.put,
            open_store=lambda: open_store(self.config.influxdb),
            quarantine=self._quarantine_one,
        )
        if self.config.partners:
            self.evaluator.alerts.partner_beats = link.beats
        return link

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        log.info(
            "collector %s: broker %s, InfluxDB %s database %r, spool %s (%d waiting)",
            self.instance,
            redact_url(self.config.mqtt.url),
            redact_url(self.config.influxdb.url),
            self.config.influxdb.database,
            self.spool.path,
            self._stats.snapshot().spool_depth,
        )
        self.notifier.start()
        for worker in (self.ingest, self.writer, self.evaluator):
            worker.start()
        if self.digest is not None:
            self.digest.start()
        if self.partners is not None:
            self.partners.start()
        self._monitor_thread.start()
        self.ingest.connect()

    def wait_until_subscribed(self, timeout_s: float = 10.0) -> bool:
        return self.ingest.subscribed.wait(timeout_s)

    def run(self, done: threading.Event) -> str | None:
        """Run until ``done`` is set or a worker fails. Returns the failure, if any."""
        while not done.is_set() and not self._failed.is_set():
            done.wait(0.5)
        return self.failure

    def _monitor(self) -> None:
        """Keep the status file beside the spool up to date, for `patina status`."""
        while not self._stopping.wait(min(self.stats_interval_s, 2.0)):
            write_status(self._status_path, self.instance, self.stats())

    def _fatal(self, worker: str, error: BaseException) -> None:
        self.failure = f"{worker}: {error!r}"
        self._failed.set()

    @property
    def failed(self) -> bool:
        return self._failed.is_set()

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Commit and acknowledge what was received, disconnect, and give the writer up to
        ``drain_timeout_s`` to empty the spool (what remains waits for the next start)."""
        with self._lifecycle_lock:
            if self._stopping.is_set():
                return
            self.ingest.commit_pending()
            self.ingest.disconnect()
            deadline = time.monotonic() + drain_timeout_s
            # The evaluator's last readings may still become events: let it finish the batches
            # it holds (not only those still queued), then count what the spool really holds
            # (the stats' depth can lag a commit). A writer that has not written yet is not a
            # blocked one: only a writer known to be blocked ends the wait early.
            while not self.evaluator.settled() and self.evaluator.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            while (
                self.spool.depth()
                and time.monotonic() < deadline
                and self.stats().writer_blocked is None
                and self.writer.alive()
            ):
                time.sleep(0.05)
            self._stopping.set()
            with self._spooled:
                self._spooled.notify_all()
            for worker in (self.ingest, self.writer, self.evaluator):
                worker.join(10)
            if self.digest is not None:
                self.digest.join(10)
            if self.partners is not None:
                self.partners.join(10)
            self._monitor_thread.join(5)
            self.notifier.stop()
            withheld = self.evaluator.withheld_summary()
            if withheld:
                log.info("notifications not sent (event time without --notify): %s", withheld)
            write_status(self._status_path, self.instance, self.stats())
            readings_left, own_left = self.spool.depth_by_kind()
            self.spool.close()
            if readings_left or own_left:
                # Readings and the collector's own points (alert events, risk) told apart:
                # the counters received and written count readings only (issue 31).
                log.warning(
                    "stopped with %d points in the spool (%d readings, %d alert events and risk points); "
                    "they are written on the next start",
                    readings_left + own_left,
                    readings_left,
                    own_left,
                )

    def stats(self) -> CollectorStats:
        return self._stats.snapshot()

    # --- what the evaluator and the notifier produce ------------------------------------------
    def _spool_points(self, lines: list[str]) -> None:
        """Points the collector makes itself (alert events, risk) take the readings' path."""
        self.spool.commit(lines)
        self._stats.add(spool_depth=len(lines))
        with self._spooled:
            self._spooled.notify()

    def _quarantine_one(self, record: QuarantineRecord) -> None:
        """A partner's refused back-fill request, kept where refused messages are."""
        self.spool.commit([], [record])

    def _write_event(self, event: AlertEvent) -> None:
        """Alert events go through the spool like readings: an InfluxDB outage loses none."""
        self._spool_points([alert_event_line(event)])

    def _write_risk(self, point: RiskPoint) -> None:
        self._spool_points([risk_line(point)])

    def _event_time(self, time_s: float, channel: str) -> float:
        """An event of a notification in event time comes just after the event that caused
        it (a microsecond per channel): at the very same time it would replace that point."""
        if self.event_clock is None:
            return time_s
        return time_s + 1e-6 * (1 + ("email", "webhook", "mqtt").index(channel))

    def _notified(self, notification: Notification, channel: str, time_s: float) -> None:
        if notification.kind != "resolved":
            self._channel_event(notification, channel, time_s, "notified", f"{notification.kind}: {channel}")

    def _notify_failed(self, notification: Notification, channel: str, error: str, time_s: float) -> None:
        self._channel_event(notification, channel, time_s, "notify_failed", f"{channel}: {error}")

    def _channel_event(
        self, notification: Notification, channel: str, time_s: float, state: str, message: str
    ) -> None:
        """What a notification channel did with an alert, in the alert's log."""
        self._write_event(
            AlertEvent(
                time_ns=int(self._event_time(time_s, channel) * 1e9),
                site=notification.case.site,
                case_id=notification.case.id,
                alert_id=notification.alert_id,
                rule=notification.rule,
                severity=notification.severity,
                state=state,
                message=message,
            )
        )

    def _publish_retained(self, topic: str, payload: bytes) -> None:
        self.ingest.publish(topic, payload, retain=True)


def replay_quarantine(config: MuseumConfig, spool: Spool | None = None) -> tuple[int, int]:
    """Decode every quarantined message again with the current config (after a fix).
    Messages that now become readings join the spool, for the collector to write; points
    InfluxDB once refused join it again as they are (the database may accept them now:
    a field type fixed, a retention policy changed). The others stay, with their reason
    brought up to date. Returns (released, still held)."""
    spool = spool or Spool(config.collector.spool_path)
    decoder = MessageDecoder(config)
    released = held = 0
    for record in spool.quarantined():
        assert record.id is not None
        if record.truncated:  # only a prefix was kept: it cannot become a reading
            held += 1
            continue
        if record.topic == "influxdb":
            spool.release(record.id, [record.payload.decode("utf-8", "replace")])
            released += 1
            continue
        outcome = decoder.decode(record.topic, record.payload, record.received_ns)
        if outcome.quarantine is None:
            spool.release(record.id, outcome.lines)
            released += 1
        else:
            spool.update_reason(record.id, outcome.quarantine.reason, outcome.quarantine.detail)
            held += 1
    return released, held
