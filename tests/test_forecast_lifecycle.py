"""The forecast alert's whole life (issue 30): a case whose gel fills up is forecast to pass
its limit, the alert opens saying by when it likely passes and around when; the gel is
reconditioned (a step down in the case's RH); the fit notices the step and does not fit
across it, and the alert resolves.

The physics is the simulator's (sensors_sim/building.py, its ``gel_reconditioned`` event);
the run through the real broker, collector and InfluxDB is the scenario
``wet-season-gel-reconditioned`` (sensors_sim/scenarios/), on the readings' own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import diagnostics
from analysis.diagnostics import fit_tightness
from dashboard.data import incident_title, incidents
from museum.assessment.diagnose import as_json, describe, diagnose
from museum.description.config import MuseumConfig
from museum.language.i18n import Translator
from museum.storage.schema import AlertEvent, alert_event_line
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from sensors_sim.building import BuildingModel, CaseSpec, Event, RoomSpec
from tests.helpers import ScenarioRun
from tests.test_dashboard import APP, museum, texts  # noqa: F401  (the fixture)

SCENARIO = "wet-season-gel-reconditioned"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
#: 13 July 2026, 00:00 in Hà Nội; the gel swapped 298 h later (the scenario's event).
START_S = datetime(2026, 7, 12, 17, tzinfo=UTC).timestamp()
SWAP_S = START_S + 298 * 3600.0


def hourly_fit(events: list[Event]) -> diagnostics.Tightness:
    """Fourteen days of the scenario's case against its gallery (the building model, hourly
    means of its true climate plus sensor-like noise), fitted as a buffered case."""
    room = RoomSpec("Gallery A", hvac_setpoint_c=24.0, open_air_changes_per_h=0.6)
    air = CaseSpec(
        "air", "Gallery A", air_exchange_per_day=2000.0, thermal_time_constant_h=0.1, lights_heat_k=0.0
    )
    case = CaseSpec(
        "A-04", "Gallery A", air_exchange_per_day=0.5, silica_gel_kg=1.5, gel_conditioned_rh_pct=40.0
    )
    model = BuildingModel([room], [air, case], start_s=START_S, zone=ZONE, seed=11, events=events)
    times = START_S + np.arange(0.0, 14 * 86_400.0, 600.0)
    sample = model.sample(times)
    noise = np.random.default_rng(3).normal(0.0, 0.3, (len(times), 2))

    def hourly(values: np.ndarray) -> np.ndarray:
        return values.reshape(-1, 6).mean(axis=1)

    t = hourly(times)
    return fit_tightness(
        t,
        hourly(sample.case_temperature_c[:, 1]),
        hourly(sample.case_rh_pct[:, 1] + noise[:, 1]),
        hourly(sample.case_temperature_c[:, 0]),
        hourly(sample.case_rh_pct[:, 0] + noise[:, 0]),
        buffered=True,
    )


def test_the_fit_notices_a_reconditioned_gel_and_keeps_the_case_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    swap = [Event("gel_reconditioned", SWAP_S, SWAP_S + 1200.0, "A-04", rh_pct=35.0)]
    calm, swapped = hourly_fit([]), hourly_fit(swap)
    # No step where there is none; one where the gel was swapped, found within the hours
    # the fresh gel takes to bring the case down.
    assert calm.level_shifts_s == ()
    assert len(swapped.level_shifts_s) == 1
    assert 0.0 < swapped.level_shifts_s[0] - SWAP_S <= 4 * 3600.0
    # The case's leak and gel are the same on both sides: so is its rate.
    assert swapped.quality == "good"
    assert swapped.rate == pytest.approx(calm.rate, rel=0.1)
    # Fitted across the step, the same readings would say the gel had stopped filling.
    monkeypatch.setattr(diagnostics, "STEP_SIGMAS", np.inf)
    across = hourly_fit(swap)
    assert across.level_shifts_s == ()
    assert across.rate < 0.5 * calm.rate


def test_the_collector_resolves_it_once_the_gel_is_reconditioned(
    scenario_run: Callable[[str], ScenarioRun],
) -> None:
    run = scenario_run(SCENARIO)
    assert run.scenario.start_s == START_S
    events = run.events[run.events["rule"] == "forecast"]
    assert list(events["state"]) == ["opened", "resolved"]
    opened, resolved = (row for _, row in events.iterrows())
    # Opened before the swap, with the days it reports under forecast_days and the day to
    # act by no later than the central day; resolved within hours of the swap.
    opened_s, resolved_s = opened["time"].timestamp(), resolved["time"].timestamp()
    assert opened_s < SWAP_S and opened["value"] < 30.0
    assert opened["early_s"] <= opened["due_s"]
    assert SWAP_S < resolved_s <= SWAP_S + 6 * 3600.0
    assert resolved["value"] >= 1.25 * 30.0
    # The Alerts page's line says both days, read back from InfluxDB.
    row = incidents(run.events).query("rule == 'forecast'").to_dict("records")[0]
    early = datetime.fromtimestamp(row["early_s"], run.config.zone).date()
    title = incident_title(row, Translator("en"), datetime.now(UTC), {}, run.config.zone)
    assert f"likely by {Translator('en').date(early)}" in title

    # What the store now says of the case (`patina diagnose`): the step found, the case's
    # RH now counted from after it, its rate unchanged, its limit far off.
    end = datetime.fromtimestamp(START_S + run.scenario.duration_s, UTC)  # type: ignore[operator]
    store = open_store(run.config.influxdb)
    try:
        (after,) = diagnose(run.config, store, ["A-04"], end - pd.Timedelta(days=14), end)
        (before,) = diagnose(
            run.config, store, ["A-04"], end - pd.Timedelta(days=14), datetime.fromtimestamp(SWAP_S, UTC)
        )
    finally:
        store.close()
    assert after.tightness is not None and before.tightness is not None
    assert [round((s - SWAP_S) / 3600.0) for s in after.tightness.level_shifts_s] in ([1], [2], [3])
    assert after.tightness.rate == pytest.approx(before.tightness.rate, rel=0.1)
    assert after.rh_now_pct < before.rh_now_pct - 5.0
    assert after.forecast is not None and after.forecast.early_days >= 1.25 * 30.0
    # ... and says so, to a person and in the JSON.
    swap_day = Translator("fr").date(datetime.fromtimestamp(SWAP_S, UTC).date(), "medium")
    assert f"Un saut de l'HR de la vitrine le {swap_day}" in "\n".join(describe(after, Translator("fr")))
    assert [s[:13] for s in as_json([after])["cases"][0]["level_shifts"]] in (
        ["2026-07-25T04"],
        ["2026-07-25T05"],
        ["2026-07-25T06"],
    )


def test_the_alerts_page_shows_the_act_by_and_central_days(
    museum: MuseumConfig,  # noqa: F811
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    """The Alerts page (Streamlit's AppTest on the real InfluxDB): a forecast alert's line
    says the day it likely passes by and the central day, as its opened event stored them."""
    now_s = time.time()
    due_s, early_s = now_s + 20 * 86_400.0, now_s + 17 * 86_400.0
    store_for(museum).write_lines(
        [
            alert_event_line(
                AlertEvent(
                    int((now_s - 3600.0) * 1e9),
                    site="hanoi",
                    case_id="C1",
                    alert_id="C1.forecast.A",
                    rule="forecast",
                    rule_key="forecast",
                    severity="warning",
                    state="opened",
                    message="buffered",
                    value=20.0,
                    threshold=30.0,
                    due_s=due_s,
                    early_s=early_s,
                )
            )
        ]
    )
    app = AppTest.from_file(APP, default_timeout=30)
    app.switch_page("views/alerts.py").run()
    assert not app.exception
    t = Translator("en")

    def day(seconds: float) -> str:
        return t.date(datetime.fromtimestamp(seconds, museum.zone).date())

    titles = [m for m in texts(app, "markdown") if "C1 · RH forecast to pass" in m]
    assert len(titles) == 1
    assert f"likely by {day(early_s)}, around {day(due_s)}" in titles[0]
