"""Diagnose cases from their stored readings: how tight each is against its room, its
moisture trend, and when its RH will pass its alert limit (``patina diagnose``).

The science is :mod:`analysis.diagnostics`; this module reads hourly means of each case
and of its reference room from the store, applies the case's alert limit (its rule's
``rh_max_pct``, else the strictest limit of its materials, as the alerts use) and shapes
the result for JSON and for people. Rooms (``kind = "room"``) are references, not cases
to diagnose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from analysis.diagnostics import Forecast, Tightness, fit_tightness, forecast_limit, moisture_trend
from museum.description.config import Case, MuseumConfig
from museum.description.limits import case_limits
from museum.language.i18n import Translator
from museum.storage.store import InfluxStore

#: How far back ``patina diagnose`` looks by default: two weeks (the window the
#: estimators were validated on, docs/diagnostics.md).
DEFAULT_WINDOW = timedelta(days=14)
#: The case's RH "now": its mean over the last day of the window (removes the daily cycle).
NOW_WINDOW_H = 24


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

    @property
    def quality(self) -> str:
        if self.reference is None:
            return "no_reference"
        return self.tightness.quality if self.tightness is not None else "insufficient_data"


def hourly_climate(store: InfluxStore, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Hourly means of a case's sensors (temperature_c, rh_pct), on a UTC hourly index."""
    series = store.hourly_series(case_id, start, end)
    if series.empty:
        return pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)
    frame = series.groupby("time")[["temperature_c", "rh_pct"]].mean().astype(float)
    frame.index = pd.to_datetime(frame.index, utc=True)
    return frame


def diagnose_case(
    config: MuseumConfig,
    case: Case,
    case_hourly: pd.DataFrame,
    room_hourly: pd.DataFrame | None,
    start: datetime,
    end: datetime,
) -> Diagnosis:
    """One case's diagnosis from hourly means of the case and of its reference room."""
    first = pd.Timestamp(start).tz_convert("UTC").floor("h")
    grid = pd.date_range(first, pd.Timestamp(end).tz_convert("UTC"), freq="h", inclusive="left")
    mine = case_hourly.reindex(grid)
    time_s = np.asarray((grid - pd.Timestamp(0, tz="UTC")).total_seconds(), dtype=float)
    rh = mine["rh_pct"].to_numpy(dtype=float)
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
        room = room_hourly.reindex(grid)
        gel = case.facts.silica_gel_kg
        tightness = fit_tightness(
            time_s,
            mine["temperature_c"].to_numpy(dtype=float),
            rh,
            room["temperature_c"].to_numpy(dtype=float),
            room["rh_pct"].to_numpy(dtype=float),
            buffered=None if gel is None else gel > 0,
        )
        if limit is not None:
            forecast = forecast_limit(tightness, rh_now, limit)
    return Diagnosis(case, reference, tightness, trend, limit, rh_now, forecast, end)


def diagnose(
    config: MuseumConfig, store: InfluxStore, case_ids: list[str], start: datetime, end: datetime
) -> list[Diagnosis]:
    """Diagnose the named cases (all cases, not rooms, when none is named)."""
    chosen = [config.case(c) for c in case_ids] if case_ids else [c for c in config.cases if not c.is_room]
    cache: dict[str, pd.DataFrame] = {}

    def hourly(case_id: str) -> pd.DataFrame:
        if case_id not in cache:
            cache[case_id] = hourly_climate(store, case_id, start, end)
        return cache[case_id]

    results = []
    for case in chosen:
        reference = config.reference_for(case.id)
        room = hourly(reference.id) if reference is not None else None
        results.append(diagnose_case(config, case, hourly(case.id), room, start, end))
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
            }
        )
    return {"cases": rows}


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
        return d.forecast.days if d.forecast is not None else math.inf

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
        elif fit.air_exchange_per_day is not None:
            lines.append(t("diagnose.air_exchange", rate=n(fit.air_exchange_per_day, 2)))
    lines.append(t("diagnose.trend", trend=n(d.trend_rh_pct_per_day, 2), rh=n(d.rh_now_pct, 1)))
    if d.limit_rh_pct is None:
        lines.append(t("diagnose.no_limit"))
    elif forecast is None:
        lines.append(t("diagnose.no_forecast", limit=n(d.limit_rh_pct, 0)))
    elif forecast.days == 0:
        lines.append(t("diagnose.already", limit=n(d.limit_rh_pct, 0)))
    elif math.isinf(forecast.days):
        lines.append(t("diagnose.no_crossing", limit=n(d.limit_rh_pct, 0)))
    else:
        low, high = forecast.interval_days
        lines.append(
            t(
                "diagnose.crossing",
                limit=n(d.limit_rh_pct, 0),
                days=n(forecast.days, 0),
                low=n(low, 0),
                high=n(high, 0) if math.isfinite(high) else "∞",
                date=crossing_date(d, t),
            )
        )
    return lines


def crossing_date(d: Diagnosis, t: Translator) -> str:
    """The day the case is forecast to pass its limit, as the language writes dates."""
    if d.forecast is None or not math.isfinite(d.forecast.days):
        return "—"
    when = d.end + timedelta(days=d.forecast.days)
    return t.date(when.date(), "medium")
