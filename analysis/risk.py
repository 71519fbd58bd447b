"""Corrosion and damage risk of an artefact, explained: a score, a level, what drives it.

Model
-----
For every reading and every material of the artefact, Patina computes component scores
on one 0–100 scale whose quarters are the levels: 0–25 **good**, 25–50 **watch**,
50–75 **risk**, 75–100 **critical**. A component's level boundaries are published
thresholds wherever one exists, so the level can always be explained by a number and its
source; the position inside a level is Patina's own grading.

Components (``DRIVERS``):

``rh_high``
    RH against the material's limits (:mod:`analysis.materials`): safe → watch → risk →
    critical at ``rh_safe_pct``, ``rh_risk_pct``, ``rh_critical_pct``, linear in between.
    Within a level, warmer air moves the score up: the position *p* ∈ [0, 1) becomes
    p^(1/k(T)) with k(T) = 2^((T − 20 °C)/10 K). *Engineering choice*: no verified
    activation energy exists for indoor metal corrosion (docs/science.md §4); CCI's rule of
    thumb (each 5 K cooler doubles the life of chemically unstable material) is steeper.
    The temperature never changes the level, which stays tied to the published RH limits.
``condensation``
    Dew-point margin T − T_d: under 3 K watch (metal lags the air, docs/science.md §1),
    under 1 K risk (*engineering choice*), at or below 0 K critical (condensation on any
    surface at air temperature).
``time_of_wetness``
    Metals: hours in the trailing 24 h with RH > 80 % and T > 0 °C (ISO 9223). Any wet
    hour is a risk; 24 wet hours are critical (*engineering choice* for the grading).
``fluctuation``
    Organic materials: RH range over the trailing 24 h. Up to 10 % (ASHRAE class A,
    ±5 %) good, to 20 % (class B, ±10 %) watch, to 40 % risk, beyond critical
    (*engineering choice* above class B).
``too_dry``
    Organic materials: below ``rh_too_dry_pct`` (25 %, Padfield) risk; 5 % above it
    watch; 10 % below it critical (*engineering choice* for watch and critical).
``mould``
    Organic materials: VTT mould index (Hukka & Viitanen 1999) on hourly means; any
    growth (M > 0) watch, M ≥ 1 (microscopic growth) risk, M ≥ 3 (visible) critical.

An artefact's score at a moment is the highest component score over its materials; the
driver and material are where that maximum is. A composite object is therefore never
scored below its worst material.

Hysteresis
----------
A level rises at once, but falls back only once the air has stayed a margin inside the
lower level for a while: RH ``hysteresis_pct`` (3 % by default) below the limit it crossed
(above, for too-dry) for ``calm`` (1 h). The alert rules use the same margin and calm
time, so a series hovering at a limit neither flaps the level nor the alerts. Each level
therefore says "reached, and not yet convincingly left", with the driver and material
that raised it. The ``score`` column stays the instantaneous score; ``raw_level`` is the
level of that score alone.

What the model does not know: the surface temperature of the object (only air is
measured; metal lags the air), pollutants (organic acids from wood and board, which
matter most for lead; SO₂, H₂S for silver), salts it was not told about (a battlefield
find carrying NaCl corrodes fast above 75 %), the object's own history and condition.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.materials import MaterialProfile, profile
from analysis.metrics import mould_index_vtt
from analysis.psychrometrics import dew_point_margin
from analysis.sampling import reading_durations_h

LEVELS = ("good", "watch", "risk", "critical")
DRIVERS = ("rh_high", "condensation", "time_of_wetness", "fluctuation", "too_dry", "mould")
METAL_COMPONENTS = ("rh_high", "condensation", "time_of_wetness")
ORGANIC_COMPONENTS = ("rh_high", "condensation", "fluctuation", "too_dry", "mould")

#: Where the component thresholds come from (the RH limits' sources are in the profiles).
COMPONENT_SOURCES = {
    "condensation": "ASHRAE Handbook — Fundamentals 2017 ch. 1 (dew point): metal lags the air, so a "
    "dew-point margin under about 3 K is a warning (docs/science.md §1); 1 K and 0 K are "
    "Patina's engineering choices",
    "time_of_wetness": "ISO 9223:2012: time of wetness, RH > 80 % and T > 0 °C",
    "fluctuation": "ASHRAE Handbook — HVAC Applications 2019 ch. 24, museum classes A (±5 %) and B (±10 %) "
    "(second-hand)",
    "mould": "Hukka & Viitanen 1999, VTT mould index (Wood Sci. Technol. 33:475)",
}


@dataclass(frozen=True)
class RiskSettings:
    """The engineering choices of the model, each configurable."""

    reference_temperature_c: float = 20.0
    #: Warmer air: the grading inside a level steepens as if rates double every this many K.
    doubling_k: float = 10.0
    condensation_watch_k: float = 3.0
    condensation_risk_k: float = 1.0
    window: str = "24h"
    fluctuation_watch_pct: float = 10.0
    fluctuation_risk_pct: float = 20.0
    fluctuation_critical_pct: float = 40.0
    #: A level falls back only once RH is this far inside the lower level (the alerts'
    #: ``hysteresis_pct``) ...
    hysteresis_pct: float = 3.0
    #: ... and has stayed there this long (the alerts' calm time for artefact risk).
    calm: str = "1h"


@dataclass
class Assessment:
    """The risk of one artefact over a period.

    ``timeline`` has, per reading: ``score`` (0–100), ``level``, ``driver``, ``material``
    and one column per component (its highest score over the materials).
    ``summary`` holds the period's figures (see :func:`assess`).
    """

    timeline: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def temperature_factor(temperature_c: np.ndarray, settings: RiskSettings = RiskSettings()) -> np.ndarray:
    """k(T) = 2^((T − T_ref)/ΔT): how much faster than at T_ref chemistry is assumed to run
    (*engineering choice*, see the module docstring)."""
    return np.power(2.0, (temperature_c - settings.reference_temperature_c) / settings.doubling_k)


def score_to_level(score: np.ndarray) -> np.ndarray:
    """Level index 0–3 (good, watch, risk, critical) of scores 0–100."""
    return np.clip(np.floor(np.asarray(score) / 25.0), 0, 3).astype(np.int8)


def rh_high_score(
    rh_pct: np.ndarray,
    temperature_c: np.ndarray,
    material: MaterialProfile,
    settings: RiskSettings = RiskSettings(),
) -> np.ndarray:
    """Score of RH against the material's limits, graded within a level by temperature."""
    linear = np.interp(
        rh_pct,
        [0.0, material.rh_safe_pct, material.rh_risk_pct, material.rh_critical_pct, 100.0],
        [0.0, 25.0, 50.0, 75.0, 100.0],
    )
    band = np.minimum(np.floor(linear / 25.0), 3.0)
    position = np.clip(linear / 25.0 - band, 0.0, 1.0)
    return 25.0 * band + 25.0 * position ** (1.0 / temperature_factor(temperature_c, settings))


def condensation_score(margin_k: np.ndarray, settings: RiskSettings = RiskSettings()) -> np.ndarray:
    graded = np.interp(
        margin_k,
        [-1.0, 0.0, settings.condensation_risk_k, settings.condensation_watch_k],
        [100.0, 75.0, 50.0, 25.0],
    )
    return np.where(margin_k >= settings.condensation_watch_k, 0.0, graded)


def too_dry_score(rh_pct: np.ndarray, too_dry_pct: float) -> np.ndarray:
    graded = np.interp(
        rh_pct, [0.0, max(too_dry_pct - 10.0, 0.0), too_dry_pct, too_dry_pct + 5.0], [100.0, 75.0, 50.0, 25.0]
    )
    return np.where(rh_pct >= too_dry_pct + 5.0, 0.0, graded)


def fluctuation_score(range_pct: np.ndarray, settings: RiskSettings = RiskSettings()) -> np.ndarray:
    graded = np.interp(
        range_pct,
        [
            settings.fluctuation_watch_pct,
            settings.fluctuation_risk_pct,
            settings.fluctuation_critical_pct,
            1.5 * settings.fluctuation_critical_pct,
        ],
        [25.0, 50.0, 75.0, 100.0],
    )
    return np.where(range_pct < settings.fluctuation_watch_pct, 0.0, graded)


def wetness_score(wet_hours: np.ndarray, window_h: float) -> np.ndarray:
    return np.where(wet_hours > 0.0, 50.0 + 25.0 * np.clip(wet_hours / window_h, 0.0, 1.0), 0.0)


def mould_score(mould_index: np.ndarray) -> np.ndarray:
    return np.where(
        mould_index > 0.0, np.interp(mould_index, [0.0, 1.0, 3.0, 6.0], [25.0, 50.0, 75.0, 100.0]), 0.0
    )


@dataclass(frozen=True)
class _Air:
    """The readings assessed: rising times, both values present."""

    index: pd.DatetimeIndex
    temperature_c: np.ndarray
    rh_pct: np.ndarray


def _prepare(readings: pd.DataFrame) -> _Air:
    missing = {"temperature_c", "rh_pct"} - set(readings.columns)
    if missing:
        raise ValueError(f"readings lack {', '.join(sorted(missing))}")
    if not isinstance(readings.index, pd.DatetimeIndex):
        raise ValueError("readings must be indexed by time (a DatetimeIndex)")
    t, rh = readings["temperature_c"], readings["rh_pct"]
    if t.dtype == np.float64 and rh.dtype == np.float64:
        air = _clean_air(readings.index, t.to_numpy(), rh.to_numpy())
        if air is not None:
            return air
    data = readings[["temperature_c", "rh_pct"]].astype(float).dropna()
    if not data.index.is_monotonic_increasing:
        data = data.sort_index()
    return _Air(pd.DatetimeIndex(data.index), data["temperature_c"].to_numpy(), data["rh_pct"].to_numpy())


def _clean_air(index: pd.DatetimeIndex, temperature_c: np.ndarray, rh_pct: np.ndarray) -> _Air | None:
    """The usual series (in time order, nothing missing) taken as it is; None otherwise.
    The model works on arrays: pandas' column selection, copies and dropna would be most of
    the cost of a day's assessment, which the collector makes for each object every minute
    of event time."""
    if index.is_monotonic_increasing and not (np.isnan(temperature_c).any() or np.isnan(rh_pct).any()):
        return _Air(index, temperature_c, rh_pct)
    return None


def _profiles(
    materials: Iterable[str], overrides: Mapping[str, Mapping[str, float]] | None = None
) -> tuple[list[str], list[MaterialProfile]]:
    """An artefact's material names, each once, and their profiles."""
    names = list(dict.fromkeys(materials))
    if not names:
        raise ValueError("an artefact needs at least one material")
    return names, [profile(name, (overrides or {}).get(name)) for name in names]


def _scores(
    air: _Air, profiles: list[MaterialProfile], settings: RiskSettings
) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray, np.ndarray]:
    """Each reading's duration (h), and the component scores (:func:`_component_matrix`)."""
    durations_h = reading_durations_h(air.index)
    shared = _shared_components(air, durations_h, profiles, settings)
    return durations_h, *_component_matrix(air, profiles, shared, settings)


def assess(
    readings: pd.DataFrame,
    materials: Iterable[str],
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    settings: RiskSettings = RiskSettings(),
    summarise: bool = True,
) -> Assessment:
    """Assess an artefact made of ``materials`` over a series of readings.

    Parameters
    ----------
    readings : DataFrame
        Indexed by time (UTC), columns ``temperature_c`` (°C) and ``rh_pct`` (%).
        Rows lacking either are ignored.
    materials : iterable of str
        The artefact's materials, names from :data:`analysis.materials.MATERIAL_NAMES`.
    overrides : mapping, optional
        Per material, profile values to replace (e.g. ``{"archaeological_iron":
        {"rh_safe_pct": 12}}``), as the museum's config sets them.
    settings : RiskSettings
        The model's engineering choices.
    summarise : bool, default True
        False leaves ``summary`` empty, for callers that need only the timeline (the
        collector's live assessment needs only its last row: :func:`latest_risk`).

    Returns
    -------
    Assessment
        ``timeline`` (see :class:`Assessment`) and ``summary`` with: ``hours_per_level``;
        ``worst`` (time, score, level, driver, material); ``current`` (the last reading's
        level, score, driver, material, source, and ``since``: when that level began);
        ``corrosion_dose`` per metal (Σ (RH − safe limit)⁺ · k(T) · Δt, in %RH·h at 20 °C);
        ``sources`` per material; ``conflicts`` between materials that want incompatible air.
    """
    names, profiles = _profiles(materials, overrides)
    air = _prepare(readings)
    durations_h, pairs, matrix, margin_matrix = _scores(air, profiles, settings)
    timeline = _timeline(air.index, names, pairs, matrix, margin_matrix, settings)
    summary = _summary(timeline, air, durations_h, profiles, settings) if summarise else {}
    return Assessment(timeline=timeline, summary=summary)


def _shared_components(
    air: _Air,
    durations_h: np.ndarray,
    profiles: list[MaterialProfile],
    settings: RiskSettings,
) -> dict[str, np.ndarray]:
    """The component scores that depend on the air alone, not on a material's limits:
    computed once per series and shared by every material that uses them."""
    t, rh, index = air.temperature_c, air.rh_pct, air.index
    margin = np.asarray(dew_point_margin(t, rh))
    window_h = pd.Timedelta(settings.window) / pd.Timedelta(hours=1)

    shared: dict[str, np.ndarray] = {"condensation": condensation_score(margin, settings)}
    if any(not p.organic for p in profiles):
        wet = pd.Series(np.where((rh > 80.0) & (t > 0.0), durations_h, 0.0), index=index)
        shared["time_of_wetness"] = wetness_score(wet.rolling(settings.window).sum().to_numpy(), window_h)
    if any(p.organic for p in profiles):
        rolling = pd.Series(rh, index=index).rolling(settings.window)
        shared["fluctuation"] = fluctuation_score((rolling.max() - rolling.min()).to_numpy(), settings)
        mould = mould_index_vtt(pd.Series(t, index=index), pd.Series(rh, index=index))
        # Each reading takes the index of the hour it falls in (the latest hour at or before
        # it; 0 before the first).
        hourly_m = np.zeros(len(index))
        if len(mould):
            hours_ns, times_ns = mould.index.as_unit("ns").asi8, index.as_unit("ns").asi8
            hour = np.searchsorted(hours_ns, times_ns, side="right") - 1
            hourly_m = np.where(hour >= 0, mould.to_numpy()[np.maximum(hour, 0)], 0.0)
        shared["mould"] = mould_score(hourly_m)
    return shared


def _component_matrix(
    air: _Air,
    profiles: list[MaterialProfile],
    shared: Mapping[str, np.ndarray],
    settings: RiskSettings,
) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """One row of scores per (material, component) pair, and the same rows with RH moved
    the hysteresis margin towards danger: a level may fall back only where even this
    pessimistic score has left it. Returns the pairs and both matrices (rows × readings)."""
    t, rh = air.temperature_c, air.rh_pct
    pairs: list[tuple[str, str]] = []
    scores: list[np.ndarray] = []
    margin_scores: list[np.ndarray] = []
    damper, drier = rh + settings.hysteresis_pct, rh - settings.hysteresis_pct
    for p in profiles:
        for component in ORGANIC_COMPONENTS if p.organic else METAL_COMPONENTS:
            if component == "rh_high":
                values = rh_high_score(rh, t, p, settings)
                pessimistic = rh_high_score(damper, t, p, settings)
            elif component == "too_dry":
                values = too_dry_score(rh, p.rh_too_dry_pct or 0.0)
                pessimistic = too_dry_score(drier, p.rh_too_dry_pct or 0.0)
            else:
                values = pessimistic = shared[component]
            pairs.append((p.name, component))
            scores.append(values)
            margin_scores.append(pessimistic)
    if not len(t):
        empty = np.zeros((len(pairs), 0))
        return pairs, empty, empty
    return pairs, np.vstack(scores), np.vstack(margin_scores)


def _timeline_columns(
    index: pd.DatetimeIndex,
    pairs: list[tuple[str, str]],
    matrix: np.ndarray,
    margin_matrix: np.ndarray,
    settings: RiskSettings,
) -> dict[str, np.ndarray]:
    """Per reading: the highest score, its level held with hysteresis, the driver and
    material that raised that level (as indices into ``LEVELS``, ``DRIVERS`` and the
    pairs' materials), and each component's highest score."""
    best = np.argmax(matrix, axis=0) if len(index) else np.zeros(0, dtype=int)
    score = matrix[best, np.arange(len(index))] if len(index) else np.zeros(0)
    raw_level = score_to_level(score)
    margin_level = score_to_level(margin_matrix.max(axis=0)) if len(index) else raw_level
    level = held_levels(
        raw_level, margin_level, index.as_unit("ns").asi8 / 1e9, pd.Timedelta(settings.calm).total_seconds()
    )

    # A held level keeps the driver and material that raised it (the instantaneous maximum
    # may be another, lower component meanwhile).
    driver_at = np.arange(len(index))
    if len(index):
        reached = np.where(level <= raw_level, driver_at, 0)
        driver_at = np.maximum.accumulate(reached)
    best = best[driver_at]
    materials = list(dict.fromkeys(name for name, _ in pairs))
    columns = {
        "score": np.round(score, 2),
        "level": level,
        "raw_level": raw_level,
        "driver": np.array([DRIVERS.index(pairs[i][1]) for i in range(len(pairs))])[best],
        "material": np.array([materials.index(pairs[i][0]) for i in range(len(pairs))])[best],
    }
    for component in DRIVERS:
        rows = [i for i, (_, c) in enumerate(pairs) if c == component]
        if rows:
            columns[component] = np.round(matrix[rows].max(axis=0), 2)
    return columns


def _timeline(
    index: pd.DatetimeIndex,
    names: list[str],
    pairs: list[tuple[str, str]],
    matrix: np.ndarray,
    margin_matrix: np.ndarray,
    settings: RiskSettings,
) -> pd.DataFrame:
    """The timeline's frame (:class:`Assessment`) of :func:`_timeline_columns`."""
    columns: dict[str, Any] = _timeline_columns(index, pairs, matrix, margin_matrix, settings)
    # The categories' dtypes are made once (checking categories costs more than the codes),
    # and the frame in one construction rather than column by column.
    columns["level"] = pd.Categorical.from_codes(columns["level"], dtype=_LEVEL_DTYPE)
    columns["raw_level"] = pd.Categorical.from_codes(columns["raw_level"], dtype=_LEVEL_DTYPE)
    columns["driver"] = pd.Categorical.from_codes(columns["driver"], dtype=_DRIVER_DTYPE)
    columns["material"] = pd.Categorical.from_codes(columns["material"], dtype=_material_dtype(tuple(names)))
    return pd.DataFrame(columns, index=index)


@dataclass(frozen=True)
class LatestRisk:
    """An artefact's risk at the last reading of a series: the last row of
    :func:`assess`'s timeline, and since when its level has held."""

    score: float
    level: str
    driver: str
    material: str
    #: Each component's score (the timeline's component columns, in ``DRIVERS`` order).
    components: dict[str, float]
    since: pd.Timestamp


def latest_risk(
    index: pd.DatetimeIndex,
    temperature_c: np.ndarray,
    rh_pct: np.ndarray,
    materials: Iterable[str],
    settings: RiskSettings = RiskSettings(),
) -> LatestRisk | None:
    """The last row of ``assess(readings, materials).timeline`` for readings given as arrays
    (°C and % at the times of ``index``), without building the timeline's frame: the
    collector assesses each object every minute of event time over a day of readings, and
    the frame and its rows cost more than the model. None for no readings."""
    names, profiles = _profiles(materials)
    t, rh = np.asarray(temperature_c, dtype=float), np.asarray(rh_pct, dtype=float)
    air = _clean_air(index, t, rh) or _prepare(pd.DataFrame({"temperature_c": t, "rh_pct": rh}, index=index))
    if not len(air.index):
        return None
    _, pairs, matrix, margin_matrix = _scores(air, profiles, settings)
    columns = _timeline_columns(air.index, pairs, matrix, margin_matrix, settings)
    levels = columns["level"]
    switches = np.flatnonzero(levels != levels[-1])
    return LatestRisk(
        score=float(columns["score"][-1]),
        level=LEVELS[int(levels[-1])],
        driver=DRIVERS[int(columns["driver"][-1])],
        material=names[int(columns["material"][-1])],
        components={c: float(columns[c][-1]) for c in DRIVERS if c in columns},
        since=air.index[switches[-1] + 1] if len(switches) else air.index[0],
    )


_LEVEL_DTYPE = pd.CategoricalDtype(LEVELS)
_DRIVER_DTYPE = pd.CategoricalDtype(DRIVERS)


@functools.lru_cache(maxsize=256)
def _material_dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(names)


def held_levels(
    raw_level: np.ndarray, margin_level: np.ndarray, time_s: np.ndarray, calm_s: float
) -> np.ndarray:
    """Levels with hysteresis: rise with ``raw_level`` at once; fall only to what
    ``margin_level`` (the level with RH a margin closer to danger, never below
    ``raw_level``) has shown without a break for ``calm_s`` seconds.

    Parameters
    ----------
    raw_level, margin_level : int arrays (0 good … 3 critical), one per reading
    time_s : float array, seconds, rising
    calm_s : float, seconds

    Returns
    -------
    int8 array: the held level of each reading.
    """
    held = np.empty(len(raw_level), dtype=np.int8)
    if not len(raw_level):
        return held
    # Python lists: indexing numpy arrays element by element costs several times more.
    raws, margins = np.asarray(raw_level).tolist(), np.asarray(margin_level).tolist()
    times = np.asarray(time_s, dtype=float).tolist()
    current = int(raws[0])
    # Since when margin_level has stayed at or below each lower level (index = level).
    below_since: list[float | None] = [None] * len(LEVELS)
    for i in range(len(raws)):
        raw, calm_level, now = int(raws[i]), int(max(margins[i], raws[i])), times[i]
        if raw >= current:
            current = raw
            below_since = [None] * len(LEVELS)
        else:
            for candidate in range(current):
                if calm_level <= candidate:
                    if below_since[candidate] is None:
                        below_since[candidate] = now
                else:
                    below_since[candidate] = None
            # The lowest level the air has stayed inside for long enough, never below raw.
            for candidate in range(raw, current):
                since = below_since[candidate]
                if since is not None and now - since >= calm_s:
                    current = candidate
                    below_since = [None] * len(LEVELS)
                    break
        held[i] = current
    return held


def source_of(material: MaterialProfile, driver: str, level: str) -> str:
    """The published source behind a level reached through a driver."""
    if driver == "rh_high":
        key = {
            "good": "rh_safe_pct",
            "watch": "rh_safe_pct",
            "risk": "rh_risk_pct",
            "critical": "rh_critical_pct",
        }[level]
        return material.sources.get(key, "")
    if driver == "too_dry":
        return material.sources.get("rh_too_dry_pct", "")
    return COMPONENT_SOURCES.get(driver, "")


def _summary(
    timeline: pd.DataFrame,
    air: _Air,
    durations_h: np.ndarray,
    profiles: list[MaterialProfile],
    settings: RiskSettings,
) -> dict[str, Any]:
    by_name = {p.name: p for p in profiles}
    hours = {level: float(durations_h[(timeline["level"] == level).to_numpy()].sum()) for level in LEVELS}
    summary: dict[str, Any] = {
        "materials": list(by_name),
        "start": timeline.index[0].isoformat() if len(timeline) else None,
        "end": timeline.index[-1].isoformat() if len(timeline) else None,
        "hours_per_level": hours,
        "sources": {name: dict(p.sources) for name, p in by_name.items()},
        "conflicts": _conflicts(profiles),
    }
    t, rh = air.temperature_c, air.rh_pct
    summary["corrosion_dose"] = {
        p.name: float(
            np.sum(np.clip(rh - p.rh_safe_pct, 0.0, None) * temperature_factor(t, settings) * durations_h)
        )
        for p in profiles
        if not p.organic
    }
    if not len(timeline):
        summary["worst"] = summary["current"] = None
        return summary
    worst_at = int(np.argmax(timeline["score"].to_numpy()))
    summary["worst"] = _moment(timeline, worst_at, by_name)
    current = _moment(timeline, len(timeline) - 1, by_name)
    levels = timeline["level"].cat.codes.to_numpy()
    changed = np.flatnonzero(levels != levels[-1])
    since = timeline.index[changed[-1] + 1] if len(changed) else timeline.index[0]
    current["since"] = since.isoformat()
    summary["current"] = current
    return summary


def _moment(timeline: pd.DataFrame, position: int, by_name: Mapping[str, MaterialProfile]) -> dict[str, Any]:
    row = timeline.iloc[position]
    return {
        "time": timeline.index[position].isoformat(),
        "score": float(row["score"]),
        "level": str(row["level"]),
        "driver": str(row["driver"]),
        "material": str(row["material"]),
        "source": source_of(by_name[str(row["material"])], str(row["driver"]), str(row["level"])),
    }


def _conflicts(profiles: list[MaterialProfile]) -> list[dict[str, Any]]:
    """Pairs of materials whose safe ranges do not overlap: no air suits both."""
    conflicts = []
    for metal in (p for p in profiles if not p.organic):
        for organic in (p for p in profiles if p.organic and p.rh_too_dry_pct is not None):
            assert organic.rh_too_dry_pct is not None
            if metal.rh_safe_pct <= organic.rh_too_dry_pct:
                conflicts.append(
                    {
                        "materials": [metal.name, organic.name],
                        "metal_safe_below_pct": metal.rh_safe_pct,
                        "organic_too_dry_below_pct": organic.rh_too_dry_pct,
                    }
                )
    return conflicts
