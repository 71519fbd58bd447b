"""Forecast scenarios with the simulator's physics as the truth (tests/test_forecast.py and
benchmarks/bench_forecast.py).

Hà Nội, three galleries side by side: one air-conditioned (in the dry season its cooling
seldom runs), one open to the weather, one with a dehumidifier and no air-conditioning.
Cases of four families stand in them, in the wet season (two weeks from 13 July) and the
dry season (two weeks from 1 December, before the drizzle of February and March):

* ``far, buffered``: 1.5 kg of gel conditioned at 40 %, 0.5 air change a day, limit 50 %
  (the rifles' case of the wet-season scenario), in the conditioned or dehumidified gallery;
* ``near, buffered``: an ordinary case (2 air changes a day) whose contents buffer it like
  2 kg of gel at 50 %, in the open gallery, its limit 3 % under the gallery's level (the
  case of issue 30);
* ``near, unbuffered``: 2 air changes a day, nothing to buffer it, in the open gallery, its
  limit 2 % above the gallery's level;
* ``far, unbuffered``: 0.5 air change a day in the conditioned or dehumidified gallery,
  its limit 10 % above the gallery's level;
* ``far, buffered, reconditioned``: the first family's case, its gel swapped for gel at
  35 % at 10:00 on the window's eleventh day (issue 30: the fit must not cross the step,
  and the forecast counts from after it).

Each case is forecast from the two weeks of its sensors' hourly means (seeded calibration
offsets and noise, as the simulator's sensors report them) three times: from the window
alone (``persistence``), with the gallery's own readings of the same weeks a year before
(``history``), and with an outdoor sensor over the window and a year before
(``outdoor``). The truth is the building model run on for the horizon: the first time the
case's true daily mean RH passes its limit, interpolated between days as the forecast is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from analysis.forecast import HORIZON_DAYS, LAST_YEAR_DAYS, crossing_days, room_rh_at_case_pct
from museum.assessment.diagnose import Diagnosis, SeasonRecord, diagnose_case
from museum.description.config import MuseumConfig, parse_config
from sensors_sim.building import BuildingModel, CaseSpec, ClimateSample, Event, RoomSpec, sample_together
from sensors_sim.model import SensorSpec, SimulatedSensor

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
#: Window starts, 00:00 in Hà Nội: 13 July 2026 and 1 December 2025.
SEASONS = {"wet": 1_783_875_600.0, "dry": 1_764_522_000.0}
SEEDS = (1, 2)
WINDOW_DAYS = 14
SAMPLE_S = 600.0
KNOWLEDGE = ("persistence", "history", "outdoor")
ROOM_AIR = {"air_exchange_per_day": 2000.0, "thermal_time_constant_h": 0.1, "lights_heat_k": 0.0}
GALLERIES = (
    RoomSpec("conditioned", open_air_changes_per_h=0.6),
    RoomSpec("open", hvac=False),
    RoomSpec("dehumidified", hvac=False, dehumidifier_l_per_day=20.0, dehumidifier_setpoint_rh_pct=60.0),
)


@dataclass(frozen=True)
class Family:
    name: str
    case: CaseSpec
    #: The limit, % RH: absolute, or relative to the gallery's level over the window.
    limit_rh_pct: float
    relative: bool
    #: Hours after the window's start at which the case's gel is reconditioned to
    #: ``RECONDITIONED_RH_PCT`` (None: never).
    reconditioned_h: float | None = None


#: The fresh gel's RH of the ``far, buffered, reconditioned`` family, %.
RECONDITIONED_RH_PCT = 35.0


def families(season: str) -> list[Family]:
    steady = "conditioned" if season == "wet" else "dehumidified"
    return [
        Family(
            "far, buffered",
            CaseSpec(
                "far-buffered",
                steady,
                air_exchange_per_day=0.5,
                silica_gel_kg=1.5,
                gel_conditioned_rh_pct=40.0,
            ),
            50.0,
            relative=False,
        ),
        Family(
            "near, buffered",
            CaseSpec(
                "near-buffered",
                "open",
                air_exchange_per_day=2.0,
                silica_gel_kg=2.0,
                gel_conditioned_rh_pct=50.0,
            ),
            -3.0,
            relative=True,
        ),
        Family(
            "near, unbuffered",
            CaseSpec("near-unbuffered", "open", air_exchange_per_day=2.0),
            2.0,
            relative=True,
        ),
        Family(
            "far, unbuffered",
            CaseSpec("far-unbuffered", steady, air_exchange_per_day=0.5),
            10.0,
            relative=True,
        ),
        Family(
            "far, buffered, reconditioned",
            CaseSpec(
                "reconditioned-buffered",
                steady,
                air_exchange_per_day=0.5,
                silica_gel_kg=1.5,
                gel_conditioned_rh_pct=40.0,
            ),
            50.0,
            relative=False,
            reconditioned_h=10 * 24.0 + 10.0,
        ),
    ]


def reconditionings(season: str) -> list[Event]:
    """The gel swaps of the season's families (20 minutes each)."""
    start_s = SEASONS[season]
    return [
        Event(
            "gel_reconditioned",
            start_s + f.reconditioned_h * 3600.0,
            start_s + f.reconditioned_h * 3600.0 + 1200.0,
            f.case.case_id,
            rh_pct=RECONDITIONED_RH_PCT,
        )
        for f in families(season)
        if f.reconditioned_h is not None
    ]


@dataclass(frozen=True)
class Row:
    season: str
    seed: int
    family: str
    knowledge: str
    limit_rh_pct: float
    diagnosis: Diagnosis
    #: When the case's readings pass the limit (the true RH plus its sensor's calibration
    #: offset, daily means: what the alerts compare to the limit), and its true RH.
    truth_days: float
    true_rh_days: float

    @property
    def forecast_holds(self) -> bool:
        """Central estimate within a third of the truth or two days, and the truth inside
        the interval; beyond the forecast's horizon, both."""
        forecast = self.diagnosis.forecast
        assert forecast is not None
        central, (low, high) = forecast.days, forecast.interval_days
        beyond = self.truth_days > forecast.horizon_days
        if beyond or math.isinf(central):
            return beyond and math.isinf(central) and math.isinf(high)
        close = abs(central - self.truth_days) <= max(self.truth_days / 3.0, 2.0)
        return close and low <= self.truth_days <= high


def _frame(times_s: np.ndarray, temperature_c: np.ndarray, rh_pct: np.ndarray) -> pd.DataFrame:
    """Hourly means on a UTC index, as the store gives them."""
    per_hour = int(3600.0 / SAMPLE_S)
    hours = len(times_s) // per_hour * per_hour

    def hourly(values: np.ndarray) -> np.ndarray:
        return values[:hours].reshape(-1, per_hour).mean(axis=1)

    index = pd.to_datetime(hourly(times_s[:hours]) - SAMPLE_S * (per_hour - 1) / 2.0, unit="s", utc=True)
    return pd.DataFrame({"temperature_c": hourly(temperature_c), "rh_pct": hourly(rh_pct)}, index=index)


def _sensor_frame(
    sensor_id: str, seed: int, times_s: np.ndarray, t: np.ndarray, rh: np.ndarray
) -> pd.DataFrame:
    # The sensor's calibration depends on its id and the seed only: last year it was the same.
    sensor = SimulatedSensor(SensorSpec(sensor_id, sensor_id, "hanoi"), seed, float(times_s[0]))
    read = sensor.readings(times_s, t, rh)
    return _frame(times_s, read["temperature_c"], read["rh_pct"])


@dataclass(frozen=True)
class Run:
    """One season and seed: what the sensors reported and what the model says is true."""

    window: dict[str, pd.DataFrame]
    before: dict[str, pd.DataFrame]
    #: The true daily mean RH of each case, from the window's last day on, and its
    #: sensor's calibration offset.
    truth_daily: dict[str, np.ndarray]
    offset_pct: dict[str, float]
    #: Each gallery's true level over the window: mean RH of its air at the case's temperature.
    level: dict[str, float]


def _rooms() -> list[CaseSpec]:
    """Each gallery's air, as a case its sensor stands in."""
    return [CaseSpec(f"{g.gallery}-air", g.gallery, **ROOM_AIR) for g in GALLERIES]  # type: ignore[arg-type]


@cache
def _climates(horizon_days: int) -> dict[tuple[str, int], tuple[ClimateSample, ClimateSample]]:
    """The building of every season and seed over the window and the horizon, and a year
    before: all in one run of the model (sample_together, the same results as one by one)."""
    span = np.arange(0.0, (WINDOW_DAYS + horizon_days) * 86_400.0, SAMPLE_S)
    models, times = [], []
    for season, start_s in SEASONS.items():
        cases = [*_rooms(), *(f.case for f in families(season))]
        then_s = start_s - LAST_YEAR_DAYS * 86_400.0
        for seed in SEEDS:
            events = reconditionings(season)
            models.append(
                BuildingModel(GALLERIES, cases, start_s=start_s, zone=ZONE, seed=seed, events=events)
            )
            models.append(BuildingModel(GALLERIES, _rooms(), start_s=then_s, zone=ZONE, seed=seed))
            times += [start_s + span, then_s + span]
    samples = sample_together(models, times)
    keys = [(season, seed) for season in SEASONS for seed in SEEDS]
    return {key: (samples[2 * k], samples[2 * k + 1]) for k, key in enumerate(keys)}


@cache
def simulate(season: str, seed: int, horizon_days: int = HORIZON_DAYS) -> Run:
    start_s = SEASONS[season]
    rooms = _rooms()
    cases = [f.case for f in families(season)]
    span = np.arange(0.0, (WINDOW_DAYS + horizon_days) * 86_400.0, SAMPLE_S)
    if seed in SEEDS:
        now, then = _climates(horizon_days)[season, seed]
    else:
        events = reconditionings(season)
        now = BuildingModel(
            GALLERIES, [*rooms, *cases], start_s=start_s, zone=ZONE, seed=seed, events=events
        ).sample(start_s + span)
        then_s = start_s - LAST_YEAR_DAYS * 86_400.0
        then = BuildingModel(GALLERIES, rooms, start_s=then_s, zone=ZONE, seed=seed).sample(then_s + span)
    in_window = span < WINDOW_DAYS * 86_400.0
    window: dict[str, pd.DataFrame] = {}
    for j, spec in enumerate([*rooms, *cases]):
        t, rh = now.case_temperature_c[in_window, j], now.case_rh_pct[in_window, j]
        window[spec.case_id] = _sensor_frame(spec.case_id, seed, now.epoch_s[in_window], t, rh)
    window["outdoor"] = _sensor_frame(
        "outdoor",
        seed,
        now.epoch_s[in_window],
        now.outdoor_temperature_c[in_window],
        now.outdoor_rh_pct[in_window],
    )
    before = {
        spec.case_id: _sensor_frame(
            spec.case_id, seed, then.epoch_s, then.case_temperature_c[:, j], then.case_rh_pct[:, j]
        )
        for j, spec in enumerate(rooms)
    }
    before["outdoor"] = _sensor_frame(
        "outdoor", seed, then.epoch_s, then.outdoor_temperature_c, then.outdoor_rh_pct
    )
    per_day = int(86_400.0 / SAMPLE_S)
    truth_daily, level = {}, {}
    for j, spec in enumerate(cases, start=len(rooms)):
        daily = now.case_rh_pct[:, j].reshape(-1, per_day).mean(axis=1)
        truth_daily[spec.case_id] = daily[WINDOW_DAYS - 1 :]
        room = next(k for k, r in enumerate(rooms) if r.gallery == spec.gallery)
        x = room_rh_at_case_pct(
            now.case_temperature_c[in_window, room],
            now.case_rh_pct[in_window, room],
            now.case_temperature_c[in_window, j],
        )
        level[spec.case_id] = float(np.mean(x))
    offsets = {
        spec.case_id: SimulatedSensor(
            SensorSpec(spec.case_id, spec.case_id, "hanoi"), seed, start_s
        ).offset_rh
        for spec in cases
    }
    return Run(window, before, truth_daily, offsets, level)


def museum(season: str, limits: dict[str, float]) -> MuseumConfig:
    """The three galleries, their air (the cases' reference) and the season's cases, each
    with its RH limit as its rule."""
    cases: list[dict[str, object]] = [
        {
            "id": f"{g.gallery}-air",
            "gallery": g.gallery,
            "name": g.gallery,
            "kind": "room",
            "sensors": [f"{g.gallery}-s"],
        }
        for g in GALLERIES
    ]
    for family in families(season):
        spec = family.case
        facts = {"silica_gel_kg": spec.silica_gel_kg, "volume_m3": spec.volume_m3}
        cases.append(
            {
                "id": spec.case_id,
                "gallery": spec.gallery,
                "name": family.name,
                "sensors": [spec.case_id],
                **facts,
            }
        )
    data = {
        "museum": {"name": "Forecasts", "timezone": "Asia/Ho_Chi_Minh", "language": "en"},
        "mqtt": {"url": "mqtt://127.0.0.1:1"},
        "influxdb": {"url": "http://127.0.0.1:1"},
        "sites": [{"id": "hanoi", "name": "Hà Nội"}],
        "cases": [{**case, "site": "hanoi"} for case in cases],
        "alerts": {"rules": [{"case": case, "rh_max_pct": limit} for case, limit in limits.items()]},
    }
    return parse_config(data, origin="forecast cases", environ={})


def rows(season: str, seed: int, knowledge: tuple[str, ...] = KNOWLEDGE) -> list[Row]:
    """Every family of ``season`` forecast with each kind of ``knowledge``, against the truth."""
    run = simulate(season, seed)
    start = datetime.fromtimestamp(SEASONS[season], UTC)
    end = datetime.fromtimestamp(SEASONS[season] + WINDOW_DAYS * 86_400.0, UTC)
    limits = {
        f.case.case_id: float(round(run.level[f.case.case_id] + f.limit_rh_pct))
        if f.relative
        else f.limit_rh_pct
        for f in families(season)
    }
    config = museum(season, limits)
    found = []
    for family in families(season):
        spec = family.case
        room_id = f"{spec.gallery}-air"
        seasons = {
            "persistence": None,
            "history": SeasonRecord(run.before[room_id]),
            "outdoor": SeasonRecord(
                run.before[room_id].iloc[0:0], run.window["outdoor"], run.before["outdoor"]
            ),
        }
        truth = run.truth_daily[spec.case_id]
        limit = limits[spec.case_id]
        # The truth's crossing, interpolated between daily means as the forecast's is.
        read = truth + run.offset_pct[spec.case_id]
        read_days = float(crossing_days(read[:1], np.array([1e-9]), read[None, 1:], limit)[0])
        true_days = float(crossing_days(truth[:1], np.array([1e-9]), truth[None, 1:], limit)[0])
        for kind in knowledge:
            diagnosis = diagnose_case(
                config,
                config.case(spec.case_id),
                run.window[spec.case_id],
                run.window[room_id],
                start,
                end,
                seasons[kind],
            )
            found.append(Row(season, seed, family.name, kind, limit, diagnosis, read_days, true_days))
    return found
