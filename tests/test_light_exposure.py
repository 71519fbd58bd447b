"""Each object's light year (analysis/light.py ``year_dose``, museum/assessment/light.py):
the dose against CIE 157's budgets, the year at this rate, when to dim or rotate, UV
against its limit; tested against the figures the limits are built from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time

import numpy as np
import pandas as pd
import pytest

from analysis.light import year_dose
from analysis.light_limits import (
    CIE157_CATEGORIES,
    CIE157_DISPLAY_HOURS,
    category_of_materials,
    jnf_dose_mlx_h,
    uv_limit_uw_per_lm,
)
from museum.assessment.light import object_light, year_bounds
from museum.description.config import ConfigError, MuseumConfig, parse_config

YEAR_START = pd.Timestamp("2026-01-01", tz="UTC")
YEAR_END = pd.Timestamp("2027-01-01", tz="UTC")


def test_cie_157_budgets_are_its_illuminances_over_its_display_hours() -> None:
    # CIE 157:2004 builds its annual limits from a year of display: 50 lx for 3000 h is the
    # medium budget, 200 lx for 3000 h the low one, 50 lx for 300 h the high one.
    for name, lux, hours in (("medium", 50.0, 3000), ("low", 200.0, 3000), ("high", 50.0, 300)):
        times = pd.date_range(YEAR_START, periods=hours + 1, freq="1h")
        budget = CIE157_CATEGORIES[name].max_annual_lux_hours
        dose = year_dose(times, np.full(hours + 1, lux), YEAR_START, YEAR_END, times[-1], budget)
        assert dose.lux_hours == pytest.approx(lux * hours)
        assert dose.used_pct == pytest.approx(100.0)
    assert CIE157_CATEGORIES["medium"].max_annual_lux_hours == CIE157_DISPLAY_HOURS * 50.0


def opening_days(until: str, lux: float = 50.0) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Readings every 10 minutes from 1 January, lit from 09:00 to 17:00 every day."""
    times = pd.date_range(YEAR_START, pd.Timestamp(until, tz="UTC"), freq="10min", inclusive="left")
    hours = times.hour + times.minute / 60
    return times, np.where((hours >= 9) & (hours < 17), lux, 0.0)


def test_the_year_at_this_rate_matches_an_independent_integration() -> None:
    times, lux = opening_days("2026-07-02 12:00")
    now = times[-1]
    dose = year_dose(times, lux, YEAR_START, YEAR_END, now, 150_000.0)
    elapsed_h = np.asarray((times - times[0]) / pd.Timedelta(hours=1))
    expected = np.trapezoid(lux, x=elapsed_h)
    assert dose.lux_hours == pytest.approx(expected, rel=1e-12)
    # About 50 lx for 8 h a day: 400 lx·h a day, 146 100 a year of 365.25 days.
    assert dose.projected_lux_hours == pytest.approx(400 * 365, rel=0.01)
    rate = expected / elapsed_h[-1]
    remaining_h = (YEAR_END - now) / pd.Timedelta(hours=1)
    assert dose.projected_lux_hours == pytest.approx(expected + rate * remaining_h, rel=1e-12)
    assert dose.projected_pct is not None and dose.projected_pct < 100
    assert dose.dim_to_pct is None and dose.hours_to_budget is None


def test_62_percent_by_midsummer_is_124_percent_by_december_and_says_how_far_to_dim() -> None:
    # Half the year gone (4383 h of 8766) and 62 % of the budget used: at this rate the year
    # ends at 124 %, the budget is spent after 38/62 of the half-year still to come, and the
    # light must fall to 38/62 of today's to end the year at 100 %.
    budget = 150_000.0
    now = YEAR_START + (YEAR_END - YEAR_START) / 2
    times = pd.date_range(YEAR_START, now, periods=2001)
    half_year_h = (now - YEAR_START) / pd.Timedelta(hours=1)
    lux = np.full(len(times), 0.62 * budget / half_year_h)
    dose = year_dose(times, lux, YEAR_START, YEAR_END, now, budget, max_gap_h=24)
    assert dose.used_pct == pytest.approx(62.0)
    assert dose.projected_pct == pytest.approx(124.0)
    assert dose.hours_to_budget == pytest.approx(38 / 62 * half_year_h)
    assert dose.dim_to_pct == pytest.approx(100 * 38 / 62)


def test_gaps_are_not_darkness_and_a_spent_budget_means_rotate_now() -> None:
    times = pd.date_range(YEAR_START, periods=200, freq="1h")
    lux = np.full(200, 100.0)
    kept = np.r_[0:100, 150:200]  # 50 hours without readings
    dose = year_dose(times[kept], lux[kept], YEAR_START, YEAR_END, times[-1], 15_000.0)
    assert dose.hours_observed == pytest.approx(148.0) and dose.lux_hours == pytest.approx(14_800.0)
    spent = year_dose(times, lux, YEAR_START, YEAR_END, times[-1], 15_000.0)
    assert spent.used_pct == pytest.approx(199 * 100 / 150) and spent.hours_to_budget == 0.0
    assert spent.dim_to_pct == 0.0


def test_an_objects_category_and_uv_limit_follow_its_materials() -> None:
    assert category_of_materials(["iron_steel", "brass"]).name == "irresponsive"
    assert category_of_materials(["iron_steel", "wood"]).name == "low"
    assert category_of_materials(["iron_steel", "leather", "wood"]).name == "medium"
    assert uv_limit_uw_per_lm(CIE157_CATEGORIES["low"]) == 75.0
    assert uv_limit_uw_per_lm(CIE157_CATEGORIES["high"]) == 10.0


HOLSTER = """
[museum]
timezone = "Asia/Ho_Chi_Minh"

[[sites]]
id = "hanoi"

[light]
uv_limit_sensitive_uw_per_lm = 20

[opening_hours]
monday = "09:00-17:00"

[[cases]]
id = "C7"
sensors = ["l1"]

  [[cases.artefacts]]
  id = "H-1"
  name = "Leather holster"
  materials = ["leather", "brass"]

  [[cases.artefacts]]
  id = "F-1"
  name = "Silk pennant"
  materials = ["textile"]
  blue_wool = 2
  annual_lux_hours = 12000

  [[cases.artefacts]]
  id = "B-1"
  name = "Bayonet"
  materials = ["iron_steel"]
  light_sensitivity = "irresponsive"
"""


def test_each_object_of_a_case_against_its_own_budget(offline_config: Callable[..., MuseumConfig]) -> None:
    config = offline_config(HOLSTER)
    case = config.cases[0]
    start, end = year_bounds(config, datetime(2026, 6, 1, tzinfo=UTC))
    assert (start, end) == (
        pd.Timestamp("2025-12-31 17:00", tz="UTC"),
        pd.Timestamp("2026-12-31 17:00", tz="UTC"),
    )
    index = pd.date_range(start, pd.Timestamp("2026-06-01", tz="UTC"), freq="1h", inclusive="left")
    hours = index.tz_convert("Asia/Ho_Chi_Minh").hour
    lux = np.where((hours >= 9) & (hours < 17), 80.0, 0.0)
    hourly = pd.DataFrame({"illuminance_lux": lux, "uv_mw_m2": lux * 30 / 1000}, index=index)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    holster, pennant, bayonet = (object_light(config, case, a, hourly, now) for a in case.artefacts)
    assert (holster.category.name, holster.year.budget_lux_hours) == ("medium", 150_000.0)
    assert holster.uv_uw_per_lm == pytest.approx(30.0) and holster.uv_limit_uw_per_lm == 20.0
    assert holster.uv_over_limit
    assert (pennant.category.name, pennant.year.budget_lux_hours) == ("high", 12_000.0)
    # 12 000 lx·h is 18 days of 640 lx·h and 480 more: on 19 January the hourly trapezoid
    # reaches 11 560 lx·h at 09:00 and 80 more each hour, passing 12 000 between 14:00 and
    # 15:00 local (08:00 UTC), the hour reported.
    assert pennant.budget_spent_at == datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
    assert pennant.years_to_fade == pytest.approx(jnf_dose_mlx_h(2) * 1e6 / pennant.year.projected_lux_hours)
    assert (bayonet.category.name, bayonet.year.used_pct, bayonet.uv_over_limit) == (
        "irresponsive",
        None,
        False,
    )
    # 80 lx for 8 h a day: 640 lx·h a day, the same dose for each object of the case.
    assert holster.year.lux_hours == pytest.approx(640 * 151, rel=0.01)
    assert holster.year.projected_lux_hours == pytest.approx(640 * 365, rel=0.01)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("09:00-17:00", ((time(9), time(17)),)),
        ("09:00-12:00, 14:00-18:00", ((time(9), time(12)), (time(14), time(18)))),
        ("18:00-24:00", ((time(18), time(0)),)),  # to midnight
        ("closed", ()),
    ],
)
def test_opening_hours_as_a_museum_writes_them(text: str, spans: tuple[tuple[time, time], ...]) -> None:
    config = parse_config({"opening_hours": {"tuesday": text}}, environ={})
    assert config.opening_hours.as_mapping() == {1: spans}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("17:00-09:00", "closes before it opens"),
        ("9:00-17:00", "is not opening hours"),
        ("09:00-24:30", "is not opening hours"),
    ],
)
def test_opening_hours_that_cannot_be_read_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config({"opening_hours": {"monday": text}}, environ={})


def test_an_objects_light_keys_are_checked() -> None:
    case = {"id": "C1", "artefacts": [{"id": "A", "materials": ["leather"], "blue_wool": 9}]}
    with pytest.raises(ConfigError, match="blue_wool"):
        parse_config({"sites": [{"id": "s"}], "cases": [case]}, environ={})
    case["artefacts"][0].pop("blue_wool")
    case["artefacts"][0]["light_sensitivity"] = "extreme"
    with pytest.raises(ConfigError, match="light_sensitivity"):
        parse_config({"sites": [{"id": "s"}], "cases": [case]}, environ={})
