"""The collector: subscribes to the sources in the config and writes readings to InfluxDB.

Lifecycle: :meth:`Collector.start` connects to the broker in the background (it keeps
retrying with backoff while the broker is down), subscribes to every source on each
(re)connection and starts the writer thread; :meth:`Collector.stop` disconnects and
flushes what is pending. The MQTT session is persistent (MQTT 5, clean start off, a
session expiry), so a broker keeps QoS 1 messages for a collector that is briefly away.

The path of one message: paho delivers it → the source's decoder turns it into readings
or a :class:`~collector.payloads.Rejected` reason → readings are mapped to their case
through the config (unknown sensors go to case ``unassigned``) and encoded as line
protocol → the writer sends them to InfluxDB in batches, retrying with backoff while
InfluxDB is unreachable.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.payloads import DECODERS, Rejected
from museum.config import UNASSIGNED_CASE, MqttConfig, MuseumConfig, Source
from museum.lineprotocol import LineProtocolError, encode_point
from museum.schema import COLLECTOR_STATS, climate_line
from museum.store import InfluxStore, StoreError, StoreUnavailable

log = logging.getLogger("patina.collector")

#: How long the broker keeps our session (and queued QoS 1 messages) while we are away.
SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass
class CollectorStats:
    """Counters since start. ``pending`` are readings received but not yet in InfluxDB."""

    received: int = 0
    written: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    pending: int = 0
    write_errors: int = 0
    connected: bool = False
    database_reachable: bool = False

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def make_mqtt_client(config: MqttConfig, client_id: str, clean_start: bool = False) -> mqtt.Client:
    """A paho client for the configured broker: MQTT 5, credentials from the environment
    (already in ``config``), TLS for ``mqtts://``, reconnect backoff 1–30 s."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=MQTTProtocolVersion.MQTTv5)
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set(ca_certs=config.ca_file, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.max_queued_messages_set(0)
    return client


def connect_properties(session_expiry_s: int = SESSION_EXPIRY_S) -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = session_expiry_s
    return properties


class Collector:
    """One collector instance bound to one museum config."""

    def __init__(self, config: MuseumConfig, *, client_id: str | None = None,
                 instance: str | None = None, batch_size: int = 5000,
                 flush_interval_s: float = 0.2, stats_interval_s: float = 10.0) -> None:
        self.config = config
        self.client_id = client_id or config.mqtt.client_id
        self.instance = instance or f"{socket.gethostname()}-{os.getpid()}"
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.stats_interval_s = stats_interval_s
        self.store = InfluxStore.from_config(config.influxdb)
        self._sensor_cases = {s: c for c in config.cases for s in c.sensors}
        self._stats = CollectorStats()
        self._pending: deque[str] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._writer: threading.Thread | None = None
        self._client = make_mqtt_client(config.mqtt, self.client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        log.info("collector %s: broker %s, InfluxDB %s database %r", self.instance,
                 self.config.mqtt.url, self.config.influxdb.url, self.config.influxdb.database)
        self._writer = threading.Thread(target=self._write_loop, name="influx-writer",
                                        daemon=True)
        self._writer.start()
        self._client.connect_async(self.config.mqtt.host, self.config.mqtt.port, keepalive=30,
                                   clean_start=False, properties=connect_properties())
        self._client.loop_start()

    def wait_until_subscribed(self, timeout_s: float = 10.0) -> bool:
        return self._subscribed.wait(timeout_s)

    def stop(self, flush_timeout_s: float = 10.0) -> None:
        """Disconnect from the broker, then give the writer up to ``flush_timeout_s`` to
        write what is pending."""
        self._client.disconnect()
        self._client.loop_stop()
        deadline = time.monotonic() + flush_timeout_s
        while self.stats().pending and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        if self._writer is not None:
            self._writer.join(timeout=5)
        self.store.close()
        left = self.stats().pending
        if left:
            log.error("stopped with %d readings not written to InfluxDB", left)

    def stats(self) -> CollectorStats:
        with self._lock:
            snapshot = CollectorStats(**{**self._stats.__dict__,
                                         "rejected": Counter(self._stats.rejected)})
            snapshot.pending = len(self._pending)
            return snapshot

    # --- MQTT callbacks (paho's network thread) --------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                    reason_code: mqtt.ReasonCode, properties: Properties | None) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the connection: %s", self.config.mqtt.url, reason_code)
            return
        self._stats.connected = True
        log.info("connected to %s (session present: %s)", self.config.mqtt.url,
                 flags.session_present)
        client.subscribe([(source.topic, 1) for source in self.config.sources])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reason_codes: list[mqtt.ReasonCode], properties: Properties | None) -> None:
        failed = [str(code) for code in reason_codes if code.is_failure]
        if failed:
            log.error("broker refused subscriptions: %s", ", ".join(failed))
        else:
            log.info("subscribed to %s", ", ".join(s.topic for s in self.config.sources))
            self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object,
                       flags: mqtt.DisconnectFlags, reason_code: mqtt.ReasonCode,
                       properties: Properties | None) -> None:
        self._stats.connected = False
        self._subscribed.clear()
        if not self._stopping.is_set() and reason_code != 0:
            log.warning("disconnected from broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        self.handle_message(message.topic, message.payload, time.time_ns())

    # --- the message path ------------------------------------------------------------
    def source_for(self, topic: str) -> Source | None:
        for source in self.config.sources:
            if mqtt.topic_matches_sub(source.topic, topic):
                return source
        return None

    def handle_message(self, topic: str, payload: bytes, received_ns: int) -> None:
        """Decode, validate and queue one message; never raises for bad input."""
        source = self.source_for(topic)
        try:
            if source is None:
                raise Rejected("unexpected_topic", f"{topic!r} matches no source")
            decoded = DECODERS[source.format](topic, payload, received_ns)
            lines = []
            for reading in decoded.readings:
                case = self._sensor_cases.get(reading.sensor_id)
                site = case.site if case else (decoded.site or "unknown")
                try:
                    lines.append(climate_line(reading, site, case.id if case else UNASSIGNED_CASE))
                except LineProtocolError as error:
                    raise Rejected("invalid_id", str(error)) from None
        except Rejected as rejection:
            self._reject(topic, rejection)
            return
        with self._wake:
            self._stats.received += len(lines)
            self._pending.extend(lines)
            if len(self._pending) >= self.batch_size:
                self._wake.notify()

    def _reject(self, topic: str, rejection: Rejected) -> None:
        with self._lock:
            self._stats.rejected[rejection.reason] += 1
            count = self._stats.rejected[rejection.reason]
        # Log the first few of each reason, then every thousandth, so garbage cannot flood the log.
        if count <= 10 or count % 1000 == 0:
            log.warning("rejected message on %r (%s, #%d): %s", topic, rejection.reason, count,
                        rejection.detail)

    # --- the writer thread -----------------------------------------------------------
    def _write_loop(self) -> None:
        backoff_s = 0.0
        database_ready = False
        next_stats = time.monotonic() + self.stats_interval_s
        while not self._stopping.is_set():
            with self._wake:
                if len(self._pending) < self.batch_size:
                    self._wake.wait(max(self.flush_interval_s, backoff_s))
                batch = [self._pending.popleft()
                         for _ in range(min(self.batch_size, len(self._pending)))]
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + self.stats_interval_s
                batch.append(self._stats_line())
            if not batch:
                continue
            try:
                if not database_ready:
                    self.store.create_database()
                    database_ready = True
                self.store.write_lines(batch)
            except StoreUnavailable as error:
                self._requeue(batch)
                backoff_s = min(30.0, max(0.5, backoff_s * 2))
                if self._stats.database_reachable or self._stats.write_errors == 0:
                    log.error("%s; keeping %d readings and retrying", error, len(self._pending))
                self._stats.database_reachable = False
                self._stats.write_errors += 1
                continue
            except StoreError as error:
                if "database not found" in str(error):
                    database_ready = False
                    self._requeue(batch)
                    continue
                log.error("InfluxDB refused a batch of %d points: %s", len(batch), error)
                self._stats.write_errors += 1
                continue
            if not self._stats.database_reachable:
                log.info("writing to InfluxDB at %s", self.config.influxdb.url)
            self._stats.database_reachable = True
            backoff_s = 0.0
            with self._lock:
                self._stats.written += sum(1 for line in batch
                                           if not line.startswith(COLLECTOR_STATS))

    def _requeue(self, batch: list[str]) -> None:
        with self._lock:
            self._pending.extendleft(reversed(
                [line for line in batch if not line.startswith(COLLECTOR_STATS)]))

    def _stats_line(self) -> str:
        stats = self.stats()
        return encode_point(COLLECTOR_STATS, {"instance": self.instance}, {
            "received": stats.received, "written": stats.written,
            "rejected": stats.rejected_total, "pending": stats.pending,
        }, time.time_ns())
