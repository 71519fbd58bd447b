"""The light rules (collector/alerts/rules/light.py) on their own, each with a case's light made
by hand; then the three through the real alert engine, fed light readings as the collector
feeds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from collector.alerts import AlertEngine, Notification
from collector.alerts.assessment import ObjectAssessment
from collector.alerts.light import LIVE_GAP_S, LightState
from collector.alerts.readings import CaseReadings
from collector.alerts.rules.base import CaseView
from collector.alerts.rules.light import (
    BUDGET_CLEAR_PCT,
    MIN_OBSERVED_H,
    LightAtNight,
    LightBudget,
    UvHigh,
)
from museum.description.config import AlertsConfig, Artefact, Case, MuseumConfig
from museum.description.config_light import ArtefactLight, LightConfig, OpeningHours
from museum.description.limits import CaseLimits
from museum.storage.schema import AlertEvent

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOLSTER = Artefact("H-1", "Leather holster", ("leather", "brass"))
BAYONET = Artefact("B-1", "Bayonet", ("iron_steel",))
PENNANT = Artefact("F-1", "Silk pennant", ("textile",), light=ArtefactLight(category="high"))
CASE = Case("C7", "hanoi", "Gallery 3", "Cavalry", ("l1", "l2"), (HOLSTER, BAYONET))
ALERTS = AlertsConfig(sensor_silent_after_s=900.0)
WEEKDAYS_9_TO_5 = OpeningHours(tuple((day, ((time(9), time(17)),)) for day in range(5)))


def at(text: str) -> float:
    """A moment on Hanoi's clock, epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=HANOI).timestamp()


def view(light: LightState | None, case: Case = CASE, **inputs: object) -> CaseView:
    made = CaseView(
        case=case,
        limits=CaseLimits(None, "", None, "", 600.0, ""),
        alerts=ALERTS,
        readings=CaseReadings(),
        objects=ObjectAssessment(),
        last_seen_s={},
        silent_after_s={},
        incident=lambda key: None,
        light=light,
    )
    return replace(made, **inputs)


def lit_days(start: str, days: int, lux: float, uv_mw_m2: float | None = None) -> LightState:
    """A sensor every 10 minutes for ``days`` days from ``start``, lit 09:00–17:00."""
    state = LightState(HANOI)
    first = at(start)
    for k in range(days * 144):
        moment = first + k * 600.0
        hour = datetime.fromtimestamp(moment, HANOI).hour
        value = lux if 9 <= hour < 17 else 0.0
        state.add("l1", moment, value, uv_mw_m2 if value else None, None)
    return state


# --- light_budget ---------------------------------------------------------------------------------


def test_a_holster_on_course_to_pass_its_budget_is_told_and_metal_is_not() -> None:
    # 60 lx for 8 h a day is 480 lx·h a day: 175 000 lx·h a year, 117 % of the 150 000 of a
    # medium (dyed leather) object. The bayonet is irresponsive: no condition at all.
    state = lit_days("2026-01-01T00:00", 30, lux=60.0)
    now_s = at("2026-01-31T00:00")
    (condition,) = LightBudget().evaluate(view(state), now_s)
    lux_hours, observed_h = state.year_so_far()
    assert lux_hours == pytest.approx(480 * 30, rel=1e-3) and observed_h == pytest.approx(30 * 24, abs=0.2)
    remaining_h = (at("2027-01-01T00:00") - now_s) / 3600
    expected = 100 * (lux_hours + lux_hours / observed_h * remaining_h) / 150_000
    assert condition.value == pytest.approx(expected) and condition.value == pytest.approx(116.8, abs=0.2)
    assert (condition.active, condition.subject, condition.threshold, condition.detail) == (
        True,
        "H-1",
        100.0,
        "H-1",
    )


def test_a_budget_within_reach_is_quiet_and_a_short_record_is_not_judged() -> None:
    state = lit_days("2026-01-01T00:00", 30, lux=40.0)  # 117 klx·h a year: 78 %
    (condition,) = LightBudget().evaluate(view(state), at("2026-01-31T00:00"))
    assert not condition.active and condition.clear and condition.value < BUDGET_CLEAR_PCT
    short = lit_days("2026-01-01T00:00", 1, lux=500.0)
    assert short.year_so_far()[1] < MIN_OBSERVED_H
    assert LightBudget().evaluate(view(short), at("2026-01-02T00:00")) == []
    assert LightBudget().evaluate(view(None), at("2026-01-02T00:00")) == []


def test_the_store_seeds_the_year_and_a_new_year_starts_a_new_budget() -> None:
    state = LightState(HANOI)
    state.seed(2026, lux_hours=140_000.0, hours_observed=8000.0, until_s=at("2026-12-01T00:00"))
    state.add("l1", at("2026-12-01T09:00"), 50.0, None, None)
    state.add("l1", at("2026-12-01T10:00"), 50.0, None, None)
    assert state.year_so_far() == pytest.approx((140_050.0, 8001.0))
    state.add("l1", at("2027-01-01T00:10"), 0.0, None, None)
    assert state.year_so_far() == (0.0, 0.0)
    # A silence longer than LIVE_GAP_S adds nothing.
    state.add("l1", at("2027-01-01T00:10") + LIVE_GAP_S + 60, 100.0, None, None)
    assert state.year_so_far() == (0.0, 0.0)


# --- uv_high ---------------------------------------------------------------------------------------


def test_uv_per_lumen_above_the_strictest_limit_of_the_case() -> None:
    state = LightState(HANOI)
    now_s = at("2026-03-02T10:00")
    state.add("l1", now_s, 100.0, 3.0, None)  # 3 mW/m² at 100 lx: 30 µW/lm
    (condition,) = UvHigh().evaluate(view(state), now_s)
    # A medium object: CCI's 10 µW/lm, not Thomson's 75.
    assert (condition.active, condition.value, condition.threshold) == (True, pytest.approx(30.0), 10.0)
    metal = replace(CASE, artefacts=(BAYONET,))
    assert UvHigh().evaluate(view(state, case=metal), now_s) == []
    relaxed = view(state, light_config=LightConfig(uv_limit_sensitive_uw_per_lm=50.0))
    (condition,) = UvHigh().evaluate(relaxed, now_s)
    assert not condition.active and condition.clear
    dark = LightState(HANOI)
    dark.add("l1", now_s, 0.0, 0.2, None)
    assert UvHigh().evaluate(view(dark), now_s) == []  # no ratio in the dark


# --- light_at_night --------------------------------------------------------------------------------


def test_a_case_lit_after_closing_and_not_while_open() -> None:
    state = LightState(HANOI)
    state.add("l1", at("2026-03-02T22:00"), 120.0, None, None)  # a Monday, 22:00
    (condition,) = LightAtNight().evaluate(view(state, opening_hours=WEEKDAYS_9_TO_5), at("2026-03-02T22:00"))
    assert (condition.active, condition.value, condition.threshold) == (True, 120.0, 5.0)
    state.add("l1", at("2026-03-03T10:00"), 120.0, None, None)  # Tuesday 10:00, open
    (condition,) = LightAtNight().evaluate(view(state, opening_hours=WEEKDAYS_9_TO_5), at("2026-03-03T10:00"))
    assert not condition.active and condition.clear
    state.add("l1", at("2026-03-07T10:00"), 120.0, None, None)  # Saturday: closed all day
    (condition,) = LightAtNight().evaluate(view(state, opening_hours=WEEKDAYS_9_TO_5), at("2026-03-07T10:00"))
    assert condition.active
    assert LightAtNight().evaluate(view(state), at("2026-03-07T10:00")) == []  # no opening hours given


# --- through the engine --------------------------------------------------------------------------

MUSEUM = """
[museum]
timezone = "Asia/Ho_Chi_Minh"

[mqtt]
url = "mqtt://127.0.0.1:1"
client_id = "{client_id}"

[influxdb]
url = "http://127.0.0.1:1"
database = "{database}"

[collector]
spool_path = "{spool}"

[[sites]]
id = "hanoi"

[opening_hours]
monday = "09:00-17:00"
tuesday = "09:00-17:00"
wednesday = "09:00-17:00"
thursday = "09:00-17:00"
friday = "09:00-17:00"

[alerts]
min_duration = "10m"

[[cases]]
id = "C7"
sensors = ["l1"]

  [[cases.artefacts]]
  id = "H-1"
  name = "Leather holster"
  materials = ["leather", "brass"]
"""


def test_the_engine_raises_the_three_light_alerts(offline_config: Callable[..., MuseumConfig]) -> None:
    config = offline_config(MUSEUM)
    events: list[AlertEvent] = []
    told: list[Notification] = []
    engine = AlertEngine(config, write_event=events.append, notify=told.append, now_s=at("2026-01-01T00:00"))
    first = at("2026-01-01T00:00")  # a Thursday
    for k in range(20 * 144):  # 20 days, every 10 minutes, 80 lx with 40 µW/lm while open
        moment = first + k * 600.0
        local = datetime.fromtimestamp(moment, HANOI)
        lit = 9 <= local.hour < 17 and local.weekday() < 5
        # On the 15th the lights stay on until 23:00.
        lit = lit or (local.day == 15 and 9 <= local.hour < 23)
        engine.observe(
            "C7",
            "l1",
            moment,
            None,
            None,
            None,
            moment,
            light=(80.0 if lit else 0.0, None, 40.0 if lit else None),
        )
        engine.evaluate(moment)
    opened = {(e.rule, e.state) for e in events}
    # 14 weekdays of 80 lx × 8 h and 6 h more on the 15th in 20 days: 172 klx·h a year, 115 %.
    assert ("light_budget", "opened") in opened
    assert ("uv_high", "opened") in opened
    night = [e for e in events if e.rule == "light_at_night"]
    assert night[0].state == "opened"
    opened_at = datetime.fromtimestamp(night[0].time_ns / 1e9, HANOI)
    assert (opened_at.day, opened_at.hour) == (15, 17)  # 30 min after closing
    assert any(e.state == "resolved" for e in night)
    # A light-only sensor is not a stuck climate sensor.
    assert not [e for e in events if e.rule == "sensor_stuck"]
    assert {n.rule for n in told} >= {"light_budget", "uv_high", "light_at_night"}
