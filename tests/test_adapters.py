"""Adapters for the sensors museums already own, with the payloads of docs/payloads.md, and a
fuzz test: any bytes on any topic become readings, a quarantine record or "ignored",
never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.adapters import DECODERS, Context
from collector.payloads import Ignored, Rejected
from collector.service import MessageDecoder
from museum.description.config import Source, parse_config
from museum.description.formats import FORMAT_NAMES
from museum.storage.schema import Reading

NOW_NS = int(datetime(2026, 5, 1, 10, 0, 30, tzinfo=UTC).timestamp()) * 10**9
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def decode(fmt: str, topic: str, payload: bytes | str | object, **fields: str) -> tuple[Reading, ...]:
    if not isinstance(payload, bytes):
        payload = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    context = Context(Source(topic="#", format=fmt, site="hanoi", fields=tuple(fields.items())), HANOI)
    return DECODERS[fmt](context, topic, payload, NOW_NS).readings


def test_zigbee2mqtt_friendly_names_may_contain_slashes() -> None:
    (r,) = decode(
        "zigbee2mqtt",
        "zigbee2mqtt/gallery 2/case 7",
        {
            "battery": 97,
            "humidity": 47.21,
            "linkquality": 123,
            "pressure": 1012.4,
            "temperature": 19.84,
            "voltage": 3005,
        },
    )
    assert (r.sensor_id, r.temperature_c, r.rh_pct, r.battery_pct) == ("gallery 2/case 7", 19.84, 47.21, 97.0)
    assert (r.time_ns, r.ts_source) == (NOW_NS, "received")


@pytest.mark.parametrize(
    "topic", ["zigbee2mqtt/bridge/state", "zigbee2mqtt/case 7/availability", "zigbee2mqtt/bridge/devices"]
)
def test_zigbee2mqtt_bridge_and_availability_are_not_readings(topic: str) -> None:
    with pytest.raises(Ignored):
        decode("zigbee2mqtt", topic, {"state": "online"})


def test_zigbee2mqtt_devices_without_climate_are_ignored() -> None:
    with pytest.raises(Ignored, match="not_climate"):
        decode("zigbee2mqtt", "zigbee2mqtt/lamp", {"state": "ON", "brightness": 200})


def test_tasmota_local_time_in_the_museum_zone_and_fahrenheit() -> None:
    (r,) = decode(
        "tasmota",
        "tele/case12/SENSOR",
        {"Time": "2026-05-01T17:00:00", "AM2301": {"Temperature": 75.2, "Humidity": 58.2}, "TempUnit": "F"},
    )
    assert r.sensor_id == "case12"
    assert r.temperature_c == pytest.approx(24.0)
    assert r.time_ns == int(datetime(2026, 5, 1, 10, 0, tzinfo=UTC).timestamp()) * 10**9  # 17:00 at UTC+7
    assert r.ts_source == "sensor"


def test_tasmota_with_two_climate_sensors_gives_two_readings() -> None:
    readings = decode(
        "tasmota",
        "tele/case12/SENSOR",
        {
            "Time": "2026-05-01T17:00:00",
            "SHT3X": {"Temperature": 24.6, "Humidity": 58.2, "DewPoint": 15.9},
            "BME280": {"Temperature": 24.9, "Humidity": 57.0, "Pressure": 1008},
            "TempUnit": "C",
        },
    )
    assert sorted(r.sensor_id for r in readings) == ["case12-BME280", "case12-SHT3X"]


def test_shelly_gen1_one_quantity_per_message() -> None:
    (t,) = decode("shelly-gen1", "shellies/ht-7/sensor/temperature", "19.8")
    (h,) = decode("shelly-gen1", "shellies/ht-7/sensor/humidity", "42.5")
    (b,) = decode("shelly-gen1", "shellies/ht-7/sensor/battery", "87")
    assert (t.temperature_c, t.rh_pct) == (19.8, None)
    assert (h.temperature_c, h.rh_pct) == (None, 42.5)
    assert (b.battery_pct, b.sensor_id) == (87.0, "ht-7")


def test_shelly_gen2_components_and_notify_status() -> None:
    (t,) = decode("shelly-gen2", "ht-g3/status/temperature:0", {"id": 0, "tC": 19.8, "tF": 67.6})
    (h,) = decode("shelly-gen2", "ht-g3/status/humidity:0", {"id": 0, "rh": 42.2})
    (b,) = decode(
        "shelly-gen2", "ht-g3/status/devicepower:0", {"id": 0, "battery": {"V": 5.9, "percent": 80}}
    )
    assert (t.temperature_c, h.rh_pct, b.battery_pct) == (19.8, 42.2, 80.0)
    (n,) = decode(
        "shelly-gen2",
        "ht-g3/events/rpc",
        {
            "src": "ht-g3",
            "method": "NotifyStatus",
            "params": {
                "ts": 1777629600.5,
                "temperature:0": {"id": 0, "tC": 21.0},
                "humidity:0": {"rh": 50.0},
            },
        },
    )
    assert (n.temperature_c, n.rh_pct, n.time_ns) == (21.0, 50.0, 1_777_629_600_500_000_000)
    with pytest.raises(Ignored):
        decode("shelly-gen2", "ht-g3/events/rpc", {"method": "NotifyEvent", "params": {"events": []}})


def ttn(decoded: dict[str, object]) -> dict[str, object]:
    return {
        "end_device_ids": {"device_id": "case12-lht65", "application_ids": {"application_id": "museum"}},
        "received_at": "2026-05-01T10:00:05.123Z",
        "uplink_message": {
            "f_port": 2,
            "decoded_payload": decoded,
            "rx_metadata": [{"rssi": -35, "snr": 5.2}, {"rssi": -80}],
        },
    }


def test_ttn_v3_dragino_defaults_rssi_and_time() -> None:
    (r,) = decode(
        "ttn-v3",
        "v3/museum@ttn/devices/case12-lht65/up",
        ttn({"BatV": 3.062, "Hum_SHT": 88.6, "TempC_SHT": 28.29, "TempC_DS": 27.81}),
    )
    assert (r.sensor_id, r.temperature_c, r.rh_pct, r.rssi_dbm) == ("case12-lht65", 28.29, 88.6, -35.0)
    assert r.time_ns == int(datetime(2026, 5, 1, 10, 0, 5, 123000, tzinfo=UTC).timestamp() * 1e6) * 1000


def test_ttn_v3_elsys_defaults_and_configured_mapping() -> None:
    (elsys,) = decode("ttn-v3", "v3/museum@ttn/devices/ers-1/up", ttn({"temperature": 24.1, "humidity": 51}))
    assert (elsys.temperature_c, elsys.rh_pct) == (24.1, 51.0)
    (mapped,) = decode(
        "ttn-v3",
        "v3/museum@ttn/devices/x/up",
        ttn({"t_int": 22.5, "rh_int": 40.0}),
        temperature_c="t_int",
        rh_pct="rh_int",
    )
    assert (mapped.temperature_c, mapped.rh_pct) == (22.5, 40.0)
    with pytest.raises(Ignored):
        decode("ttn-v3", "v3/museum@ttn/devices/x/join", {})


def test_senml_resolves_base_name_time_and_units() -> None:
    readings = decode(
        "senml",
        "sensors/case12",
        [
            {"bn": "urn:dev:case12:", "bt": 1714557605, "n": "temperature", "u": "Cel", "v": 19.84},
            {"n": "humidity", "u": "%RH", "v": 47.2},
            {"n": "temperature", "u": "K", "v": 293.15, "t": 60},
        ],
    )
    by_time = {r.time_ns: r for r in readings}
    first = by_time[1_714_557_605 * 10**9]
    assert (first.sensor_id, first.temperature_c, first.rh_pct) == ("urn:dev:case12", 19.84, 47.2)
    assert by_time[1_714_557_665 * 10**9].temperature_c == pytest.approx(20.0)


def test_line_protocol_with_telegrafs_tags_and_precisions() -> None:
    (r,) = decode(
        "line-protocol",
        "telegraf/museum",
        "museum_env,sensor=lht65 temperature=19.84,humidity=47.2 1714557605000000000",
    )
    assert (r.sensor_id, r.temperature_c, r.rh_pct) == ("lht65", 19.84, 47.2)
    assert r.time_ns == 1_714_557_605 * 10**9
    (s,) = decode("line-protocol", "t", "env,sensor_id=case\\ 7 temperature_c=20i,rh_pct=50 1714557605")
    assert (s.sensor_id, s.temperature_c, s.time_ns) == ("case 7", 20.0, 1_714_557_605 * 10**9)
    with pytest.raises(Rejected, match="missing_sensor_id"):
        decode("line-protocol", "t", "env temperature=20 1714557605")


def test_homeassistant_state_topics() -> None:
    (t,) = decode("homeassistant", "case12-node/sensor/case_temperature/state", "24.3")
    (h,) = decode("homeassistant", "case12-node/sensor/case_humidity/state", "47.3")
    assert (t.sensor_id, t.temperature_c, h.rh_pct) == ("case12-node", 24.3, 47.3)
    with pytest.raises(Ignored):
        decode("homeassistant", "case12-node/status", "online")
    with pytest.raises(Rejected, match="not_a_number"):
        decode("homeassistant", "case12-node/sensor/case_temperature/state", "unavailable")


ALL_FORMATS = {
    "museum": {"name": "Fuzz", "timezone": "Asia/Ho_Chi_Minh"},
    "sites": [{"id": "hanoi"}],
    "sources": [{"topic": f"{fmt}/#", "format": fmt} for fmt in FORMAT_NAMES]
    + [{"topic": "#", "format": "patina"}],
    "cases": [{"id": "C1", "site": "hanoi", "sensors": ["s1"]}],
}


@settings(max_examples=1500, deadline=None)
@given(
    fmt=st.sampled_from(FORMAT_NAMES),
    rest=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    payload=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "ts",
                            "temperature_c",
                            "rh_pct",
                            "temperature",
                            "humidity",
                            "Time",
                            "AM2301",
                            "Temperature",
                            "Humidity",
                            "tC",
                            "rh",
                            "params",
                            "method",
                            "end_device_ids",
                            "device_id",
                            "uplink_message",
                            "decoded_payload",
                            "bn",
                            "bt",
                            "n",
                            "u",
                            "v",
                            "t",
                        ]
                    ),
                    inner,
                    max_size=5,
                )
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_bytes_on_any_topic_become_a_reading_a_quarantine_record_or_ignored(
    fmt: str, rest: str, payload: bytes
) -> None:
    decoder = MessageDecoder(parse_config(ALL_FORMATS, environ={}))
    outcome = decoder.decode(f"{fmt}/{rest}", payload, NOW_NS)
    assert (outcome.lines != []) + (outcome.quarantine is not None) + (outcome.ignored is not None) == 1
    if outcome.quarantine is not None:
        assert outcome.quarantine.reason != "decoder_error", outcome.quarantine.detail
    for line in outcome.lines:
        assert line.startswith("climate,") and "\n" not in line
