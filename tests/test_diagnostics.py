"""Case diagnostics (analysis.diagnostics) against the simulator's own building model, which
knows each case's air exchange and silica gel; and the config facts they use.

The model runs directly (pure Python, about a second for a season); the sensors add their
seeded calibration offsets, noise and rounding (sensors_sim.model), and the estimators see
hourly means, as ``patina diagnose`` gives them.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from analysis.diagnostics import days_to_limit, fit_tightness, moisture_trend, thomson_half_time_days
from analysis.forecast import (
    case_draws,
    crossing_days,
    forecast_crossing,
    persistence_outlook,
    room_rh_at_case_pct,
)
from museum.assessment.diagnose import as_json, diagnose_case, render_text
from museum.description.config import ConfigError, load_config
from museum.description.limits import case_limits
from museum.language.i18n import Translator
from sensors_sim.building import BuildingModel, CaseSpec, RoomSpec
from sensors_sim.model import SensorSpec, SimulatedSensor
from tests.conftest import SMALL_MUSEUM

#: 2026-07-13 00:00 in Hà Nội: the rainy season.
WET_SEASON_START_S = 1_783_875_600.0
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ROOM = CaseSpec("ROOM", "G", air_exchange_per_day=2000.0, thermal_time_constant_h=0.1, lights_heat_k=0.0)
STEPS_PER_HOUR = 12  # the model is sampled every 5 minutes


def simulate(cases: list[CaseSpec], days: float, seed: int) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Hourly means of what each sensor reports (the room first), and the true 5-min climate."""
    model = BuildingModel(
        [RoomSpec("G", open_air_changes_per_h=0.6)],
        [ROOM, *cases],
        start_s=WET_SEASON_START_S,
        zone=ZONE,
        seed=seed,
    )
    times = WET_SEASON_START_S + np.arange(0.0, days * 86_400.0, 300.0)
    climate = model.sample(times)

    def hourly(values: np.ndarray) -> np.ndarray:
        return values.reshape(-1, STEPS_PER_HOUR).mean(axis=1)

    series = []
    for j in range(len(cases) + 1):
        sensor = SimulatedSensor(SensorSpec(f"s{j}", "case", "site"), seed, WET_SEASON_START_S)
        read = sensor.readings(times, climate.case_temperature_c[:, j], climate.case_rh_pct[:, j])
        series.append(
            {
                "temperature_c": hourly(read["temperature_c"]),
                "rh_pct": hourly(read["rh_pct"]),
                "true_rh_pct": climate.case_rh_pct[:, j],
                "true_temperature_c": climate.case_temperature_c[:, j],
            }
        )
    return hourly(times), series


def fit(
    times: np.ndarray,
    series: list[dict[str, np.ndarray]],
    j: int,
    hours: int | None = None,
    **options: object,
):
    end = hours if hours is not None else len(times)
    case, room = series[j], series[0]
    return fit_tightness(
        times[:end],
        case["temperature_c"][:end],
        case["rh_pct"][:end],
        room["temperature_c"][:end],
        room["rh_pct"][:end],
        **options,
    )


def test_thomson_half_time_matches_his_rule_at_20_c() -> None:
    # Thomson (1977): t½ = 4·M·Q/N days at 20 °C; M = 5 g/(kg·%), Q = 20 kg/m³, N = 1/day → 400 days.
    assert thomson_half_time_days(1.0, 20.0, 1.0, 20.0) == pytest.approx(400.0, rel=0.01)
    assert thomson_half_time_days(2.0, 0.0, 1.0) == pytest.approx(math.log(2) / 2.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unbuffered_cases_recover_the_models_air_exchange_within_10_pct(seed: int) -> None:
    exchanges = [6.0, 1.5, 0.3]
    cases = [CaseSpec(f"C{n}", "G", air_exchange_per_day=n_air) for n, n_air in enumerate(exchanges)]
    times, series = simulate(cases, 14, seed)
    for j, truth in enumerate(exchanges, start=1):
        result = fit(times, series, j)
        assert not result.buffered
        assert result.quality == "good"
        assert result.air_exchange_per_day == pytest.approx(truth, rel=0.10)
        assert result.half_time_days == pytest.approx(math.log(2) / truth, rel=0.10)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_buffered_cases_recover_thomsons_half_time_within_25_pct(seed: int) -> None:
    gels = [(1.5, 0.5), (1.0, 1.0), (2.0, 0.3)]  # kg of gel, air changes a day
    cases = [
        CaseSpec(f"G{n}", "G", air_exchange_per_day=n_air, silica_gel_kg=kg, gel_conditioned_rh_pct=40.0)
        for n, (kg, n_air) in enumerate(gels)
    ]
    times, series = simulate(cases, 14, seed)
    for j, (kg, n_air) in enumerate(gels, start=1):
        result = fit(times, series, j)
        truth = thomson_half_time_days(n_air, kg, 1.0, float(series[j]["true_temperature_c"].mean()))
        assert result.buffered, "the gel holds RH while the lights warm the case"
        assert result.air_exchange_per_day is None
        assert result.half_time_days == pytest.approx(truth, rel=0.25)
        low, high = result.half_time_interval_days
        assert low < truth * 1.1 and high > truth * 0.9


def test_cases_rank_by_tightness() -> None:
    cases = [
        CaseSpec("leaky", "G", air_exchange_per_day=6.0),
        CaseSpec("gel", "G", air_exchange_per_day=0.5, silica_gel_kg=1.5, gel_conditioned_rh_pct=40.0),
        CaseSpec("ordinary", "G", air_exchange_per_day=1.0),
    ]
    times, series = simulate(cases, 14, 5)
    half_times = [fit(times, series, j).half_time_days for j in (1, 2, 3)]
    assert half_times[0] < half_times[2] < half_times[1]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_forecast_from_two_weeks_matches_the_models_own_crossing(seed: int) -> None:
    limit = 50.0
    case = CaseSpec("drifting", "G", air_exchange_per_day=0.5, silica_gel_kg=1.5, gel_conditioned_rh_pct=40.0)
    times, series = simulate([case], 60, seed)
    two_weeks = 14 * 24
    result = fit(times, series, 1, hours=two_weeks)
    rh_now = float(series[1]["rh_pct"][two_weeks - 24 : two_weeks].mean())
    # The room's future from the window alone (the gallery is air-conditioned and steady),
    # as RH at the case's temperature.
    room, mine = series[0], series[1]
    x = room_rh_at_case_pct(room["temperature_c"], room["rh_pct"], mine["temperature_c"])[:two_weeks]
    outlook = persistence_outlook(x.reshape(-1, 24).mean(axis=1))
    forecast = forecast_crossing(case_draws(result, 0.0, 0.0), rh_now, limit, outlook)
    # What the case's sensor reads (the alerts' RH): the model's plus its calibration offset.
    offset = SimulatedSensor(SensorSpec("s1", "case", "site"), seed, WET_SEASON_START_S).offset_rh
    daily = series[1]["true_rh_pct"].reshape(-1, 288).mean(axis=1) + offset
    true_days = float(crossing_days(daily[13:14], np.array([1e-9]), daily[None, 14:], limit)[0])
    assert 5.0 < true_days < 40.0
    assert forecast.days == pytest.approx(true_days, rel=1 / 3)
    low, high = forecast.interval_days
    assert low <= forecast.early_days <= forecast.days <= high
    assert low <= true_days <= high


def test_a_steady_room_or_missing_data_is_flagged_not_fitted() -> None:
    hours = np.arange(0.0, 14 * 24) * 3600.0
    steady = np.full(len(hours), 24.0)
    result = fit_tightness(hours, steady, np.full(len(hours), 50.0), steady, np.full(len(hours), 50.2))
    assert result.quality == "room_steady"
    assert math.isnan(result.time_constant_days)
    gappy = np.full(len(hours), np.nan)
    gappy[:30] = 50.0
    result = fit_tightness(hours, steady, gappy, steady, np.full(len(hours), 60.0))
    assert result.quality == "insufficient_data"
    assert math.isnan(result.half_time_days)


def test_days_to_limit_and_trend() -> None:
    # RH(t) = 60 − 20·e^(−t/10): passes 50 when e^(−t/10) = 1/2.
    assert days_to_limit(40.0, 60.0, 10.0, 50.0) == pytest.approx(10.0 * math.log(2.0))
    assert days_to_limit(55.0, 60.0, 10.0, 50.0) == 0.0
    assert days_to_limit(40.0, 48.0, 10.0, 50.0) == math.inf
    days = np.arange(0.0, 10 * 86_400.0, 3600.0)
    slope, se = moisture_trend(days, 40.0 + 0.25 * days / 86_400.0 + np.sin(days / 86_400.0 * 2 * math.pi))
    assert slope == pytest.approx(0.25, abs=0.02)
    assert se < 0.05


def test_a_case_without_data_or_reference_is_said_so(tmp_path: Path) -> None:
    config = load_config(museum(tmp_path, ROOM_AND_FACTS), environ={})
    start = datetime(2026, 7, 13, tzinfo=UTC)
    end = start + timedelta(days=14)
    empty = pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)
    silent = diagnose_case(config, config.case("C9"), empty, empty, start, end)
    lonely = diagnose_case(config, config.case("C2"), empty, None, start, end)  # Gallery 2 has no room
    rows = {row["case"]: row for row in as_json([silent, lonely])["cases"]}
    assert rows["C9"]["quality"] == "insufficient_data" and rows["C9"]["half_time_days"] is None
    assert rows["C9"]["buffered"] is True  # the config says it holds 1.5 kg of gel
    assert rows["C2"] == {
        "case": "C2",
        "reference": None,
        "half_time_days": None,
        "half_time_interval_days": [None, None],
        "air_exchange_per_day": None,
        "buffered": None,
        "trend_rh_pct_per_day": None,
        "rh_now_pct": None,
        "limit_rh_pct": 50.0,
        "days_to_limit": None,
        "days_to_limit_interval": [None, None],
        "quality": "no_reference",
        "level_shifts": [],
        "days_to_limit_early": None,
        "date_to_limit": None,
        "date_to_limit_early": None,
        "forecast_actionable": None,
        "forecast_source": None,
        "forecast_horizon_days": None,
        "forecast_limited_by": [],
        "forecast_sharpen": [],
    }
    assert case_limits(config, config.case("C1")).rh_max_pct == 25.0  # archaeological iron's risk limit
    text = render_text([silent, lonely], Translator("vi"), start, end)
    assert "không có phòng tham chiếu" in text and "Gallery 2" in text


# --- config ---------------------------------------------------------------------------------------

ROOM_AND_FACTS = """
[[cases]]
id = "G1-AIR"
site = "hanoi"
gallery = "Gallery 1"
kind = "room"
sensors = ["r1"]

[[cases]]
id = "C9"
site = "hanoi"
gallery = "Gallery 1"
sensors = ["s9"]
volume_m3 = 0.8
silica_gel_kg = 1.5
gel_conditioned_rh_pct = 40
last_reconditioned = 2026-03-14
"""


def museum(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "museum.toml"
    path.write_text(SMALL_MUSEUM.format(client_id="c", database="patina", spool="spool.sqlite3") + extra)
    return path


def test_config_reads_rooms_references_and_case_facts(tmp_path: Path) -> None:
    config = load_config(museum(tmp_path, ROOM_AND_FACTS), environ={})
    room, case = config.case("G1-AIR"), config.case("C9")
    assert room.is_room and not case.is_room
    assert config.reference_for("C9") is room
    assert config.reference_for("C1") is room  # same gallery
    assert config.reference_for("G1-AIR") is None
    assert case.facts.volume_m3 == 0.8 and case.facts.silica_gel_kg == 1.5
    assert case.facts.gel_conditioned_rh_pct == 40.0
    assert case.facts.last_reconditioned == date(2026, 3, 14)
    explicit = load_config(
        museum(tmp_path, ROOM_AND_FACTS.replace("volume_m3 = 0.8", 'reference = "C1"')), environ={}
    )
    assert explicit.reference_for("C9").id == "C1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "room"', 'kind = "hall"'), "cases[2].kind: 'hall' is not one of case, room"),
        (("volume_m3 = 0.8", 'reference = "C7"'), "cases[3].reference: unknown case 'C7'"),
        (("volume_m3 = 0.8", 'reference = "C9"'), "cases[3].reference: a case cannot be its own reference"),
        (
            ("gel_conditioned_rh_pct = 40", "gel_conditioned_rh_pct = 140"),
            "cases[3].gel_conditioned_rh_pct: 140 is not between 0 and 100",
        ),
        (
            ("last_reconditioned = 2026-03-14", 'last_reconditioned = "March"'),
            "cases[3].last_reconditioned: expected a date",
        ),
    ],
)
def test_config_names_a_wrong_fact(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(museum(tmp_path, ROOM_AND_FACTS.replace(*change)), environ={})
