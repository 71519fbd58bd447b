"""What a simulator run publishes and when: the sensors' device formats and the
:class:`~sensors_sim.publisher.SimulationPlan` (start, interval, speed, duration, seed) from
a scenario and the settings given on the command line, each setting left unset taking the
scenario's value or a default."""

from __future__ import annotations

import dataclasses

from museum.description.config import MuseumConfig
from sensors_sim.publisher import SimulationPlan
from sensors_sim.scenario import Scenario

#: Simulated seconds per wall-clock second when a scenario is named: as fast as the broker
#: takes the messages (the clock never catches up with real time).
AS_FAST_AS_POSSIBLE = 1e9


def with_device_format(
    scenario: Scenario, config: MuseumConfig, device_format: str | None, batch: int
) -> Scenario:
    """The scenario with every sensor of ``config`` whose format it leaves unset publishing
    in ``device_format`` (default ``patina``), ``batch`` readings per message."""
    if not device_format and batch <= 1:
        return scenario
    overrides = {"format": device_format or "patina", "batch": batch}
    sensors = {s: {**overrides, **scenario.sensors.get(s, {})} for c in config.cases for s in c.sensors}
    return dataclasses.replace(scenario, sensors=sensors)


def simulation_plan(
    scenario: Scenario,
    *,
    scenario_named: bool,
    now_s: float,
    interval_s: float | None = None,
    speed: float | None = None,
    duration_s: float | None = None,
    backfill_s: float | None = None,
    seed: int | None = None,
) -> SimulationPlan:
    """The run's plan. Unset values come from the scenario (interval, duration, seed, start);
    the speed is 1 (real time), or as fast as possible for a named scenario. The start is
    the scenario's own; else (or with ``backfill_s``) ``backfill_s`` before ``now_s``, by
    default the duration when the run is faster than real time, so that a compressed run
    ends at the present. Starts are whole seconds, so ticks fall one interval apart."""
    interval_s = interval_s or scenario.interval_s
    duration_s = duration_s if duration_s is not None else scenario.duration_s
    speed = speed or (AS_FAST_AS_POSSIBLE if scenario_named else 1.0)
    if backfill_s is not None or scenario.start_s is None:
        if backfill_s is None:
            backfill_s = duration_s if (duration_s and speed > 1) else 0.0
        start_s = float(int(now_s - backfill_s))
    else:
        start_s = scenario.start_s
    return SimulationPlan(
        start_epoch_s=start_s,
        interval_s=interval_s,
        speed=speed,
        duration_s=duration_s,
        seed=seed if seed is not None else scenario.seed,
    )
