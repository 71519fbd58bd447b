"""The ingest: the MQTT session, the inbox, the commit to the spool, the acknowledgement
and the routing of readings to the evaluator (Telegraf's mqtt_consumer is the model:
input only, buffering and outputs elsewhere).

paho's network thread only appends each message, as a tuple, to the inbox; a group of
messages is decoded in one pass (:meth:`MessageDecoder.decode_batch`), written to the spool
in one transaction and only then acknowledged: by paho's thread itself for a full group
while the spool is healthy, by the committer thread otherwise. A
spool that refuses the commit (disk full, ``spool_max_mb``) keeps the inbox, leaves the
messages unacknowledged (the broker keeps them) and the committer retries with backoff,
without ever blocking paho's keepalives. Every call into the paho client goes through one
lock (as Home Assistant's MQTT client does): it is called from paho's thread, the
committer, the notifier and the router.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.decoder import DecodedBatch, MessageDecoder, RawMessage
from collector.spool import Spool, message_key
from collector.stats import Stats
from collector.worker import Backoff, FatalHandler, Worker
from museum.broker.mqtt import make_mqtt_client
from museum.description.config import MuseumConfig
from museum.description.secrets import redact_url
from museum.storage.schema import Reading

log = logging.getLogger("patina.collector")

#: How long the broker keeps our session (and queued QoS 1 messages) while we are away.
SESSION_EXPIRY_S = 7 * 24 * 3600
#: Unacknowledged QoS 1 messages the broker may send us at once: acknowledgements wait for
#: a spool commit, so a small window (Mosquitto's default is 20) would throttle ingestion.
RECEIVE_MAXIMUM = 10_000
#: A pause in the messages this long ends the backlog the broker sends after a reconnect.
BACKLOG_PAUSE_S = 1.0
#: Mosquitto's count of messages it dropped (queue limits), published every sys_interval.
BROKER_DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"


def case_owner(case_id: str, instances: int) -> int:
    """Which of ``instances`` collectors evaluates the alerts of a case (stable: crc32)."""
    return zlib.crc32(case_id.encode()) % instances


def observations_topic(group: str, index: int) -> str:
    """Where collectors send an instance the readings of the cases it owns."""
    return f"patina/_collectors/{group}/{index}/observations"


def connect_properties(session_expiry_s: int = SESSION_EXPIRY_S) -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = session_expiry_s
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


#: (message id, QoS, topic, payload, retained, dup, receive time in ns, from the backlog):
#: a message as paho gave it, decoded later with its group (no object per message).
InboxItem = tuple[int, int, str, bytes, bool, bool, int, bool]


class Ingest(Worker):
    """The MQTT session and the committer thread (this worker's own thread)."""

    name = "spool-committer"

    def __init__(
        self,
        config: MuseumConfig,
        client_id: str,
        spool: Spool,
        stats: Stats,
        spooled: threading.Condition,
        stopping: threading.Event,
        on_fatal: FatalHandler,
        *,
        observe: Callable[[list[tuple[str, Reading]]], None],
        owned_cases: set[str],
        commit_group: int,
        commit_interval_s: float,
    ) -> None:
        super().__init__(stopping, on_fatal)
        self.config = config
        self.spool = spool
        self.stats = stats
        self.spooled = spooled
        self.router = Router(config, owned_cases, observe, self.publish, self._ack)
        self.commit_group = commit_group
        self.commit_interval_s = commit_interval_s
        self.decoder = MessageDecoder(config)
        self.subscribed = threading.Event()
        self._inbox: list[InboxItem] = []
        self._inbox_since = 0.0
        # A plain lock: nobody takes it twice, and an RLock costs more per message.
        self._inbox_ready = threading.Condition(threading.Lock())
        self._client_lock = threading.Lock()
        self._backlog = False
        self._last_message_s = 0.0
        shared = config.collector
        self._own_topic = (
            observations_topic(shared.share_group, shared.instance_index) if shared.share_group else None
        )
        self._client = make_mqtt_client(config.mqtt, client_id, manual_ack=True, persistent_session=True)
        self._client.on_connect = self._guard(self._on_connect)
        self._client.on_disconnect = self._guard(self._on_disconnect)
        self._client.on_subscribe = self._guard(self._on_subscribe)
        self._client.on_message = self._guard(self._on_message)
        self._client.on_publish_raw = self._guard(self._on_publish)
        self._backoff = Backoff(f"committing to the spool {spool.path}", max_s=5.0)
        #: Held by whoever commits (the committer, or paho's thread for a full group), so
        #: groups are committed and acknowledged in order, once.
        self._commit_lock = threading.Lock()

    # --- the session -------------------------------------------------------------------------
    def connect(self) -> None:
        mqtt_config = self.config.mqtt
        if mqtt_config.protocol == "5":
            self._client.connect_async(
                mqtt_config.host,
                mqtt_config.port,
                keepalive=30,
                clean_start=False,
                properties=connect_properties(),
            )
        else:  # MQTT 3.1.1: a persistent session through clean_session=False
            self._client.connect_async(mqtt_config.host, mqtt_config.port, keepalive=30)
        self._client.loop_start()

    def disconnect(self) -> None:
        with self._client_lock:
            self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        with self._client_lock:
            self._client.publish(topic, payload, qos=1, retain=retain)

    def _ack(self, mid: int, qos: int) -> None:
        with self._client_lock:
            self._client.ack(mid, qos)

    def _guard(self, callback: Callable[..., None]) -> Callable[..., None]:
        """paho ends its network thread on an exception in a callback, and the process
        would go on without a session: stop the process instead."""

        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception as error:
                log.critical("MQTT callback %s failed: %r", callback.__name__, error, exc_info=True)
                self.on_fatal("mqtt", error)

        return guarded

    # --- callbacks (paho's network thread) ------------------------------------------------------
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
        self.stats.set(connected=True)
        log.info(
            "connected to %s (session present: %s)", redact_url(self.config.mqtt.url), flags.session_present
        )
        # A resumed session starts with what the broker queued while we were away.
        self._backlog = bool(flags.session_present)
        self._last_message_s = time.monotonic()
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
            self.subscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: mqtt.ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.stats.set(connected=False)
        self.subscribed.clear()
        if reason_code != 0:
            log.warning("disconnected from broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        """A message through paho's own path (QoS 2, MQTT 5 properties, a packet cut by a
        refill of the buffer); the others come to :meth:`_on_publish`."""
        # paho hands over bytes (its typing also allows a bytearray).
        self._on_publish(
            message.mid,
            message.qos,
            message.topic,
            cast(bytes, message.payload),
            message.retain,
            message.dup,
        )

    def _on_publish(self, mid: int, qos: int, topic: str, payload: bytes, retain: bool, dup: bool) -> None:
        """A message, as its parts (``BufferedClient.on_publish_raw``: no message object)."""
        if topic.startswith("$SYS/"):
            self._broker_stat(payload)
            return
        if self._own_topic and topic == self._own_topic:
            self.router.receive(topic, payload, mid, qos)
            return
        # The receive time and the backlog mark belong to the moment of receipt; the rest
        # (decoding, redelivery check) waits for the group's commit.
        item = (
            mid,
            qos,
            topic,
            payload,
            retain,
            dup,
            time.time_ns(),
            False if retain else self._in_backlog(),
        )
        with self._inbox_ready:
            if not self._inbox:
                self._inbox_since = time.monotonic()
            self._inbox.append(item)
            full = len(self._inbox) >= self.commit_group
        if full:
            self._commit_in_network_thread()

    def _in_backlog(self) -> bool:
        """The broker sends its queue at once; the first pause of ``BACKLOG_PAUSE_S`` ends
        it. Live messages arriving during the drain are marked too: their receive time is
        right, but they cannot be told apart, and a mark that is too broad misleads less."""
        now = time.monotonic()
        if self._backlog and now - self._last_message_s > BACKLOG_PAUSE_S:
            self._backlog = False
        self._last_message_s = now
        return self._backlog

    def _broker_stat(self, payload: bytes) -> None:
        try:
            dropped = int(payload)
        except ValueError:
            return
        if dropped and dropped != self.stats.snapshot().broker_dropped:
            log.error(
                "the broker reports %d dropped messages: raise its queue limits (deploy/mosquitto.conf)",
                dropped,
            )
        self.stats.set(broker_dropped=dropped)

    # --- the committer thread ------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                with self._inbox_ready:
                    self._inbox_ready.wait(self.commit_interval_s)
                    due = self._inbox and (
                        len(self._inbox) >= self.commit_group
                        or time.monotonic() - self._inbox_since >= self.commit_interval_s
                    )
                if due:
                    self.commit_pending()
        finally:
            self.commit_pending()

    def commit_pending(self) -> bool:
        """Commit and acknowledge what is in the inbox, ``commit_group`` messages per
        transaction (a backlog must fit into a spool that has just a little room); False
        (and the rest of the inbox kept) if the spool refused a group."""
        with self._commit_lock:
            while True:
                with self._inbox_ready:
                    batch = self._inbox[: self.commit_group]
                if not batch:
                    return True
                if not self._commit(batch):
                    return False

    def _commit_in_network_thread(self) -> None:
        """A full group while the spool is healthy is committed and acknowledged right in
        paho's thread: acknowledgements sent from another thread cost a wake-up of paho's
        loop each (a quarter of the throughput, benchmarks/bench_ingest.py). Never a retry
        here: a spool that refuses is left to the committer, so keepalives go on."""
        if self._backoff.fault is not None or not self._commit_lock.acquire(blocking=False):
            with self._inbox_ready:
                self._inbox_ready.notify()
            return
        try:
            with self._inbox_ready:
                batch = self._inbox[: self.commit_group]
            if len(batch) >= self.commit_group:
                self._commit(batch, wait=False)
        finally:
            self._commit_lock.release()

    def _decode(self, batch: list[InboxItem]) -> tuple[DecodedBatch, list[int], int]:
        """What a group of messages became, the keys of those that left something in the
        spool, and how many were redeliveries of messages already spooled."""
        messages: list[RawMessage] = []
        keys: list[int] = []
        seen: set[int] = set()
        ignored: list[str] = []
        redelivered = 0
        # Redeliveries carry the dup flag; the spool is asked about all of them at once.
        spooled = self.spool.recently_delivered(
            message_key(item[0], item[2], item[3]) for item in batch if item[5] and not item[4]
        )
        for _mid, _qos, topic, payload, retain, dup, received_ns, backlog in batch:
            if retain:
                # Retained messages replay old state on subscribe; live readings never carry the flag.
                ignored.append("retained")
                continue
            key = message_key(_mid, topic, payload)
            if dup and (key in spooled or key in seen):
                # Spooled before a stop that came before its acknowledgement (or earlier in
                # this group): a reading timed by its receipt would otherwise be stored
                # twice, at two receive times.
                ignored.append("redelivered")
                redelivered += 1
                continue
            messages.append((topic, payload, received_ns, backlog))
            keys.append(key)
            seen.add(key)
        decoded = self.decoder.decode_batch(messages)
        decoded.ignored.extend(ignored)
        return decoded, [key for key, kept in zip(keys, decoded.kept, strict=True) if kept], redelivered

    def _commit(self, batch: list[InboxItem], wait: bool = True) -> bool:
        decoded, delivered, redelivered = self._decode(batch)
        lines, quarantined = decoded.lines, decoded.quarantined
        try:
            dropped = self.spool.commit(lines, quarantined, delivered)
        except sqlite3.Error as error:
            full = getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            self.stats.set(spool_full=True)
            if self.stopping.is_set():
                log.error(
                    "stopping with %d messages not committed (%s); the broker redelivers them",
                    len(batch),
                    error,
                )
                return False
            self._backoff.fail(
                "spool full" if full else "spool error",
                f"{error}; {len(batch)} messages wait unacknowledged at the broker",
                self.stopping if wait else None,
            )
            return False
        if self._backoff.ok():
            self.stats.set(spool_full=False)
        with self._inbox_ready:
            del self._inbox[: len(batch)]
        # One lock round trip and one packet write for the group's acknowledgements (the
        # sources are subscribed at QoS 1, so no message comes at QoS 2).
        with self._client_lock:
            self._client.ack_qos1([item[0] for item in batch if item[1] == 1])
            for item in batch:
                if item[1] == 2:
                    self._client.ack(item[0], 2)
        if decoded.readings:
            self.router.route(decoded.readings)
        self.stats.add(
            messages=len(batch),
            # Readings, not points: a reading with light is two points (climate and light).
            received=len(decoded.readings),
            spool_depth=len(lines),
            quarantine_dropped=dropped,
            redelivered=redelivered,
        )
        if decoded.ignored:
            self.stats.count_ignored(decoded.ignored)
        for record in quarantined:
            count = self.stats.count_rejection(record.reason)
            # The first few of each reason, then every thousandth: garbage cannot flood the log.
            if count <= 10 or count % 1000 == 0:
                log.warning(
                    "quarantined message on %r (%s, #%d): %s",
                    record.topic,
                    record.reason,
                    count,
                    record.detail[:300],
                )
        if dropped:
            log.error("the quarantine is full: %d records dropped (quarantine_max_mb)", dropped)
        with self.spooled:
            self.spooled.notify()
        return True


class Router:
    """Scale-out: each case's readings reach the instance that owns it. A shared
    subscription hands any reading to any instance, but a case's rules need all of its
    readings in one place. Storage does not depend on this: every reading was spooled
    before its acknowledgement."""

    def __init__(
        self,
        config: MuseumConfig,
        owned_cases: set[str],
        observe: Callable[[list[tuple[str, Reading]]], None],
        publish: Callable[[str, str], None],
        ack: Callable[[int, int], None],
    ) -> None:
        self.config = config
        self.owned_cases = owned_cases
        self.known_cases = {case.id for case in config.cases}
        self.observe = observe
        self.publish = publish
        self.ack = ack

    def route(self, observed: list[tuple[str, Reading]]) -> None:
        """Evaluate the readings of owned cases here; send the others to their owners."""
        shared = self.config.collector
        if shared.instances == 1 or not shared.share_group:
            self.observe(observed)
            return
        mine: list[tuple[str, Reading]] = []
        others: dict[int, list[tuple[str, Reading]]] = {}
        for case_id, reading in observed:
            if case_id in self.owned_cases:
                mine.append((case_id, reading))
            elif case_id in self.known_cases:
                others.setdefault(case_owner(case_id, shared.instances), []).append((case_id, reading))
        if mine:
            self.observe(mine)
        for owner, items in others.items():
            body = json.dumps(
                [
                    [case_id, r.sensor_id, r.time_ns, r.temperature_c, r.rh_pct, r.battery_pct]
                    + ([r.illuminance_lux, r.uv_mw_m2, r.uv_uw_per_lm] if r.has_light else [])
                    for case_id, r in items
                ]
            )
            self.publish(observations_topic(shared.share_group, owner), body)

    def receive(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        """Readings another instance sent for the cases this one owns."""
        try:
            rows = json.loads(payload)
            items = [
                (
                    str(case_id),
                    Reading(
                        sensor_id=str(sensor),
                        time_ns=int(time_ns),
                        temperature_c=t,
                        rh_pct=rh,
                        battery_pct=battery,
                        # Light travels as three more values (issue 32); older rows have six.
                        illuminance_lux=light[0] if light else None,
                        uv_mw_m2=light[1] if light else None,
                        uv_uw_per_lm=light[2] if light else None,
                    ),
                )
                for case_id, sensor, time_ns, t, rh, battery, *light in rows
                if case_id in self.owned_cases
            ]
        except (ValueError, TypeError) as error:
            log.error("malformed observations from another collector on %s: %s", topic, error)
            items = []
        if items:
            self.observe(items)
        if qos > 0:
            self.ack(mid, qos)
