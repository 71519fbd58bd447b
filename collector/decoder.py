"""Topic → source → decoder → validated readings → line protocol, for the collector and
for replaying the quarantine. Never raises for bad input."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt

from collector.adapters import DECODERS, Context
from collector.payloads import Ignored, Rejected
from collector.spool import QuarantineRecord
from museum.config import UNASSIGNED_CASE, MuseumConfig, Source
from museum.lineprotocol import LineProtocolError
from museum.schema import Reading, climate_line

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


class MessageDecoder:
    _CACHE_SIZE = 10_000

    def __init__(self, config: MuseumConfig) -> None:
        self.config = config
        self._contexts = {source: Context(source, config.zone) for source in config.sources}
        self._sensor_cases = {s: c for c in config.cases for s in c.sensors}
        self._sources: OrderedDict[str, Source | None] = OrderedDict()
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
            self._log_failure(source.format if source else "?", topic, error)
            return Outcome(
                quarantine=QuarantineRecord(
                    received_ns, topic, bytes(payload), "decoder_error", repr(error)[:300]
                )
            )

    def _log_failure(self, format_name: str, topic: str, error: Exception) -> None:
        key = (format_name, type(error).__name__)
        with self._failures_lock:
            self._failures[key] += 1
            count = self._failures[key]
        if count <= TRACEBACKS_LOGGED:
            log.error("decoder %s failed on %r (#%d of this kind)", format_name, topic, count,
                      exc_info=error)
        elif count % 1000 == 0:
            log.error("decoder %s: %d messages failed with %s so far (quarantined as decoder_error)",
                      format_name, count, key[1])
