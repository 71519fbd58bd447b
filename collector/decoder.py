"""Topic → source → decoder → validated readings → line protocol, for the collector and
for replaying the quarantine. Never raises for bad input.

:meth:`MessageDecoder.decode_batch` is the collector's path: one pass over a group of
messages that gives the group's lines, quarantine records and readings at once, with no
object per message. Patina's own format takes a short path there (one JSON parse, the
checks of :func:`~collector.payloads.validate` inline, the line built from a cached
prefix, orjson for the body); whatever it does not accept plainly goes the general way, so a reason, an
unusual value or a corner of the format is judged exactly as :meth:`decode` judges it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import orjson
import paho.mqtt.client as mqtt

from collector.adapters import DECODERS, Context
from collector.payloads import (
    EARLIEST_NS,
    MAX_FUTURE_NS,
    MAX_PAYLOAD_BYTES,
    Ignored,
    Rejected,
    parse_timestamp_ns,
)
from collector.spool import QuarantineRecord
from museum.description.config import UNASSIGNED_CASE, MuseumConfig, Source
from museum.storage.lineprotocol import LineProtocolError, encode_point
from museum.storage.schema import (
    CLIMATE,
    LIGHT_FIELDS,
    RH_RANGE_PCT,
    TEMPERATURE_RANGE_C,
    Reading,
    reading_lines,
)

log = logging.getLogger("patina.collector")

#: Full tracebacks of a failing decoder logged per (format, error type); later ones are
#: counted and summarised every thousandth, so a stream of bad messages cannot flood the log.
TRACEBACKS_LOGGED = 3
#: ``ts_source`` of a reading timed by its receipt, and of one received from the broker's
#: backlog after the collector was away (stored later than it was measured).
RECEIVED = "received"
RECEIVED_BACKLOG = "received_backlog"


@dataclass
class Outcome:
    """What one message became: readings as line protocol, a quarantine record, or
    nothing because it is not a reading (``ignored`` says why)."""

    lines: list[str] = field(default_factory=list)
    quarantine: QuarantineRecord | None = None
    ignored: str | None = None
    #: (case id, reading) of each reading, for the alert engine.
    readings: list[tuple[str, Reading]] = field(default_factory=list)


#: One message for :meth:`MessageDecoder.decode_batch`: (topic, payload, receive time in
#: ns, whether it came from the broker's backlog).
RawMessage = tuple[str, bytes, int, bool]
_T_LOW_C, _T_HIGH_C = TEMPERATURE_RANGE_C
_RH_LOW_PCT, _RH_HIGH_PCT = RH_RANGE_PCT
#: The fields of Patina's own format; a body with any other value type goes the general way.
_NATIVE_FIELDS = ("temperature_c", "rh_pct", "battery_pct")


@dataclass
class DecodedBatch:
    """What a group of messages became, in the messages' order. ``kept[i]`` says whether
    message ``i`` left something in the spool (readings or a quarantine record), so that
    a redelivery of it can be recognised."""

    lines: list[str] = field(default_factory=list)
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    readings: list[tuple[str, Reading]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    kept: list[bool] = field(default_factory=list)


def _plain_number(value: object) -> float | None:
    """``value`` as a float if it is a finite JSON number (not a bool), else None."""
    if value.__class__ is float:
        return value if math.isfinite(value) else None
    if value.__class__ is int:
        try:
            return float(value)
        except OverflowError:
            return None  # the general path quarantines it
    return None


class MessageDecoder:
    _CACHE_SIZE = 10_000

    def __init__(self, config: MuseumConfig) -> None:
        self.config = config
        self._contexts = {source: Context(source, config.zone) for source in config.sources}
        self._sensor_cases = {s: c for c in config.cases for s in c.sensors}
        self._sources: OrderedDict[str, Source | None] = OrderedDict()
        #: Per topic of Patina's own format: (sensor id, case id, line prefix up to the
        #: fields), or None when the topic needs the general path (not native, bad ids).
        self._native: dict[str, tuple[str, str, str] | None] = {}
        self._failures: Counter[tuple[str, str]] = Counter()
        self._failures_lock = threading.Lock()

    def source_for(self, topic: str) -> Source | None:
        if topic in self._sources:
            return self._sources[topic]
        found = next((s for s in self.config.sources if mqtt.topic_matches_sub(s.topic, topic)), None)
        self._sources[topic] = found
        if len(self._sources) > self._CACHE_SIZE:
            self._sources.popitem(last=False)
        return found

    def decode(self, topic: str, payload: bytes, received_ns: int, backlog: bool = False) -> Outcome:
        """``backlog``: the message came from the broker's queue after the collector was
        away, so a reading timed by its receipt is marked ``received_backlog``: its time
        may be as late as the outage was long."""
        source = self.source_for(topic)
        try:
            if source is None:
                raise Rejected("unexpected_topic", f"{topic!r} matches no source")
            decoded = DECODERS[source.format](self._contexts[source], topic, payload, received_ns)
            lines, readings = [], []
            for reading in decoded.readings:
                if backlog and reading.ts_source == RECEIVED:
                    reading = dataclasses.replace(reading, ts_source=RECEIVED_BACKLOG)
                case = self._sensor_cases.get(reading.sensor_id)
                site = case.site if case else (decoded.site or source.site)
                case_id = case.id if case else UNASSIGNED_CASE
                try:
                    lines.extend(reading_lines(reading, site, case_id))
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
            self._log_failure(source.format if source else "?", topic, error)
            return Outcome(
                quarantine=QuarantineRecord(
                    received_ns, topic, bytes(payload), "decoder_error", repr(error)[:300]
                )
            )

    def decode_batch(self, messages: list[RawMessage]) -> DecodedBatch:
        """Decode a group of messages in one pass (the collector's path); the same
        results as :meth:`decode` message by message."""
        batch = DecodedBatch()
        lines, readings, kept = batch.lines, batch.readings, batch.kept
        native = self._native
        for topic, payload, received_ns, backlog in messages:
            try:
                route = native[topic]
            except KeyError:  # a topic seen for the first time: rare, the routes are cached
                route = self._native_route(topic)
            if route is not None:
                fast = self._native_line(route, payload, received_ns, backlog)
                if fast is not None:
                    lines.append(fast[0])
                    readings.append((route[1], fast[1]))
                    kept.append(True)
                    continue
            outcome = self.decode(topic, payload, received_ns, backlog)
            lines.extend(outcome.lines)
            readings.extend(outcome.readings)
            if outcome.quarantine is not None:
                batch.quarantined.append(outcome.quarantine)
            if outcome.ignored is not None:
                batch.ignored.append(outcome.ignored)
            kept.append(bool(outcome.lines) or outcome.quarantine is not None)
        return batch

    def _native_route(self, topic: str) -> tuple[str, str, str] | None:
        """Sensor id, case id and the line's prefix for a topic of Patina's own format
        (``patina/<site>/<sensor>/climate``), or None if it must go the general way."""
        route: tuple[str, str, str] | None = None
        source = self.source_for(topic)
        levels = topic.split("/")
        if (
            source is not None
            and source.format == "patina"
            and len(levels) == 4
            and levels[3] == "climate"
            and levels[1]
            and levels[2]
        ):
            sensor_id = levels[2]
            case = self._sensor_cases.get(sensor_id)
            site = case.site if case else levels[1]
            case_id = case.id if case else UNASSIGNED_CASE
            try:
                # The same escaping as every point (museum/storage/lineprotocol.py): the line with
                # a placeholder field, cut before its fields.
                probe = encode_point(
                    CLIMATE, {"site": site, "case_id": case_id, "sensor_id": sensor_id}, {"x": 0.0}
                )
            except LineProtocolError:
                probe = None  # the general path rejects the id with its reason
            if probe is not None and sensor_id.strip():
                route = (sensor_id, case_id, probe[: -len("x=0.0")])
        if len(self._native) >= self._CACHE_SIZE:
            self._native.clear()
        self._native[topic] = route
        return route

    @staticmethod
    def _native_line(
        route: tuple[str, str, str], payload: bytes, received_ns: int, backlog: bool
    ) -> tuple[str, Reading] | None:
        """The line and reading of a plainly valid message of Patina's own format, or
        None for anything :func:`~collector.payloads.decode_native` might judge otherwise."""
        if len(payload) > MAX_PAYLOAD_BYTES:
            return None
        try:
            # orjson: a sixth of json's time for a reading's body. Where the two differ it
            # refuses (NaN, Infinity, invalid UTF-8, lone surrogates) or gives a float for
            # an integer beyond 64 bits, out of every range: the general path judges those.
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if body.__class__ is not dict:
            return None
        for name in LIGHT_FIELDS:
            if name in body:  # light: a second point, the general way (docs/light.md)
                return None
        values: list[float | None] = []
        for name in _NATIVE_FIELDS:
            raw = body.get(name)
            if raw is None:
                values.append(None)
                continue
            value = _plain_number(raw)
            if value is None:
                return None
            values.append(value)
        temperature_c, rh_pct, battery_pct = values
        if temperature_c is None and rh_pct is None:
            return None
        if temperature_c is not None and not _T_LOW_C <= temperature_c <= _T_HIGH_C:
            return None
        if rh_pct is not None and not _RH_LOW_PCT <= rh_pct <= _RH_HIGH_PCT:
            return None
        if battery_pct is not None and not 0.0 <= battery_pct <= 100.0:
            return None
        stamp = body.get("ts")
        if stamp is None:
            time_ns, ts_source = received_ns, (RECEIVED_BACKLOG if backlog else RECEIVED)
        else:
            try:
                time_ns = parse_timestamp_ns(stamp)
            except Rejected:
                return None
            ts_source = "sensor"
        if time_ns < EARLIEST_NS or time_ns > received_ns + MAX_FUTURE_NS:
            return None
        fields = []
        if temperature_c is not None:
            fields.append(f"temperature_c={temperature_c!r}")
        if rh_pct is not None:
            fields.append(f"rh_pct={rh_pct!r}")
        if battery_pct is not None:
            fields.append(f"battery_pct={battery_pct!r}")
        line = f'{route[2]}{",".join(fields)},ts_source="{ts_source}" {time_ns}'
        return line, Reading(route[0], time_ns, temperature_c, rh_pct, battery_pct, ts_source)

    def _log_failure(self, format_name: str, topic: str, error: Exception) -> None:
        key = (format_name, type(error).__name__)
        with self._failures_lock:
            self._failures[key] += 1
            count = self._failures[key]
        if count <= TRACEBACKS_LOGGED:
            log.error("decoder %s failed on %r (#%d of this kind)", format_name, topic, count, exc_info=error)
        elif count % 1000 == 0:
            log.error(
                "decoder %s: %d messages failed with %s so far (quarantined as decoder_error)",
                format_name,
                count,
                key[1],
            )
