"""How tight a display case is, and when its RH will pass a limit, from its own readings.

A case exchanges air with its reference (the gallery it stands in). With a sensor in the
case and one in the gallery, the case's moisture balance can be fitted to the readings.

Model
-----
**Unbuffered case** (no silica gel, little hygroscopic content): the case's absolute
humidity ρ_c (g/m³) follows the room's ρ_r through a first-order lag set by the air
exchange rate N (air changes per day)::

    dρ_c/dt = N · (ρ_r − ρ_c)                                                    (1)

Absolute humidity, not RH, is the conserved quantity: warming the case by its lights
lowers its RH without changing ρ_c (:func:`analysis.psychrometrics.absolute_humidity`).
The time constant is τ = 1/N and the hygrometric half-time t½ = ln 2 / N.

**Buffered case** (silica gel of mass m, kg, with specific moisture reservoir M, g of
water per kg per % RH): the gel holds the case at its own RH, and takes up what leaks in,
so the case's RH drifts as the gel fills::

    M·m · dRH_c/dt = N·V · (ρ_r − ρ_c)                                           (2)

with V the case's volume (m³). Writing ρ_c = RH_c·ρ_s(T_c)/100 makes (2) first order in
RH towards the room's moisture expressed at the case's temperature,
x_r = 100·ρ_r/ρ_s(T_c), with time constant and half-time::

    τ = 100·M·m / (N·V·ρ_s(T_c)),        t½ = ln 2 · τ                           (3)

At 20 °C (ρ_s = 17.3 g/m³) this is t½ = 4·M·Q/N days with Q = m/V, Thomson's
hygrometric half-time (Thomson 1977, eq. for a case buffered by silica gel).

Fitting
-------
Readings are first put on a regular grid (hourly means, say) by the caller. The
estimators are least squares on the integrated forms of (1) and (2), which need no
derivative of noisy readings:

* (1) step by step: Δρ_c,i = N · D_i + c, with D_i = ∫ (ρ_r − ρ_c) dt over the step
  (trapezoid; the trapezoid makes the sensor noise of ρ_c at both ends cancel in the
  covariance, so N is not biased by noise) and c absorbing a constant calibration offset
  between the two sensors;
* (2) cumulatively: RH_c(t) − RH_c(t₀) = k · C(t) + c with C(t) = ∫ (ρ_r − ρ_c) dt from
  t₀, k = N·V/(M·m) (% RH per day per g/m³). A gel case drifts by a fraction of a percent
  a day under noise of ±0.3 %; the cumulative form uses every reading at once.

The standard error of each slope is the ordinary least-squares one inflated for the
autocorrelation of the residuals (effective sample size n·(1 − r₁)/(1 + r₁), r₁ the lag-1
autocorrelation; Bayley & Hammersley 1946). For a buffered case the sensors' calibration
(±1 % RH each) shifts the mean driving difference on which k rests; that relative error,
√2 · 1 % RH over the mean difference in RH, is added in quadrature. Which model holds is decided by which
predicts the case's next RH better (root-mean-square one-step error in % RH): a buffered
case keeps its RH while its lights warm it, an unbuffered one keeps its absolute humidity.
The caller may impose the answer when the case's silica gel is known.

Quality (``quality``): ``good`` (relative standard error of the rate under 25 %),
``fair`` (under 50 %), ``poor`` (larger, or a rate that is not positive),
``room_steady`` (the room and case differ too little to tell: driving difference under
0.3 g/m³ for a buffered case, or varying by less than 0.1 g/m³ for an unbuffered one),
``insufficient_data`` (fewer than 48 usable steps, or under 60 % of the steps between the
first and the last complete reading).

Forecast
--------
With the room staying at its mean x̄ (RH at the case's temperature over the window), the
case's RH relaxes as RH(t) = x̄ + (RH₀ − x̄)·e^(−t/τ), so it passes a limit L (RH₀ < L < x̄)
after::

    t_L = τ · ln((x̄ − RH₀) / (x̄ − L))                                          (4)

and never while x̄ ≤ L. The interval takes τ from the rate ± 1.96 standard errors and x̄
± the spread (one standard deviation, at least 1 % RH for sensor calibration) of the
room's daily means.

References
----------
.. [1] Thomson, G. (1977). Stabilization of RH in exhibition cases: hygrometric
   half-time. *Studies in Conservation* 22(2), 85–102.
.. [2] Michalski, S. (1994). Leakage prediction for buildings, cases, bags and bottles.
   *Studies in Conservation* 39(3), 169–186.
.. [3] Bayley, G. V. & Hammersley, J. M. (1946). The "effective" number of independent
   observations in an autocorrelated time series. *Supplement to the Journal of the Royal
   Statistical Society* 8(2), 184–197.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.psychrometrics import absolute_humidity, saturation_density_g_per_m3

LN2 = math.log(2.0)
#: Silica gel's specific moisture reservoir M, g per kg per % RH, between 20 and 60 % RH
#: for regular-density gel (Thomson 1977 [1]; a reading of published isotherms).
SILICA_GEL_M_G_PER_KG_PER_PCT = 5.0
#: Below this the room gives too little signal to fit (see the module's Quality).
MIN_DRIVING_G_PER_M3 = 0.3
MIN_SWING_G_PER_M3 = 0.1
MIN_STEPS = 48
MIN_COVERAGE = 0.6
#: Sensor calibration alone makes the room's level uncertain by about this much: the
#: calibration error of capacitive T/RH sensors, about ±1 % RH (one standard deviation).
MIN_EQUILIBRIUM_SPREAD_PCT = 1.0
CALIBRATION_RH_PCT = 1.0
QUALITIES = ("good", "fair", "poor", "room_steady", "insufficient_data")


@dataclass(frozen=True)
class Tightness:
    """A fitted case (see the module docstring for the model and the estimators)."""

    buffered: bool
    #: The fitted rate: N (1/day) for an unbuffered case, k (% RH/day per g/m³) for a
    #: buffered one; and its standard error.
    rate: float
    rate_se: float
    time_constant_days: float
    half_time_days: float
    #: 95 % interval of the half-time (hi is inf when the rate may be zero).
    half_time_interval_days: tuple[float, float]
    #: N, air changes a day, for an unbuffered case; None for a buffered one.
    air_exchange_per_day: float | None
    #: Mean RH of the room's air at the case's temperature over the window (x̄), and
    #: the spread of its daily means.
    equilibrium_rh_pct: float
    equilibrium_spread_pct: float
    #: RMS one-step error of each model, % RH.
    rms_buffered_pct: float
    rms_unbuffered_pct: float
    quality: str
    steps: int
    coverage: float


def thomson_half_time_days(
    air_exchange_per_day: float,
    silica_gel_kg: float,
    volume_m3: float,
    temperature_c: float = 20.0,
    gel_m_g_per_kg_per_pct: float = SILICA_GEL_M_G_PER_KG_PER_PCT,
) -> float:
    r"""Hygrometric half-time of a case buffered by silica gel, days (equation 3).

    .. math:: t_{1/2} = \ln 2 \cdot \frac{100\,M\,m}{N\,V\,\rho_s(T)}

    At 20 °C this is Thomson's t½ = 4·M·Q/N (Thomson 1977), Q = m/V in kg/m³.
    Without gel (m = 0) it is the unbuffered ln 2 / N.

    Parameters
    ----------
    air_exchange_per_day : float
        N, air changes a day.
    silica_gel_kg : float
        m, kg of gel in the case.
    volume_m3 : float
        V, the case's air volume, m³.
    temperature_c : float, default 20
        The case's temperature, °C.
    gel_m_g_per_kg_per_pct : float, default 5
        M, the gel's specific moisture reservoir, g/(kg·% RH).
    """
    if silica_gel_kg <= 0:
        return LN2 / air_exchange_per_day
    rho_s = float(saturation_density_g_per_m3(temperature_c))
    return LN2 * 100.0 * gel_m_g_per_kg_per_pct * silica_gel_kg / (air_exchange_per_day * volume_m3 * rho_s)


def _slope_through(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Least-squares slope of y on x with one intercept per group; its standard error
    inflated for lag-1 autocorrelation of the residuals; and the residuals."""
    xd, yd = x.astype(float).copy(), y.astype(float).copy()
    for g in np.unique(groups):
        mine = groups == g
        xd[mine] -= xd[mine].mean()
        yd[mine] -= yd[mine].mean()
    sxx = float(np.dot(xd, xd))
    if sxx <= 0:
        return math.nan, math.inf, yd
    slope = float(np.dot(xd, yd)) / sxx
    residuals = yd - slope * xd
    n = len(x)
    dof = max(n - 1 - len(np.unique(groups)), 1)
    variance = float(np.dot(residuals, residuals)) / dof
    r1 = 0.0
    if n > 2 and np.dot(residuals, residuals) > 0:
        r1 = float(np.dot(residuals[1:], residuals[:-1]) / np.dot(residuals, residuals))
    r1 = min(max(r1, 0.0), 0.99)
    inflation = (1.0 + r1) / (1.0 - r1)
    return slope, math.sqrt(variance / sxx * inflation), residuals


def _daily_means(time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    days = np.floor((time_s - time_s[0]) / 86_400.0).astype(int)
    valid = np.isfinite(values)
    means = [values[valid & (days == d)].mean() for d in np.unique(days[valid])]
    return np.asarray(means, dtype=float)


def fit_tightness(
    time_s: np.ndarray,
    case_temperature_c: np.ndarray,
    case_rh_pct: np.ndarray,
    room_temperature_c: np.ndarray,
    room_rh_pct: np.ndarray,
    *,
    buffered: bool | None = None,
    max_step_s: float | None = None,
) -> Tightness:
    """Fit a case's moisture exchange with its room (models 1 and 2 of the module).

    Parameters
    ----------
    time_s : array
        Times of the grid, s (ascending, ideally regular: hourly means work well).
    case_temperature_c, case_rh_pct : array
        The case's air, °C and % RH, on the grid; NaN where missing.
    room_temperature_c, room_rh_pct : array
        The reference room's air, likewise.
    buffered : bool, optional
        Impose the model (True: silica gel, equation 2; False: equation 1); by default
        the one that predicts the case's RH better.
    max_step_s : float, optional
        Steps longer than this are gaps (default 1.5 × the median step).

    Returns
    -------
    Tightness
        Rates, half-time with interval, the room's equilibrium level and a quality flag.
    """
    t = np.asarray(time_s, dtype=float)
    tc, rhc = np.asarray(case_temperature_c, float), np.asarray(case_rh_pct, float)
    tr, rhr = np.asarray(room_temperature_c, float), np.asarray(room_rh_pct, float)
    valid = np.isfinite(tc) & np.isfinite(rhc) & np.isfinite(tr) & np.isfinite(rhr)
    rho_c = np.asarray(absolute_humidity(tc, rhc))
    rho_r = np.asarray(absolute_humidity(tr, rhr))
    rho_s = saturation_density_g_per_m3(tc)
    drive = rho_r - rho_c
    equilibrium = 100.0 * rho_r / rho_s
    dt = np.diff(t)
    step = float(np.median(dt)) if len(dt) else math.nan
    limit = max_step_s if max_step_s is not None else 1.5 * step
    ok = valid[:-1] & valid[1:] & (dt <= limit) if len(dt) else np.zeros(0, bool)
    dt_days = dt / 86_400.0
    steps = int(ok.sum())
    # Coverage inside the span the readings cover: a window chosen longer than the data
    # is not missing data, a hole in the middle is.
    covered = np.flatnonzero(valid)
    span_steps = max(int(covered[-1] - covered[0]), 1) if len(covered) else 1
    coverage = steps / span_steps
    daily = _daily_means(t, np.where(valid, equilibrium, np.nan))
    x_bar = float(np.nanmean(equilibrium[valid])) if valid.any() else math.nan
    spread = max(float(np.std(daily)) if len(daily) > 1 else 0.0, MIN_EQUILIBRIUM_SPREAD_PCT)

    def result(**values: object) -> Tightness:
        base: dict[str, object] = {
            "buffered": bool(buffered) if buffered is not None else False,
            "rate": math.nan,
            "rate_se": math.inf,
            "time_constant_days": math.nan,
            "half_time_days": math.nan,
            "half_time_interval_days": (math.nan, math.nan),
            "air_exchange_per_day": None,
            "equilibrium_rh_pct": x_bar,
            "equilibrium_spread_pct": spread,
            "rms_buffered_pct": math.nan,
            "rms_unbuffered_pct": math.nan,
            "quality": "insufficient_data",
            "steps": steps,
            "coverage": coverage,
        }
        base.update(values)
        return Tightness(**base)  # type: ignore[arg-type]

    if steps < MIN_STEPS or coverage < MIN_COVERAGE:
        return result()

    # Model 1, step by step.
    i = np.flatnonzero(ok)
    d_step = 0.5 * (drive[i] + drive[i + 1]) * dt_days[i]
    d_rho = rho_c[i + 1] - rho_c[i]
    n_rate, n_se, _ = _slope_through(d_step, d_rho, np.zeros(len(i), int))
    offset = float(np.mean(d_rho - n_rate * d_step)) if math.isfinite(n_rate) else 0.0
    predicted_rho = rho_c[i] + n_rate * d_step + offset
    rms_unbuffered = float(np.sqrt(np.mean((100.0 * predicted_rho / rho_s[i + 1] - rhc[i + 1]) ** 2)))

    # Model 2, cumulative within each run of contiguous steps.
    segment = np.concatenate([[0], np.cumsum(~ok)])  # a new segment after every gap
    increments = np.where(ok, 0.5 * (drive[:-1] + drive[1:]) * dt_days, 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(increments)])
    k_rate, k_se, _ = _slope_through(cumulative[valid], rhc[valid], segment[valid])
    rms_buffered = float(np.sqrt(np.mean((rhc[i] + k_rate * d_step - rhc[i + 1]) ** 2)))

    if buffered is None:
        # Ties go to the unbuffered model: at a steady temperature the two coincide.
        buffered = rms_buffered < 0.9 * rms_unbuffered
    mean_t = float(np.mean(tc[valid]))
    if buffered:
        to_tau = 100.0 / float(saturation_density_g_per_m3(mean_t))
        mean_drive = abs(float(np.mean(drive[valid])))
        steady = mean_drive < MIN_DRIVING_G_PER_M3
        # The two sensors' calibration errors shift the driving difference itself: a
        # systematic error no amount of data removes, added in quadrature.
        calibration = math.sqrt(2.0) * CALIBRATION_RH_PCT / to_tau
        rate = k_rate
        se = math.hypot(k_se, abs(k_rate) * calibration / max(mean_drive, 1e-9))
    else:
        rate, se = n_rate, n_se
        to_tau = 1.0
        steady = float(np.std(drive[valid])) < MIN_SWING_G_PER_M3
    common = {
        "buffered": bool(buffered),
        "rms_buffered_pct": rms_buffered,
        "rms_unbuffered_pct": rms_unbuffered,
    }
    if steady:
        return result(quality="room_steady", rate=rate, rate_se=se, **common)
    if not (math.isfinite(rate) and rate > 0):
        return result(quality="poor", rate=rate, rate_se=se, **common)
    tau = to_tau / rate
    relative = se / rate
    quality = "good" if relative < 0.25 else "fair" if relative < 0.5 else "poor"
    low_rate, high_rate = rate - 1.96 * se, rate + 1.96 * se
    interval = (LN2 * to_tau / high_rate, LN2 * to_tau / low_rate if low_rate > 0 else math.inf)
    return result(
        rate=rate,
        rate_se=se,
        time_constant_days=tau,
        half_time_days=LN2 * tau,
        half_time_interval_days=interval,
        air_exchange_per_day=None if buffered else rate,
        quality=quality,
        **common,
    )


def moisture_trend(time_s: np.ndarray, rh_pct: np.ndarray) -> tuple[float, float]:
    """The case's RH trend, % RH per day, and its standard error: the least-squares slope
    of the daily means (which removes the daily cycle) against the day, or of the
    readings themselves over less than three days. NaN where it cannot be told."""
    t = np.asarray(time_s, dtype=float)
    rh = np.asarray(rh_pct, dtype=float)
    valid = np.isfinite(rh) & np.isfinite(t)
    if valid.sum() < 3:
        return math.nan, math.nan
    t, rh = t[valid], rh[valid]
    days = np.floor((t - t[0]) / 86_400.0).astype(int)
    if days.max() >= 2:
        x = np.unique(days).astype(float) + 0.5
        y = np.array([rh[days == d].mean() for d in np.unique(days)])
    else:
        x, y = (t - t[0]) / 86_400.0, rh
    if len(x) < 3:
        return math.nan, math.nan
    slope, se, _ = _slope_through(x, y, np.zeros(len(x), int))
    return slope, se


def days_to_limit(
    rh_now_pct: float, equilibrium_rh_pct: float, time_constant_days: float, limit_rh_pct: float
) -> float:
    """Days until a first-order case passes an upper RH limit (equation 4).

    0 when it is already at or above the limit, inf when the room's level x̄ does not
    reach the limit (the case settles below it) or the case never moves (τ = inf).
    """
    if rh_now_pct >= limit_rh_pct:
        return 0.0
    if equilibrium_rh_pct <= limit_rh_pct or not math.isfinite(time_constant_days):
        return math.inf
    return time_constant_days * math.log(
        (equilibrium_rh_pct - rh_now_pct) / (equilibrium_rh_pct - limit_rh_pct)
    )


@dataclass(frozen=True)
class Forecast:
    limit_rh_pct: float
    rh_now_pct: float
    #: Days until the limit (inf: not while the room stays as it was), and its interval.
    days: float
    interval_days: tuple[float, float]


def forecast_limit(tightness: Tightness, rh_now_pct: float, limit_rh_pct: float) -> Forecast | None:
    """When the case passes ``limit_rh_pct`` (equation 4), with its interval from the
    uncertainty of the rate and of the room's level; None when the fit gives no time
    constant (quality room_steady, poor with a non-positive rate, insufficient_data)."""
    tau = tightness.time_constant_days
    if not math.isfinite(tau) or not math.isfinite(rh_now_pct):
        return None
    lo_hi_tau = [tau * h / tightness.half_time_days for h in tightness.half_time_interval_days]
    x_bar, spread = tightness.equilibrium_rh_pct, tightness.equilibrium_spread_pct
    candidates = [
        days_to_limit(rh_now_pct, x, t, limit_rh_pct)
        for x in (x_bar - spread, x_bar + spread)
        for t in lo_hi_tau
    ]
    return Forecast(
        limit_rh_pct=limit_rh_pct,
        rh_now_pct=rh_now_pct,
        days=days_to_limit(rh_now_pct, x_bar, tau, limit_rh_pct),
        interval_days=(min(candidates), max(candidates)),
    )
