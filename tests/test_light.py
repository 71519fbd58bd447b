"""Light science (analysis/light.py) against definitions and published tables."""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd
import pytest

from analysis.light import (
    HOURS_PER_YEAR,
    annual_exposure,
    closed,
    cumulative_lux_hours,
    exposure_lux_hours,
    hours_lit,
    hours_lit_while_closed,
    light_summary,
    lux_from_lumens_per_square_foot,
    mean_lux_when_lit,
    steps,
    uv_mw_m2_from_mw_cm2,
    uv_mw_m2_from_uw_per_lm,
    uv_per_lumen_of_dose,
    uv_uw_per_lm,
)
from analysis.light_limits import CIE157_CATEGORIES, category_of_blue_wool, jnf_dose_mlx_h, years_to_jnf


def hourly(values: list[float] | np.ndarray, start: str = "2025-01-06") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=len(values), freq="1h", tz="UTC")


def test_units_follow_the_si_definitions() -> None:
    # 1 ft = 0.3048 m exactly (BIPM), so 1 lm/ft² = 1 / 0.09290304 lx.
    assert lux_from_lumens_per_square_foot(1.0) == pytest.approx(10.763910416709722, rel=1e-12)
    assert lux_from_lumens_per_square_foot(20.0) == pytest.approx(215.2782083, rel=1e-9)
    assert uv_mw_m2_from_mw_cm2(0.01) == pytest.approx(100.0)
    # 100 mW/m² of UV with 1000 lx is 100 µW per lumen; and back.
    assert uv_uw_per_lm(100.0, 1000.0) == pytest.approx(100.0)
    assert uv_mw_m2_from_uw_per_lm(75.0, 200.0) == pytest.approx(15.0)
    ratio = uv_uw_per_lm(np.array([5.0, 5.0]), np.array([0.0, 50.0]))
    assert np.isnan(ratio[0]) and ratio[1] == pytest.approx(100.0)


def test_the_dose_is_the_trapezoid_over_irregular_times() -> None:
    rng = np.random.default_rng(3)
    seconds = np.cumsum(rng.uniform(300, 900, 400))
    times = pd.DatetimeIndex(pd.Timestamp("2025-03-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"))
    lux = rng.uniform(0, 300, len(times))
    hours = (times - times[0]) / pd.Timedelta(hours=1)
    expected = np.trapezoid(lux, x=np.asarray(hours))
    assert exposure_lux_hours(times, lux, max_gap_h=1.0) == pytest.approx(expected, rel=1e-12)
    cumulative = cumulative_lux_hours(times, lux, max_gap_h=1.0)
    assert cumulative[0] == 0.0 and np.all(np.diff(cumulative) >= 0)
    # A constant 100 lx for 10 hours is 1000 lx·h whatever the steps.
    assert exposure_lux_hours(hourly([100.0] * 11), [100.0] * 11) == pytest.approx(1000.0)


def test_gaps_are_not_bridged_and_are_counted() -> None:
    times = hourly([0.0] * 4).append(pd.date_range("2025-01-06 13:00", periods=4, freq="1h", tz="UTC"))
    lux = np.full(8, 200.0)
    # Two spells of 3 hours each at 200 lx; the 10 hours between are unknown, not lit.
    assert exposure_lux_hours(times, lux) == pytest.approx(1200.0)
    record = steps(times, lux)
    assert record.hours_observed == pytest.approx(6.0) and record.hours_unbridged == pytest.approx(10.0)
    # A missing value leaves its two steps unknown too.
    with_hole = lux.copy()
    with_hole[1] = np.nan
    assert exposure_lux_hours(times, with_hole) == pytest.approx(800.0)


def test_hours_lit_and_the_mean_when_lit() -> None:
    # Lights on from 09:00 to 16:00 (readings of 200 lx at 09:00 … 16:00), dark otherwise:
    # 7 full steps lit and two half steps at the switching = 8 h a day at 200 lx.
    day = [200.0 if 9 <= h <= 16 else 0.0 for h in range(24)]
    lux = np.array(day * 3 + [0.0])
    times = hourly(lux)
    assert hours_lit(times, lux) == pytest.approx(24.0)
    assert mean_lux_when_lit(times, lux) == pytest.approx(200.0)
    assert exposure_lux_hours(times, lux) == pytest.approx(3 * 8 * 200.0)
    assert np.isnan(mean_lux_when_lit(times, np.zeros(len(lux))))


def test_uv_per_lumen_is_weighted_by_the_light_received() -> None:
    rng = np.random.default_rng(5)
    lux = rng.uniform(20, 500, 200)
    uv = uv_mw_m2_from_uw_per_lm(40.0, lux)  # a source with 40 µW/lm at every level
    assert uv_per_lumen_of_dose(hourly(lux), uv, lux) == pytest.approx(40.0)
    # A bright hour of 80 µW/lm weighs ten times a dim hour of 10 µW/lm.
    lux = np.array([1000.0, 1000.0, 100.0, 100.0])
    uv = np.array([80.0, 80.0, 1.0, 1.0])
    steps_lux_h = np.array([1000.0, 550.0, 100.0])
    steps_uv = np.array([80.0, 40.5, 1.0])
    expected = 1000 * steps_uv.sum() / steps_lux_h.sum()
    assert uv_per_lumen_of_dose(hourly(lux), uv, lux) == pytest.approx(expected)


def test_the_annual_projection_keeps_the_rate() -> None:
    assert annual_exposure(1000.0, 100.0) == pytest.approx(1000.0 * HOURS_PER_YEAR / 100.0)
    assert pytest.approx(8766.0) == HOURS_PER_YEAR
    assert np.isnan(annual_exposure(10.0, 0.0))


def test_cie_157_categories_and_their_limits() -> None:
    # CIE 157:2004: limiting illuminance and annual exposure per responsivity category.
    expected = {
        "irresponsive": (None, None),
        "low": (200.0, 600_000.0),
        "medium": (50.0, 150_000.0),
        "high": (50.0, 15_000.0),
    }
    assert {
        name: (c.max_illuminance_lux, c.max_annual_lux_hours) for name, c in CIE157_CATEGORIES.items()
    } == expected
    # Defined by the ISO blue wools (CCI): 1–3 high, 4–6 medium, 7 and above low.
    assert [category_of_blue_wool(n).name for n in range(1, 10)] == ["high"] * 3 + ["medium"] * 3 + [
        "low"
    ] * 3
    with pytest.raises(ValueError):
        category_of_blue_wool(0)


def test_just_noticeable_fade_doses_of_the_blue_wools() -> None:
    # Michalski (1990), no UV: about 0.4 Mlx·h for blue wool 1, 900 Mlx·h for blue wool 8.
    assert jnf_dose_mlx_h(1) == pytest.approx(0.4)
    assert jnf_dose_mlx_h(8) == pytest.approx(900.0)
    doses = np.array([jnf_dose_mlx_h(n) for n in range(1, 9)])
    ratios = doses[1:] / doses[:-1]
    assert np.allclose(ratios, ratios[0]) and 2.9 < ratios[0] < 3.1  # "each 2 to 3 times" (CCI)
    # At the medium category's 150 000 lx·h a year, blue wool 1 fades noticeably in 2.7 years.
    assert years_to_jnf(1, 150_000.0) == pytest.approx(0.4e6 / 150_000.0)
    assert years_to_jnf(4, 0.0) == float("inf")
    with pytest.raises(ValueError):
        jnf_dose_mlx_h(9)


def test_light_left_on_while_the_museum_is_closed() -> None:
    # Open Tuesday to Sunday 09:00–17:00 in Paris; closed on Mondays.
    opening = {day: [(time(9), time(17))] for day in range(1, 7)}
    # Monday 6 January 2025 and Tuesday 7 January, hourly, local time.
    times = pd.date_range("2025-01-06 00:00", periods=48, freq="1h", tz="Europe/Paris").tz_convert("UTC")
    local_hours = np.asarray(times.tz_convert("Europe/Paris").hour)
    is_monday = np.asarray(times.tz_convert("Europe/Paris").day_of_week) == 0
    shut = closed(times, opening, "Europe/Paris")
    assert shut[is_monday].all() and not shut[~is_monday & (local_hours == 12)].any()
    # Lights on 09:00–16:00 on both days: on the closed Monday that is light at night.
    lux = np.where((local_hours >= 9) & (local_hours <= 16), 150.0, 0.0)
    assert hours_lit_while_closed(times, lux, opening, "Europe/Paris") == pytest.approx(8.0)
    assert hours_lit(times, lux) == pytest.approx(16.0)


def test_a_records_light_summary() -> None:
    day = [200.0 if 9 <= h <= 16 else 0.0 for h in range(24)]
    lux = np.array(day * 7 + [0.0])
    frame = pd.DataFrame(
        {"illuminance_lux": lux, "uv_mw_m2": uv_mw_m2_from_uw_per_lm(20.0, lux)}, index=hourly(lux)
    )
    summary = light_summary(frame)
    assert summary["lux_hours"] == pytest.approx(7 * 8 * 200.0)
    assert summary["hours_lit"] == pytest.approx(56.0)
    assert summary["lux_mean_when_lit"] == pytest.approx(200.0)
    assert summary["uv_uw_per_lm_mean"] == pytest.approx(20.0)
    # A week at 1600 lx·h a day is 584 400 lx·h a year: 390 % of the medium limit.
    assert summary["annual_lux_hours"] == pytest.approx(11_200.0 * HOURS_PER_YEAR / 168.0)
    assert summary["cie157"]["medium"]["annual_pct"] == pytest.approx(
        100 * summary["annual_lux_hours"] / 150_000.0
    )
    with pytest.raises(ValueError):
        light_summary(frame.iloc[:1])
