"""Turning MQTT messages into readings, or into a rejection with a reason.

Each format has a decoder ``(topic, payload, received_ns) -> Decoded``; the checks every
reading must pass (finite numbers, physical ranges, a believable time) live in
:func:`validate` so that all formats share them. A message that cannot become a reading
raises :class:`Rejected` with a stable reason code, which the collector counts and logs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from museum.storage.schema import (
    BATTERY_RANGE_PCT,
    ILLUMINANCE_RANGE_LUX,
    RH_RANGE_PCT,
    TEMPERATURE_RANGE_C,
    UV_RANGE_MW_M2,
    UV_RANGE_UW_PER_LM,
    Reading,
)

MAX_PAYLOAD_BYTES = 64 * 1024
#: Readings stamped before this are a device with an unset clock.
EARLIEST_NS = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
#: Readings stamped further ahead than this are a device with a wrong clock.
MAX_FUTURE_NS = 5 * 60 * 1_000_000_000

#: Every reason a message can be rejected for; the dashboard translates these codes.
REJECTION_REASONS = (
    "payload_too_large",
    "not_utf8",
    "invalid_json",
    "not_an_object",
    "unexpected_topic",
    "missing_field",
    "not_a_number",
    "not_finite",
    "temperature_out_of_range",
    "rh_out_of_range",
    "battery_out_of_range",
    "bad_timestamp",
    "timestamp_out_of_range",
    "invalid_id",
    "missing_sensor_id",
    "database_refused",
    "invalid_line_protocol",
    "decoder_error",
    "illuminance_out_of_range",
    "uv_out_of_range",
    # A partner's back-fill request the borrower does not answer (collector/backfill.py).
    "backfill_refused",
)


class Ignored(Exception):
    """A message that is not a reading and not a fault either (availability, bridge state,
    a device that measures no climate). ``reason`` names which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(ValueError):
    """A message that cannot become a reading. ``reason`` is a code from REJECTION_REASONS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Decoded:
    """What one message yields: the site named by the topic (if any) and its readings."""

    site: str | None
    readings: tuple[Reading, ...]


def number(body: dict[str, object], key: str, required: bool = False) -> float | None:
    if key not in body or body[key] is None:
        if required:
            raise Rejected("missing_field", f"no {key!r}")
        return None
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("not_a_number", f"{key!r} is {value!r}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise Rejected("not_finite", f"{key!r} is {value!r}")
    return number


def parse_timestamp_ns(value: object) -> int:
    """An RFC 3339 string with an offset, or epoch seconds, as integer nanoseconds (UTC).

    Epoch seconds keep microsecond resolution: beyond that a float's rounding would
    change the stored value."""
    if isinstance(value, bool):
        raise Rejected("bad_timestamp", f"ts {value!r} is not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise Rejected("bad_timestamp", f"ts {value!r} is not finite")
        return round(value * 1_000_000) * 1000
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Rejected("bad_timestamp", f"ts {value!r} is not RFC 3339") from None
        if moment.tzinfo is None:
            raise Rejected("bad_timestamp", f"ts {value!r} has no UTC offset")
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    raise Rejected("bad_timestamp", f"ts {value!r} is neither RFC 3339 text nor epoch seconds")


def validate(reading: Reading, received_ns: int, battery_only_ok: bool = False) -> Reading:
    """Check a decoded reading's values and time; return it or raise :class:`Rejected`.

    Devices that report each quantity in its own message (Shelly, Home Assistant) may
    send a reading with only a battery level: ``battery_only_ok`` accepts it."""
    if (
        reading.temperature_c is None
        and reading.rh_pct is None
        and not reading.has_light
        and not (battery_only_ok and reading.battery_pct is not None)
    ):
        raise Rejected("missing_field", "neither temperature nor relative humidity")
    for name, value in (
        ("temperature_c", reading.temperature_c),
        ("rh_pct", reading.rh_pct),
        ("battery_pct", reading.battery_pct),
        ("illuminance_lux", reading.illuminance_lux),
        ("uv_mw_m2", reading.uv_mw_m2),
        ("uv_uw_per_lm", reading.uv_uw_per_lm),
    ):
        if value is not None and not math.isfinite(value):
            raise Rejected("not_finite", f"{name} is {value!r}")
    low, high = TEMPERATURE_RANGE_C
    if reading.temperature_c is not None and not low <= reading.temperature_c <= high:
        raise Rejected(
            "temperature_out_of_range", f"temperature_c {reading.temperature_c} is outside {low}…{high} °C"
        )
    low, high = RH_RANGE_PCT
    if reading.rh_pct is not None and not low <= reading.rh_pct <= high:
        raise Rejected("rh_out_of_range", f"rh_pct {reading.rh_pct} is outside {low}…{high} %")
    low, high = BATTERY_RANGE_PCT
    if reading.battery_pct is not None and not low <= reading.battery_pct <= high:
        raise Rejected(
            "battery_out_of_range", f"battery_pct {reading.battery_pct} is outside {low:g}…{high:g}"
        )
    _validate_light(reading)
    if reading.time_ns < EARLIEST_NS:
        raise Rejected("timestamp_out_of_range", "time is before 1990: is the device clock set?")
    if reading.time_ns > received_ns + MAX_FUTURE_NS:
        raise Rejected("timestamp_out_of_range", "time is more than 5 minutes after it was received")
    if not reading.sensor_id.strip():
        raise Rejected("invalid_id", f"sensor id {reading.sensor_id!r} is empty")
    return reading


def _validate_light(reading: Reading) -> None:
    """Light beyond its sensors' range (museum/storage/schema.py) is a fault: a negative
    illuminance is an offset gone wrong, not darkness."""
    low, high = ILLUMINANCE_RANGE_LUX
    if reading.illuminance_lux is not None and not low <= reading.illuminance_lux <= high:
        raise Rejected(
            "illuminance_out_of_range",
            f"illuminance_lux {reading.illuminance_lux:g} is outside {low:g}…{high:g} lx",
        )
    for name, value, (low, high), unit in (
        ("uv_mw_m2", reading.uv_mw_m2, UV_RANGE_MW_M2, "mW/m²"),
        ("uv_uw_per_lm", reading.uv_uw_per_lm, UV_RANGE_UW_PER_LM, "µW/lm"),
    ):
        if value is not None and not low <= value <= high:
            raise Rejected("uv_out_of_range", f"{name} {value:g} is outside {low:g}…{high:g} {unit}")


def json_body(payload: bytes) -> object:
    """The payload as JSON (any type), or :class:`Rejected` with the reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Rejected("payload_too_large", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected("not_utf8", str(error)) from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise Rejected("invalid_json", str(error)[:200]) from None


def json_object(payload: bytes) -> dict[str, object]:
    body = json_body(payload)
    if not isinstance(body, dict):
        raise Rejected("not_an_object", f"JSON {type(body).__name__}, expected an object")
    return body


def decode_native(topic: str, payload: bytes, received_ns: int) -> Decoded:
    """Patina's own format: topic ``patina/<site>/<sensor_id>/climate``, JSON body
    ``{"ts": …, "temperature_c": …, "rh_pct": …, "battery_pct": …}`` (docs/architecture.md),
    with optional light: ``illuminance_lux``, ``uv_mw_m2`` or ``uv_uw_per_lm`` (docs/light.md)."""
    levels = topic.split("/")
    if len(levels) != 4 or levels[3] != "climate" or not levels[1] or not levels[2]:
        raise Rejected("unexpected_topic", f"{topic!r} is not patina/<site>/<sensor_id>/climate")
    body = json_object(payload)
    stamp = body.get("ts")
    reading = Reading(
        sensor_id=levels[2],
        time_ns=received_ns if stamp is None else parse_timestamp_ns(stamp),
        temperature_c=number(body, "temperature_c"),
        rh_pct=number(body, "rh_pct"),
        battery_pct=number(body, "battery_pct"),
        ts_source="received" if stamp is None else "sensor",
        illuminance_lux=number(body, "illuminance_lux"),
        uv_mw_m2=number(body, "uv_mw_m2"),
        uv_uw_per_lm=number(body, "uv_uw_per_lm"),
    )
    return Decoded(site=levels[1], readings=(validate(reading, received_ns),))
