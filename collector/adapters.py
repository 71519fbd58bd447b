"""Adapters: the payloads real devices publish (docs/payloads.md), turned into readings.

Every decoder has the signature ``(context, topic, payload, received_ns) -> Decoded`` and
either returns readings, raises :class:`~collector.payloads.Rejected` (a fault: the
message goes to quarantine with the reason) or :class:`~collector.payloads.Ignored` (not a
reading and not a fault: availability, bridge state, a device that measures no climate).
Units are normalised (°F → °C, K → °C); device times without an offset are read in the
museum's time zone; readings with no time get the receive time and ``ts_source =
"received"``. All of them pass :func:`~collector.payloads.validate`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from collector.payloads import (
    Decoded,
    Ignored,
    Rejected,
    decode_native,
    json_body,
    json_object,
    number,
    parse_timestamp_ns,
    validate,
)
from museum.description.config import Source
from museum.description.formats import require_all
from museum.storage.schema import Reading


@dataclass(frozen=True)
class Context:
    """What a decoder may need besides the message: its source and the museum's zone."""

    source: Source
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def field_name(self, name: str, default: str) -> str:
        return dict(self.source.fields).get(name, default)


Decoder = Callable[[Context, str, bytes, int], Decoded]


def _f_to_c(value: float | None) -> float | None:
    return None if value is None else (value - 32.0) * 5.0 / 9.0


def _local_ns(text: object, zone: ZoneInfo) -> int:
    """A device time that may lack an offset: naive times are in the museum's zone."""
    if not isinstance(text, str):
        return parse_timestamp_ns(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected("bad_timestamp", f"time {text!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return parse_timestamp_ns(moment.isoformat())


def _bare_number(payload: bytes) -> float:
    """A payload that is one number as text ("19.8"), as Shelly and Home Assistant send."""
    if len(payload) > 64:
        raise Rejected("not_a_number", f"{len(payload)} bytes is not a bare number")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        raise Rejected("not_utf8", str(error)) from None
    try:
        value = float(text)
    except ValueError:
        raise Rejected("not_a_number", f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise Rejected("not_finite", repr(text))
    return value


def _one(context: Context, reading: Reading, received_ns: int, battery_only_ok: bool = False) -> Decoded:
    return Decoded(site=None, readings=(validate(reading, received_ns, battery_only_ok),))


# --- patina (native) ---------------------------------------------------------------------


def patina(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    return decode_native(topic, payload, received_ns)


# --- zigbee2mqtt --------------------------------------------------------------------------

_Z2M_NOT_DEVICES = ("bridge",)
_Z2M_SUFFIXES = ("availability", "set", "get")


#: Zigbee2MQTT's names for illuminance in lux, in order: ``illuminance_lux`` (the lux of
#: devices that also send a raw ``illuminance``, before Zigbee2MQTT 2.0), then
#: ``illuminance`` (lux since 2.0).
_Z2M_LUX = ("illuminance_lux", "illuminance")


def zigbee2mqtt(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``zigbee2mqtt/<friendly name, may contain />``: ``{"temperature", "humidity",
    "battery", "linkquality", "illuminance_lux"/"illuminance", …}``. Bridge and availability
    topics, and devices that report neither climate nor light (bulbs, buttons), are ignored."""
    _prefix, _, name = topic.partition("/")
    if not name or name.split("/", 1)[0] in _Z2M_NOT_DEVICES:
        raise Ignored("bridge")
    if name.rsplit("/", 1)[-1] in _Z2M_SUFFIXES:
        raise Ignored("availability")
    body = json_object(payload)
    lux_key = next((key for key in _Z2M_LUX if body.get(key) is not None), None)
    if "temperature" not in body and "humidity" not in body and lux_key is None:
        raise Ignored("not_climate")
    return _one(
        context,
        Reading(
            sensor_id=name,
            time_ns=received_ns,
            temperature_c=number(body, "temperature"),
            rh_pct=number(body, "humidity"),
            battery_pct=number(body, "battery"),
            ts_source="received",
            illuminance_lux=None if lux_key is None else number(body, lux_key),
        ),
        received_ns,
    )


# --- Tasmota ---------------------------------------------------------------------------------


def tasmota(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``tele/<device>/SENSOR``: ``{"Time": local, "<SENSOR>": {"Temperature", "Humidity"},
    "TempUnit": "C"|"F"}``; the sensor key varies (AM2301, SHT3X, BME280, …). A device
    with several climate sensors gives one reading each, as ``<device>-<key>``."""
    levels = topic.split("/")
    if len(levels) < 3 or levels[-1] != "SENSOR":
        raise Ignored("not_telemetry")
    device = levels[-2]
    body = json_object(payload)
    sensors = {
        key: value
        for key, value in body.items()
        if isinstance(value, dict) and ("Temperature" in value or "Humidity" in value)
    }
    if not sensors:
        raise Ignored("not_climate")
    fahrenheit = str(body.get("TempUnit", "C")).upper() == "F"
    time_ns, source = (received_ns, "received")
    if body.get("Time") is not None:
        time_ns, source = _local_ns(body["Time"], context.zone), "sensor"
    readings = []
    for key, values in sensors.items():
        temperature = number(values, "Temperature")
        readings.append(
            validate(
                Reading(
                    sensor_id=device if len(sensors) == 1 else f"{device}-{key}",
                    time_ns=time_ns,
                    temperature_c=_f_to_c(temperature) if fahrenheit else temperature,
                    rh_pct=number(values, "Humidity"),
                    ts_source=source,
                ),
                received_ns,
            )
        )
    return Decoded(site=None, readings=tuple(readings))


# --- Shelly ------------------------------------------------------------------------------------


def shelly_gen1(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``shellies/<device>/sensor/{temperature,humidity,battery}``: one bare number each, so
    a reading carries one field."""
    levels = topic.split("/")
    if len(levels) != 4 or levels[2] != "sensor":
        raise Ignored("not_sensor")
    kind = levels[3]
    if kind not in ("temperature", "humidity", "battery"):
        raise Ignored("not_climate")
    value = _bare_number(payload)
    return _one(
        context,
        Reading(
            sensor_id=levels[1],
            time_ns=received_ns,
            temperature_c=value if kind == "temperature" else None,
            rh_pct=value if kind == "humidity" else None,
            battery_pct=value if kind == "battery" else None,
            ts_source="received",
        ),
        received_ns,
        battery_only_ok=True,
    )


def _gen2_component(name: str, values: Mapping[str, object]) -> dict[str, float | None]:
    if name.startswith("temperature:"):
        celsius = number(dict(values), "tC")
        return {"temperature_c": celsius if celsius is not None else _f_to_c(number(dict(values), "tF"))}
    if name.startswith("humidity:"):
        return {"rh_pct": number(dict(values), "rh")}
    if name.startswith("devicepower:") and isinstance(values.get("battery"), dict):
        return {"battery_pct": number(values["battery"], "percent")}  # type: ignore[arg-type]
    return {}


def shelly_gen2(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``<device>/status/temperature:0`` ``{"tC": …}``, ``…/humidity:0`` ``{"rh": …}``,
    ``…/devicepower:0`` ``{"battery": {"percent": …}}``, and JSON-RPC ``NotifyStatus`` /
    ``NotifyFullStatus`` on ``<device>/events/rpc``."""
    levels = topic.split("/")
    device = levels[0]
    body = json_object(payload)
    values: dict[str, float | None] = {}
    time_ns, source = received_ns, "received"
    if len(levels) == 3 and levels[1] == "status":
        values = _gen2_component(levels[2], body)
    elif levels[1:] == ["events", "rpc"]:
        if body.get("method") not in ("NotifyStatus", "NotifyFullStatus") or not isinstance(
            body.get("params"), dict
        ):
            raise Ignored("not_status")
        params = body["params"]
        assert isinstance(params, dict)
        for name, component in params.items():
            if isinstance(component, dict):
                values.update({k: v for k, v in _gen2_component(name, component).items() if v is not None})
        if params.get("ts") is not None:
            time_ns, source = parse_timestamp_ns(params["ts"]), "sensor"
    else:
        raise Ignored("not_status")
    if not any(v is not None for v in values.values()):
        raise Ignored("not_climate")
    return _one(
        context,
        Reading(
            sensor_id=device,
            time_ns=time_ns,
            ts_source=source,
            temperature_c=values.get("temperature_c"),
            rh_pct=values.get("rh_pct"),
            battery_pct=values.get("battery_pct"),
        ),
        received_ns,
        battery_only_ok=True,
    )


# --- The Things Stack (LoRaWAN) -------------------------------------------------------------------

#: Decoded-payload names of common LoRaWAN T/RH sensors, tried in order when the source
#: maps none: Dragino LHT65/LHT52 (TempC_SHT, Hum_SHT), Elsys ERS (temperature, humidity).
TTN_DEFAULT_FIELDS = {
    "temperature_c": ("TempC_SHT", "temperature", "Temperature", "TempC_DS"),
    "rh_pct": ("Hum_SHT", "humidity", "Humidity"),
    "battery_pct": ("battery_pct", "Bat_pct"),
    # Elsys ERS (light, lux); a decoder written for Patina (illuminance_lux).
    "illuminance_lux": ("illuminance_lux", "light"),
}


def ttn_v3(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``v3/<app>@<tenant>/devices/<device>/up``: the decoded payload's fields (mapped per
    source, defaults for Dragino LHT65/LHT52 and Elsys ERS), ``received_at`` as the time,
    the best gateway RSSI."""
    if not topic.endswith("/up"):
        raise Ignored("not_uplink")
    body = json_object(payload)
    ids = body.get("end_device_ids")
    device = ids.get("device_id") if isinstance(ids, dict) else None
    if not isinstance(device, str) or not device:
        raise Rejected("missing_sensor_id", "no end_device_ids.device_id")
    uplink = body.get("uplink_message")
    decoded = uplink.get("decoded_payload") if isinstance(uplink, dict) else None
    if not isinstance(decoded, dict):
        raise Rejected("missing_field", "no uplink_message.decoded_payload")
    assert isinstance(uplink, dict)
    mapped = dict(context.source.fields)

    def pick(name: str) -> float | None:
        if name in mapped:
            return number(decoded, mapped[name])
        for candidate in TTN_DEFAULT_FIELDS[name]:
            if candidate in decoded:
                return number(decoded, candidate)
        return None

    rssi = None
    metadata = uplink.get("rx_metadata")
    if isinstance(metadata, list):
        values = [
            m["rssi"]
            for m in metadata
            if isinstance(m, dict)
            and isinstance(m.get("rssi"), int | float)
            and not isinstance(m.get("rssi"), bool)
        ]
        rssi = float(max(values)) if values else None
    stamp = body.get("received_at") or uplink.get("received_at")
    time_ns, source = (parse_timestamp_ns(stamp), "sensor") if stamp else (received_ns, "received")
    return _one(
        context,
        Reading(
            sensor_id=device,
            time_ns=time_ns,
            ts_source=source,
            temperature_c=pick("temperature_c"),
            rh_pct=pick("rh_pct"),
            battery_pct=pick("battery_pct"),
            rssi_dbm=rssi,
            illuminance_lux=pick("illuminance_lux"),
        ),
        received_ns,
    )


# --- SenML (RFC 8428) --------------------------------------------------------------------------------

_SENML_RELATIVE_LIMIT_S = 2**28  # RFC 8428 §4.5.3: smaller times are relative to now


def senml(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """An RFC 8428 pack: base name/time/unit resolved per the RFC; ``Cel``/``K``/``degF``
    (or a name containing "temp") is temperature, ``%RH`` (or "humid") is RH, ``%EL``
    battery. The sensor id is the base name without a trailing ``:`` or ``/``."""
    pack = json_body(payload)
    if not isinstance(pack, list) or not pack:
        raise Rejected("not_an_object", "a SenML pack is a non-empty JSON array")
    base_name, base_time, base_unit = "", 0.0, None
    grouped: dict[tuple[str, int], dict[str, float]] = {}
    for record in pack:
        if not isinstance(record, dict):
            raise Rejected("not_an_object", "a SenML record is a JSON object")
        if "bn" in record:
            base_name = str(record["bn"])
        if "bt" in record:
            base_time = float(number(record, "bt") or 0.0)
        if "bu" in record:
            base_unit = str(record["bu"])
        if "v" not in record:
            continue
        value = number(record, "v", required=True)
        assert value is not None
        name = str(record.get("n", ""))
        unit = str(record.get("u", base_unit or ""))
        when = base_time + float(number(record, "t") or 0.0)
        if abs(when) < _SENML_RELATIVE_LIMIT_S:
            when = received_ns / 1e9 + when
        lower = name.lower()
        if unit in ("Cel", "K", "degF") or (not unit and "temp" in lower):
            quantity = "temperature_c"
            value = value - 273.15 if unit == "K" else _f_to_c(value) if unit == "degF" else value
        elif unit == "%RH" or (not unit and ("humid" in lower or lower.endswith("rh"))):
            quantity = "rh_pct"
        elif unit == "%EL" or "batt" in lower:
            quantity = "battery_pct"
        elif unit == "lx":
            quantity = "illuminance_lux"
        else:
            continue
        sensor = (base_name or topic.rsplit("/", 1)[-1]).rstrip(":/")
        key = (sensor, parse_timestamp_ns(when))
        grouped.setdefault(key, {})[quantity] = float(value)  # type: ignore[arg-type]
    if not grouped:
        raise Ignored("not_climate")
    readings = tuple(
        validate(
            Reading(
                sensor_id=sensor,
                time_ns=time_ns,
                ts_source="sensor",
                temperature_c=values.get("temperature_c"),
                rh_pct=values.get("rh_pct"),
                battery_pct=values.get("battery_pct"),
                illuminance_lux=values.get("illuminance_lux"),
            ),
            received_ns,
        )
        for (sensor, time_ns), values in grouped.items()
    )
    return Decoded(site=None, readings=readings)


# --- InfluxDB line protocol ------------------------------------------------------------------------

_LP_TOKEN = re.compile(r'(?:\\.|"(?:\\.|[^"\\])*"|[^ ])+')
_LP_TEMPERATURE = ("temperature_c", "temperature", "temp", "t")
_LP_RH = ("rh_pct", "humidity", "hum", "rh")
_LP_BATTERY = ("battery_pct", "battery", "batt")
_LP_LUX = ("illuminance_lux", "illuminance", "lux")


def _lp_split(text: str, separator: str) -> list[str]:
    parts, current, escaped, quoted = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _lp_time_ns(text: str) -> int:
    value = int(text)
    # Precision from magnitude: seconds, milliseconds, microseconds or nanoseconds.
    for limit, factor in ((1e11, 10**9), (1e14, 10**6), (1e17, 10**3)):
        if abs(value) < limit:
            return value * factor
    return value


def line_protocol(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """Telegraf's default: ``museum_env,sensor=lht65 temperature=19.84,humidity=47.2 <ts>``.
    The sensor id is the ``sensor_id`` or ``sensor`` tag; temperature, humidity and battery
    fields go by their usual names; the time's precision is read from its magnitude."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected("not_utf8", str(error)) from None
    readings = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tokens = _LP_TOKEN.findall(line.strip())
        if len(tokens) < 2 or len(tokens) > 3:
            raise Rejected("invalid_line_protocol", f"{line[:120]!r}")
        head = _lp_split(tokens[0], ",")
        tags = dict(item.split("=", 1) for item in head[1:] if "=" in item)
        fields: dict[str, float] = {}
        for item in _lp_split(tokens[1], ","):
            key, _, raw = item.partition("=")
            raw = raw[:-1] if raw.endswith(("i", "u")) and raw[:-1].lstrip("-").isdigit() else raw
            try:
                fields[key.lower()] = float(raw)
            except ValueError:
                continue
        sensor = tags.get("sensor_id") or tags.get("sensor")
        if not sensor:
            raise Rejected("missing_sensor_id", f"no sensor_id or sensor tag in {line[:120]!r}")

        def first(names: tuple[str, ...], fields: dict[str, float] = fields) -> float | None:
            return next((fields[n] for n in names if n in fields), None)

        time_ns, source = received_ns, "received"
        if len(tokens) == 3:
            try:
                time_ns, source = _lp_time_ns(tokens[2]), "sensor"
            except ValueError:
                raise Rejected("bad_timestamp", f"{tokens[2]!r}") from None
        readings.append(
            validate(
                Reading(
                    sensor_id=sensor,
                    time_ns=time_ns,
                    ts_source=source,
                    temperature_c=first(_LP_TEMPERATURE),
                    rh_pct=first(_LP_RH),
                    battery_pct=first(_LP_BATTERY),
                    illuminance_lux=first(_LP_LUX),
                    uv_mw_m2=first(("uv_mw_m2",)),
                    uv_uw_per_lm=first(("uv_uw_per_lm",)),
                ),
                received_ns,
            )
        )
    if not readings:
        raise Rejected("missing_field", "no line of line protocol")
    return Decoded(site=None, readings=tuple(readings))


# --- Home Assistant / ESPHome ----------------------------------------------------------------------


def homeassistant(context: Context, topic: str, payload: bytes, received_ns: int) -> Decoded:
    """``<node>/sensor/<name>/state`` with a bare number; the name says which quantity
    ("temp…", "humid…"/"…rh", "batt…", "illuminance…"/"…lux"). ``<node>/status``
    availability is ignored."""
    levels = topic.split("/")
    if len(levels) != 4 or levels[1] != "sensor" or levels[3] != "state":
        raise Ignored("availability" if levels[-1] == "status" else "not_state")
    name = levels[2].lower()
    if "temp" in name:
        quantity = "temperature_c"
    elif "humid" in name or name.endswith("rh"):
        quantity = "rh_pct"
    elif "batt" in name:
        quantity = "battery_pct"
    elif "illuminance" in name or name.endswith("lux"):
        quantity = "illuminance_lux"
    else:
        raise Ignored("not_climate")
    value = _bare_number(payload)
    values: dict[str, float | None] = {"temperature_c": None, "rh_pct": None, quantity: value}
    return _one(
        context,
        Reading(sensor_id=levels[0], time_ns=received_ns, ts_source="received", **values),
        received_ns,
        battery_only_ok=True,
    )


DECODERS: dict[str, Decoder] = {
    "patina": patina,
    "zigbee2mqtt": zigbee2mqtt,
    "tasmota": tasmota,
    "shelly-gen1": shelly_gen1,
    "shelly-gen2": shelly_gen2,
    "ttn-v3": ttn_v3,
    "senml": senml,
    "line-protocol": line_protocol,
    "homeassistant": homeassistant,
}
require_all("decoder", DECODERS)
