"""Every shipped scenario, at high speed, through the real broker, collector and InfluxDB:
the alerts stored are exactly the ones the scenario file expects.

The collector runs on the readings' own clock (``event_time=True``), as it does for a
replayed history, so an hour of simulated time counts as an hour for the alert rules.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from sensors_sim import scenario as scenarios
from tests.helpers import ScenarioRun


def opened(run: ScenarioRun) -> set[tuple[str, str]]:
    if run.events.empty:
        return set()
    rows = run.events[run.events["state"] == "opened"]
    return {(row.case_id, row.rule_key) for row in rows.itertuples()}


def expected(run: ScenarioRun) -> set[tuple[str, str]]:
    return {(e.case, e.rule_key) for e in run.scenario.expect}


@pytest.mark.parametrize("name", scenarios.available())
def test_each_scenario_raises_exactly_its_expected_alerts(
    name: str, scenario_run: Callable[[str], ScenarioRun]
) -> None:
    run = scenario_run(name)
    assert opened(run) == expected(run)
    # Alerts open and resolve at scenario time, not at wall time (notifications are sent,
    # and logged, when they really are).
    if not run.events.empty:
        end = pd.Timestamp(run.scenario.start_s + run.scenario.duration_s + 3600, unit="s", tz="UTC")
        lifecycle = run.events[run.events["state"].isin(["opened", "resolved"])]
        assert (lifecycle["time"] <= end).all()
    # Nothing was lost on the way: every reading sent is stored or quarantined with a reason.
    assert sum(run.quarantined.values()) == run.feed.malformed_sent
