"""A simulated sensor's reading as the messages a real device of each kind would publish
(docs/payloads.md), so that every adapter of the collector is exercised end to end.

Formats whose devices send no time (Zigbee2MQTT, Shelly Gen1, Home Assistant) are stamped
by the collector on arrival: on a compressed simulated clock their readings land at the
wall-clock time, which is what such a device would give. ``museum.description.formats.DEVICE_FORMATS``
says which do (``carries_time``) and which topic filter receives each format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from museum.description.formats import require_all
from museum.storage.lineprotocol import encode_point

Values = Mapping[str, float | None]
Encoder = Callable[[str, str, float, Values, ZoneInfo], list[tuple[str, bytes]]]


@lru_cache(maxsize=4096)
def _utc(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _present(values: Values) -> dict[str, float]:
    return {name: value for name, value in values.items() if value is not None}


def native(sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo) -> list[tuple[str, bytes]]:
    # Written by hand rather than by json.dumps: this is the simulator's hot path, and the
    # body is only a timestamp and numbers.
    body = ", ".join(
        [f'"ts": "{_utc(epoch_s)}"'] + [f'"{k}": {v!r}' for k, v in values.items() if v is not None]
    )
    return [(f"patina/{site}/{sensor}/climate", ("{" + body + "}").encode())]


def zigbee2mqtt(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    body = {
        "temperature": values.get("temperature_c"),
        "humidity": values.get("rh_pct"),
        "battery": values.get("battery_pct"),
        "illuminance": values.get("illuminance_lux"),
        "linkquality": 120,
        "voltage": 2900,
    }
    return [(f"zigbee2mqtt/{sensor}", _json({k: v for k, v in body.items() if v is not None}))]


def tasmota(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    local = datetime.fromtimestamp(round(epoch_s), zone).replace(tzinfo=None).isoformat(timespec="seconds")
    climate = {"Temperature": values.get("temperature_c"), "Humidity": values.get("rh_pct")}
    return [(f"tele/{sensor}/SENSOR", _json({"Time": local, "SHT3X": _present(climate), "TempUnit": "C"}))]


def shelly_gen1(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    names = {"temperature_c": "temperature", "rh_pct": "humidity", "battery_pct": "battery"}
    return [
        (f"shellies/{sensor}/sensor/{names[k]}", repr(float(v)).encode())
        for k, v in values.items()
        if v is not None and k in names
    ]


def shelly_gen2(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    params: dict[str, object] = {"ts": round(epoch_s, 2)}
    if values.get("temperature_c") is not None:
        celsius = float(values["temperature_c"])  # type: ignore[arg-type]
        params["temperature:0"] = {"id": 0, "tC": celsius, "tF": round(celsius * 9 / 5 + 32, 1)}
    if values.get("rh_pct") is not None:
        params["humidity:0"] = {"id": 0, "rh": values["rh_pct"]}
    if values.get("battery_pct") is not None:
        params["devicepower:0"] = {"id": 0, "battery": {"V": 5.6, "percent": values["battery_pct"]}}
    body = {"src": sensor, "dst": f"{sensor}/events", "method": "NotifyStatus", "params": params}
    return [(f"{sensor}/events/rpc", _json(body))]


def ttn_v3(sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo) -> list[tuple[str, bytes]]:
    # A Dragino LHT65's decoded payload: the battery comes as a voltage, not a percentage.
    decoded = {"TempC_SHT": values.get("temperature_c"), "Hum_SHT": values.get("rh_pct"), "BatV": 3.05}
    body = {
        "end_device_ids": {"device_id": sensor, "application_ids": {"application_id": "patina-sim"}},
        "received_at": _utc(epoch_s),
        "uplink_message": {
            "f_port": 2,
            "decoded_payload": {k: v for k, v in decoded.items() if v is not None},
            "rx_metadata": [
                {"gateway_ids": {"gateway_id": "museum-gw-1"}, "rssi": -97, "snr": 7.5},
                {"gateway_ids": {"gateway_id": "museum-gw-2"}, "rssi": -112, "snr": -3.0},
            ],
        },
    }
    return [(f"v3/patina-sim@ttn/devices/{sensor}/up", _json(body))]


def senml(sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo) -> list[tuple[str, bytes]]:
    units = {
        "temperature_c": ("temperature", "Cel"),
        "rh_pct": ("humidity", "%RH"),
        "battery_pct": ("battery", "%EL"),
    }
    records: list[dict[str, object]] = [{"bn": f"{sensor}:", "bt": round(epoch_s, 3)}]
    for key, value in _present(values).items():
        name, unit = units[key]
        records.append({"n": name, "u": unit, "v": value})
    records[0].update(records.pop(1))
    return [(f"senml/{sensor}", _json(records))]


def line_protocol(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    fields = {
        "temperature": values.get("temperature_c"),
        "humidity": values.get("rh_pct"),
        "battery": values.get("battery_pct"),
    }
    line = encode_point("museum_env", {"sensor": sensor}, fields, round(epoch_s * 1e9))
    return [(f"telegraf/{sensor}", line.encode())]


def homeassistant(
    sensor: str, site: str, epoch_s: float, values: Values, zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    names = {"temperature_c": "temperature", "rh_pct": "humidity", "battery_pct": "battery"}
    return [
        (f"{sensor}/sensor/{names[k]}/state", repr(float(v)).encode())
        for k, v in values.items()
        if v is not None and k in names
    ]


def senml_batch(
    sensor: str, site: str, stamps: list[float], rows: list[Values], zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    """Several readings of one sensor in one SenML pack: times relative to the base time."""
    units = {
        "temperature_c": ("temperature", "Cel"),
        "rh_pct": ("humidity", "%RH"),
        "battery_pct": ("battery", "%EL"),
    }
    records: list[dict[str, object]] = []
    for stamp, values in zip(stamps, rows, strict=True):
        for key, value in _present(values).items():
            name, unit = units[key]
            record: dict[str, object] = {"n": name, "u": unit, "v": value}
            if stamp != stamps[0]:
                record["t"] = round(stamp - stamps[0], 3)
            records.append(record)
    records[0] = {"bn": f"{sensor}:", "bt": round(stamps[0], 3), **records[0]}
    return [(f"senml/{sensor}", _json(records))]


def line_protocol_batch(
    sensor: str, site: str, stamps: list[float], rows: list[Values], zone: ZoneInfo
) -> list[tuple[str, bytes]]:
    """Several readings in one message, one line each, as Telegraf sends a batch."""
    lines = [
        line_protocol(sensor, site, stamp, values, zone)[0][1]
        for stamp, values in zip(stamps, rows, strict=True)
    ]
    return [(f"telegraf/{sensor}", b"\n".join(lines))]


ENCODERS: dict[str, Encoder] = {
    "patina": native,
    "zigbee2mqtt": zigbee2mqtt,
    "tasmota": tasmota,
    "shelly-gen1": shelly_gen1,
    "shelly-gen2": shelly_gen2,
    "ttn-v3": ttn_v3,
    "senml": senml,
    "line-protocol": line_protocol,
    "homeassistant": homeassistant,
}
require_all("encoder", ENCODERS)
BatchEncoder = Callable[[str, str, list[float], list[Values], ZoneInfo], list[tuple[str, bytes]]]
#: Formats that can carry several readings in one message (``SensorSpec.batch``).
BATCH_ENCODERS: dict[str, BatchEncoder] = {"senml": senml_batch, "line-protocol": line_protocol_batch}
