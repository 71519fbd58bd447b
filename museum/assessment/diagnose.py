"""Diagnose cases from their stored readings: how tight each is against its room, its
moisture trend, and when its RH will pass its alert limit (``patina diagnose``).

The science is :mod:`analysis.diagnostics` (the fit) and :mod:`analysis.forecast` (the
room's future and the crossing); this module reads hourly means of each case, of its
reference room and of what the store knows of the room's season (the room 52 weeks before;
the outdoor air now and 52 weeks before, where the config has an outdoor sensor), applies
the case's alert limit (its rule's ``rh_max_pct``, else the strictest limit of its
materials, as the alerts use) and shapes the result for JSON and for people. Rooms
(``kind = "room"``) are references and outdoor sensors (``kind = "outdoor"``) are the
weather, not cases to diagnose.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from analysis.diagnostics import Tightness, fit_tightness, moisture_trend
from analysis.forecast import (
    HORIZON_DAYS,
    LAST_YEAR_DAYS,
    MIN_AHEAD_DAYS,
    MIN_PAST_COVERAGE,
    Forecast,
    Outlook,
    case_draws,
    daily_means,
    forecast_crossing,
    outdoor_outlook,
    past_coverage,
    persistence_outlook,
    room_rh_at_case_pct,
    seasonal_outlook,
    sensor_offset,
)
from analysis.psychrometrics import absolute_humidity
from museum.description.config import Case, MuseumConfig
from museum.description.limits import case_limits
from museum.language.i18n import Translator
from museum.storage.store import InfluxStore

#: How far back ``patina diagnose`` looks by default: two weeks (the window the
#: estimators were validated on, docs/diagnostics.md).
DEFAULT_WINDOW = timedelta(days=14)
#: The case's RH "now": its mean over the last day of the window (removes the daily cycle).
NOW_WINDOW_H = 24
#: A sensor of this kind reads the outdoor air of its site. The config does not know the
#: kind yet (docs/diagnostics.md, "An outdoor sensor"): until it does, no case is one.
OUTDOOR_KIND = "outdoor"
#: Last year's same weeks, counted back from the window.
LAST_YEAR = timedelta(days=LAST_YEAR_DAYS)
HORIZON = timedelta(days=HORIZON_DAYS)


@dataclass(frozen=True)
class SeasonRecord:
    """What the store holds of a reference room's season for one window: hourly means
    (temperature_c, rh_pct on a UTC index) of the room 52 weeks before, over the window's
    weeks and the horizon after them; of the outdoor air over the window and 52 weeks
    before (None: the config has no outdoor sensor for the case's site)."""

    room_before: pd.DataFrame
    outdoor: pd.DataFrame | None = None
    outdoor_before: pd.DataFrame | None = None

    @property
    def has_outdoor_sensor(self) -> bool:
        return self.outdoor is not None


@dataclass(frozen=True)
class Diagnosis:
    case: Case
    reference: Case | None
    tightness: Tightness | None
    trend_rh_pct_per_day: float
    limit_rh_pct: float | None
    rh_now_pct: float
    forecast: Forecast | None
    end: datetime
    #: Whether the config names an outdoor sensor for the case's site (what to suggest).
    has_outdoor_sensor: bool = False
    #: Days of the window the forecast's level rests on.
    window_days: int = DEFAULT_WINDOW.days

    @property
    def quality(self) -> str:
        if self.reference is None:
            return "no_reference"
        return self.tightness.quality if self.tightness is not None else "insufficient_data"

    @property
    def sharpen(self) -> tuple[str, ...]:
        """What data would sharpen an uncertain forecast: ``gallery_year`` (a year of the
        gallery's readings), ``outdoor_sensor``, ``outdoor_year`` (a year of the outdoor
        sensor's readings), ``sensor_check`` (the case's and the gallery's sensors checked
        side by side), ``longer_record`` (more weeks of the case)."""
        forecast = self.forecast
        if forecast is None or forecast.actionable:
            return ()
        wanted: list[str] = []
        if "season" in forecast.limited_by and forecast.source != "history":
            wanted.append("gallery_year")
            if forecast.source == "persistence":
                wanted.append("outdoor_year" if self.has_outdoor_sensor else "outdoor_sensor")
        if "calibration" in forecast.limited_by:
            wanted.append("sensor_check")
        if "tightness" in forecast.limited_by:
            wanted.append("longer_record")
        return tuple(wanted)


def hourly_climate(store: InfluxStore, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Hourly means of a case's sensors (temperature_c, rh_pct), on a UTC hourly index."""
    series = store.hourly_series(case_id, start, end)
    if series.empty:
        return pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)
    frame = series.groupby("time")[["temperature_c", "rh_pct"]].mean().astype(float)
    frame.index = pd.to_datetime(frame.index, utc=True)
    return frame


def _on_grid(frame: pd.DataFrame | None, grid: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    if frame is None or frame.empty:
        return np.full(len(grid), np.nan), np.full(len(grid), np.nan)
    on = frame.reindex(grid)
    return on["temperature_c"].to_numpy(dtype=float), on["rh_pct"].to_numpy(dtype=float)


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((index - pd.Timestamp(0, tz="UTC")).total_seconds(), dtype=float)


def _window_days(time_s: np.ndarray, end: datetime) -> int:
    """Whole days from the grid's first hour to ``end`` (the window's daily means)."""
    return max(math.ceil((end.timestamp() - time_s[0]) / 86_400.0 - 1e-9), 1)


def _past_daily(
    frame: pd.DataFrame | None, end: datetime, days: int, warmer_k: float
) -> dict[str, np.ndarray]:
    """Daily means 52 weeks before, over the window's ``days`` and the horizon: x (the
    room's RH at a case ``warmer_k`` above it), absolute humidity and temperature."""
    if frame is None or frame.empty:
        empty = np.full(days + HORIZON_DAYS, np.nan)
        return {"x": empty, "rho": empty, "temperature": empty}
    t = _seconds(pd.DatetimeIndex(frame.index))
    temperature, rh = frame["temperature_c"].to_numpy(float), frame["rh_pct"].to_numpy(float)
    past_end_s = (end - LAST_YEAR + HORIZON).timestamp()

    def daily(values: np.ndarray) -> np.ndarray:
        return daily_means(t, values, past_end_s, days + HORIZON_DAYS)

    return {
        "x": daily(room_rh_at_case_pct(temperature, rh, temperature + warmer_k)),
        "rho": daily(np.asarray(absolute_humidity(temperature, rh))),
        "temperature": daily(temperature),
    }


def room_outlook(
    time_s: np.ndarray,
    case: tuple[np.ndarray, np.ndarray],
    room: tuple[np.ndarray, np.ndarray],
    outdoor: tuple[np.ndarray, np.ndarray],
    end: datetime,
    season: SeasonRecord | None,
) -> Outlook:
    """The room's future after the window (analysis.forecast): from the room's own same
    weeks a year before where the store covers them; else from the outdoor air's, through
    the building's response; else the window's level, persisting."""
    end_s = end.timestamp()
    days = _window_days(time_s, end)
    window = daily_means(time_s, room_rh_at_case_pct(room[0], room[1], case[0]), end_s, days)
    warmer_k = float(np.nanmean(case[0] - room[0]))

    def covers(past: np.ndarray) -> bool:
        share, ahead = past_coverage(past, days)
        return share >= MIN_PAST_COVERAGE and ahead >= MIN_AHEAD_DAYS

    if season is not None:
        before = _past_daily(season.room_before, end, days, warmer_k)
        if covers(before["x"]):
            return seasonal_outlook(window, before["x"])
        outdoor_before = _past_daily(season.outdoor_before, end, days, warmer_k)
        outdoor_now = daily_means(time_s, np.asarray(absolute_humidity(*outdoor)), end_s, days)
        if covers(outdoor_before["rho"]) and np.isfinite(outdoor_now).sum() >= MIN_PAST_COVERAGE * days:
            outlook = outdoor_outlook(
                window,
                daily_means(time_s, np.asarray(absolute_humidity(*room)), end_s, days),
                daily_means(time_s, room[0], end_s, days),
                outdoor_now,
                daily_means(time_s, outdoor[0], end_s, days),
                outdoor_before["rho"],
                outdoor_before["temperature"],
                warmer_k,
            )
            # The building's response is known only as far as the outdoor stays as the
            # window saw it: a shorter reach than the window's own level's says less.
            if outlook.horizon_days >= MIN_AHEAD_DAYS:
                return outlook
    return persistence_outlook(window)


def _forecast(
    tightness: Tightness,
    time_s: np.ndarray,
    case: tuple[np.ndarray, np.ndarray],
    room: tuple[np.ndarray, np.ndarray],
    outdoor: tuple[np.ndarray, np.ndarray],
    end: datetime,
    rh_now: float,
    limit: float,
    season: SeasonRecord | None,
    explain: bool,
) -> Forecast | None:
    if not math.isfinite(tightness.time_constant_days) or not math.isfinite(rh_now):
        return None
    outlook = room_outlook(time_s, case, room, outdoor, end, season)
    days, end_s = _window_days(time_s, end), end.timestamp()
    offset, offset_se = sensor_offset(
        daily_means(time_s, case[1], end_s, days),
        daily_means(time_s, room_rh_at_case_pct(room[0], room[1], case[0]), end_s, days),
        tightness.time_constant_days,
    )
    return forecast_crossing(
        case_draws(tightness, offset, offset_se), rh_now, limit, outlook, explain=explain
    )


def diagnose_case(
    config: MuseumConfig,
    case: Case,
    case_hourly: pd.DataFrame,
    room_hourly: pd.DataFrame | None,
    start: datetime,
    end: datetime,
    season: SeasonRecord | None = None,
    explain: bool = True,
) -> Diagnosis:
    """One case's diagnosis from hourly means of the case and of its reference room, and
    of what the store holds of the room's season (``season``; None: the window alone).
    ``explain=False``: an uncertain forecast does not say what holds it back (nor, then,
    :attr:`Diagnosis.sharpen` what would sharpen it; see
    :func:`analysis.forecast.forecast_crossing`)."""
    first = pd.Timestamp(start).tz_convert("UTC").floor("h")
    grid = pd.date_range(first, pd.Timestamp(end).tz_convert("UTC"), freq="h", inclusive="left")
    time_s = _seconds(grid)
    mine = _on_grid(case_hourly, grid)
    rh = mine[1]
    trend, _ = moisture_trend(time_s, rh)
    seen = np.flatnonzero(np.isfinite(rh))
    rh_now = math.nan
    if len(seen):
        # "Now" is the last day of readings, and the forecast counts from the last reading:
        # a window that runs on past the data (a report up to midnight) changes neither.
        last_s = time_s[seen[-1]]
        rh_now = float(np.nanmean(rh[(time_s > last_s - NOW_WINDOW_H * 3600.0) & (time_s <= last_s)]))
        end = min(end, datetime.fromtimestamp(last_s + 3600.0, UTC))
    limit = case_limits(config, case).rh_max_pct
    reference = config.reference_for(case.id)
    tightness = forecast = None
    if reference is not None and room_hourly is not None:
        room = _on_grid(room_hourly, grid)
        gel = case.facts.silica_gel_kg
        tightness = fit_tightness(time_s, *mine, *room, buffered=None if gel is None else gel > 0)
        if tightness.level_shifts_s and len(seen):
            # A reconditioned gel (a level shift): the case's RH now and its trend count
            # from after it, not across it.
            after = time_s >= tightness.level_shifts_s[-1]
            last_s = time_s[seen[-1]]
            recent = after & (time_s > last_s - NOW_WINDOW_H * 3600.0) & (time_s <= last_s)
            rh_now = float(np.nanmean(rh[recent])) if np.isfinite(rh[recent]).any() else rh_now
            trend, _ = moisture_trend(time_s[after], rh[after])
        if limit is not None:
            outdoor = _on_grid(season.outdoor if season is not None else None, grid)
            forecast = _forecast(tightness, time_s, mine, room, outdoor, end, rh_now, limit, season, explain)
    outside = season is not None and season.has_outdoor_sensor
    days = _window_days(time_s, end) if len(time_s) else DEFAULT_WINDOW.days
    return Diagnosis(case, reference, tightness, trend, limit, rh_now, forecast, end, outside, days)


def outdoor_for(config: MuseumConfig, case: Case) -> Case | None:
    """The outdoor sensor of the case's site: one of its gallery first, else any."""
    outside = [c for c in config.cases if c.kind == OUTDOOR_KIND and c.site == case.site]
    return next((c for c in outside if c.gallery == case.gallery), outside[0] if outside else None)


def read_season(
    config: MuseumConfig,
    case: Case,
    start: datetime,
    end: datetime,
    hourly: Callable[[str, datetime, datetime], pd.DataFrame],
) -> SeasonRecord:
    """What the store holds of the season of ``case``'s reference room for the window
    ``start``…``end``, read through ``hourly`` (e.g. :func:`hourly_climate` on a store)."""
    reference = config.reference_for(case.id)
    empty = pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)
    before = (start - LAST_YEAR, end - LAST_YEAR + HORIZON)
    room_before = hourly(reference.id, *before) if reference is not None else empty
    outside = outdoor_for(config, case)
    if outside is None:
        return SeasonRecord(room_before)
    return SeasonRecord(room_before, hourly(outside.id, start, end), hourly(outside.id, *before))


def diagnose(
    config: MuseumConfig, store: InfluxStore, case_ids: list[str], start: datetime, end: datetime
) -> list[Diagnosis]:
    """Diagnose the named cases (all cases, not rooms or outdoor sensors, when none is
    named), each with what the store holds of its room's season."""
    chosen = (
        [config.case(c) for c in case_ids]
        if case_ids
        else [c for c in config.cases if not c.is_room and c.kind != OUTDOOR_KIND]
    )
    cache: dict[tuple[str, datetime, datetime], pd.DataFrame] = {}

    def hourly(case_id: str, first: datetime, last: datetime) -> pd.DataFrame:
        key = (case_id, first, last)
        if key not in cache:
            cache[key] = hourly_climate(store, case_id, first, last)
        return cache[key]

    results = []
    for case in chosen:
        reference = config.reference_for(case.id)
        room = hourly(reference.id, start, end) if reference is not None else None
        season = read_season(config, case, start, end, hourly) if reference is not None else None
        results.append(diagnose_case(config, case, hourly(case.id, start, end), room, start, end, season))
    return results


def _finite(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def as_json(diagnoses: list[Diagnosis]) -> dict[str, list[dict[str, object]]]:
    """The shape of ``patina diagnose --json`` (docs/diagnostics.md)."""
    rows: list[dict[str, object]] = []
    for d in diagnoses:
        fit, forecast = d.tightness, d.forecast
        usable = fit is not None and d.quality not in ("room_steady", "insufficient_data")
        rows.append(
            {
                "case": d.case.id,
                "reference": d.reference.id if d.reference is not None else None,
                "half_time_days": _finite(fit.half_time_days, 3) if usable and fit else None,
                "half_time_interval_days": [_finite(v, 3) for v in fit.half_time_interval_days]
                if usable and fit
                else [None, None],
                "air_exchange_per_day": _finite(fit.air_exchange_per_day, 3)
                if usable and fit and not fit.buffered
                else None,
                "buffered": fit.buffered if fit is not None else None,
                "trend_rh_pct_per_day": _finite(d.trend_rh_pct_per_day, 3),
                "rh_now_pct": _finite(d.rh_now_pct, 1),
                "limit_rh_pct": d.limit_rh_pct,
                "days_to_limit": _finite(forecast.days, 1) if forecast else None,
                "days_to_limit_interval": [_finite(v, 1) for v in forecast.interval_days]
                if forecast
                else [None, None],
                "quality": d.quality,
                # Steps in a buffered case's RH the fit did not cross (a reconditioned gel).
                "level_shifts": [
                    datetime.fromtimestamp(s, UTC).isoformat() for s in (fit.level_shifts_s if fit else ())
                ],
                **forecast_json(d),
            }
        )
    return {"cases": rows}


def forecast_json(d: Diagnosis) -> dict[str, object]:
    """The forecast's own fields of ``patina diagnose --json`` (docs/diagnostics.md)."""
    forecast = d.forecast
    if forecast is None:
        return {
            "days_to_limit_early": None,
            "date_to_limit": None,
            "date_to_limit_early": None,
            "forecast_actionable": None,
            "forecast_source": None,
            "forecast_horizon_days": None,
            "forecast_limited_by": [],
            "forecast_sharpen": [],
        }
    day, early = crossing_day(d, forecast.days), crossing_day(d, forecast.early_days)
    return {
        "days_to_limit_early": _finite(forecast.early_days, 1),
        "date_to_limit": day.isoformat() if day else None,
        "date_to_limit_early": early.isoformat() if early else None,
        "forecast_actionable": forecast.actionable,
        "forecast_source": forecast.source,
        "forecast_horizon_days": forecast.horizon_days,
        "forecast_limited_by": list(forecast.limited_by),
        "forecast_sharpen": list(d.sharpen),
    }


def quality_text(t: Translator, quality: str) -> str:
    # Literal keys, so the catalogue check finds every one.
    return {
        "good": t("diagnose.quality_good"),
        "fair": t("diagnose.quality_fair"),
        "poor": t("diagnose.quality_poor"),
        "room_steady": t("diagnose.quality_room_steady"),
        "insufficient_data": t("diagnose.quality_insufficient_data"),
        "no_reference": t("diagnose.quality_no_reference"),
    }[quality]


def render_text(diagnoses: list[Diagnosis], t: Translator, start: datetime, end: datetime) -> str:
    """The diagnosis for a person, in the translator's language; cases that will pass
    their limit soonest first."""
    if not diagnoses:
        return t("diagnose.no_cases")
    lines = [t("diagnose.title", start=t.moment(start, "medium"), end=t.moment(end, "medium"))]

    def urgency(d: Diagnosis) -> float:
        return d.forecast.early_days if d.forecast is not None else math.inf

    for d in sorted(diagnoses, key=urgency):
        lines += [
            "",
            t(
                "diagnose.case",
                case=d.case.id,
                name=t.name(d.case.name),
                reference=d.reference.id if d.reference else "—",
            ),
        ]
        lines += ["  " + line for line in describe(d, t)]
    return "\n".join(lines)


def describe(d: Diagnosis, t: Translator) -> list[str]:
    """The lines that say what one case's diagnosis means (quality, half-time, air
    exchange or buffering, trend, and when it passes its limit)."""
    n = t.number
    fit, forecast = d.tightness, d.forecast
    lines = [t("diagnose.quality", quality=quality_text(t, d.quality))]
    if d.reference is None:
        lines.append(t("diagnose.no_reference_hint", gallery=t.name(d.case.gallery)))
    if (
        fit is not None
        and math.isfinite(fit.half_time_days)
        and d.quality not in ("room_steady", "insufficient_data")
    ):
        low, high = fit.half_time_interval_days
        # Leaky cases have half-times of hours: keep two decimals for them.
        digits = 2 if fit.half_time_days < 10 else 1
        lines.append(
            t(
                "diagnose.half_time",
                days=n(fit.half_time_days, digits),
                low=n(low, digits),
                high=n(high, digits) if math.isfinite(high) else "∞",
            )
        )
        if fit.buffered:
            lines.append(t("diagnose.buffered"))
        if fit.level_shifts_s:
            # A reconditioned gel (issue 30): said, so the conservator sees the fit knows.
            when = datetime.fromtimestamp(fit.level_shifts_s[-1], UTC).date()
            lines.append(t("diagnose.level_shift", date=t.date(when, "medium")))
        elif fit.air_exchange_per_day is not None:
            lines.append(t("diagnose.air_exchange", rate=n(fit.air_exchange_per_day, 2)))
    lines.append(t("diagnose.trend", trend=n(d.trend_rh_pct_per_day, 2), rh=n(d.rh_now_pct, 1)))
    if d.limit_rh_pct is None:
        lines.append(t("diagnose.no_limit"))
    elif forecast is None:
        lines.append(t("diagnose.no_forecast", limit=n(d.limit_rh_pct, 0)))
    elif forecast.days == 0:
        lines.append(t("diagnose.already", limit=n(d.limit_rh_pct, 0)))
    else:
        lines += forecast_lines(d, forecast, t)
    return lines


def forecast_lines(d: Diagnosis, forecast: Forecast, t: Translator) -> list[str]:
    """When the case passes its limit, said as surely as the forecast allows, on what it
    rests, and what would sharpen it."""
    n = t.number
    low, high = forecast.interval_days
    values = {
        "limit": n(forecast.limit_rh_pct, 0),
        "days": n(forecast.days, 0),
        "date": crossing_date(d, t),
        "early": crossing_date(d, t, forecast.early_days),
        "low": n(low, 0),
        "high": n(high, 0),
        "horizon": n(forecast.horizon_days, 0),
    }
    if math.isinf(low):
        line = t("diagnose.forecast_beyond", **values)
    elif forecast.actionable:
        line = t("diagnose.forecast_sure", **values)
    elif math.isfinite(high):
        line = t("diagnose.forecast_uncertain", **values)
    elif math.isfinite(forecast.early_days):
        line = t("diagnose.forecast_uncertain_open", **values)
    else:
        line = t("diagnose.forecast_unlikely", **values)
    lines = [line, basis_text(t, forecast.source, d)]
    wanted = [sharpen_text(t, item) for item in d.sharpen]
    if wanted:
        lines.append(t("diagnose.sharpen", items=t("diagnose.list_separator").join(wanted)))
    return lines


def basis_text(t: Translator, source: str, d: Diagnosis) -> str:
    """On what the forecast of the room's future rests (literal keys for the catalogue check)."""
    return {
        "history": t("diagnose.basis_history"),
        "outdoor": t("diagnose.basis_outdoor"),
        "persistence": t("diagnose.basis_persistence", days=d.window_days),
    }[source]


def sharpen_text(t: Translator, item: str) -> str:
    return {
        "gallery_year": t("diagnose.sharpen_gallery_year"),
        "outdoor_sensor": t("diagnose.sharpen_outdoor_sensor"),
        "outdoor_year": t("diagnose.sharpen_outdoor_year"),
        "sensor_check": t("diagnose.sharpen_sensor_check"),
        "longer_record": t("diagnose.sharpen_longer_record"),
    }[item]


def crossing_day(d: Diagnosis, days: float) -> date | None:
    """The day ``days`` after the end of the window, in the museum's calendar as UTC gives it."""
    if not math.isfinite(days):
        return None
    return (d.end + timedelta(days=days)).date()


def crossing_date(d: Diagnosis, t: Translator, days: float | None = None) -> str:
    """The day the case is forecast to pass its limit (or ``days`` after the window's end),
    as the language writes dates."""
    if days is None:
        days = d.forecast.days if d.forecast is not None else math.inf
    day = crossing_day(d, days)
    return t.date(day, "medium") if day is not None else "—"
