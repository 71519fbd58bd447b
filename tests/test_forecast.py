"""The forecast of a case's limit crossing (analysis.forecast): pure checks against the
model's own equations, then each family of tests/forecast_cases.py against the building
model run on as the truth, and `patina diagnose` reading last year's weeks from InfluxDB."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest

from analysis.diagnostics import CALIBRATION_RH_PCT, Tightness, days_to_limit
from analysis.forecast import (
    HORIZON_DAYS,
    LAST_YEAR_DAYS,
    PERSISTENCE_HORIZON_DAYS,
    CaseDraws,
    Outlook,
    building_response,
    crossing_days,
    daily_means,
    forecast_crossing,
    persistence_outlook,
    seasonal_outlook,
    sensor_offset,
)
from museum.description.config import MuseumConfig
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from tests import forecast_cases
from tests.conftest import REPO_DIR, InfluxServer, MosquittoServer


def steady(level_pct: float, days: int = HORIZON_DAYS) -> Outlook:
    """A room known to stay at ``level_pct``."""
    return Outlook("history", np.full(days, level_pct), np.zeros(days), 0.0, 0.0, np.zeros(days), 0.0)


def test_a_sure_room_and_case_cross_when_equation_4_says() -> None:
    # RH(t) = 60 − 20·e^(−t/10) passes 50 % after 10·ln 2 days (equation 4 of diagnostics).
    exact = days_to_limit(40.0, 60.0, 10.0, 50.0)
    drawn = crossing_days(np.array([40.0]), np.array([10.0]), np.full((1, 60), 60.0), 50.0)
    # Daily steps from the last day's mean, centred half a day before the window's end.
    assert drawn[0] == pytest.approx(exact - 0.5, abs=0.1)
    assert math.isinf(crossing_days(np.array([40.0]), np.array([10.0]), np.full((1, 60), 49.0), 50.0)[0])
    forecast = forecast_crossing(CaseDraws(0.1, 0.0, 1.0, None, 0.0, 0.0), 40.0, 50.0, steady(60.0))
    assert forecast.days == pytest.approx(exact - 0.5, abs=0.1)
    assert forecast.early_days == forecast.days == forecast.interval_days[0] == forecast.interval_days[1]
    assert forecast.actionable and forecast.limited_by == ()


def test_a_case_already_past_its_limit_is_said_so() -> None:
    forecast = forecast_crossing(CaseDraws(0.1, 0.01, 1.0), 52.0, 50.0, steady(60.0))
    assert forecast.days == 0.0 and forecast.actionable


def test_the_rate_and_calibration_widen_the_interval_and_the_quartile_errs_early() -> None:
    sharp = forecast_crossing(CaseDraws(0.1, 0.0, 1.0, None, 0.0, 0.0), 40.0, 50.0, steady(60.0))
    unsure = forecast_crossing(CaseDraws(0.1, 0.03, 1.0, gap_pct=20.0), 40.0, 50.0, steady(60.0))
    low, high = unsure.interval_days
    assert low < sharp.days < high
    assert low < unsure.early_days < unsure.days < high
    # The same readings give the same forecast: the draws are seeded.
    again = forecast_crossing(CaseDraws(0.1, 0.03, 1.0, gap_pct=20.0), 40.0, 50.0, steady(60.0))
    assert again == unsure


def test_a_limit_near_the_rooms_level_with_an_unknown_season_is_uncertain() -> None:
    rng = np.random.default_rng(3)
    window = 78.0 + 0.15 * np.arange(14) + rng.normal(0.0, 1.5, 14)  # a gallery drifting up
    far = forecast_crossing(CaseDraws(0.5, 0.05, 1.0), 60.0, 66.0, persistence_outlook(window))
    near = forecast_crossing(CaseDraws(0.5, 0.05, 1.0), 70.0, 79.0, persistence_outlook(window))
    assert far.actionable, far
    assert not near.actionable and "season" in near.limited_by
    assert near.horizon_days == PERSISTENCE_HORIZON_DAYS


def test_ar1_weather_and_the_level_are_recovered_from_a_window() -> None:
    # e_j = φ·e_(j−1) + η (Box & Jenkins 1976): φ = 0.6, σ = 2 % RH, around 70 %.
    rng = np.random.default_rng(7)
    e = np.zeros(2000)
    for j in range(1, len(e)):
        e[j] = 0.6 * e[j - 1] + 2.0 * math.sqrt(1 - 0.36) * rng.normal()
    outlook = persistence_outlook(70.0 + e)
    assert outlook.persistence == pytest.approx(0.6, abs=0.05)
    assert outlook.weather_sd_pct[0] == pytest.approx(2.0, rel=0.1)
    assert outlook.expected_pct[0] == pytest.approx(70.0, abs=0.3)
    # The standard error of an AR(1) mean, σ·√((1+φ)/(1−φ)/n) (Bayley & Hammersley 1946).
    assert outlook.level_sd_pct == pytest.approx(2.0 * math.sqrt(4.0 / 2000), rel=0.15)


def test_last_years_course_shifted_by_this_years_anomaly_is_the_expected_future() -> None:
    days = np.arange(14 + 120, dtype=float)
    season = 75.0 + 6.0 * np.sin(2 * math.pi * days / 365.0)
    window = season[:14] + 1.5  # this year 1.5 % wetter than last
    outlook = seasonal_outlook(window, season)
    assert outlook.horizon_days == 120
    assert np.allclose(outlook.expected_pct[10:-10], season[24:-10] + 1.5, atol=0.05)


def test_the_building_response_of_iso_13788() -> None:
    # A ventilated room holds its moisture excess G/(n·V) above the outdoor air (ISO
    # 13788:2012, Annex A): 30 visitors of 100 g/h in 600 m³ at 0.5 air change an hour.
    rng = np.random.default_rng(1)
    outdoor = 20.0 + rng.normal(0.0, 1.5, 30)
    excess = 30 * 100.0 / (0.5 * 600.0)
    alpha, beta, se = building_response(outdoor, outdoor + excess)
    assert alpha == pytest.approx(excess) and beta == pytest.approx(1.0) and se < 1e-9


def test_daily_means_and_an_unbuffered_cases_offset() -> None:
    hours = np.arange(0.0, 3 * 86_400.0, 3600.0)
    values = np.repeat([1.0, 2.0, 3.0], 24)
    assert daily_means(hours, values, 3 * 86_400.0, 3).tolist() == [1.0, 2.0, 3.0]
    sparse = np.where(np.arange(72) % 3 == 0, values, np.nan)  # eight hours a day: too few
    assert np.isnan(daily_means(hours, sparse, 3 * 86_400.0, 3)).all()
    offset, se = sensor_offset(np.full(14, 71.2), np.full(14, 70.0))
    assert offset == pytest.approx(1.2) and se == pytest.approx(0.0)
    # A case ten days from its room's level (τ = 10 d) has not followed it in two weeks:
    # its distance is the approach, so the offset is drawn, not measured.
    approach = 70.0 - 55.0 * np.exp(-np.arange(14) / 10.0)
    offset, se = sensor_offset(approach, np.full(14, 70.0), time_constant_days=10.0)
    assert offset == 0.0 and se == pytest.approx(math.sqrt(2.0) * CALIBRATION_RH_PCT)
    # τ = 3 d: from day 9 on (not the window's second half), the case sits on the room's
    # level plus its 1.2 % offset.
    settled = np.concatenate([np.full(9, 40.0), np.full(5, 71.2)])
    offset, _ = sensor_offset(settled, np.full(14, 70.0), time_constant_days=3.0)
    assert offset == pytest.approx(1.2)


def test_a_buffered_fit_hands_its_calibrated_gap_to_the_draws() -> None:
    from analysis.forecast import case_draws

    fit = Tightness(
        buffered=True,
        equilibrium_rh_pct=62.0,
        steps=300,
        coverage=1.0,
        quality="good",
        rate=0.07,
        rate_se=0.012,
        rate_fit_se=0.004,
        mean_gap_rh_pct=18.0,
        time_constant_days=50.0,
    )
    draws = case_draws(fit, 1.5, 0.1)
    assert draws.rate_se == 0.004 and draws.gap_pct == 18.0 and draws.offset_pct is None
    assert draws.rate_to_tau == pytest.approx(3.5)


# --- the families, against the building model ---------------------------------------------

FAMILY_NAMES = [f.name for f in forecast_cases.families("wet")]


@pytest.fixture(scope="module")
def all_rows() -> list[forecast_cases.Row]:
    return [
        row
        for season in forecast_cases.SEASONS
        for seed in forecast_cases.SEEDS
        for row in forecast_cases.rows(season, seed)
    ]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_actionable_forecast_holds(all_rows: list[forecast_cases.Row], family: str) -> None:
    """Within a third of the truth (or two days), the truth inside its interval."""
    mine = [row for row in all_rows if row.family == family]
    assert len(mine) == len(forecast_cases.SEASONS) * len(forecast_cases.SEEDS) * len(
        forecast_cases.KNOWLEDGE
    )
    wrong = [
        row
        for row in mine
        if row.diagnosis.forecast and row.diagnosis.forecast.actionable and not row.forecast_holds
    ]
    assert not wrong, [(r.season, r.seed, r.knowledge, r.diagnosis.forecast, r.truth_days) for r in wrong]
    for row in mine:
        forecast = row.diagnosis.forecast
        assert forecast is not None and row.diagnosis.quality in ("good", "fair")
        assert forecast.source == row.knowledge or (
            row.knowledge == "outdoor" and forecast.source == "persistence"
        )
        if not forecast.actionable:
            low, high = forecast.interval_days
            assert math.isinf(high) or high > 3 * max(low, 1.0) or forecast.close_share < 0.95


def test_what_the_families_show(all_rows: list[forecast_cases.Row]) -> None:
    def pick(family: str, knowledge: str) -> list[forecast_cases.Row]:
        return [r for r in all_rows if r.family == family and r.knowledge == knowledge]

    # The gel case far below its room: last year's weeks make every forecast actionable.
    assert all(
        r.diagnosis.forecast and r.diagnosis.forecast.actionable for r in pick("far, buffered", "history")
    )
    # Issue 30's case, a limit 3 % under the gallery's level: from the window alone it is
    # never actionable and says what would sharpen it; last year's weeks make some so.
    alone = pick("near, buffered", "persistence")
    assert not any(r.diagnosis.forecast and r.diagnosis.forecast.actionable for r in alone)
    assert any("gallery_year" in r.diagnosis.sharpen for r in alone)
    assert any(
        r.diagnosis.forecast and r.diagnosis.forecast.actionable for r in pick("near, buffered", "history")
    )
    # Issue 30: the gel reconditioned on the eleventh day: the fit finds that one step and
    # no other case has any; the RH now counts from after it (the fresh gel at 35 %), and
    # last year's weeks make its forecast actionable (holding, above).
    for row in all_rows:
        fit = row.diagnosis.tightness
        assert fit is not None
        assert len(fit.level_shifts_s) == (row.family == "far, buffered, reconditioned"), row
    swapped = [r for r in all_rows if r.family == "far, buffered, reconditioned"]
    assert all(r.diagnosis.rh_now_pct < forecast_cases.RECONDITIONED_RH_PCT + 2.0 for r in swapped)
    assert all(
        r.diagnosis.forecast and r.diagnosis.forecast.actionable
        for r in pick("far, buffered, reconditioned", "history")
    )


# --- patina diagnose, with last year's weeks in InfluxDB --------------------------------------

MUSEUM = """
[museum]
name = "Test museum"
timezone = "Asia/Ho_Chi_Minh"
language = "en"

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
name = "Hà Nội"

[[cases]]
id = "open-air"
gallery = "open"
name = "Open gallery air"
kind = "room"
sensors = ["open-air"]

[[cases]]
id = "near-buffered"
gallery = "open"
name = "Ordinary case, its contents buffering it"
sensors = ["near-buffered"]
silica_gel_kg = 2.0
volume_m3 = 1.0

[alerts]
[[alerts.rules]]
case = "near-buffered"
rh_max_pct = {limit}
"""


def write_hourly(store: InfluxStore, sensor_id: str, case_id: str, frame: object) -> None:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    lines = [
        climate_line(
            Reading(
                sensor_id, int(moment.timestamp() * 1e9), float(row.temperature_c), float(row.rh_pct), 80.0
            ),
            "hanoi",
            case_id,
        )
        for moment, row in frame.iterrows()
    ]
    for first in range(0, len(lines), 5000):
        store.write_lines(lines[first : first + 5000])


def test_patina_diagnose_forecasts_from_last_years_weeks(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
) -> None:
    season, seed = "dry", 1
    run = forecast_cases.simulate(season, seed)
    level = run.level["near-buffered"]
    config = make_config(MUSEUM.replace("{limit}", str(round(level - 3.0))))
    store = store_for(config)
    store.create_database()
    write_hourly(store, "near-buffered", "near-buffered", run.window["near-buffered"])
    write_hourly(store, "open-air", "open-air", run.window["open-air"])
    start_s = forecast_cases.SEASONS[season]
    end_s = start_s + forecast_cases.WINDOW_DAYS * 86_400.0
    assert config.path is not None
    env = {
        **os.environ,
        "PATINA_INFLUX_URL": influxdb.url,
        "PATINA_INFLUX_DB": config.influxdb.database,
        "PATINA_MQTT_URL": mosquitto.url,
    }

    def diagnose(*options: str) -> subprocess.CompletedProcess[str]:
        window = ["--start", datetime.fromtimestamp(start_s, UTC).isoformat()]
        window += ["--end", datetime.fromtimestamp(end_s, UTC).isoformat()]
        command = [
            sys.executable,
            "-m",
            "patina",
            "diagnose",
            "--config",
            str(config.path),
            *window,
            *options,
        ]
        return subprocess.run(command, env=env, cwd=REPO_DIR, capture_output=True, text=True, timeout=120)

    alone = diagnose("--json")
    assert alone.returncode == 0, alone.stderr
    (row,) = json.loads(alone.stdout)["cases"]
    assert row["forecast_source"] == "persistence" and row["forecast_actionable"] is False
    assert row["forecast_sharpen"][0] == "gallery_year"
    text = diagnose("--language", "fr")
    assert "Incertain" in text.stdout and "une année de relevés de la salle" in text.stdout, text.stdout

    # Last year's same weeks of the gallery's air: the forecast rests on its season.
    before = run.before["open-air"]
    assert before.index[0].timestamp() == pytest.approx(start_s - LAST_YEAR_DAYS * 86_400.0, abs=3600.0)
    write_hourly(store, "open-air", "open-air", before)
    known = diagnose("--json")
    assert known.returncode == 0, known.stderr
    (row,) = json.loads(known.stdout)["cases"]
    assert row["forecast_source"] == "history"
    assert row["days_to_limit_early"] <= row["days_to_limit"]
    low, high = row["days_to_limit_interval"]
    assert low <= row["days_to_limit_early"] <= row["days_to_limit"] <= high
    assert row["date_to_limit"] > row["date_to_limit_early"] > "2025-12-15"
    text = diagnose("--language", "vi")
    assert "cùng những tuần năm ngoái" in text.stdout, text.stdout
    assert row["forecast_actionable"] is True and row["forecast_sharpen"] == []


def test_the_season_is_read_for_the_reference_room_and_an_outdoor_sensor() -> None:
    """What `patina diagnose` asks the store for: the room 52 weeks before over the window and
    the horizon; the outdoor sensor of the case's site now and 52 weeks before, once the
    config declares one (``kind = "outdoor"``, which config.py does not know yet)."""
    import dataclasses
    from datetime import timedelta

    import pandas as pd

    from museum.assessment.diagnose import outdoor_for, read_season

    config = forecast_cases.museum("wet", {"near-buffered": 75.0})
    case = config.case("near-buffered")
    start = datetime(2026, 7, 13, tzinfo=UTC)
    end = start + timedelta(days=14)
    asked: list[tuple[str, datetime, datetime]] = []

    def hourly(case_id: str, first: datetime, last: datetime) -> pd.DataFrame:
        asked.append((case_id, first, last))
        return pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)

    season = read_season(config, case, start, end, hourly)
    year = timedelta(days=LAST_YEAR_DAYS)
    assert asked == [("open-air", start - year, end - year + timedelta(days=HORIZON_DAYS))]
    assert outdoor_for(config, case) is None and not season.has_outdoor_sensor

    outside = dataclasses.replace(config.case("conditioned-air"), kind="outdoor", gallery="roof")
    with_outdoor = dataclasses.replace(
        config, cases=tuple(outside if c.id == outside.id else c for c in config.cases)
    )
    assert outdoor_for(with_outdoor, case) is outside
    asked.clear()
    season = read_season(with_outdoor, case, start, end, hourly)
    assert season.has_outdoor_sensor
    assert [a[0] for a in asked] == ["open-air", "conditioned-air", "conditioned-air"]
    assert asked[1][1:] == (start, end) and asked[2][1:] == asked[0][1:]
