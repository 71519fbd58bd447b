"""Light and ultraviolet on museum objects: doses, rates, limits (docs/light.md).

Light fades colours and, with ultraviolet, weakens the organic parts of an object (leather,
textiles, wood, paper). The damage grows with the dose, illuminance × time, whatever the
rate it comes at (reciprocity, CIE 157 [1]_ §1.2.4), so the figures here are doses in
lux hours (lx·h) and the rates that project them.

Functions take the times of a record as a :class:`pandas.DatetimeIndex` and the values as
NumPy arrays or pandas Series of the same length; they return floats or arrays. Nothing
here reads a clock, a file or a config.

Units
-----
* illuminance: lux (lx = lm/m²); HOBO loggers may write lumens per square foot
  (lm/ft², 1 ft = 0.3048 m exactly [5]_, so 1 lm/ft² = 10.7639… lx);
* UV irradiance: mW/m² (T&D loggers write mW/cm²: 1 mW/cm² = 10 000 mW/m²);
* UV per lumen: µW/lm, the UV irradiance divided by the illuminance
  (µW/lm = 1000 × mW/m² ÷ lx), the museum measure of how much UV a light source brings
  with its light [4]_.

References
----------
.. [1] CIE 157:2004. *Control of damage to museum objects by optical radiation*.
   Commission Internationale de l'Éclairage, Vienna. §3.1: four responsivity categories,
   defined by the ISO blue wool standards, with a limiting illuminance and a limiting
   annual exposure for each.
.. [2] Michalski, S. (1990). Time's effects on paintings. In *Shared Responsibilities*,
   National Gallery of Canada, Ottawa, 39–53: the exposure for a just noticeable fade of
   the ISO blue wools without UV, about 0.4 Mlx·h for blue wool 1 and 900 Mlx·h for blue
   wool 8 (as tabulated in MFA Boston's CAMEO, "Blue Wool Standard").
.. [3] Michalski, S. *Agent of Deterioration: Light, Ultraviolet and Infrared*. Canadian
   Conservation Institute: the ISO blue wools are each about 2 to 3 times as sensitive
   as the next; the CIE 2004 categories are high = blue wool 1–3, medium = 4–6,
   low = 7 and above.
.. [4] Thomson, G. (1986). *The Museum Environment*, 2nd ed. Butterworths, London:
   UV to be kept below 75 µW/lm, the figure museums have used since.
.. [5] BIPM (2019). *The International System of Units (SI)*, 9th ed.: lux = lm/m²;
   the international foot = 0.3048 m (1959 agreement).
.. [6] Canadian Conservation Institute (2015). *Ultraviolet Filters*, CCI Notes 2/1, and
   Michalski [3]_: Thomson's 75 µW/lm reflected the lamps and meters of the 1970s; UV
   filters and LEDs now reach 10 µW/lm, the limit taken for the responsive categories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

import numpy as np
import pandas as pd

from analysis.light_limits import CIE157_CATEGORIES, LIT_THRESHOLD_LUX, UV_LIMIT_UW_PER_LM
from analysis.psychrometrics import ArrayLike, _as_result, _values

#: 1 lm/ft² in lux: 1 / 0.3048² [5]_.
LUX_PER_LUMEN_PER_SQUARE_FOOT = 1.0 / 0.3048**2
#: 1 mW/cm² in mW/m².
MW_M2_PER_MW_CM2 = 10_000.0
#: Hours in a (Julian) year, for annual projections.
HOURS_PER_YEAR = 365.25 * 24
#: Steps between readings longer than this many median steps are gaps: nothing is known
#: of the light then, so they are not integrated (as :func:`analysis.metrics.find_gaps`).
GAP_FACTOR = 3.0


# --- units ---------------------------------------------------------------------------------


def lux_from_lumens_per_square_foot(lm_per_ft2: ArrayLike) -> ArrayLike:
    """Illuminance in lux from lumens per square foot (HOBO's "lum/ft²") [5]_."""
    return _as_result(_values(lm_per_ft2) * LUX_PER_LUMEN_PER_SQUARE_FOOT, lm_per_ft2)


def uv_mw_m2_from_mw_cm2(uv_mw_cm2: ArrayLike) -> ArrayLike:
    """UV irradiance in mW/m² from mW/cm² (T&D's unit)."""
    return _as_result(_values(uv_mw_cm2) * MW_M2_PER_MW_CM2, uv_mw_cm2)


def uv_uw_per_lm(uv_mw_m2: ArrayLike, illuminance_lux: ArrayLike) -> ArrayLike:
    r"""UV per lumen, µW/lm [4]_:

    .. math:: r = \frac{1000\,E_{UV}}{E_v}

    with E_UV the UV irradiance in mW/m² and E_v the illuminance in lux (lm/m²). NaN where
    the illuminance is not above zero: in the dark the ratio says nothing."""
    uv, lux = _values(uv_mw_m2), _values(illuminance_lux)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(lux > 0, 1000.0 * uv / np.where(lux > 0, lux, 1.0), np.nan)
    return _as_result(ratio, uv_mw_m2, illuminance_lux)


def uv_mw_m2_from_uw_per_lm(uv_per_lm: ArrayLike, illuminance_lux: ArrayLike) -> ArrayLike:
    """UV irradiance in mW/m² from UV per lumen (µW/lm) and illuminance (lux): the inverse
    of :func:`uv_uw_per_lm`."""
    return _as_result(_values(uv_per_lm) * _values(illuminance_lux) / 1000.0, uv_per_lm, illuminance_lux)


# --- doses over a record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Steps:
    """The steps between consecutive readings of a record."""

    #: Length of each step, hours (one fewer than readings).
    hours: np.ndarray
    #: Whether each step is integrated: not a gap, and a value at both ends.
    bridged: np.ndarray

    @property
    def hours_observed(self) -> float:
        return float(self.hours[self.bridged].sum())

    @property
    def hours_unbridged(self) -> float:
        return float(self.hours[~self.bridged].sum())


def steps(times: pd.DatetimeIndex, values: ArrayLike, max_gap_h: float | None = None) -> Steps:
    """The steps of a record and which of them are integrated: a step longer than
    ``max_gap_h`` hours (default :data:`GAP_FACTOR` × the median step) is a gap, and a step
    with a missing value at either end is unknown. Times must increase."""
    index = pd.DatetimeIndex(times)
    if len(index) < 2:
        return Steps(np.zeros(0), np.zeros(0, dtype=bool))
    hours = np.diff(index.as_unit("ns").asi8) / 3.6e12
    if np.any(hours < 0):
        raise ValueError("times must increase")
    limit = max_gap_h if max_gap_h is not None else GAP_FACTOR * float(np.median(hours))
    known = np.isfinite(_values(values))
    return Steps(hours, (hours <= limit) & known[:-1] & known[1:])


def _trapezoid(weights_start: np.ndarray, weights_end: np.ndarray, record: Steps) -> np.ndarray:
    """½ (a_i + a_{i+1}) Δt_i for each step, zero where the step is not integrated."""
    with np.errstate(invalid="ignore"):
        area = 0.5 * (weights_start + weights_end) * record.hours
    return np.where(record.bridged, area, 0.0)


def cumulative_lux_hours(
    times: pd.DatetimeIndex, illuminance_lux: ArrayLike, max_gap_h: float | None = None
) -> np.ndarray:
    r"""Cumulative light exposure at each reading, lx·h, by the trapezoid rule over the
    record's own (irregular) times:

    .. math:: H_k = \sum_{i<k} \tfrac12 (E_i + E_{i+1})(t_{i+1} - t_i)

    Gaps (:func:`steps`) add nothing: the dose of a time without readings is unknown, and
    is reported apart (:attr:`Steps.hours_unbridged`), never guessed. Exposure is the sum
    of illuminance × time whatever the illuminance (reciprocity, CIE 157 [1]_)."""
    lux = _values(illuminance_lux)
    if lux.size == 0:
        return np.zeros(0)
    record = steps(times, lux, max_gap_h)
    return np.concatenate([[0.0], np.cumsum(_trapezoid(lux[:-1], lux[1:], record))])


def exposure_lux_hours(
    times: pd.DatetimeIndex, illuminance_lux: ArrayLike, max_gap_h: float | None = None
) -> float:
    """Total light exposure of a record, lx·h (:func:`cumulative_lux_hours`)."""
    cumulative = cumulative_lux_hours(times, illuminance_lux, max_gap_h)
    return float(cumulative[-1]) if cumulative.size else 0.0


def lit(illuminance_lux: ArrayLike, threshold_lux: float = LIT_THRESHOLD_LUX) -> np.ndarray:
    """Where the illuminance is above ``threshold_lux`` (:data:`LIT_THRESHOLD_LUX`)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(_values(illuminance_lux) > threshold_lux)


def hours_lit(
    times: pd.DatetimeIndex,
    illuminance_lux: ArrayLike,
    threshold_lux: float = LIT_THRESHOLD_LUX,
    max_gap_h: float | None = None,
) -> float:
    """Hours during which the place was lit: each integrated step counts for the share of
    its two ends that were lit (½ Δt each), as the trapezoid of :func:`cumulative_lux_hours`."""
    lux = _values(illuminance_lux)
    if lux.size < 2:
        return 0.0
    on = lit(lux, threshold_lux).astype(float)
    return float(_trapezoid(on[:-1], on[1:], steps(times, lux, max_gap_h)).sum())


def mean_lux_when_lit(
    times: pd.DatetimeIndex,
    illuminance_lux: ArrayLike,
    threshold_lux: float = LIT_THRESHOLD_LUX,
    max_gap_h: float | None = None,
) -> float:
    r"""Time-weighted mean illuminance while lit, lux: the exposure received while lit over
    :func:`hours_lit`,

    .. math:: \bar E_{lit} = \frac{\sum_i \tfrac12 (\ell_i E_i + \ell_{i+1} E_{i+1}) \Delta t_i}
              {\sum_i \tfrac12 (\ell_i + \ell_{i+1}) \Delta t_i}

    with ℓ = 1 where lit. NaN if never lit."""
    lux = _values(illuminance_lux)
    if lux.size < 2:
        return float("nan")
    record = steps(times, lux, max_gap_h)
    on = lit(lux, threshold_lux).astype(float)
    hours = _trapezoid(on[:-1], on[1:], record).sum()
    if hours <= 0:
        return float("nan")
    weighted = np.where(on > 0, lux, 0.0)
    return float(_trapezoid(weighted[:-1], weighted[1:], record).sum() / hours)


def uv_per_lumen_of_dose(
    times: pd.DatetimeIndex,
    uv_mw_m2: ArrayLike,
    illuminance_lux: ArrayLike,
    threshold_lux: float = LIT_THRESHOLD_LUX,
    max_gap_h: float | None = None,
) -> float:
    r"""UV per lumen of the light received while lit, µW/lm: the UV dose over the light dose,

    .. math:: \bar r = 1000 \frac{\int_{lit} E_{UV}\,dt}{\int_{lit} E_v\,dt}

    the mean of :func:`uv_uw_per_lm` weighted by illuminance, so that the bright hours that
    do the damage count most and the dim ones, where a ratio of two small readings is mostly
    noise, least. NaN if never lit or no UV was read."""
    lux, uv = _values(illuminance_lux), _values(uv_mw_m2)
    if lux.size < 2:
        return float("nan")
    both = np.where(np.isfinite(uv), lux, np.nan)
    record = steps(times, both, max_gap_h)
    on = lit(lux, threshold_lux)
    light = np.where(on, lux, 0.0)
    ultraviolet = np.where(on, uv, 0.0)
    light_dose = _trapezoid(light[:-1], light[1:], record).sum()
    if light_dose <= 0:
        return float("nan")
    return float(1000.0 * _trapezoid(ultraviolet[:-1], ultraviolet[1:], record).sum() / light_dose)


def annual_exposure(lux_hours: float, hours_observed: float) -> float:
    """The exposure of a year at the rate observed, lx·h/year: ``lux_hours`` × hours in a
    year ÷ ``hours_observed`` (the integrated hours, so gaps are not taken for darkness).
    NaN without observed hours."""
    if hours_observed <= 0:
        return float("nan")
    return lux_hours * HOURS_PER_YEAR / hours_observed


# --- light at night ----------------------------------------------------------------------------

#: Opening hours: weekday (0 Monday … 6 Sunday) → the (opening, closing) local times of that
#: day; a day not listed is closed all day. A closing time of 00:00 means midnight.
OpeningHours = Mapping[int, Sequence[tuple[time, time]]]


def closed(times: pd.DatetimeIndex, opening_hours: OpeningHours, zone: str) -> np.ndarray:
    """Where the museum is closed at each time, judged on the local clock of ``zone``
    (IANA). Times without a zone are taken as UTC."""
    index = pd.DatetimeIndex(times)
    local = (index.tz_localize("UTC") if index.tz is None else index).tz_convert(zone)
    minutes = np.asarray(local.hour * 60 + local.minute, dtype=float) + np.asarray(local.second) / 60
    weekdays = np.asarray(local.day_of_week)
    is_open = np.zeros(len(index), dtype=bool)
    for day, spans in opening_hours.items():
        on_day = weekdays == day
        for opening, closing in spans:
            start = opening.hour * 60 + opening.minute
            end = closing.hour * 60 + closing.minute or 24 * 60
            is_open |= on_day & (minutes >= start) & (minutes < end)
    return ~is_open


def hours_lit_while_closed(
    times: pd.DatetimeIndex,
    illuminance_lux: ArrayLike,
    opening_hours: OpeningHours,
    zone: str,
    threshold_lux: float = LIT_THRESHOLD_LUX,
    max_gap_h: float | None = None,
) -> float:
    """Hours lit while the museum was closed (lights left on in a case at night), counted
    as :func:`hours_lit` counts: half of each step per end that is lit and closed."""
    lux = _values(illuminance_lux)
    if lux.size < 2:
        return 0.0
    mask = (lit(lux, threshold_lux) & closed(times, opening_hours, zone)).astype(float)
    return float(_trapezoid(mask[:-1], mask[1:], steps(times, lux, max_gap_h)).sum())


# --- a record's light in figures -----------------------------------------------------------------


def light_summary(
    readings: pd.DataFrame,
    threshold_lux: float = LIT_THRESHOLD_LUX,
    max_gap_h: float | None = None,
) -> dict[str, Any]:
    """The light figures of a record indexed by time with ``illuminance_lux`` and, if UV was
    read, ``uv_mw_m2``: plain data for a report (keys: docs/light.md). Raises ValueError
    without two illuminance readings."""
    data = readings.dropna(subset=["illuminance_lux"])
    if len(data) < 2:
        raise ValueError("fewer than two illuminance readings")
    times = pd.DatetimeIndex(data.index)
    lux = data["illuminance_lux"].to_numpy(float)
    record = steps(times, lux, max_gap_h)
    dose = exposure_lux_hours(times, lux, max_gap_h)
    annual = annual_exposure(dose, record.hours_observed)
    uv = data["uv_mw_m2"].to_numpy(float) if "uv_mw_m2" in data else np.full(len(data), np.nan)
    uv_ratio = uv_per_lumen_of_dose(times, uv, lux, threshold_lux, max_gap_h)
    when_lit = mean_lux_when_lit(times, lux, threshold_lux, max_gap_h)
    return {
        "lux_hours": dose,
        "hours_lit": hours_lit(times, lux, threshold_lux, max_gap_h),
        "lux_mean_when_lit": None if np.isnan(when_lit) else when_lit,
        "lux_max": float(np.nanmax(lux)),
        "uv_uw_per_lm_mean": None if np.isnan(uv_ratio) else uv_ratio,
        "uv_limit_uw_per_lm": UV_LIMIT_UW_PER_LM,
        "lit_threshold_lux": threshold_lux,
        "start": times[0].isoformat(),
        "end": times[-1].isoformat(),
        "readings": len(data),
        "hours_observed": record.hours_observed,
        "hours_unbridged": record.hours_unbridged,
        "annual_lux_hours": None if np.isnan(annual) else annual,
        "cie157": {
            name: {
                "max_illuminance_lux": category.max_illuminance_lux,
                "max_annual_lux_hours": category.max_annual_lux_hours,
                "annual_pct": 100 * annual / category.max_annual_lux_hours if not np.isnan(annual) else None,
            }
            for name, category in CIE157_CATEGORIES.items()
            if category.max_annual_lux_hours is not None
        },
    }


# --- an object's year: dose, budget, projection -----------------------------------------------
@dataclass(frozen=True)
class YearDose:
    """An object's light this year against its annual budget (lx·h; None: no budget)."""

    #: Exposure from the start of the year to ``now``, lx·h.
    lux_hours: float
    budget_lux_hours: float | None
    #: Hours of the year so far, and of them the hours integrated (gaps left out).
    hours_elapsed: float
    hours_observed: float
    #: Hours from ``now`` to the end of the year.
    hours_remaining: float
    #: The year at this rate: the dose so far plus the observed rate (lx·h per observed
    #: hour) over the hours remaining, lx·h.
    projected_lux_hours: float

    @property
    def used_pct(self) -> float | None:
        return None if not self.budget_lux_hours else 100.0 * self.lux_hours / self.budget_lux_hours

    @property
    def projected_pct(self) -> float | None:
        return None if not self.budget_lux_hours else 100.0 * self.projected_lux_hours / self.budget_lux_hours

    @property
    def rate_lux_hours_per_hour(self) -> float:
        """The mean illuminance over the observed hours, lit or not, lx."""
        return self.lux_hours / self.hours_observed if self.hours_observed > 0 else 0.0

    @property
    def hours_to_budget(self) -> float | None:
        """Hours from ``now`` until the budget is spent at this rate: 0 if it is already,
        None without a budget or when it is not spent by the end of the year."""
        if not self.budget_lux_hours:
            return None
        left = self.budget_lux_hours - self.lux_hours
        if left <= 0:
            return 0.0
        rate = self.rate_lux_hours_per_hour
        if rate <= 0 or left / rate > self.hours_remaining:
            return None
        return left / rate

    @property
    def dim_to_pct(self) -> float | None:
        """The share of today's light (%) that would spend exactly the budget by the end of
        the year: what the case lights should be dimmed to (0: rotate the object out now),
        None when the year at this rate stays within the budget."""
        if not self.budget_lux_hours or self.projected_lux_hours <= self.budget_lux_hours:
            return None
        left = max(0.0, self.budget_lux_hours - self.lux_hours)
        still_to_come = self.projected_lux_hours - self.lux_hours
        return 100.0 * left / still_to_come if still_to_come > 0 else 0.0


def year_dose(
    times: pd.DatetimeIndex,
    illuminance_lux: ArrayLike,
    year_start: pd.Timestamp,
    year_end: pd.Timestamp,
    now: pd.Timestamp,
    budget_lux_hours: float | None,
    max_gap_h: float | None = None,
) -> YearDose:
    r"""An object's exposure from ``year_start`` to ``now`` and the year at this rate,

    .. math:: H_{year} = H_{so\,far} + \frac{H_{so\,far}}{t_{observed}}\,t_{remaining}

    with :math:`H_{so\,far}` the trapezoid of :func:`cumulative_lux_hours` over the readings
    from ``year_start`` to ``now`` and :math:`t_{observed}` the hours it integrated. Gaps
    add nothing to the dose and nothing to the hours the rate is taken over: a gap is not
    taken for darkness. The budget is the object's annual exposure limit (CIE 157 [1]_)."""
    index = pd.DatetimeIndex(times)
    lux = _values(illuminance_lux)
    inside = np.asarray((index >= year_start) & (index <= now))
    index, lux = index[inside], lux[inside]
    dose = exposure_lux_hours(index, lux, max_gap_h) if len(index) >= 2 else 0.0
    observed = steps(index, lux, max_gap_h).hours_observed if len(index) >= 2 else 0.0
    remaining = max(0.0, (year_end - now) / pd.Timedelta(hours=1))
    rate = dose / observed if observed > 0 else 0.0
    return YearDose(
        lux_hours=dose,
        budget_lux_hours=budget_lux_hours,
        hours_elapsed=max(0.0, (now - year_start) / pd.Timedelta(hours=1)),
        hours_observed=observed,
        hours_remaining=remaining,
        projected_lux_hours=dose + rate * remaining,
    )
