"""The collector: subscribes to the sources in the config and stores every reading.

Lifecycle: :meth:`Collector.start` opens the spool, starts the committer and writer
threads and connects to the broker in the background (retrying with backoff 1–30 s while
it is down; paho resubscribes on every connection). :meth:`Collector.stop` disconnects,
commits what was received and lets the writer drain for a while; what is left stays in
the spool for the next start.

The path of one message (DESIGN.md, "The collector's path for one message"):

1. paho delivers it (QoS 1, persistent session: MQTT 5, clean start off, session expiry
   a week; ``manual_ack``).
2. :class:`MessageDecoder` turns it into readings (line protocol, mapped to a case through
   the config) or a quarantine record with its reason, or recognises it as not a reading
   (retained state, availability): :class:`Outcome`.
3. The committer thread writes the outcomes of many messages to the SQLite spool in one
   transaction, and only then acknowledges those messages to the broker. A crash before
   the commit gets them redelivered; a crash after it loses nothing.
4. The writer thread sends the oldest spooled readings to InfluxDB in batches and deletes
   only what InfluxDB confirmed; while InfluxDB is unreachable it retries with backoff
   and the spool grows. A point InfluxDB refuses is found by halving the batch and moved
   to the quarantine (reason ``database_refused``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import queue
import socket
import ssl
import threading
import time
import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.adapters import DECODERS, Context
from collector.alerts import AlertEngine, AlertEvent, Notification, RiskPoint
from collector.notify import Notifier
from collector.payloads import Ignored, Rejected
from collector.spool import QuarantineRecord, Spool
from museum.config import UNASSIGNED_CASE, MqttConfig, MuseumConfig, Source
from museum.lineprotocol import LineProtocolError, encode_point
from museum.schema import (
    COLLECTOR_STATS,
    Reading,
    alert_event_line,
    climate_line,
    risk_line,
)
from museum.secrets import redact_url
from museum.store import InfluxStore, StoreError, StoreUnavailable

log = logging.getLogger("patina.collector")

#: How long the broker keeps our session (and queued QoS 1 messages) while we are away.
SESSION_EXPIRY_S = 7 * 24 * 3600
#: Unacknowledged QoS 1 messages the broker may send us at once: acknowledgements wait for
#: a spool commit, so a small window (Mosquitto's default is 20) would throttle ingestion.
RECEIVE_MAXIMUM = 10_000
#: Mosquitto's count of messages it dropped (queue limits), published every sys_interval.
BROKER_DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"


def case_owner(case_id: str, instances: int) -> int:
    """Which of ``instances`` collectors evaluates the alerts of a case (stable: crc32)."""
    return zlib.crc32(case_id.encode()) % instances


def observations_topic(group: str, index: int) -> str:
    """Where collectors send an instance the readings of the cases it owns."""
    return f"patina/_collectors/{group}/{index}/observations"


class EventClock:
    """Time as the readings tell it, for replaying history or a scenario faster than real
    time: alert rules then see the durations the readings span, not the seconds the replay
    took. A reading is judged at its own time; silence is judged at the median of the
    sensors' latest times, so one sensor with a skewed clock cannot make the others look
    silent."""

    def __init__(self) -> None:
        self.latest_s: dict[str, float] = {}
        self.newest_s: float | None = None

    def observe(self, sensor_id: str, time_s: float) -> None:
        self.latest_s[sensor_id] = max(time_s, self.latest_s.get(sensor_id, time_s))
        self.newest_s = time_s if self.newest_s is None else max(self.newest_s, time_s)

    def now_s(self) -> float | None:
        if not self.latest_s:
            return None
        times = sorted(self.latest_s.values())
        return times[len(times) // 2]


@dataclass
class Outcome:
    """What one message became: readings as line protocol, a quarantine record, or
    nothing because it is not a reading (``ignored`` says why)."""

    lines: list[str] = field(default_factory=list)
    quarantine: QuarantineRecord | None = None
    ignored: str | None = None
    #: (case id, reading) of each reading, for the alert engine.
    readings: list[tuple[str, Reading]] = field(default_factory=list)


class MessageDecoder:
    """Topic → source → decoder → validated readings → line protocol, for the collector
    and for replaying the quarantine. Never raises for bad input."""

    _CACHE_SIZE = 10_000

    def __init__(self, config: MuseumConfig) -> None:
        self.config = config
        self._contexts = {source: Context(source, config.zone) for source in config.sources}
        self._sensor_cases = {s: c for c in config.cases for s in c.sensors}
        self._sources: OrderedDict[str, Source | None] = OrderedDict()

    def source_for(self, topic: str) -> Source | None:
        if topic in self._sources:
            return self._sources[topic]
        found = next((s for s in self.config.sources if mqtt.topic_matches_sub(s.topic, topic)), None)
        self._sources[topic] = found
        if len(self._sources) > self._CACHE_SIZE:
            self._sources.popitem(last=False)
        return found

    def decode(self, topic: str, payload: bytes, received_ns: int) -> Outcome:
        source = self.source_for(topic)
        try:
            if source is None:
                raise Rejected("unexpected_topic", f"{topic!r} matches no source")
            decoded = DECODERS[source.format](self._contexts[source], topic, payload, received_ns)
            lines, readings = [], []
            for reading in decoded.readings:
                case = self._sensor_cases.get(reading.sensor_id)
                site = case.site if case else (decoded.site or source.site)
                case_id = case.id if case else UNASSIGNED_CASE
                try:
                    lines.append(climate_line(reading, site, case_id))
                except LineProtocolError as error:
                    raise Rejected("invalid_id", str(error)) from None
                readings.append((case_id, reading))
            return Outcome(lines=lines, readings=readings)
        except Ignored as ignored:
            return Outcome(ignored=ignored.reason)
        except Rejected as rejection:
            return Outcome(
                quarantine=QuarantineRecord(
                    received_ns, topic, bytes(payload), rejection.reason, rejection.detail
                )
            )
        except Exception as error:
            log.exception("decoder for %r failed", topic)
            return Outcome(
                quarantine=QuarantineRecord(
                    received_ns, topic, bytes(payload), "decoder_error", repr(error)[:300]
                )
            )


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

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def pending(self) -> int:
        return self.spool_depth


def make_mqtt_client(config: MqttConfig, client_id: str, manual_ack: bool = False) -> mqtt.Client:
    """A paho client for the configured broker: MQTT 5, credentials from the environment
    (already in ``config``), TLS for ``mqtts://`` (CA and client certificate if given),
    reconnect backoff 1–30 s."""
    protocol = MQTTProtocolVersion.MQTTv5 if config.protocol == "5" else MQTTProtocolVersion.MQTTv311
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if config.protocol == "5" else False,
        manual_ack=manual_ack,
    )
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set(
            ca_certs=config.ca_file,
            certfile=config.cert_file,
            keyfile=config.key_file,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client


def connect_properties(session_expiry_s: int = SESSION_EXPIRY_S) -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = session_expiry_s
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


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
    ) -> None:
        self.config = config
        #: Alerts on the readings' own clock (replays, scenarios) instead of the wall clock.
        self.event_clock = EventClock() if event_time else None
        self._evaluated_at_s = -float("inf")
        self.linger_s = linger_s
        self.client_id = client_id or config.mqtt.client_id
        self.instance = instance or f"{socket.gethostname()}-{os.getpid()}"
        self.batch_size = batch_size
        self.commit_group = commit_group
        self.commit_interval_s = commit_interval_s
        self.stats_interval_s = stats_interval_s
        self.decoder = MessageDecoder(config)
        self.spool = Spool(config.collector.spool_path)
        self.store = InfluxStore.from_config(config.influxdb)
        self._stats = CollectorStats(spool_depth=self.spool.depth())
        self._lock = threading.Lock()
        self._inbox_lock = threading.Lock()
        self._inbox: list[tuple[int, int, Outcome]] = []
        self._inbox_since = 0.0
        self._spooled = threading.Condition()
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._client = make_mqtt_client(config.mqtt, self.client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._observations: queue.Queue[list[tuple[str, Reading]]] = queue.Queue()
        self.notifier = Notifier(
            config,
            publish_mqtt=self._publish_retained,
            on_failure=self._notify_failed,
            on_sent=self._notified,
        )
        shared = config.collector
        #: Cases whose alerts this instance evaluates (all of them without scale-out).
        self.owned_cases = {
            case.id for case in config.cases if case_owner(case.id, shared.instances) == shared.instance_index
        }
        self._own_topic = (
            observations_topic(shared.share_group, shared.instance_index) if shared.share_group else None
        )
        evaluated = dataclasses.replace(
            config, cases=tuple(c for c in config.cases if c.id in self.owned_cases)
        )
        self.alerts_known_cases = {case.id for case in config.cases}
        self.alerts = AlertEngine(
            evaluated,
            write_event=self._write_event,
            notify=self.notifier,
            write_risk=self._write_risk,
            now_s=time.time(),
        )

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        log.info(
            "collector %s: broker %s, InfluxDB %s database %r, spool %s (%d waiting)",
            self.instance,
            redact_url(self.config.mqtt.url),
            redact_url(self.config.influxdb.url),
            self.config.influxdb.database,
            self.spool.path,
            self._stats.spool_depth,
        )
        self._restore_alert_state()
        self.notifier.start()
        for target, name in (
            (self._commit_loop, "spool-committer"),
            (self._write_loop, "influx-writer"),
            (self._evaluate_loop, "alert-evaluator"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.config.mqtt.protocol == "5":
            self._client.connect_async(
                self.config.mqtt.host,
                self.config.mqtt.port,
                keepalive=30,
                clean_start=False,
                properties=connect_properties(),
            )
        else:  # MQTT 3.1.1: a persistent session through clean_session=False
            self._client.connect_async(self.config.mqtt.host, self.config.mqtt.port, keepalive=30)
        self._client.loop_start()

    def wait_until_subscribed(self, timeout_s: float = 10.0) -> bool:
        return self._subscribed.wait(timeout_s)

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Disconnect, commit what was received, and give the writer up to
        ``drain_timeout_s`` to empty the spool (what remains waits for the next start)."""
        self._client.disconnect()
        self._client.loop_stop()
        deadline = time.monotonic() + drain_timeout_s
        while self.stats().spool_depth and time.monotonic() < deadline and self._stats.database_reachable:
            time.sleep(0.05)
        self._stopping.set()
        with self._spooled:
            self._spooled.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self.notifier.stop()
        self.store.close()
        left = self.spool.depth()
        if left:
            log.warning("stopped with %d readings in the spool; they are written on the next start", left)

    def stats(self) -> CollectorStats:
        with self._lock:
            return CollectorStats(
                **{
                    **self._stats.__dict__,
                    "rejected": Counter(self._stats.rejected),
                    "ignored": Counter(self._stats.ignored),
                }
            )

    # --- MQTT callbacks (paho's network thread) --------------------------------------
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: mqtt.ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the connection: %s", redact_url(self.config.mqtt.url), reason_code)
            return
        self._stats.connected = True
        log.info(
            "connected to %s (session present: %s)", redact_url(self.config.mqtt.url), flags.session_present
        )
        group = self.config.collector.share_group
        topics = [(f"$share/{group}/{s.topic}" if group else s.topic, 1) for s in self.config.sources]
        if self._own_topic:
            topics.append((self._own_topic, 1))
        client.subscribe([*topics, (BROKER_DROPPED_TOPIC, 0)])

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[mqtt.ReasonCode],
        properties: Properties | None,
    ) -> None:
        failed = [str(code) for code in reason_codes[: len(self.config.sources)] if code.is_failure]
        if failed:
            log.error("broker refused subscriptions: %s", ", ".join(failed))
        else:
            log.info("subscribed to %s", ", ".join(s.topic for s in self.config.sources))
            self._subscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: mqtt.ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._stats.connected = False
        self._subscribed.clear()
        if reason_code != 0:
            log.warning("disconnected from broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic.startswith("$SYS/"):
            self._broker_stat(message)
            return
        if self._own_topic and message.topic == self._own_topic:
            self._receive_observations(message)
            return
        if message.retain:
            # Retained messages replay old state on subscribe; live readings never carry the flag.
            outcome = Outcome(ignored="retained")
        else:
            outcome = self.decoder.decode(message.topic, message.payload, time.time_ns())
        with self._inbox_lock:
            if not self._inbox:
                self._inbox_since = time.monotonic()
            self._inbox.append((message.mid, message.qos, outcome))
            if len(self._inbox) >= self.commit_group:
                # Commit and acknowledge here, in paho's own thread: acknowledgements sent
                # from another thread cost a wake-up of the network loop each.
                self._commit_inbox()

    # --- scale-out: each case's readings reach the instance that owns it -----------------
    def _route_observations(self, observed: list[tuple[str, Reading]]) -> None:
        """Evaluate the readings of owned cases here; send the others to their owners. A
        shared subscription hands any reading to any instance, but a case's rules need all
        of its readings in one place. Storage does not depend on this: every reading was
        spooled before its acknowledgement."""
        shared = self.config.collector
        if shared.instances == 1 or not shared.share_group:
            self._observations.put(observed)
            return
        mine, others = [], {}
        for case_id, reading in observed:
            owner = case_owner(case_id, shared.instances)
            if case_id in self.owned_cases:
                mine.append((case_id, reading))
            elif case_id in self.alerts_known_cases:
                others.setdefault(owner, []).append((case_id, reading))
        if mine:
            self._observations.put(mine)
        for owner, items in others.items():
            body = json.dumps(
                [
                    [case_id, r.sensor_id, r.time_ns, r.temperature_c, r.rh_pct, r.battery_pct]
                    for case_id, r in items
                ]
            )
            self._client.publish(observations_topic(shared.share_group, owner), body, qos=1)

    def _receive_observations(self, message: mqtt.MQTTMessage) -> None:
        try:
            rows = json.loads(message.payload)
            items = [
                (
                    str(case_id),
                    Reading(
                        sensor_id=str(sensor),
                        time_ns=int(time_ns),
                        temperature_c=t,
                        rh_pct=rh,
                        battery_pct=battery,
                    ),
                )
                for case_id, sensor, time_ns, t, rh, battery in rows
                if case_id in self.owned_cases
            ]
        except (ValueError, TypeError) as error:
            log.error("malformed observations from another collector on %s: %s", message.topic, error)
            items = []
        if items:
            self._observations.put(items)
        if message.qos > 0:
            self._client.ack(message.mid, message.qos)

    def _broker_stat(self, message: mqtt.MQTTMessage) -> None:
        try:
            dropped = int(message.payload)
        except ValueError:
            return
        if dropped and dropped != self._stats.broker_dropped:
            log.error(
                "the broker reports %d dropped messages: raise its queue limits (deploy/mosquitto.conf)",
                dropped,
            )
        self._stats.broker_dropped = dropped

    # --- committing: spool first, acknowledge second ------------------------------------
    def _commit_loop(self) -> None:
        """Commits groups that stay partial (quiet periods); full groups are committed by
        the network thread as they fill."""
        while not self._stopping.wait(self.commit_interval_s):
            with self._inbox_lock:
                if self._inbox and time.monotonic() - self._inbox_since >= self.commit_interval_s:
                    self._commit_inbox()
        with self._inbox_lock:
            self._commit_inbox()

    def _commit_inbox(self) -> None:
        """Commit and acknowledge the inbox; the caller holds ``_inbox_lock``."""
        batch, self._inbox = self._inbox, []
        if batch:
            self._commit(batch)

    def _commit(self, batch: list[tuple[int, int, Outcome]]) -> None:
        lines = [line for _, _, outcome in batch for line in outcome.lines]
        quarantined = [outcome.quarantine for _, _, outcome in batch if outcome.quarantine]
        while True:
            try:
                self.spool.commit(lines, quarantined)
                break
            except Exception:
                log.exception("cannot write the spool %s; retrying in 1 s", self.spool.path)
                time.sleep(1.0)
        for mid, qos, _ in batch:
            if qos > 0:
                self._client.ack(mid, qos)
        observed = [item for _, _, outcome in batch for item in outcome.readings]
        if observed:
            self._route_observations(observed)
        with self._lock:
            self._stats.messages += len(batch)
            self._stats.received += len(lines)
            self._stats.spool_depth += len(lines)
            for _, _, outcome in batch:
                if outcome.ignored:
                    self._stats.ignored[outcome.ignored] += 1
        for record in quarantined:
            self._count_rejection(record)
        with self._spooled:
            self._spooled.notify()

    def _count_rejection(self, record: QuarantineRecord) -> None:
        with self._lock:
            self._stats.rejected[record.reason] += 1
            count = self._stats.rejected[record.reason]
        # The first few of each reason, then every thousandth: garbage cannot flood the log.
        if count <= 10 or count % 1000 == 0:
            log.warning(
                "quarantined message on %r (%s, #%d): %s", record.topic, record.reason, count, record.detail
            )

    # --- the writer thread: spool → InfluxDB --------------------------------------------
    def _write_loop(self) -> None:
        backoff_s = 0.0
        database_ready = False
        next_stats = time.monotonic()
        while not self._stopping.is_set():
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + self.stats_interval_s
                self._write_stats()
            rows = self.spool.oldest(self.batch_size)
            if len(rows) < self.batch_size and not self._stopping.is_set():
                # Let a partial batch fill for a moment: fewer, larger writes to InfluxDB.
                if rows:
                    self._stopping.wait(self.linger_s)
                else:
                    with self._spooled:
                        self._spooled.wait(0.5)
                rows = self.spool.oldest(self.batch_size)
            if not rows:
                continue
            try:
                if not database_ready:
                    self.store.create_database()
                    self._ensure_downsampling()
                    database_ready = True
                self._write(rows)
            except StoreUnavailable as error:
                if self._stats.database_reachable or self._stats.write_errors == 0:
                    log.error("%s; %d readings wait in the spool", error, self.spool.depth())
                self._stats.database_reachable = False
                self._stats.write_errors += 1
                backoff_s = min(30.0, max(0.5, backoff_s * 2))
                self._stopping.wait(backoff_s)
                continue
            except StoreError as error:
                if "database not found" in str(error):
                    database_ready = False
                    continue
                raise
            if not self._stats.database_reachable:
                log.info("writing to InfluxDB at %s", redact_url(self.config.influxdb.url))
            self._stats.database_reachable = True
            backoff_s = 0.0

    def _write(self, rows: list[tuple[int, str]]) -> None:
        """Write rows; a refused point is isolated by halving and quarantined."""
        try:
            self.store.write_lines([line for _, line in rows])
        except StoreUnavailable:
            raise
        except StoreError as error:
            if "database not found" in str(error):
                raise
            if len(rows) == 1:
                reading_id, line = rows[0]
                self.spool.move_to_quarantine(
                    reading_id,
                    QuarantineRecord(
                        time.time_ns(), "influxdb", line.encode(), "database_refused", str(error)[:300]
                    ),
                )
                self._count_rejection(QuarantineRecord(0, "influxdb", b"", "database_refused", str(error)))
                with self._lock:
                    self._stats.spool_depth -= 1
                return
            middle = len(rows) // 2
            self._write(rows[:middle])
            self._write(rows[middle:])
            return
        self.spool.remove(reading_id for reading_id, _ in rows)
        with self._lock:
            self._stats.written += sum(1 for _, line in rows if line.startswith("climate,"))
            self._stats.spool_depth -= len(rows)

    # --- the evaluator thread: risk and alerts ----------------------------------------------
    def _evaluate_loop(self) -> None:
        next_tick = next_ack_poll = time.monotonic()
        while not self._stopping.is_set():
            try:
                batch = self._observations.get(timeout=0.2)
            except queue.Empty:
                batch = []
            try:
                now_s: float | None = time.time()
                for case_id, reading in batch:
                    time_s = reading.time_ns / 1e9
                    if self.event_clock is not None:
                        now_s = self._advance_event_clock(reading.sensor_id, time_s)
                    self.alerts.observe(
                        case_id,
                        reading.sensor_id,
                        time_s,
                        reading.temperature_c,
                        reading.rh_pct,
                        reading.battery_pct,
                        now_s,
                    )
                with self._lock:
                    self._stats.evaluated += len(batch)
                if self.event_clock is not None:
                    now_s = self.event_clock.now_s()
                if time.monotonic() >= next_tick and now_s is not None:
                    next_tick = time.monotonic() + 1.0
                    self.alerts.evaluate(now_s)
                    stats = self.stats()
                    self.alerts.collector_health(stats.broker_dropped, stats.spool_depth, now_s)
                if time.monotonic() >= next_ack_poll:
                    next_ack_poll = time.monotonic() + 5.0
                    self._poll_acknowledgements()
            except Exception:
                log.exception("alert evaluation failed")

    def _ensure_downsampling(self) -> None:
        """Hourly aggregates kept for ever, raw readings for the configured time; a failure
        here (a user without admin rights, say) is logged and ingestion goes on."""
        retention = self.config.influxdb.raw_retention_s
        try:
            self.store.ensure_downsampling(timedelta(seconds=retention) if retention else None)
        except StoreUnavailable:
            raise
        except StoreError as error:
            log.error(
                "cannot set up hourly aggregates and retention (%s); readings are stored raw only", error
            )

    def _advance_event_clock(self, sensor_id: str, time_s: float) -> float:
        """Feed the event clock; run the time-driven rules (silence, repeats) every simulated
        minute. Returns the time the reading is judged at: its own."""
        clock = self.event_clock
        assert clock is not None
        if clock.newest_s is None:
            self.alerts.start_clock(time_s)  # silence counts from the first reading
        clock.observe(sensor_id, time_s)
        assert clock.newest_s is not None
        if clock.newest_s - self._evaluated_at_s >= 60.0:
            self._evaluated_at_s = clock.newest_s
            watermark = clock.now_s()
            if watermark is not None:
                self.alerts.evaluate(watermark)
        return time_s

    def _poll_acknowledgements(self) -> None:
        open_ids = {c.alert_id for _, _, c in self.alerts.open_alerts() if not c.acknowledged}
        if not open_ids:
            return
        try:
            events = self.store.alert_events(within=timedelta(days=90))
        except StoreError:
            return
        if events.empty:
            return
        acked = events[(events["state"] == "acknowledged") & events["alert_id"].isin(open_ids)]
        for alert_id in set(acked["alert_id"]):
            log.info("alert %s acknowledged", alert_id)
            self.alerts.acknowledged(alert_id)

    def _restore_alert_state(self) -> None:
        """Open alerts and the sensors' last readings from InfluxDB, so a restart neither
        reopens nor forgets an alert."""
        try:
            alerts = self.store.alerts(within=timedelta(days=90))
            latest = self.store.latest_climate(expected=[s for c in self.config.cases for s in c.sensors])
        except StoreError as error:
            log.warning("cannot restore alert state (%s); starting without it", error)
            return
        open_alerts = []
        if not alerts.empty:
            for row in alerts[alerts["state"] != "resolved"].to_dict("records"):
                open_alerts.append(
                    {
                        "case_id": row["case_id"],
                        "rule_key": row.get("rule_key") or row["rule"],
                        "alert_id": row["alert_id"],
                        "state": row["state"],
                        "severity": row.get("severity", "warning"),
                        "opened_s": row["opened"].timestamp(),
                        "time_s": row["time"].timestamp(),
                    }
                )
        last_seen = (
            {}
            if latest.empty
            else {row["sensor_id"]: row["time"].timestamp() for row in latest.to_dict("records")}
        )
        self.alerts.restore(open_alerts, last_seen)
        if open_alerts:
            log.info("restored %d open alerts", len(open_alerts))

    def _write_event(self, event: AlertEvent) -> None:
        """Alert events go through the spool like readings: an InfluxDB outage loses none."""
        self._spool_points(
            [
                alert_event_line(
                    int(event.time_s * 1e9),
                    site=event.site,
                    case_id=event.case_id,
                    alert_id=event.alert_id,
                    rule=event.rule,
                    rule_key=event.rule_key or event.rule,
                    severity=event.severity,
                    state=event.state,
                    message=event.message,
                    value=event.value,
                    threshold=event.threshold,
                    user=event.user,
                    note=event.note,
                )
            ]
        )

    def _spool_points(self, lines: list[str]) -> None:
        """Points the collector makes itself (alert events, risk) take the readings' path."""
        self.spool.commit(lines)
        with self._lock:
            self._stats.spool_depth += len(lines)
        with self._spooled:
            self._spooled.notify()

    def _write_risk(self, point: RiskPoint) -> None:
        self._spool_points(
            [
                risk_line(
                    int(point.time_s * 1e9),
                    site=point.site,
                    case_id=point.case_id,
                    artefact_id=point.artefact_id,
                    material=point.material,
                    score=point.score,
                    level=point.level,
                    driver=point.driver,
                    components=point.components,
                )
            ]
        )

    def _notified(self, notification: Notification, channels: list[str]) -> None:
        if notification.kind != "resolved":
            self._write_event(
                AlertEvent(
                    time_s=time.time(),
                    site=notification.case.site,
                    case_id=notification.case.id,
                    alert_id=notification.alert_id,
                    rule=notification.rule,
                    severity=notification.severity,
                    state="notified",
                    message=f"{notification.kind}: {', '.join(channels)}",
                )
            )

    def _notify_failed(self, notification: Notification, channel: str, error: str) -> None:
        self._write_event(
            AlertEvent(
                time_s=time.time(),
                site=notification.case.site,
                case_id=notification.case.id,
                alert_id=notification.alert_id,
                rule=notification.rule,
                severity=notification.severity,
                state="notify_failed",
                message=f"{channel}: {error}",
            )
        )

    def _publish_retained(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1, retain=True)

    def _write_stats(self) -> None:
        stats = self.stats()
        fields: dict[str, int | float | None] = {
            "messages": stats.messages,
            "received": stats.received,
            "written": stats.written,
            "quarantined": stats.rejected_total,
            "ignored": sum(stats.ignored.values()),
            "spool_depth": stats.spool_depth,
            "broker_dropped": stats.broker_dropped,
        }
        fields.update({f"quarantined_{reason}": count for reason, count in stats.rejected.items()})
        # InfluxDB down: the readings' own retry loop reports it; stats just wait for the next round.
        with contextlib.suppress(StoreError):
            self.store.write_lines(
                [encode_point(COLLECTOR_STATS, {"instance": self.instance}, fields, time.time_ns())]
            )


def replay_quarantine(config: MuseumConfig, spool: Spool | None = None) -> tuple[int, int]:
    """Decode every quarantined message again with the current config (after a fix).
    Messages that now become readings join the spool, for the collector to write; the
    others stay, with their reason brought up to date. Returns (released, still held)."""
    spool = spool or Spool(config.collector.spool_path)
    decoder = MessageDecoder(config)
    released = held = 0
    for record in spool.quarantined():
        assert record.id is not None
        if record.topic == "influxdb":  # refused by the database: not a message to decode
            held += 1
            continue
        outcome = decoder.decode(record.topic, record.payload, record.received_ns)
        if outcome.quarantine is None:
            spool.release(record.id, outcome.lines)
            released += 1
        else:
            spool.update_reason(record.id, outcome.quarantine.reason, outcome.quarantine.detail)
            held += 1
    return released, held
