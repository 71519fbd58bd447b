"""The simulator: deterministic for a seed, physically sensible, on a compressed clock."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import numpy as np

from museum.config import MuseumConfig
from sensors_sim.model import SimulatedSensor, hashed_normal
from sensors_sim.publisher import SimulationPlan, Simulator
from tests.helpers import wait_for

DAY_START = 1_790_000_000.0


def payloads(config: MuseumConfig, seed: int, ticks: int = 30) -> list[tuple[str, bytes]]:
    simulator = Simulator(config, SimulationPlan(DAY_START, 60.0, seed=seed))
    return [message for tick in simulator._messages(0, ticks) for message in tick]


def test_the_same_seed_gives_the_same_readings_and_another_seed_does_not(
        make_config: Callable[..., MuseumConfig]) -> None:
    config = make_config()
    first, again, other = payloads(config, 1), payloads(config, 1), payloads(config, 2)
    assert first == again
    assert first != other
    assert len(first) == 30 * 3
    topic, body = first[0]
    assert topic == "patina/hanoi/s1/climate"
    assert set(json.loads(body)) == {"ts", "temperature_c", "rh_pct", "battery_pct"}


def test_a_slice_of_the_series_equals_the_same_part_of_the_whole() -> None:
    sensor = SimulatedSensor("s1", "hanoi", "C1", seed=3)
    times = DAY_START + 60.0 * np.arange(1440)
    whole = sensor.readings(times, np.full(1440, 7.0))
    part = sensor.readings(times[700:760], np.full(60, 7.0))
    for name in whole:
        np.testing.assert_array_equal(whole[name][700:760], part[name])


def test_rh_rises_as_the_case_cools_at_constant_moisture() -> None:
    sensor = SimulatedSensor("s1", "hanoi", "C1", seed=5)
    times = DAY_START + 60.0 * np.arange(1440)
    day = sensor.readings(times, np.full(1440, 7.0))
    correlation = np.corrcoef(day["temperature_c"], day["rh_pct"])[0, 1]
    assert correlation < -0.8
    assert day["temperature_c"].min() > 20.0 and day["temperature_c"].max() < 35.0
    assert day["rh_pct"].min() > 40.0 and day["rh_pct"].max() < 95.0


def test_hashed_noise_is_standard_normal() -> None:
    noise = hashed_normal(11, np.arange(200_000))
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 1.0) < 0.01


def test_the_simulated_clock_never_publishes_from_the_future(
        make_config: Callable[..., MuseumConfig]) -> None:
    now = DAY_START
    # Six ticks (−300 s … 0 s) are due at once even at this speed; the seventh is 60 s ahead.
    simulator = Simulator(make_config(), SimulationPlan(now - 300, 60.0, speed=1e9,
                                                        duration_s=3600), clock=lambda: now)
    runner = threading.Thread(target=simulator.run)
    runner.start()
    try:
        wait_for(lambda: simulator.sent >= 18)
        time.sleep(1.0)
        assert simulator.sent == 18
    finally:
        simulator.stop()
        runner.join(30)
    assert not runner.is_alive()
