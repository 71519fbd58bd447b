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

Level shifts (a buffered case only): reconditioning or swapping the gel, or moving or
recalibrating the case's sensor, shifts the case's RH by a step that no air exchange made.
Fitting (2) across it would take the step for the case's exchange (a step down reads as a
gel that suddenly dries, k near zero or negative). A level shift of a series is a single
outlier in its one-step innovations (Tsay 1988 [4], the level-shift model); here the
innovations are the buffered model's one-step residuals e_i = ΔRH_c,i − k·D_i, summed over
``STEP_SPAN`` steps so that a step spread over the hourly means around it is seen whole, and
standardised by a robust scale, 1.4826 × their median absolute deviation (Hampel 1974 [5]),
which the steps themselves do not inflate. Windows beyond ``STEP_SIGMAS`` robust standard
deviations and ``MIN_STEP_RH_PCT`` are cut from the fit (the cumulative fit restarts after
them, with its own intercept, as after a gap: the gel's mass and the case's leak, hence k,
are the same on both sides). A run of cut steps whose residuals add up to at least
``MIN_STEP_RH_PCT`` is a level shift (a spike that comes back within the run is not):
``level_shifts_s`` gives the time of the first reading after each, from which the case's
RH "now" counts.

Quality (``quality``): ``good`` (relative standard error of the rate under 25 %),
``fair`` (under 50 %), ``poor`` (larger, or a rate that is not positive),
``room_steady`` (the room and case differ too little to tell: driving difference under
0.3 g/m³ for a buffered case, or varying by less than 0.1 g/m³ for an unbuffered one),
``insufficient_data`` (fewer than 48 usable steps, or under 60 % of the steps between the
first and the last complete reading).

Forecast
--------
With the room staying at a constant level x̄ (RH at the case's temperature), the case's RH
relaxes as RH(t) = x̄ + (RH₀ − x̄)·e^(−t/τ), so it passes a limit L (RH₀ < L < x̄) after::

    t_L = τ · ln((x̄ − RH₀) / (x̄ − L))                                          (4)

and never while x̄ ≤ L. Where the limit lies near the room's own level the room's future
decides the day: :mod:`analysis.forecast` draws that future and propagates it.

References
----------
.. [1] Thomson, G. (1977). Stabilization of RH in exhibition cases: hygrometric
   half-time. *Studies in Conservation* 22(2), 85–102.
.. [2] Michalski, S. (1994). Leakage prediction for buildings, cases, bags and bottles.
   *Studies in Conservation* 39(3), 169–186.
.. [3] Bayley, G. V. & Hammersley, J. M. (1946). The "effective" number of independent
   observations in an autocorrelated time series. *Supplement to the Journal of the Royal
   Statistical Society* 8(2), 184–197.
.. [4] Tsay, R. S. (1988). Outliers, level shifts, and variance changes in time series.
   *Journal of Forecasting* 7(1), 1–20.
.. [5] Hampel, F. R. (1974). The influence curve and its role in robust estimation.
   *Journal of the American Statistical Association* 69(346), 383–393.
"""

from __future__ import annotations

import dataclasses
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
#: The calibration error of capacitive T/RH sensors, about ±1 % RH (one standard deviation).
CALIBRATION_RH_PCT = 1.0
QUALITIES = ("good", "fair", "poor", "room_steady", "insufficient_data")
#: Level shifts: residuals summed over this many steps (three hours on an hourly grid: a
#: step of the case's RH spreads over the hourly means around it) ...
STEP_SPAN = 3
#: ... beyond this many robust standard deviations (Tsay 1988 [4] tests at 3 to 3.5 for
#: Gaussian innovations; hourly residuals of a case under an air-conditioner's daily cycle
#: have heavier tails: engineering choice, no shift found in any case of
#: tests/forecast_cases.py) ...
STEP_SIGMAS = 5.0
#: ... and at least this large, % RH: one sensor's calibration uncertainty, below which a
#: shift moves no forecast more than the calibration already does.
MIN_STEP_RH_PCT = 1.0
#: The robust scale of normal residuals: 1.4826 × their median absolute deviation.
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Tightness:
    """A fitted case (see the module docstring for the model and the estimators)."""

    buffered: bool
    #: Mean RH of the room's air at the case's temperature over the window (x̄).
    equilibrium_rh_pct: float
    steps: int
    coverage: float
    quality: str = "insufficient_data"
    #: The fitted rate: N (1/day) for an unbuffered case, k (% RH/day per g/m³) for a
    #: buffered one; and its standard error.
    rate: float = math.nan
    rate_se: float = math.inf
    #: The rate's standard error from the fit alone (without the sensors' calibration).
    rate_fit_se: float = math.inf
    #: A buffered case's mean driving difference over the window in % RH at its
    #: temperature (x − RH): what the sensors' calibration shifts (NaN if unbuffered).
    mean_gap_rh_pct: float = math.nan
    time_constant_days: float = math.nan
    half_time_days: float = math.nan
    #: 95 % interval of the half-time (hi is inf when the rate may be zero).
    half_time_interval_days: tuple[float, float] = (math.nan, math.nan)
    #: N, air changes a day, for an unbuffered case; None for a buffered one.
    air_exchange_per_day: float | None = None
    #: RMS one-step error of each model, % RH.
    rms_buffered_pct: float = math.nan
    rms_unbuffered_pct: float = math.nan
    #: A buffered case's level shifts (a reconditioned gel): the time of the first reading
    #: after each, s; the fit does not cross them.
    level_shifts_s: tuple[float, ...] = ()


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


def slope_through(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Least-squares slope of y on x with one intercept per group; its standard error
    inflated for lag-1 autocorrelation of the residuals (Bayley & Hammersley 1946 [3]); and
    the residuals."""
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


@dataclass(frozen=True)
class _Grid:
    """The readings on their grid in the models' quantities: ``valid`` readings, ``ok``
    steps between two valid readings no longer than the gap limit."""

    valid: np.ndarray
    ok: np.ndarray
    rh_case_pct: np.ndarray
    temperature_case_c: np.ndarray
    rho_case: np.ndarray
    rho_saturation: np.ndarray
    drive: np.ndarray
    dt_days: np.ndarray
    coverage: float
    equilibrium_rh_pct: float

    @property
    def steps(self) -> int:
        return int(self.ok.sum())

    def step_drive(self, i: np.ndarray) -> np.ndarray:
        """D_i = ∫ (ρ_r − ρ_c) dt over each step i (trapezoid), g·day/m³."""
        return 0.5 * (self.drive[i] + self.drive[i + 1]) * self.dt_days[i]


def _grid(time_s: np.ndarray, arrays: list[np.ndarray], max_step_s: float | None) -> _Grid:
    t = np.asarray(time_s, dtype=float)
    tc, rhc, tr, rhr = (np.asarray(a, dtype=float) for a in arrays)
    valid = np.isfinite(tc) & np.isfinite(rhc) & np.isfinite(tr) & np.isfinite(rhr)
    rho_c, rho_r = np.asarray(absolute_humidity(tc, rhc)), np.asarray(absolute_humidity(tr, rhr))
    rho_s = np.asarray(saturation_density_g_per_m3(tc))
    dt = np.diff(t)
    limit = max_step_s if max_step_s is not None else 1.5 * (float(np.median(dt)) if len(dt) else math.nan)
    ok = valid[:-1] & valid[1:] & (dt <= limit) if len(dt) else np.zeros(0, bool)
    # Coverage inside the span the readings cover: a window chosen longer than the data
    # is not missing data, a hole in the middle is.
    covered = np.flatnonzero(valid)
    span_steps = max(int(covered[-1] - covered[0]), 1) if len(covered) else 1
    equilibrium = 100.0 * rho_r / rho_s
    return _Grid(
        valid=valid,
        ok=ok,
        rh_case_pct=rhc,
        temperature_case_c=tc,
        rho_case=rho_c,
        rho_saturation=rho_s,
        drive=rho_r - rho_c,
        dt_days=dt / 86_400.0,
        coverage=int(ok.sum()) / span_steps,
        equilibrium_rh_pct=float(np.mean(equilibrium[valid])) if valid.any() else math.nan,
    )


def _fit_unbuffered(g: _Grid) -> tuple[float, float, float]:
    """Model 1 step by step: N, its standard error, and the RMS one-step error (% RH)."""
    i = np.flatnonzero(g.ok)
    d_step = g.step_drive(i)
    d_rho = g.rho_case[i + 1] - g.rho_case[i]
    rate, se, _ = slope_through(d_step, d_rho, np.zeros(len(i), int))
    offset = float(np.mean(d_rho - rate * d_step)) if math.isfinite(rate) else 0.0
    predicted = 100.0 * (g.rho_case[i] + rate * d_step + offset) / g.rho_saturation[i + 1]
    return rate, se, float(np.sqrt(np.mean((predicted - g.rh_case_pct[i + 1]) ** 2)))


def _fit_buffered(g: _Grid) -> tuple[float, float, float, float]:
    """Model 2 cumulatively within each run of contiguous steps: k, its standard error
    with the sensors' calibration, the RMS one-step error (% RH), and the standard error
    of the fit alone."""
    segment = np.concatenate([[0], np.cumsum(~g.ok)])  # a new segment after every gap
    increments = np.where(g.ok, 0.5 * (g.drive[:-1] + g.drive[1:]) * g.dt_days, 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(increments)])
    rate, se, _ = slope_through(cumulative[g.valid], g.rh_case_pct[g.valid], segment[g.valid])
    i = np.flatnonzero(g.ok)
    rms = float(np.sqrt(np.mean((g.rh_case_pct[i] + rate * g.step_drive(i) - g.rh_case_pct[i + 1]) ** 2)))
    # The two sensors' calibration errors shift the driving difference itself: a
    # systematic error no amount of data removes, added in quadrature.
    mean_drive = abs(float(np.mean(g.drive[g.valid])))
    calibration = math.sqrt(2.0) * CALIBRATION_RH_PCT / _rate_to_tau(g, buffered=True)
    return rate, math.hypot(se, abs(rate) * calibration / max(mean_drive, 1e-9)), rms, se


def level_shifts(g: _Grid, rate: float) -> tuple[np.ndarray, list[int]]:
    """The steps to cut from the buffered fit, and the first reading after each level shift
    (see the module's Level shifts), given the fit's rate k."""
    i = np.flatnonzero(g.ok)
    cut = np.zeros(len(g.ok), bool)
    if len(i) <= STEP_SPAN or not math.isfinite(rate):
        return cut, []
    residual = np.full(len(g.ok), np.nan)
    residual[i] = g.rh_case_pct[i + 1] - g.rh_case_pct[i] - rate * g.step_drive(i)
    # Windows of STEP_SPAN consecutive usable steps (a window over a gap is no window).
    windows = np.lib.stride_tricks.sliding_window_view(residual, STEP_SPAN).sum(axis=1)
    seen = np.isfinite(windows)
    centre = float(np.median(windows[seen]))
    scale = MAD_TO_SD * float(np.median(np.abs(windows[seen] - centre)))
    with np.errstate(invalid="ignore"):
        flagged = seen & (np.abs(windows - centre) > max(STEP_SIGMAS * scale, MIN_STEP_RH_PCT))
    for start in np.flatnonzero(flagged):
        cut[start : start + STEP_SPAN] = True
    cut &= g.ok
    shifts = []
    runs = np.flatnonzero(np.diff(np.concatenate([[0], cut.astype(int), [0]])))
    for first, end in zip(runs[::2], runs[1::2], strict=True):
        # A spike that comes back within the run adds up to little: not a level shift.
        if abs(float(np.nansum(residual[first:end]))) >= MIN_STEP_RH_PCT:
            shifts.append(int(end))
    return cut, shifts


def _rate_to_tau(g: _Grid, buffered: bool) -> float:
    """τ = this / rate: 100/ρ_s(T̄) for k (equation 3), 1 for N."""
    if not buffered:
        return 1.0
    return 100.0 / float(saturation_density_g_per_m3(float(np.mean(g.temperature_case_c[g.valid]))))


def _quality(rate: float, se: float) -> str:
    if not (math.isfinite(rate) and rate > 0):
        return "poor"
    relative = se / rate
    return "good" if relative < 0.25 else "fair" if relative < 0.5 else "poor"


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
    g = _grid(time_s, [case_temperature_c, case_rh_pct, room_temperature_c, room_rh_pct], max_step_s)
    fitted: dict[str, object] = {
        "buffered": bool(buffered),
        "equilibrium_rh_pct": g.equilibrium_rh_pct,
        "steps": g.steps,
        "coverage": g.coverage,
    }
    if g.steps < MIN_STEPS or g.coverage < MIN_COVERAGE:
        return Tightness(**fitted)  # type: ignore[arg-type]
    n_rate, n_se, rms_unbuffered = _fit_unbuffered(g)
    k_rate, k_se, rms_buffered, k_fit_se = _fit_buffered(g)
    if buffered is None:
        # Ties go to the unbuffered model: at a steady temperature the two coincide.
        buffered = rms_buffered < 0.9 * rms_unbuffered
    shifts: list[int] = []
    if buffered:
        cut, shifts = level_shifts(g, k_rate)
        if cut.any():
            # Not across a reconditioned gel: the cumulative fit restarts after each cut.
            g = dataclasses.replace(g, ok=g.ok & ~cut)
            k_rate, k_se, rms_buffered, k_fit_se = _fit_buffered(g)
    fitted["level_shifts_s"] = tuple(float(time_s[j]) for j in shifts)
    rate, se = (k_rate, k_se) if buffered else (n_rate, n_se)
    to_tau = _rate_to_tau(g, bool(buffered))
    if buffered:
        steady = abs(float(np.mean(g.drive[g.valid]))) < MIN_DRIVING_G_PER_M3
    else:
        steady = float(np.std(g.drive[g.valid])) < MIN_SWING_G_PER_M3
    fitted.update(
        buffered=bool(buffered),
        rate=rate,
        rate_se=se,
        rate_fit_se=k_fit_se if buffered else n_se,
        mean_gap_rh_pct=float(np.mean(g.drive[g.valid])) * to_tau if buffered else math.nan,
        rms_buffered_pct=rms_buffered,
        rms_unbuffered_pct=rms_unbuffered,
        quality="room_steady" if steady else _quality(rate, se),
    )
    if steady or not (math.isfinite(rate) and rate > 0):
        return Tightness(**fitted)  # type: ignore[arg-type]
    low_rate, high_rate = rate - 1.96 * se, rate + 1.96 * se
    return Tightness(
        **fitted,  # type: ignore[arg-type]
        time_constant_days=to_tau / rate,
        half_time_days=LN2 * to_tau / rate,
        half_time_interval_days=(
            LN2 * to_tau / high_rate,
            LN2 * to_tau / low_rate if low_rate > 0 else math.inf,
        ),
        air_exchange_per_day=None if buffered else rate,
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
    slope, se, _ = slope_through(x, y, np.zeros(len(x), int))
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
