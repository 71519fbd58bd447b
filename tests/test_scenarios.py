"""Every shipped scenario, at high speed, through the real broker, collector and InfluxDB:
the alerts stored are exactly the ones the scenario file expects.

The collector runs on the readings' own clock (``event_time=True``), as it does for a
replayed history, so an hour of simulated time counts as an hour for the alert rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import pytest

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.stores import open_store
from sensors_sim import scenario as scenarios
from sensors_sim.publisher import ScenarioFeed, SimulationPlan, Simulator
from tests.helpers import wait_for


@dataclass
class ScenarioRun:
    scenario: scenarios.Scenario
    config: MuseumConfig
    sent: int
    events: pd.DataFrame
    stored: int
    quarantined: dict[str, int]
    feed: ScenarioFeed


def run_scenario(name: str, make_config: Callable[..., MuseumConfig]) -> ScenarioRun:
    scenario = scenarios.load(name)
    config = scenario.museum_config(make_config())
    assert scenario.start_s is not None and scenario.duration_s is not None
    assert not scenario.unknown_targets(config)
    plan = SimulationPlan(
        scenario.start_s, scenario.interval_s, speed=1e9, duration_s=scenario.duration_s, seed=scenario.seed
    )
    collector = Collector(config, event_time=True)
    collector.start()
    try:
        assert collector.wait_until_subscribed()
        simulator = Simulator(config, plan, scenario)
        sent = simulator.run()

        def settled() -> bool:
            stats = collector.stats()
            return stats.messages >= sent and stats.spool_depth == 0 and stats.evaluated >= stats.received

        wait_for(settled, timeout_s=300, interval_s=0.5)
        time.sleep(1.5)  # the evaluator's last one-second tick, then the writer's last batch
        wait_for(lambda: collector.stats().spool_depth == 0, timeout_s=30)
        stats = collector.stats()
    finally:
        collector.stop()
    store = open_store(config.influxdb)
    days = (time.time() - scenario.start_s) / 86_400 + 1
    events = store.alert_events(within=timedelta(days=days))
    return ScenarioRun(scenario, config, sent, events, stats.written, dict(stats.rejected), simulator.feed)


def opened(run: ScenarioRun) -> set[tuple[str, str]]:
    if run.events.empty:
        return set()
    rows = run.events[run.events["state"] == "opened"]
    return {(row.case_id, row.rule_key) for row in rows.itertuples()}


def expected(run: ScenarioRun) -> set[tuple[str, str]]:
    return {(e.case, e.rule_key) for e in run.scenario.expect}


@pytest.mark.parametrize("name", scenarios.available())
def test_each_scenario_raises_exactly_its_expected_alerts(
    name: str, make_config: Callable[..., MuseumConfig]
) -> None:
    run = run_scenario(name, make_config)
    assert opened(run) == expected(run)
    # Alerts open and resolve at scenario time, not at wall time (notifications are sent,
    # and logged, when they really are).
    if not run.events.empty:
        end = pd.Timestamp(run.scenario.start_s + run.scenario.duration_s + 3600, unit="s", tz="UTC")
        lifecycle = run.events[run.events["state"].isin(["opened", "resolved"])]
        assert (lifecycle["time"] <= end).all()
    # Nothing was lost on the way: every reading sent is stored or quarantined with a reason.
    assert sum(run.quarantined.values()) == run.feed.malformed_sent
