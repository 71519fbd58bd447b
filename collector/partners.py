"""The collector's side of partner museums (issue 27, docs/partners.md).

- Every collector publishes a retained heartbeat on ``patina/heartbeat`` each minute: its
  health, its last reading's time, its spool depth and its open incidents. A bridge
  forwards it to each partner, whose collector watches it (``partner_silent``).
- With ``[[partners]]``, it subscribes to each partner's heartbeat and to the readings the
  partner shares, under the partner's prefix, and stores those as ``partner_climate``
  points tagged with the partner (through the spool, like its own readings): a lender
  keeps its own copy of the air its object lives in at the borrower.

- Back-fill (collector/backfill.py): a lender asks for the gap after a partner's silence
  and at its start; a borrower answers the requests of the partners it shares cases with.

It has its own MQTT session, so partners' traffic never waits behind the museum's own
readings, and a partner's malformed message is logged and dropped, never fatal.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from collector.alerts.rules.base import PartnerBeats
from collector.backfill import PARTNER_CLIMATE, Backfill
from collector.payloads import Rejected, parse_timestamp_ns
from collector.spool import QuarantineRecord
from collector.stats import Stats
from collector.worker import FatalHandler, Worker
from museum.broker.mqtt import make_mqtt_client
from museum.description.config import Artefact, Case, MuseumConfig, Partner
from museum.description.config_partners import HEARTBEAT_TOPIC
from museum.language.i18n import LocalizedName
from museum.storage.lineprotocol import encode_point
from museum.storage.schema import Reading
from museum.storage.store import InfluxStore

log = logging.getLogger("patina.collector")

__all__ = ["PARTNER_CLIMATE", "PartnerLink", "loan_case_id", "loan_cases", "partner_climate_line"]


def partner_climate_line(partner: Partner, case_id: str, sensor_id: str, body: dict[str, Any]) -> str | None:
    """The ``partner_climate`` point of one shared reading (a ``patina`` payload), or None
    when it carries no time or no value. ``museum`` is the partner's name; ``case_id`` the
    case at the partner. The time is kept to the microsecond, as the partner's collector
    keeps it: a back-filled reading is then the very point the live one was."""
    try:
        time_ns = parse_timestamp_ns(body.get("ts"))
    except Rejected:
        return None
    fields = {
        name: float(body[name])
        for name in ("temperature_c", "rh_pct")
        if isinstance(body.get(name), int | float) and math.isfinite(body[name])
    }
    if not fields:
        return None
    tags = {"partner": partner.id, "museum": str(partner.name), "case_id": case_id, "sensor_id": sensor_id}
    return encode_point(PARTNER_CLIMATE, tags, dict(fields), time_ns)


def _value(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def loan_case_id(partner_id: str, case_id: str) -> str:
    """The id this museum's alerts give a case at a partner: ``K1@armee``."""
    return f"{case_id}@{partner_id}"


def loan_cases(config: MuseumConfig) -> tuple[Case, ...]:
    """One case per partner case holding objects of ours, holding them, so the alert engine
    judges the partner's readings against this museum's own limits for their materials and
    tells this museum's staff, in their language. No sensor is listed: the partner's own
    sensors' silence is the partner's business; its monitoring's is ``partner_silent``."""
    objects = {a.id: a for c in config.cases for a in c.artefacts}
    held: dict[tuple[str, str], list[Artefact]] = {}
    names: dict[str, LocalizedName] = {p.id: p.name for p in config.partners}
    for partner in config.partners:
        for lent in partner.objects:
            if lent.artefact_id in objects:
                held.setdefault((partner.id, lent.case_id), []).append(objects[lent.artefact_id])
    return tuple(
        Case(loan_case_id(partner_id, case_id), partner_id, case_id, names[partner_id], (), tuple(artefacts))
        for (partner_id, case_id), artefacts in held.items()
    )


class PartnerLink(Worker):
    """Publishes this collector's heartbeat; receives the partners' heartbeats and readings."""

    name = "partner-link"

    def __init__(
        self,
        config: MuseumConfig,
        client_id: str,
        stats: Stats,
        stopping: threading.Event,
        on_fatal: FatalHandler,
        *,
        spool_points: Callable[[list[str]], None],
        open_incidents: Callable[[], int],
        observe: Callable[[list[tuple[str, Reading]]], None] | None = None,
        heartbeat_every_s: float | None = None,
        open_store: Callable[[], InfluxStore] | None = None,
        quarantine: Callable[[QuarantineRecord], None] | None = None,
    ) -> None:
        super().__init__(stopping, on_fatal)
        self.config = config
        self.stats = stats
        self.spool_points = spool_points
        self.open_incidents = open_incidents
        self.observe = observe
        self.heartbeat_every_s = heartbeat_every_s or config.collector.heartbeat_every_s
        self.partners = {p.id: p for p in config.partners}
        self.watching_since_s = time.time()
        self._beats: dict[str, float] = {}
        self._lock = threading.Lock()
        self.last_reading_s: float | None = None
        self.received = 0
        # A persistent session: what a partner's bridge delivers while this collector is
        # away (a restart, the broker restarting) waits for it at the broker. MQTT 3.1.1: the
        # session lasts until the broker's persistent_client_expiration (deploy: 14 days),
        # with no session-expiry property to keep in step. Log in when the broker has an
        # acl_file (docs/partners.md: a restored anonymous session lost bridged readings).
        self._client = make_mqtt_client(
            dataclasses.replace(config.mqtt, protocol="3.1.1"),
            f"{client_id}-partners",
            persistent_session=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        #: Set once the broker acknowledged the subscriptions (tests wait for it).
        self.subscribed = threading.Event()
        self._client.on_subscribe = lambda *args: self.subscribed.set()
        #: Back-fill of gaps (collector/backfill.py); None without a database to read.
        self.backfill = (
            Backfill(config, open_store, self._publish_qos1, quarantine, stopping) if open_store else None
        )
        #: Per partner, its last heartbeat's time before a silence not yet asked about.
        self._gaps: dict[str, float] = {}
        self._asked_at_start = False
        # A crash (SIGKILL, power) leaves the heartbeat as it was: its time tells the partner.
        self._client.will_set(HEARTBEAT_TOPIC, self._heartbeat_body(health="gone"), qos=1, retain=True)

    # --- what the alert engine reads ----------------------------------------------------------
    def beats(self) -> PartnerBeats:
        with self._lock:
            last = dict(self._beats)
        return PartnerBeats(tuple(self.partners.values()), last, self.watching_since_s)

    # --- the session -----------------------------------------------------------------------------
    def run(self) -> None:
        mqtt_config = self.config.mqtt
        self._client.connect_async(mqtt_config.host, mqtt_config.port, keepalive=30)
        self._client.loop_start()
        try:
            while not self.stopping.is_set():
                self._client.publish(HEARTBEAT_TOPIC, self._heartbeat_body(), qos=1, retain=True)
                self.stopping.wait(self.heartbeat_every_s)
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def _publish_qos1(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self._client.publish(topic, payload, qos=1)

    def _heartbeat_body(self, health: str | None = None) -> bytes:
        snapshot = self.stats.snapshot()
        try:
            incidents = self.open_incidents()
        except RuntimeError:  # the engine's book changed while counted: next minute's is exact
            incidents = -1
        body = {
            "museum": str(self.config.museum.name),
            "time_s": time.time(),
            "health": health or snapshot.problem or "ok",
            "last_reading_s": self.last_reading_s,
            "spool_depth": snapshot.spool_depth,
            "open_incidents": incidents,
        }
        return json.dumps(body).encode()

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: Any, reason: Any, props: Any = None
    ) -> None:
        topics = [(HEARTBEAT_TOPIC, 1)]
        for partner in self.partners.values():
            topics += [(partner.heartbeat_topic, 1), (partner.readings_topic, 1)]
            if partner.cases and self.backfill is not None:
                topics.append((partner.backfill_inbox, 1))
        client.subscribe(topics)
        if self.backfill is not None and not self._asked_at_start:
            # What arrived while this collector was away waits in its session, unless the
            # bridge could not hold it: ask each partner holding objects of ours for it.
            self._asked_at_start = True
            for partner in self.partners.values():
                if partner.objects:
                    self.backfill.ask(partner, None)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            self._receive(message.topic, bytes(message.payload))
        except Exception as error:  # a partner's bad message is dropped, never fatal
            log.warning("partner message on %s dropped: %r", message.topic, error)

    def _receive(self, topic: str, payload: bytes) -> None:
        if topic == HEARTBEAT_TOPIC:
            return  # our own heartbeat, subscribed so the session proves the broker carries it
        for partner in self.partners.values():
            if topic == partner.backfill_inbox:
                if self.backfill is not None and partner.cases:
                    self.backfill.answer(partner, topic, payload)
                return
            prefix = f"{partner.topic_prefix}/"
            if not topic.startswith(prefix):
                continue
            rest = topic[len(prefix) :]
            body = json.loads(payload)
            if rest == HEARTBEAT_TOPIC:
                self._beat(partner, float(body["time_s"]))
                return
            self._reading(partner, rest.split("/"), body)
            return

    def _beat(self, partner: Partner, beat_s: float) -> None:
        """Keep the partner's latest heartbeat. Two consecutive ones further apart than its
        ``silent_after`` mean the beats between, and the readings with them, were lost (a
        queue that could not hold them; beats the queue held arrive in order, a few seconds
        apart): once a fresh one arrives, the gap is asked for."""
        with self._lock:
            previous_s = self._beats.get(partner.id)
            self._beats[partner.id] = max(previous_s or 0.0, beat_s)
        if self.backfill is None or not partner.objects:
            return
        if previous_s is not None and beat_s - previous_s > partner.silent_after_s:
            self._gaps.setdefault(partner.id, previous_s)
        if partner.id in self._gaps and time.time() - beat_s <= partner.silent_after_s:
            log.info("partner %s heard again after a silence: asking for the gap", partner.id)
            self.backfill.ask(partner, self._gaps.pop(partner.id))

    def _reading(self, partner: Partner, words: list[str], body: dict[str, Any]) -> None:
        # patina/<site>/<sensor>/climate at the partner
        sensor_id = words[2]
        case_id = next(
            (o.case_id for o in partner.objects if not o.sensors or sensor_id in o.sensors),
            "",
        )
        if not case_id:
            return  # not a sensor of a case holding one of our objects
        line = partner_climate_line(partner, case_id, sensor_id, body)
        if line is None:
            return
        self.spool_points([line])
        self.received += 1
        if self.observe is not None:
            # The alert engine judges the lent object's case with this museum's limits.
            reading = Reading(
                f"{partner.id}:{sensor_id}",
                round(float(body["ts"]) * 1e9),
                _value(body.get("temperature_c")),
                _value(body.get("rh_pct")),
            )
            self.observe([(loan_case_id(partner.id, case_id), reading)])
