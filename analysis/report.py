"""The climate report of a record: what `patina analyse` prints (and the dashboard reuses).

:func:`climate_report` returns plain data (numbers, strings, lists, dicts) that serialises
to JSON as it is. Keys:

``period``
    ``start``, ``end`` (ISO 8601, UTC), ``days``.
``coverage``
    ``readings``, ``median_interval_s``, ``expected_readings`` (over the period at the
    median interval) and ``coverage_pct``.
``gaps``
    ``count``, ``total_hours``, ``longest`` and ``list`` (each ``start``, ``end``,
    ``hours``; at most 20), steps longer than 3 × the median interval. A gap's ``hours``
    are the time without readings: the step less the normal interval.
``statistics``
    For ``temperature_c``, ``rh_pct``, ``dew_point_c``: ``min``, ``p5``, ``mean``,
    ``p95``, ``max``; ``daily_range`` means of the daily max − min of temperature and RH.
``ipi``
    Period ratings (``metal_corrosion``, ``mechanical_damage``, ``natural_aging``,
    ``mould``: good/ok/risk) and ``twpi_years``.
``time_of_wetness``
    ``hours`` and ``pct`` of the period (ISO 9223).
``en15757``
    ``None`` below 13 months or for a record too sparse for the 30-day moving average
    (``en15757_unavailable`` then says which: ``reason`` ``short`` or ``sparse``, and for
    ``sparse`` the readings ``needed`` in 30 days and the most ``found``), else
    ``lower_offset_pct``, ``upper_offset_pct`` (the band applied), ``p7_offset_pct``,
    ``p93_offset_pct`` (the percentiles of the fluctuations before the ±10 % minimum) and
    ``share_inside_pct``.
``mould``
    ``ipi_rating_end`` (IPI's instantaneous rating of the last reading), ``hours_possible``
    (hours where IPI's table expects germination), ``risk_factor`` (accumulated Σ Δt /
    days to germination) and its ``grade``, ``longest_spell_factor``, and the VTT index
    (``vtt_index_max``, ``vtt_index_end``) on pine sapwood; see docs/risk-model.md.
``risk``
    Per material: ``hours_per_level``, ``pct_per_level``, ``worst``, ``current``,
    ``corrosion_dose`` (%RH·h at 20 °C, metals) and ``conflicts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics import (
    En15757Unavailable,
    en15757_band,
    find_gaps,
    mould_index_vtt,
    period_ipi_ratings,
    time_of_wetness_hours,
    time_weighted_preservation_index,
)
from analysis.mould import days_to_germination, factor_grade, longest_spell_factor, mould_risk_factor
from analysis.psychrometrics import dew_point
from analysis.risk import LEVELS, assess
from analysis.sampling import reading_durations_h


def _stats(values: pd.Series) -> dict[str, float]:
    v = values.to_numpy(float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {}
    return {
        "min": float(v.min()),
        "p5": float(np.percentile(v, 5)),
        "mean": float(v.mean()),
        "p95": float(np.percentile(v, 95)),
        "max": float(v.max()),
    }


def climate_report(
    readings: pd.DataFrame,
    materials: Iterable[str] = (),
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    timezone: str | tzinfo = "UTC",
) -> dict[str, Any]:
    """Figures of a record of ``temperature_c`` and ``rh_pct`` indexed by UTC time;
    ``timezone`` (IANA) is where days begin for daily figures."""
    data = readings[["temperature_c", "rh_pct"]].dropna()
    if data.empty:
        raise ValueError("no readings with both temperature and RH")
    index = pd.DatetimeIndex(data.index)
    span = index[-1] - index[0]
    median_s = float(np.median(np.diff(index.as_unit("ns").asi8)) / 1e9) if len(index) > 1 else 0.0
    expected = int(span.total_seconds() // median_s) + 1 if median_s else len(index)
    gaps = find_gaps(index)
    gap_rows = [
        {"start": g.start.isoformat(), "end": g.end.isoformat(), "hours": g.missing.total_seconds() / 3600}
        for g in gaps.itertuples()
    ]
    daily = data.tz_convert(timezone).resample("1D").agg(["max", "min"])
    daily_range = {
        column: float((daily[column]["max"] - daily[column]["min"]).mean())
        for column in ("temperature_c", "rh_pct")
    }
    report: dict[str, Any] = {
        "period": {
            "start": index[0].isoformat(),
            "end": index[-1].isoformat(),
            "days": span.total_seconds() / 86400,
        },
        "coverage": {
            "readings": len(index),
            "median_interval_s": median_s,
            "expected_readings": expected,
            "coverage_pct": min(100.0, 100.0 * len(index) / expected),
        },
        "gaps": {
            "count": len(gap_rows),
            "total_hours": sum(g["hours"] for g in gap_rows),
            "longest": max(gap_rows, key=lambda g: g["hours"]) if gap_rows else None,
            "list": gap_rows[:20],
        },
        "statistics": {
            "temperature_c": _stats(data["temperature_c"]),
            "rh_pct": _stats(data["rh_pct"]),
            "dew_point_c": _stats(dew_point(data["temperature_c"], data["rh_pct"])),
            "daily_range": daily_range,
        },
    }
    report["ipi"] = {
        **period_ipi_ratings(data["temperature_c"], data["rh_pct"]),
        "twpi_years": time_weighted_preservation_index(data["temperature_c"], data["rh_pct"]),
    }
    wet_hours = time_of_wetness_hours(data["temperature_c"], data["rh_pct"])
    total_hours = max(span.total_seconds() / 3600, 1e-9)
    report["time_of_wetness"] = {"hours": wet_hours, "pct": min(100.0, 100 * wet_hours / total_hours)}
    try:
        band = en15757_band(data["rh_pct"])
        report["en15757"] = {
            "lower_offset_pct": band.lower_offset_pct,
            "upper_offset_pct": band.upper_offset_pct,
            "p7_offset_pct": band.p7_offset_pct,
            "p93_offset_pct": band.p93_offset_pct,
            "share_inside_pct": 100 * band.share_inside,
        }
    except En15757Unavailable as why:
        report["en15757"] = None
        report["en15757_unavailable"] = {"reason": why.reason, "needed": why.needed, "found": why.found}
    days = np.asarray(days_to_germination(data["temperature_c"], data["rh_pct"]), dtype=float)
    factor = float(mould_risk_factor(data["temperature_c"], data["rh_pct"]).iloc[-1])
    vtt = mould_index_vtt(data["temperature_c"], data["rh_pct"])
    report["mould"] = {
        "ipi_rating_end": "risk" if days[-1] > 0 else "good",
        "hours_possible": float(reading_durations_h(index)[days > 0].sum()),
        "risk_factor": factor,
        "grade": factor_grade(factor),
        "longest_spell_factor": longest_spell_factor(data["temperature_c"], data["rh_pct"]),
        "vtt_index_max": float(vtt.max()) if len(vtt) else 0.0,
        "vtt_index_end": float(vtt.iloc[-1]) if len(vtt) else 0.0,
    }
    report["risk"] = {}
    for material in dict.fromkeys(materials):
        summary = assess(data, [material], overrides).summary
        hours = summary["hours_per_level"]
        total = sum(hours.values()) or 1.0
        report["risk"][material] = {
            "hours_per_level": hours,
            "pct_per_level": {level: 100 * hours[level] / total for level in LEVELS},
            "worst": summary["worst"],
            "current": summary["current"],
            "corrosion_dose": summary["corrosion_dose"].get(material),
            "conflicts": summary["conflicts"],
        }
    return report
