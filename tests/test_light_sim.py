"""The simulator's light (sensors_sim, issue 32): a sensor given ``light_lux`` in a scenario
reads the case lights during the museum's opening hours and publishes them as devices do;
the demo gives such a sensor to each case holding a light-sensitive object."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from collector.adapters import DECODERS, Context
from collector.payloads import decode_native
from collector.service import Collector
from museum.description.config import MuseumConfig, Source, load_config
from museum.storage.light import light_series
from museum.storage.store import DatabaseMissing, InfluxStore
from patina.demo import DEMO_LIGHT_LUX, demo_scenario
from sensors_sim.publisher import ScenarioFeed, SimulationPlan, Simulator
from sensors_sim.replay import load_replay, replay_plan
from sensors_sim.scenario import parse_scenario
from tests.conftest import REPO_DIR, SMALL_MUSEUM
from tests.helpers import wait_for

OPEN_WEEKDAYS = """
[opening_hours]
monday = "09:00-17:00"
tuesday = "09:00-17:00"
wednesday = "09:00-17:00"
thursday = "09:00-17:00"
friday = "09:00-17:00"
"""


def feed_for(config: MuseumConfig, sensors: list[dict[str, object]], start: datetime) -> ScenarioFeed:
    scenario = parse_scenario({"scenario": {"interval": "10m"}, "sensors": sensors}, "light")
    plan = SimulationPlan(start_epoch_s=start.timestamp(), interval_s=600.0, seed=3)
    return ScenarioFeed(config, scenario, plan)


def test_a_light_sensor_reads_the_case_lights_during_opening_hours(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    config = offline_config(SMALL_MUSEUM + OPEN_WEEKDAYS)
    start = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Saturday 00:00 in Hanoi
    feed = feed_for(config, [{"id": "s1", "light_lux": 80.0, "uv_uw_per_lm": 20.0}], start)
    ticks = feed.messages(0, 3 * 144)  # Saturday, Sunday, Monday
    readings = {}
    for k, messages in enumerate(ticks):
        for topic, payload in messages:
            if topic == "patina/hanoi/s1/climate":
                (reading,) = decode_native(
                    topic, payload, int((start.timestamp() + k * 600 + 60) * 1e9)
                ).readings
                readings[k] = reading
    lux = np.array([readings[k].illuminance_lux for k in range(len(ticks))])
    uv = [readings[k].uv_uw_per_lm for k in range(len(ticks))]
    lit = lux > 5
    # Dark all weekend; lit on Monday from 09:00 to 17:00 (48 ticks of ten minutes).
    assert not lit[: 2 * 144].any()
    monday = lit[2 * 144 :]
    assert monday.sum() == 48 and monday[54:102].all()
    assert lux[lit] == pytest.approx(80.0, rel=0.08) and np.mean(lux[lit]) == pytest.approx(80.0, rel=0.01)
    assert {uv[k] for k in np.flatnonzero(lit)} == {20.0} and all(uv[k] is None for k in np.flatnonzero(~lit))
    # The other sensors read no light.
    s2 = [payload for messages in ticks for topic, payload in messages if "/s2/" in topic]
    assert s2 and not any(b"illuminance" in payload for payload in s2)


def test_a_zigbee_light_sensor_is_read_back_by_its_adapter(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    config = offline_config(SMALL_MUSEUM)  # no opening hours: lit 09:00-17:00 every day
    start = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
    feed = feed_for(config, [{"id": "s3", "format": "zigbee2mqtt", "light_lux": 150.0}], start)
    ((topic, payload),) = [m for m in feed.messages(0, 1)[0] if m[0].startswith("zigbee2mqtt/")]
    assert json.loads(payload)["illuminance"] == pytest.approx(150.0, rel=0.08)
    context = Context(Source("zigbee2mqtt/#", "zigbee2mqtt", "hanoi"))
    (reading,) = DECODERS["zigbee2mqtt"](context, topic, payload, int(start.timestamp() * 1e9)).readings
    assert reading.illuminance_lux == json.loads(payload)["illuminance"]


def test_the_demo_lights_the_cases_of_light_sensitive_objects() -> None:
    config = load_config(REPO_DIR / "museum.example.toml", environ={})
    scenario = parse_scenario(tomllib.loads(demo_scenario(config, datetime(2026, 6, 1, tzinfo=UTC))), "demo")
    lit = {
        sensor for sensor, settings in scenario.sensors.items() if settings.get("light_lux") == DEMO_LIGHT_LUX
    }
    # The uniforms case holds the dyed leather holster (medium): lit; the excavated iron is not.
    assert "g1-03-a" in lit and "g2-02-a" not in lit
    holster = next(a for c in config.cases for a in c.artefacts if a.id == "BTQS-1950-0215")
    assert holster.light.category_for(holster.materials).name == "medium" and holster.light.blue_wool == 4
    assert config.opening_hours.given


def test_a_tandd_export_with_lux_and_uv_replays_into_the_store(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    """`patina replay` of a real T&D TR-74Ui layout: every row's lux, UV and climate stored."""
    config = make_config()
    path = REPO_DIR / "tests" / "fixtures" / "loggers" / "tandd-tr74ui.csv"
    feed, reading = load_replay(path, "s3", "hanoi", "patina", "Asia/Ho_Chi_Minh")
    (record,) = reading.sensors.values()
    file_rows = record.readings
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed()
        sent = Simulator(config, replay_plan(feed), feed=feed).run()
        assert sent == len(file_rows)
        store = store_for(config)
        start, end = (
            file_rows.index[0].to_pydatetime(),
            file_rows.index[-1].to_pydatetime() + timedelta(seconds=1),
        )
        wait_for(lambda: stored_light(store, start, end) == sent, timeout_s=60)
    finally:
        collector.stop()
    stored = light_series(store, "C2", start, end).set_index("time")
    np.testing.assert_array_equal(stored.index.as_unit("ns").asi8, file_rows.index.as_unit("ns").asi8)
    np.testing.assert_array_equal(
        stored["illuminance_lux"].to_numpy(), file_rows["illuminance_lux"].to_numpy()
    )
    # T&D writes mW/cm²; the store holds mW/m² (× 10 000), the file's values exactly converted.
    np.testing.assert_array_equal(stored["uv_mw_m2"].to_numpy(), file_rows["uv_mw_m2"].to_numpy())
    raw = pd.read_csv(path, encoding="latin-1", skiprows=3, header=None)
    np.testing.assert_allclose(stored["uv_mw_m2"].to_numpy(), raw[3].to_numpy() * 10_000, rtol=1e-12)
    assert store.count_climate() == sent


def stored_light(store: InfluxStore, start: datetime, end: datetime) -> int:
    """Light readings of C2 stored so far (none before the collector's first write makes the
    database)."""
    try:
        return len(light_series(store, "C2", start, end))
    except DatabaseMissing:
        return 0
