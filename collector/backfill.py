"""Back-fill of a gap the bridge could not hold (issue 27, docs/partners.md).

While the link between two partner museums is down, the borrower's broker queues what its
bridge carries, up to ``max_queued_messages``; a broker restarted without persistence, or a
queue beyond its bound, loses the rest. The borrower's own database still holds every
reading, so the lender asks for the gap and the borrower answers from it:

- the **lender** publishes a request on ``<partner prefix>/patina/backfill/request`` (its
  own broker; the borrower's bridge takes it in) when the partner's heartbeats show a
  silence (two consecutive beats further apart than ``silent_after``: the beats between
  were lost with the readings) and when its collector starts. The window runs from its last
  stored reading of that partner before the silence to now.
- the **borrower** answers a request that arrived on ``patina/backfill/<lender>/request``
  with the readings of the cases it shares with that lender, and nothing else, from its own
  InfluxDB, at most :data:`BACKFILL_CAP` per request, published on the shared readings'
  own topics at QoS 1: they cross the bridge as any reading and the lender stores them. A
  reading the lender already has is the same point (same series, same time to the
  microsecond), which InfluxDB keeps once.

A request that is not JSON, names a case or a sensor the borrower does not share with that
lender, or a window that is not one is refused: logged, and kept in the quarantine with
reason ``backfill_refused`` for the borrower's staff to see; never fatal.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collector.spool import QuarantineRecord
from museum.description.config import MuseumConfig, Partner
from museum.storage.influxql import quote_identifier, quote_literal
from museum.storage.schema import CLIMATE
from museum.storage.store import InfluxStore

log = logging.getLogger("patina.collector")

#: The most readings one request is answered with (docs/partners.md): a year of one-minute
#: readings of one sensor is 525,600; a lender whose gap is longer asks again at the next
#: silence or restart, from its new last reading.
BACKFILL_CAP = 100_000
#: The window a lender asks for when it has stored nothing of that partner yet.
FIRST_WINDOW_S = 7 * 86_400
#: A request may end this far after the borrower's clock (clocks kept by NTP differ by less).
CLOCK_SLACK_S = 300.0
#: Readings published before waiting for the broker's acknowledgement of the last of them:
#: the bridge's queue then never holds much more than this of a back-fill.
PUBLISH_BATCH = 200
REFUSED = "backfill_refused"

#: Readings a partner shares, as a lender stores them (collector/partners.py writes them).
PARTNER_CLIMATE = "partner_climate"
#: What the worker publishes with: (topic, payload) -> an object whose wait_for_publish waits.
Publish = Callable[[str, bytes], Any]


@dataclass(frozen=True)
class BackfillRequest:
    request_id: str
    cases: tuple[str, ...]
    #: Empty: every sensor of the cases.
    sensors: tuple[str, ...]
    from_s: float
    to_s: float


class Refused(ValueError):
    """A request the borrower does not answer; the message says why."""


# --- the lender's side ---------------------------------------------------------------------------
def request_for(partner: Partner, from_s: float, to_s: float) -> BackfillRequest:
    """The lender's request: the partner's cases holding its objects, their sensors if named."""
    cases = tuple(dict.fromkeys(lent.case_id for lent in partner.objects))
    sensors = tuple(dict.fromkeys(s for lent in partner.objects for s in lent.sensors))
    if any(not lent.sensors for lent in partner.objects):
        sensors = ()  # an object with no sensor named takes every sensor the partner shares
    return BackfillRequest(uuid.uuid4().hex, cases, sensors, from_s, to_s)


def request_body(request: BackfillRequest) -> bytes:
    return json.dumps(
        {
            "request_id": request.request_id,
            "cases": list(request.cases),
            "sensors": list(request.sensors),
            "from_s": request.from_s,
            "to_s": request.to_s,
        }
    ).encode()


def last_stored_s(store: InfluxStore, partner: Partner, before_s: float | None = None) -> float | None:
    """The time of the latest ``partner_climate`` point of ``partner`` (before ``before_s``)."""
    where = f"partner = {quote_literal(partner.id)}"
    if before_s is not None:
        where += f" AND time <= {round(before_s * 1e9)} AND time > {round((before_s - FIRST_WINDOW_S) * 1e9)}"
    frame = store.frame(f"SELECT last(rh_pct) FROM {quote_identifier(PARTNER_CLIMATE)} WHERE {where}")
    if frame.empty:
        return None
    return float(frame["time"].iloc[0].value) / 1e9


# --- the borrower's side -------------------------------------------------------------------------
def _names(body: dict[str, Any], key: str) -> tuple[str, ...]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Refused(f"{key} is not a list of ids")
    return tuple(value)


def _seconds(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Refused(f"{key} {value!r} is not a time in epoch seconds")
    return float(value)


def parse_request(config: MuseumConfig, partner: Partner, payload: bytes, now_s: float) -> BackfillRequest:
    """A partner's request, checked against what this museum shares with it (:class:`Refused`)."""
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refused(f"not JSON: {error}") from None
    if not isinstance(body, dict):
        raise Refused("not a JSON object")
    cases, sensors = _names(body, "cases"), _names(body, "sensors")
    if not cases:
        raise Refused("no case named")
    for case_id in cases:
        if case_id not in partner.cases:
            shared = ", ".join(partner.cases)
            raise Refused(f"case {case_id!r} is not shared with {partner.id} (shared: {shared})")
    shared_sensors = {s for case_id in cases for s in config.case(case_id).sensors}
    for sensor in sensors:
        if sensor not in shared_sensors:
            raise Refused(f"sensor {sensor!r} is not in the cases asked for")
    from_s, to_s = _seconds(body, "from_s"), _seconds(body, "to_s")
    if not from_s < to_s <= now_s + CLOCK_SLACK_S:
        raise Refused(f"window {from_s!r} to {to_s!r} is not a period before now")
    request_id = body.get("request_id", "")
    return BackfillRequest(str(request_id)[:64], cases, sensors, from_s, to_s)


def gap_readings(
    store: InfluxStore, config: MuseumConfig, request: BackfillRequest, cap: int = BACKFILL_CAP
) -> tuple[list[tuple[str, bytes]], bool]:
    """The readings of the request's window as (topic, payload) in the shared topics' form,
    oldest first, at most ``cap``; and whether there were more."""
    out: list[tuple[str, bytes]] = []
    capped = False
    for case_id in request.cases:
        case = config.case(case_id)
        sensors = [s for s in case.sensors if not request.sensors or s in request.sensors]
        if not sensors or len(out) >= cap:
            capped = capped or (bool(sensors) and len(out) >= cap)
            continue
        which = " OR ".join(f"sensor_id = {quote_literal(s)}" for s in sensors)
        frame = store.frame(
            f"SELECT temperature_c, rh_pct, sensor_id FROM {quote_identifier(CLIMATE)} "
            f"WHERE case_id = {quote_literal(case_id)} AND ({which}) "
            f"AND time >= {round(request.from_s * 1e9)} AND time <= {round(request.to_s * 1e9)} "
            f"ORDER BY time LIMIT {cap - len(out) + 1}"
        )
        if frame.empty:
            continue
        if len(frame) > cap - len(out):
            capped, frame = True, frame.iloc[: cap - len(out)]
        for stamp, temperature_c, rh_pct, sensor in zip(
            frame["time"], frame["temperature_c"], frame["rh_pct"], frame["sensor_id"], strict=True
        ):
            body: dict[str, float] = {"ts": stamp.value / 1e9}
            for name, value in (("temperature_c", temperature_c), ("rh_pct", rh_pct)):
                if value is not None and math.isfinite(value):
                    body[name] = float(value)
            out.append((f"patina/{case.site}/{sensor}/climate", json.dumps(body).encode()))
    return out, capped


class Backfill:
    """One thread doing the slow part of back-fills (queries, publishing), so the MQTT
    session's own thread never waits on InfluxDB."""

    def __init__(
        self,
        config: MuseumConfig,
        open_store: Callable[[], InfluxStore],
        publish: Publish,
        quarantine: Callable[[QuarantineRecord], None] | None,
        stopping: threading.Event,
    ) -> None:
        self.config = config
        self.open_store = open_store
        self.publish = publish
        self.quarantine = quarantine
        self.stopping = stopping
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        #: Readings published in answer to requests (tests and benchmarks read it).
        self.answered = 0
        #: Requests sent (lender) and refused (borrower).
        self.requested = 0
        self.refused = 0

    def _submit(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="partner-backfill", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self._jobs.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                job()
            except Exception as error:  # a query or a publish that failed: the next silence asks again
                log.warning("partner back-fill failed: %r", error)

    # --- the lender ------------------------------------------------------------------------------
    def ask(self, partner: Partner, gap_from_s: float | None) -> None:
        """Ask ``partner`` for what we miss: from our last reading of it before ``gap_from_s``
        (the last heartbeat before a silence) or, None, our last reading at all (a start)."""
        self._submit(lambda: self._ask(partner, gap_from_s))

    def _ask(self, partner: Partner, gap_from_s: float | None) -> None:
        now_s = time.time()
        store = self.open_store()
        try:
            last_s = last_stored_s(store, partner, gap_from_s)
        finally:
            store.close()
        starts = [s for s in (last_s, gap_from_s) if s is not None]
        from_s = min(starts) if starts else now_s - FIRST_WINDOW_S
        request = request_for(partner, from_s, now_s)
        self.publish(partner.backfill_topic, request_body(request))
        self.requested += 1
        log.info(
            "back-fill asked of %s (request %s): cases %s from %s to %s",
            partner.id,
            request.request_id,
            ", ".join(request.cases),
            _utc(from_s),
            _utc(now_s),
        )

    # --- the borrower ----------------------------------------------------------------------------
    def answer(self, partner: Partner, topic: str, payload: bytes) -> None:
        self._submit(lambda: self._answer(partner, topic, payload))

    def _answer(self, partner: Partner, topic: str, payload: bytes) -> None:
        try:
            request = parse_request(self.config, partner, payload, time.time())
        except Refused as refused:
            self.refused += 1
            log.warning("back-fill request from %s on %s refused: %s", partner.id, topic, refused)
            if self.quarantine is not None:
                self.quarantine(QuarantineRecord(time.time_ns(), topic, payload, REFUSED, str(refused)))
            return
        started_s = time.monotonic()
        store = self.open_store()
        try:
            readings, capped = gap_readings(store, self.config, request)
        finally:
            store.close()
        if capped:
            log.warning(
                "back-fill request %s from %s capped at %d readings: "
                "the lender asks again from its new last one",
                request.request_id,
                partner.id,
                BACKFILL_CAP,
            )
        self._publish_all(readings)
        log.info(
            "back-fill for %s (request %s): %d readings of %s from %s to %s sent in %.1f s",
            partner.id,
            request.request_id,
            len(readings),
            ", ".join(request.cases),
            _utc(request.from_s),
            _utc(request.to_s),
            time.monotonic() - started_s,
        )

    def _publish_all(self, readings: list[tuple[str, bytes]]) -> None:
        for start in range(0, len(readings), PUBLISH_BATCH):
            sent = None
            for topic, payload in readings[start : start + PUBLISH_BATCH]:
                sent = self.publish(topic, payload)
                self.answered += 1
            if sent is not None:
                sent.wait_for_publish(60)
            if self.stopping.is_set():
                return


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
