"""Preservation metrics conservators already know (IPI, ISO 9223, VTT, EN 15757).

Functions take temperature in °C and relative humidity in % as floats, NumPy arrays or
pandas Series; period metrics take Series indexed by time.

References
----------
.. [1] Glass, S. V. & Zelinka, S. L. (2021). Moisture relations and physical properties of
   wood. In *Wood Handbook*, FPL-GTR-282, ch. 4, eq. 4-5 (after Simpson 1973).
.. [2] Image Permanence Institute. Dew Point Calculator (dpcalc.org) and eClimateNotebook:
   metal corrosion, mechanical damage, natural ageing and mould ratings.
.. [3] Reilly, J. M., Nishimura, D. W. & Zinn, E. (1995). *New Tools for Preservation*.
   Commission on Preservation and Access (Preservation Index, time-weighted PI).
.. [4] ISO 9223:2012. Corrosion of metals and alloys — Corrosivity of atmospheres
   (time of wetness: hours with RH > 80 % and T > 0 °C).
.. [5] Hukka, A. & Viitanen, H. A. (1999). A mathematical model of mould growth on wooden
   material. *Wood Science and Technology* 33, 475–485.
.. [6] EN 15757:2010. Conservation of cultural property — Specifications for temperature
   and relative humidity to limit climate-induced mechanical damage in organic hygroscopic
   materials (procedure as commonly described; the standard itself was not read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.mould import days_to_germination
from analysis.psychrometrics import ArrayLike, _as_result, _values
from analysis.sampling import reading_durations_h

# --- Equilibrium moisture content of wood -----------------------------------------------


def emc_wood(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    r"""Equilibrium moisture content of wood, in % of dry mass (Wood Handbook eq. 4-5).

    .. math::
        EMC = \frac{1800}{W}\left[\frac{Kh}{1-Kh}
              + \frac{K_1Kh + 2K_1K_2K^2h^2}{1 + K_1Kh + K_1K_2K^2h^2}\right]

    with h = RH/100 and, for T in °F, W = 330 + 0.452T + 0.00415T²,
    K = 0.791 + 4.63e−4·T − 8.44e−7·T², K₁ = 6.34 + 7.75e−4·T − 9.35e−5·T²,
    K₂ = 1.09 + 2.84e−2·T − 9.04e−5·T². Reference values: 21.1 °C / 50 % → 9.2;
    37.8 °C / 50 % → 8.7 [1]_. IPI uses EMC for its metal-corrosion and mechanical-damage
    ratings [2]_.

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, %.
    """
    t_f = _values(temperature_c) * 9.0 / 5.0 + 32.0
    h = _values(rh_pct) / 100.0
    w = 330.0 + 0.452 * t_f + 0.00415 * t_f**2
    k = 0.791 + 4.63e-4 * t_f - 8.44e-7 * t_f**2
    k1 = 6.34 + 7.75e-4 * t_f - 9.35e-5 * t_f**2
    k2 = 1.09 + 2.84e-2 * t_f - 9.04e-5 * t_f**2
    kh = k * h
    emc = 1800.0 / w * (kh / (1.0 - kh) + (k1 * kh + 2 * k1 * k2 * kh**2) / (1.0 + k1 * kh + k1 * k2 * kh**2))
    return _as_result(emc, temperature_c, rh_pct)


# --- Preservation Index -------------------------------------------------------------------

#: Activation energy of IPI's Preservation Index, J/mol [2]_.
PI_ACTIVATION_ENERGY_J_PER_MOL = 95_220.0
_GAS_CONSTANT = 8.314


def preservation_index(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    r"""IPI Preservation Index: expected years to noticeable natural ageing of organics.

    .. math:: PI = \frac{1}{365}\exp\left(\frac{E - 134.9\,RH}{8.314\,T_K}
              + 0.0284\,RH - 28.023\right), \quad E = 95\,220\ \mathrm{J/mol}

    as IPI's Dew Point Calculator computes it; it reproduces IPI's published lookup table
    within ±2 years for 15–30 °C and 30–70 % RH (20 °C / 50 % → 44.6 vs 44). Reilly's
    simpler closed form is off by up to 19 % against IPI's table and is not used (docs/science.md §3).

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, %.

    Returns
    -------
    float, array or Series
        Years.
    """
    t_k = _values(temperature_c) + 273.15
    rh = _values(rh_pct)
    exponent = (PI_ACTIVATION_ENERGY_J_PER_MOL - 134.9 * rh) / (_GAS_CONSTANT * t_k) + 0.0284 * rh - 28.023
    return _as_result(np.exp(exponent) / 365.0, temperature_c, rh_pct)


def time_weighted_preservation_index(temperature_c: ArrayLike, rh_pct: ArrayLike) -> float:
    r"""Time-weighted PI over equally spaced readings: TWPI = N / Σ(1/PI_i) [3]_, years.

    Ageing adds up as a rate, so the harmonic mean is the right average: a week at a
    poor PI outweighs a month at a good one."""
    pi = np.atleast_1d(_values(preservation_index(_values(temperature_c), _values(rh_pct))))
    pi = pi[np.isfinite(pi)]
    if pi.size == 0:
        raise ValueError("no finite readings to compute a time-weighted PI from")
    return float(pi.size / np.sum(1.0 / pi))


# --- IPI ratings ---------------------------------------------------------------------------

#: IPI bands [2]_: metal corrosion by EMC (≈ 35 % and 58 % RH at 20 °C).
METAL_CORROSION_EMC_OK = 7.0
METAL_CORROSION_EMC_RISK = 10.5
#: Mechanical damage: EMC below 5 or above 12.5 is a risk.
MECHANICAL_EMC_LOW = 5.0
MECHANICAL_EMC_HIGH = 12.5
#: Natural ageing by PI, years: ≥ 75 good, 45–75 OK, < 45 risk.
NATURAL_AGING_PI_GOOD = 75.0
NATURAL_AGING_PI_OK = 45.0
#: Mould: no germination below 65 % RH or outside 2–45 °C (IPI Dew Point Calculator).
MOULD_RH_MIN_PCT = 65.0
MOULD_TEMPERATURE_RANGE_C = (2.0, 45.0)


def mould_possible(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    """True where mould can germinate per IPI: RH ≥ 65 % and 2 °C ≤ T ≤ 45 °C [2]_."""
    t, rh = _values(temperature_c), _values(rh_pct)
    low, high = MOULD_TEMPERATURE_RANGE_C
    possible = (rh >= MOULD_RH_MIN_PCT) & (t >= low) & (t <= high)
    for item in (temperature_c, rh_pct):
        if isinstance(item, pd.Series):
            return pd.Series(possible, index=item.index)
    return bool(possible) if np.ndim(possible) == 0 else possible  # type: ignore[return-value]


def ipi_ratings(temperature_c: ArrayLike, rh_pct: ArrayLike) -> Mapping[str, str] | pd.DataFrame:
    """IPI's ratings of a climate: ``metal_corrosion``, ``mechanical_damage``,
    ``natural_aging`` and ``mould``, each ``"good"``, ``"ok"`` or ``"risk"`` [2]_.

    * metal corrosion: EMC < 7.0 good, 7.0–10.5 OK, > 10.5 risk;
    * mechanical damage: EMC < 5 or > 12.5 risk, otherwise OK (IPI has no "good" band);
    * natural ageing: PI ≥ 75 good, 45–75 OK, < 45 risk;
    * mould: good where IPI's days-to-germination table expects no germination, risk
      where it gives a number of days (:func:`analysis.mould.ipi_mould_rating`).

    Returns a mapping for scalars and a DataFrame with those four columns for arrays.
    """
    emc = np.atleast_1d(_values(emc_wood(_values(temperature_c), _values(rh_pct))))
    pi = np.atleast_1d(_values(preservation_index(_values(temperature_c), _values(rh_pct))))
    mould = np.atleast_1d(np.asarray(days_to_germination(_values(temperature_c), _values(rh_pct))) > 0)
    ratings = {
        "metal_corrosion": np.where(
            emc < METAL_CORROSION_EMC_OK, "good", np.where(emc <= METAL_CORROSION_EMC_RISK, "ok", "risk")
        ),
        "mechanical_damage": np.where((emc < MECHANICAL_EMC_LOW) | (emc > MECHANICAL_EMC_HIGH), "risk", "ok"),
        "natural_aging": np.where(
            pi >= NATURAL_AGING_PI_GOOD, "good", np.where(pi >= NATURAL_AGING_PI_OK, "ok", "risk")
        ),
        "mould": np.where(mould, "risk", "good"),
    }
    if np.ndim(temperature_c) == 0 and np.ndim(rh_pct) == 0:
        return {key: str(value[0]) for key, value in ratings.items()}
    index = next((x.index for x in (temperature_c, rh_pct) if isinstance(x, pd.Series)), None)
    return pd.DataFrame(ratings, index=index)


def period_ipi_ratings(temperature_c: pd.Series, rh_pct: pd.Series) -> dict[str, str]:
    """IPI ratings of a whole period, as eClimateNotebook grades it (second-hand): metal
    corrosion and mechanical damage from the extreme EMC after smoothing temperature over
    24 h and RH over 30 days; natural ageing from the TWPI; mould "risk" if germination
    conditions held at any hourly mean (IPI's days-to-germination table)."""
    hourly = pd.DataFrame({"t": temperature_c, "rh": rh_pct}).resample("1h").mean().dropna()
    if hourly.empty:
        raise ValueError("no readings in the period")
    t_smooth = hourly["t"].rolling("24h", min_periods=1).mean()
    rh_smooth = hourly["rh"].rolling("30D", min_periods=1).mean()
    emc = emc_wood(t_smooth, rh_smooth)
    emc_max, emc_min = float(emc.max()), float(emc.min())
    twpi = time_weighted_preservation_index(hourly["t"], hourly["rh"])
    return {
        "metal_corrosion": "good"
        if emc_max < METAL_CORROSION_EMC_OK
        else "ok"
        if emc_max <= METAL_CORROSION_EMC_RISK
        else "risk",
        "mechanical_damage": "risk"
        if emc_min < MECHANICAL_EMC_LOW or emc_max > MECHANICAL_EMC_HIGH
        else "ok",
        "natural_aging": "good"
        if twpi >= NATURAL_AGING_PI_GOOD
        else "ok"
        if twpi >= NATURAL_AGING_PI_OK
        else "risk",
        "mould": "risk"
        if bool((np.asarray(days_to_germination(hourly["t"], hourly["rh"])) > 0).any())
        else "good",
    }


# --- Time of wetness ------------------------------------------------------------------------

#: ISO 9223: a surface counts as wet while RH > 80 % and T > 0 °C.
TOW_RH_PCT = 80.0
TOW_TEMPERATURE_C = 0.0


def find_gaps(index: pd.DatetimeIndex, factor: float = 3.0) -> pd.DataFrame:
    """Gaps in a record: steps longer than ``factor`` × the median step. Columns ``start``,
    ``end``, ``duration`` (the step) and ``missing`` (the step less one median step: the
    time without readings, since a step of one interval is normal)."""
    if len(index) < 3:
        return pd.DataFrame(columns=["start", "end", "duration", "missing"])
    steps = np.diff(index.as_unit("ns").asi8)
    median = np.median(steps)
    where = np.flatnonzero(steps > factor * median)
    return pd.DataFrame(
        {
            "start": index[where],
            "end": index[where + 1],
            "duration": pd.to_timedelta(steps[where], unit="ns"),
            "missing": pd.to_timedelta(steps[where] - median, unit="ns"),
        }
    )


def time_of_wetness_hours(temperature_c: pd.Series, rh_pct: pd.Series) -> float:
    """Hours of wetness per ISO 9223 [4]_: readings with RH > 80 % and T > 0 °C, each
    weighted by the time it stands for (:func:`reading_durations_h`)."""
    wet = (rh_pct.to_numpy(float) > TOW_RH_PCT) & (temperature_c.to_numpy(float) > TOW_TEMPERATURE_C)
    return float(np.sum(reading_durations_h(pd.DatetimeIndex(rh_pct.index))[wet]))


# --- VTT mould index --------------------------------------------------------------------------


def vtt_critical_rh(temperature_c: ArrayLike) -> ArrayLike:
    """Critical RH for mould growth on wood, % (Hukka & Viitanen 1999, eq. 2 [5]_):
    RH_crit = −0.00267T³ + 0.160T² − 3.13T + 100 for T ≤ 20 °C, 80 % above.
    At 10 °C this is 82.0 % (the T term is negative: one public implementation has it
    positive)."""
    t = _values(temperature_c)
    polynomial = -0.00267 * t**3 + 0.160 * t**2 - 3.13 * t + 100.0
    return _as_result(np.where(t <= 20.0, polynomial, 80.0), temperature_c)


def mould_index_vtt(
    temperature_c: pd.Series,
    rh_pct: pd.Series,
    *,
    wood_species: int = 0,
    surface_quality: int = 0,
    initial_index: float = 0.0,
) -> pd.Series:
    r"""VTT mould index M (0 none … 6 heavy growth) over a time series (Hukka & Viitanen 1999).

    Growth, while T is 0.1–40 °C and RH ≥ RH_crit (:func:`vtt_critical_rh`):

    .. math:: \frac{dM}{dt} = \frac{k_1 k_2}{7\,t_m},\quad
              t_m = \exp(-0.68\ln T - 13.9\ln RH + 0.14W - 0.33SQ + 66.02)\ \text{weeks}

    with t in days; k₁ = 1 for M < 1 and 2/(t_v/t_m − 1) above, where
    t_v = exp(−0.74 ln T − 12.72 ln RH + 0.06W + 61.50) weeks is the time to visible growth;
    k₂ = max(1 − exp(2.3(M − M_max)), 0) with
    M_max = 1 + 7(RH_crit − RH)/(RH_crit − 100) − 2((RH_crit − RH)/(RH_crit − 100))².
    In unfavourable conditions M declines by 0.032 per hour for the first 6 h, not at all
    from 6 to 24 h, and by 0.016 per hour after 24 h.

    The series is integrated on hourly means, the model's own time step.

    Parameters
    ----------
    temperature_c, rh_pct : Series
        Air temperature (°C) and relative humidity (%), indexed by time.
    wood_species : int
        W: 0 pine, 1 spruce.
    surface_quality : int
        SQ: 0 resawn, 1 kiln-dried.
    initial_index : float
        M at the start.

    Returns
    -------
    Series
        M at the end of each hour.
    """
    hours, t, rh = _hourly_means(temperature_c, rh_pct)
    rh_crit = np.asarray(vtt_critical_rh(t), dtype=float)
    favourable = (t > 0.1) & (t < 40.0) & (rh >= rh_crit)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_t, ln_rh = np.log(np.clip(t, 0.1, None)), np.log(np.clip(rh, 1e-9, None))
        t_m_days = 7.0 * np.exp(
            -0.68 * ln_t - 13.9 * ln_rh + 0.14 * wood_species - 0.33 * surface_quality + 66.02
        )
        t_v_days = 7.0 * np.exp(-0.74 * ln_t - 12.72 * ln_rh + 0.06 * wood_species + 61.50)
        ratio = (rh_crit - rh) / (rh_crit - 100.0)
        m_max = 1.0 + 7.0 * ratio - 2.0 * ratio**2
    # A plain Python loop over lists: numpy's per-element indexing would be several times
    # slower, and the index depends on its own previous value.
    t_m, t_v, m_top, growing = t_m_days.tolist(), t_v_days.tolist(), m_max.tolist(), favourable.tolist()
    index_m = [0.0] * len(t)
    m = float(initial_index)
    hours_unfavourable = 0
    exp = math.exp
    for i in range(len(t)):
        if growing[i]:
            hours_unfavourable = 0
            k1 = 1.0 if m < 1.0 else 2.0 / (t_v[i] / t_m[i] - 1.0)
            # k2 = max(1 − exp(2.3 (M − M_max)), 0): zero whenever the exponent is ≥ 0, which
            # also keeps exp() from overflowing.
            exponent = 2.3 * (m - m_top[i])
            k2 = 1.0 - exp(exponent) if exponent < 0.0 else 0.0
            m += k1 * k2 / t_m[i] / 24.0
        else:
            hours_unfavourable += 1
            if hours_unfavourable <= 6:
                m -= 0.032
            elif hours_unfavourable > 24:
                m -= 0.016
            if m < 0.0:
                m = 0.0
        index_m[i] = m
    return pd.Series(index_m, index=hours, name="mould_index")


def _hourly_means(temperature_c: pd.Series, rh_pct: pd.Series) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The hours that have both values, and their mean temperature and RH."""
    if (
        temperature_c.dtype == np.float64
        and rh_pct.dtype == np.float64
        and isinstance(temperature_c.index, pd.DatetimeIndex)
        and temperature_c.index.equals(rh_pct.index)
    ):
        # The usual case (the collector's risk assessment runs this each minute of event
        # time): one float block with positional column labels, pandas' cheapest frame (its
        # string labels cost more than the means); the same means, from the same resample.
        both = np.column_stack([temperature_c.to_numpy(), rh_pct.to_numpy()])
        means = pd.DataFrame(both, index=temperature_c.index).resample("1h").mean()
        values = means.to_numpy()
        complete = ~np.isnan(values).any(axis=1)
        if complete.all():
            return means.index, values[:, 0], values[:, 1]
        hourly = means[complete]
        return hourly.index, hourly[0].to_numpy(float), hourly[1].to_numpy(float)
    hourly = pd.DataFrame({"t": temperature_c, "rh": rh_pct}).resample("1h").mean().dropna()
    return hourly.index, hourly["t"].to_numpy(float), hourly["rh"].to_numpy(float)


# --- EN 15757 ---------------------------------------------------------------------------------

#: EN 15757 needs at least 13 months of (at least hourly) data.
EN15757_MIN_DAYS = 395
#: The band is never narrower than ±10 % RH around the seasonal cycle.
EN15757_MIN_HALF_WIDTH_PCT = 10.0
#: The 30-day moving average is taken where two thirds of its window hold readings (20 of
#: 30 days of hourly data)...
EN15757_WINDOW_COVERAGE = 2 / 3
#: ... and never from fewer than this many readings (Patina's floor: daily readings are
#: the sparsest record whose 30-day mean is still a seasonal cycle).
EN15757_MIN_READINGS_PER_WINDOW = 20


class En15757Unavailable(ValueError):
    """The record cannot give an EN 15757 band; ``reason`` is ``"short"`` (less than 13
    months) or ``"sparse"`` (too few readings for the 30-day moving average)."""

    def __init__(self, reason: str, message: str, needed: int = 0, found: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.needed = needed
        self.found = found


def en15757_window_readings(index: pd.DatetimeIndex) -> int:
    """Readings a 30-day window must hold for its moving average: two thirds of the
    window at the record's median interval (hourly means: 480), at least
    :data:`EN15757_MIN_READINGS_PER_WINDOW`."""
    step_h = 1.0
    if len(index) > 1:
        step_h = max(1.0, float(np.median(np.diff(index.as_unit("ns").asi8))) / 3.6e12)
    return max(EN15757_MIN_READINGS_PER_WINDOW, math.ceil(EN15757_WINDOW_COVERAGE * 30 * 24 / step_h))


@dataclass(frozen=True)
class En15757Band:
    """The historical-climate band of EN 15757 [6]_ for a series of RH."""

    #: 30-day centred moving average of RH (the seasonal cycle), hourly.
    seasonal_pct: pd.Series
    #: Lower and upper limits around the seasonal cycle, % RH (offsets of the 7th and 93rd
    #: percentile of the short-term fluctuations, at least ±10 %).
    lower_offset_pct: float
    upper_offset_pct: float
    #: Share of hours inside the band.
    share_inside: float
    #: The 7th and 93rd percentiles of the fluctuations themselves, % RH, before the
    #: widening to ±10 % (the applied band is these unless they are narrower).
    p7_offset_pct: float = float("nan")
    p93_offset_pct: float = float("nan")

    @property
    def lower_pct(self) -> pd.Series:
        return self.seasonal_pct + self.lower_offset_pct

    @property
    def upper_pct(self) -> pd.Series:
        return self.seasonal_pct + self.upper_offset_pct


def en15757_band(rh_pct: pd.Series) -> En15757Band:
    """EN 15757 seasonal band of a time-indexed RH series of at least 13 months [6]_.

    Seasonal cycle: the 30-day centred moving average of hourly RH, where the window holds
    :func:`en15757_window_readings` readings. Short-term fluctuations: RH minus that
    average. Band: the 7th to 93rd percentile of the fluctuations, widened to at least
    ±10 % RH. Raises :class:`En15757Unavailable` for a record too short or too sparse (a
    12-hourly or daily logger gives a band; a weekly one does not).
    """
    hourly = rh_pct.resample("1h").mean().dropna()
    if hourly.empty or (hourly.index[-1] - hourly.index[0]) < pd.Timedelta(days=EN15757_MIN_DAYS):
        raise En15757Unavailable("short", "EN 15757 needs at least 13 months of data")
    needed = en15757_window_readings(pd.DatetimeIndex(hourly.index))
    counts = hourly.rolling("30D", center=True).count()
    seasonal = hourly.rolling("30D", center=True, min_periods=needed).mean()
    fluctuation = (hourly - seasonal).dropna()
    if fluctuation.empty:
        found = int(counts.max())
        raise En15757Unavailable(
            "sparse",
            f"EN 15757's 30-day moving average needs {needed} readings in 30 days; this record has "
            f"at most {found}",
            needed,
            found,
        )
    p7 = float(np.percentile(fluctuation, 7))
    p93 = float(np.percentile(fluctuation, 93))
    lower = min(p7, -EN15757_MIN_HALF_WIDTH_PCT)
    upper = max(p93, EN15757_MIN_HALF_WIDTH_PCT)
    inside = ((fluctuation >= lower) & (fluctuation <= upper)).mean()
    return En15757Band(seasonal, lower, upper, float(inside), p7, p93)


# --- loan agreements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanBands:
    """The climate a lender asks for, e.g. 45 ± 5 % RH, 20 ± 2 °C, no more than 5 % RH
    change within 24 hours (loan agreements state their own bands; docs/science.md §5). A
    tolerance or limit left as None is not part of the agreement."""

    rh_target_pct: float
    rh_tolerance_pct: float
    temperature_target_c: float | None = None
    temperature_tolerance_c: float | None = None
    max_rh_change_24h_pct: float | None = None


def loan_compliance(temperature_c: pd.Series, rh_pct: pd.Series, bands: LoanBands) -> dict[str, float | None]:
    """The share of time (%) a record met each band of a loan agreement, and all of them.

    Each reading is weighted by the time it stands for (:func:`reading_durations_h`). The
    24-hour change at a reading is the RH range (max − min) over the 24 hours ending with
    it, the usual reading of "no more than x % in 24 hours"; it is judged only once a full
    day of record lies behind the reading.

    Returns ``rh_pct``, ``temperature_pct``, ``change_24h_pct`` (None for a band the
    agreement does not state) and ``all_pct``.
    """
    rh = rh_pct.astype(float)
    index = pd.DatetimeIndex(rh.index)
    weights = reading_durations_h(index)
    total = float(weights.sum()) or 1.0
    ok_rh = (rh - bands.rh_target_pct).abs().to_numpy() <= bands.rh_tolerance_pct
    met: dict[str, np.ndarray | None] = {"rh_pct": ok_rh, "temperature_pct": None, "change_24h_pct": None}
    if bands.temperature_target_c is not None and bands.temperature_tolerance_c is not None:
        t = temperature_c.astype(float).to_numpy()
        met["temperature_pct"] = np.abs(t - bands.temperature_target_c) <= bands.temperature_tolerance_c
    if bands.max_rh_change_24h_pct is not None:
        window = rh.rolling("24h")
        change = (window.max() - window.min()).to_numpy()
        judged = (index - index[0]) >= pd.Timedelta(hours=24) if len(index) else np.zeros(0, bool)
        met["change_24h_pct"] = ~judged | (change <= bands.max_rh_change_24h_pct)
    every = np.ones(len(rh), dtype=bool)
    result: dict[str, float | None] = {}
    for name, ok in met.items():
        if ok is None:
            result[name] = None
            continue
        every &= ok
        result[name] = 100.0 * float(weights[ok].sum()) / total
    result["all_pct"] = 100.0 * float(weights[every].sum()) / total
    return result
