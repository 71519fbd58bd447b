"""Light and UV over MQTT (issue 32, docs/light.md "Live light"): the native payload's light
fields and what devices send, validated with ranges, stored as ``light`` points beside the
``climate`` ones, quarantined with a reason when bad; end to end through real Mosquitto and
InfluxDB."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from collector.adapters import DECODERS, Context
from collector.decoder import MessageDecoder
from collector.ingest import Router
from collector.payloads import Rejected, decode_native
from collector.service import Collector
from museum.description.config import MuseumConfig, Source
from museum.storage.influxql import time_literal
from museum.storage.light import backfill_light_hourly, case_light, light_series
from museum.storage.light_hourly import LIGHT_HOURLY_QUERY
from museum.storage.quarantine import read_quarantine
from museum.storage.schema import Reading, reading_lines
from museum.storage.store import InfluxStore
from patina.services import MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, wait_for

NOW_NS = int(datetime(2026, 5, 1, 10, 0, 30, tzinfo=UTC).timestamp()) * 10**9
TOPIC = "patina/hanoi/s1/climate"


def native(body: dict[str, object]) -> Reading:
    (reading,) = decode_native(TOPIC, json.dumps(body).encode(), NOW_NS).readings
    return reading


def device(fmt: str, topic: str, payload: object, **fields: str) -> tuple[Reading, ...]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    context = Context(Source("#", fmt, "hanoi", tuple(fields.items())), ZoneInfo("Asia/Ho_Chi_Minh"))
    return DECODERS[fmt](context, topic, raw, NOW_NS).readings


# --- decoding ---------------------------------------------------------------------------------


def test_native_light_beside_climate_and_light_alone() -> None:
    both = native({"temperature_c": 21.0, "rh_pct": 50.0, "illuminance_lux": 48.5, "uv_uw_per_lm": 12.0})
    assert (both.temperature_c, both.illuminance_lux, both.uv_uw_per_lm, both.uv_mw_m2) == (
        21.0,
        48.5,
        12.0,
        None,
    )
    alone = native({"illuminance_lux": 0, "uv_mw_m2": 0.4})
    assert (alone.temperature_c, alone.rh_pct, alone.illuminance_lux, alone.uv_mw_m2) == (
        None,
        None,
        0.0,
        0.4,
    )
    lines = reading_lines(both, "hanoi", "C1")
    assert [line.split(",", 1)[0] for line in lines] == ["climate", "light"]
    assert "illuminance_lux=48.5" in lines[1] and "uv_uw_per_lm=12.0" in lines[1]
    assert "illuminance" not in lines[0]
    assert [line.split(",", 1)[0] for line in reading_lines(alone, "hanoi", "C1")] == ["light"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"illuminance_lux": -3.0}, "illuminance_out_of_range"),
        ({"illuminance_lux": 250_000.0}, "illuminance_out_of_range"),
        ({"illuminance_lux": 40.0, "uv_mw_m2": -1.0}, "uv_out_of_range"),
        ({"illuminance_lux": 40.0, "uv_uw_per_lm": 20_000.0}, "uv_out_of_range"),
        ({"illuminance_lux": "bright"}, "not_a_number"),
        ({"temperature_c": 20.0, "rh_pct": 50.0, "illuminance_lux": -0.5}, "illuminance_out_of_range"),
    ],
)
def test_light_out_of_its_sensors_range_is_refused_with_its_reason(
    body: dict[str, object], reason: str
) -> None:
    with pytest.raises(Rejected) as error:
        native(body)
    assert error.value.reason == reason


def test_zigbee2mqtt_lux_sensors_before_and_after_version_2() -> None:
    # Before 2.0 a Xiaomi/Aqara sensor sent a raw illuminance and the lux beside it.
    (old,) = device(
        "zigbee2mqtt", "zigbee2mqtt/case 7 lux", {"illuminance": 17869, "illuminance_lux": 61, "battery": 90}
    )
    assert (old.illuminance_lux, old.temperature_c, old.battery_pct) == (61.0, None, 90.0)
    (new,) = device("zigbee2mqtt", "zigbee2mqtt/case 7 lux", {"illuminance": 61, "temperature": 21.5})
    assert (new.illuminance_lux, new.temperature_c) == (61.0, 21.5)


def test_other_devices_light() -> None:
    (ha,) = device("homeassistant", "case7/sensor/case7_illuminance/state", b"52.0")
    assert (ha.illuminance_lux, ha.temperature_c) == (52.0, None)
    (lp,) = device("line-protocol", "telegraf", b"museum_env,sensor=c7 lux=48.0,uv_uw_per_lm=9.5 1777629600")
    assert (lp.illuminance_lux, lp.uv_uw_per_lm) == (48.0, 9.5)
    (elsys,) = device(
        "ttn-v3",
        "v3/app@ttn/devices/ers-1/up",
        {
            "end_device_ids": {"device_id": "ers-1"},
            "uplink_message": {"decoded_payload": {"temperature": 21.0, "humidity": 48, "light": 37}},
        },
    )
    assert (elsys.temperature_c, elsys.illuminance_lux) == (21.0, 37.0)
    pack = [{"bn": "urn:dev:c7:", "bt": 1777629600, "n": "lux", "u": "lx", "v": 45.0}]
    (senml,) = device("senml", "senml/c7", pack)
    assert senml.illuminance_lux == 45.0


def test_the_collectors_fast_path_leaves_light_to_the_general_way(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    decoder = MessageDecoder(offline_config())
    body = {"ts": NOW_NS / 1e9, "temperature_c": 21.0, "rh_pct": 50.0, "illuminance_lux": 48.5}
    batch = decoder.decode_batch(
        [
            (TOPIC, json.dumps(body).encode(), NOW_NS, False),
            (TOPIC, json.dumps({**body, "illuminance_lux": -2}).encode(), NOW_NS, False),
        ]
    )
    assert [line.split(",", 1)[0] for line in batch.lines] == ["climate", "light"]
    assert [record.reason for record in batch.quarantined] == ["illuminance_out_of_range"]
    assert batch.readings[0][1].illuminance_lux == 48.5


# --- end to end -------------------------------------------------------------------------------


def test_light_arrives_in_influxdb_beside_the_climate_and_bad_light_is_quarantined(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    messages = []
    expected_lux = []
    for minute in range(0, 180, 10):  # three hours: 0-60 lit at 50 lx, then 120 lx, then dark
        lux = 50.0 if minute < 60 else 120.0 if minute < 120 else 0.0
        moment = start + timedelta(minutes=minute)
        body = {"ts": moment.isoformat(), "temperature_c": 21.0, "rh_pct": 50.0, "illuminance_lux": lux}
        if lux:
            body["uv_uw_per_lm"] = 20.0
        messages.append((TOPIC, json.dumps(body).encode()))
        expected_lux.append(lux)
    messages.append(
        ("patina/hanoi/s2/climate", json.dumps({"illuminance_lux": 10.0, "ts": start.isoformat()}).encode())
    )
    messages.append((TOPIC, b'{"illuminance_lux": -5, "temperature_c": 21, "rh_pct": 50}'))
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15), "collector never subscribed"
        publish_all(mosquitto, messages)
        wait_for(lambda: collector.stats().rejected_total >= 1 and collector.stats().written >= 18)
        store = store_for(config)
        wait_for(lambda: len(light_series(store, "C1", start, start + timedelta(hours=4))) >= 19)
        stats = collector.stats()
    finally:
        collector.stop()
    assert dict(stats.rejected) == {"illuminance_out_of_range": 1}
    raw = light_series(store, "C1", start, start + timedelta(hours=4))
    s1 = raw[raw["sensor_id"] == "s1"]
    assert s1["illuminance_lux"].tolist() == expected_lux
    assert s1["uv_uw_per_lm"].dropna().tolist() == [20.0] * 12
    assert raw[raw["sensor_id"] == "s2"]["illuminance_lux"].tolist() == [10.0]
    assert store.count_climate() == 18  # the light-only reading made no climate point
    hourly = case_light(store, "C1", start, start + timedelta(hours=4))
    # The brightest sensor of each hour; UV irradiance from UV per lumen × lux / 1000.
    assert hourly["illuminance_lux"].tolist() == [50.0, 120.0, 0.0]
    assert hourly["uv_mw_m2"].iloc[:2].tolist() == pytest.approx([1.0, 2.4])
    quarantined = read_quarantine(config.collector.spool_path)
    assert quarantined is not None and quarantined.counts == {"illuminance_out_of_range": 1}


def test_the_hourly_light_outlives_the_raw_readings(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    store.create_database()
    store.ensure_downsampling()
    assert LIGHT_HOURLY_QUERY in str(store.execute("SHOW CONTINUOUS QUERIES"))
    start = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
    lines = []
    for minute in range(0, 6 * 60, 5):  # six hours: 30, 60, … 180 lx, one value an hour
        reading = Reading("s1", int((start + timedelta(minutes=minute)).timestamp() * 1e9), None, None)
        lux = 30.0 * (1 + minute // 60)
        lines += reading_lines(replace(reading, illuminance_lux=lux, uv_mw_m2=lux / 100), "hanoi", "C1")
    store.write_lines(lines)
    end = start + timedelta(hours=6)
    before = case_light(store, "C1", start, end)
    assert before["illuminance_lux"].tolist() == [30.0, 60.0, 90.0, 120.0, 150.0, 180.0]
    backfill_light_hourly(store, start, end)
    store.execute(f"DELETE FROM light WHERE time < {time_literal(start + timedelta(hours=4))}")
    assert len(light_series(store, "C1", start, end)) == 24  # the raw readings of the last two hours
    after = case_light(store, "C1", start, end)
    pd.testing.assert_frame_equal(after, before)


def test_light_travels_between_collectors_that_share_the_work(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    # Scale-out (docs/scaling.md): a reading of a case another instance owns is forwarded to
    # it as JSON; its light must arrive with it, and rows of an older collector (six values,
    # no light) still read.
    text = SMALL_MUSEUM.replace("[collector]", '[collector]\ninstances = 2\nshare_group = "patina"')
    config = offline_config(text)
    sent: list[tuple[str, str]] = []
    observed: list[tuple[str, Reading]] = []
    here = Router(
        config, {"C1"}, observed.extend, lambda topic, body: sent.append((topic, body)), lambda m, q: None
    )
    there = Router(config, {"C2"}, observed.extend, lambda topic, body: None, lambda m, q: None)
    lit = Reading("s3", NOW_NS, 21.0, 50.0, 80.0, illuminance_lux=48.5, uv_uw_per_lm=12.0)
    here.route([("C2", lit), ("C2", Reading("s3", NOW_NS + 1, 21.0, 50.0))])
    ((topic, body),) = sent
    there.receive(topic, body.encode(), 1, 0)
    older = json.dumps([["C2", "s3", NOW_NS + 2, 21.0, 50.0, 80.0]]).encode()
    there.receive(topic, older, 2, 0)
    assert [(r.illuminance_lux, r.uv_uw_per_lm) for _, r in observed] == [
        (48.5, 12.0),
        (None, None),
        (None, None),
    ]
