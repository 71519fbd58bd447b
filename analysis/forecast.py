"""When a case will pass its RH limit, given what is known of its room's future.

:mod:`analysis.diagnostics` fits how fast a case follows its room (its time constant τ).
Where the case's limit lies far from the room's level, τ decides when it passes; where the
limit lies near the room's own level, what the room does next decides it. This module
describes the room's future as an *outlook* and propagates every uncertainty into the day
the case passes its limit.

The room's future
-----------------
Everything is in daily means of x, the room's moisture expressed as RH at the case's
temperature (``room_rh_at_case_pct``), the quantity a case relaxes towards. The outlook of
the next days j = 0, 1, … after the window is::

    x_j = m_j + δ + z·s_j + e_j                                                  (1)

* m_j, the expected course: the room's own readings of the same weeks a year before
  (52 weeks, so weekdays and visitors match), smoothed by a straight line fitted to the
  ``SMOOTH_DAYS`` days around each day (a local linear smoother), plus this window's mean
  departure from it (the *anomaly*, assumed to persist: a dehumidifier added since last
  year stays); failing that, the same course of the outdoor air a year before passed
  through the building's response fitted on the window (equation 2); failing both, the
  window's own mean level (persistence).
  Climatology plus a persisting anomaly is the classical statistical forecast of a
  seasonal variable (Wilks 2011 [1], §9.3).
* δ ~ N(0, σ_δ²), the uncertainty of the level: the standard error of the anomaly (or of
  the window's mean), a mean of autocorrelated days (Bayley & Hammersley 1946 [2]).
* z·s_j, z ~ N(0, 1), what the course itself may do that the data cannot tell: for
  persistence a drift s_j = s_b·(j + 1/2 + W/2) (W the window's days) at the rate the room
  drifted over the window, either way, s_b² = b̂² + se(b̂)²; for the building's response,
  the course's change when its slope moves by one standard error.
* e_j, the weather: a first-order autoregressive departure, e_j = φ·e_(j−1) + η_j,
  η ~ N(0, σ²(1 − φ²)), starting from the window's last day (Box & Jenkins 1976 [3],
  ch. 3; its forecast decays towards the course as φ^j).

Building response (the outdoor outlook). The moisture balance of a ventilated room in a
steady state, ρ_room = ρ_out + G/(n·V) (ISO 13788:2012 [4], Annex A: the internal
moisture excess), generalised to a room whose air-conditioner or dehumidifier takes part of
the outdoor moisture away, is linear in the outdoor's absolute humidity; the room's
temperature likewise in the outdoor's. With the room's moisture time constant a few hours
(B·V/(n·V) with B its hygroscopic buffering), daily means obey::

    ρ_room = α + β·ρ_out,       T_room = α_T + β_T·T_out                           (2)

fitted by least squares on the window's daily means (β ≈ 1 for a gallery open to the
weather, near 0 for a conditioned one).

The crossing
------------
The case relaxes to x with its time constant τ (equations 1 and 2 of
:mod:`analysis.diagnostics`: exact for a buffered case, for an unbuffered one with its
temperature steady over a day). Day by day, with x constant over a day::

    RH_(j) = x_j + (RH_(j−1) − x_j)·e^(−1/τ)                                     (3)

from RH_(−1) = the case's mean RH over the window's last day. The crossing is the first
time the daily means pass the limit L, interpolated linearly between days. What is forecast
is the case's *readings*, which the alerts compare to the limit: the case's own sensor
error is in every reading, the forecast's and the limit's alike. The uncertainties are
propagated by drawing ``SAMPLES`` futures (Monte Carlo propagation of distributions, JCGM
101:2008 [5]): the room's future by (1); the case's rate from its estimate and the fit's
standard error; and Δ, the difference between the two sensors' calibrations (the case's
readings settle at x + Δ). For an unbuffered case, which settles at the room's level, Δ is
measured: the mean difference between its daily means and x over the window's second half.
For a buffered case Δ is drawn, N(0, 2·(1 % RH)²) (capacitive sensors, one standard
deviation each), and moves the rate with it: the drift the readings show is k times the
driving difference the sensors saw (G, in % RH), so a draw of Δ gives k·G/(G + Δ). The
result is the median day (the central estimate), the lower quartile (one chance in four
that the crossing comes before it: the day to act by, to err early) and the 2.5 and 97.5 %
points (the interval). A crossing later than the horizon is infinite. The draws come from
a generator seeded by the caller: the same readings give the same forecast.

A forecast is *actionable* when its interval spans at most a factor of three (the lower end
counted as at least one day) and, in ``ACTIONABLE_CLOSE`` of the draws, the crossing falls
within a third of the central estimate or within ``CLOSE_DAYS`` of it; *uncertain*
otherwise. Which of the three sources of uncertainty — the room's future (``season``), the
sensors' calibration, the case's rate (``tightness``) — holds an uncertain one back is found
by forecasting again with each alone (``limited_by``).

References
----------
.. [1] Wilks, D. S. (2011). *Statistical Methods in the Atmospheric Sciences*, 3rd ed.,
   Academic Press. §9.3: autoregressive models; forecasts as climatology plus a decaying
   anomaly.
.. [2] Bayley, G. V. & Hammersley, J. M. (1946). The "effective" number of independent
   observations in an autocorrelated time series. *Supplement to the Journal of the Royal
   Statistical Society* 8(2), 184–197.
.. [3] Box, G. E. P. & Jenkins, G. M. (1976). *Time Series Analysis: Forecasting and
   Control*, revised ed., Holden-Day. Ch. 3 (the first-order autoregressive process).
.. [4] ISO 13788:2012. *Hygrothermal performance of building components and building
   elements — Internal surface temperature to avoid critical surface humidity and
   interstitial condensation — Calculation methods*. Annex A.
.. [5] JCGM 101:2008. *Evaluation of measurement data — Supplement 1 to the "Guide to the
   expression of uncertainty in measurement" — Propagation of distributions using a Monte
   Carlo method*.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.diagnostics import CALIBRATION_RH_PCT, Tightness, slope_through
from analysis.psychrometrics import absolute_humidity, saturation_density_g_per_m3

SECONDS_PER_DAY = 86_400.0
#: How far ahead a crossing is looked for, days: half a year.
HORIZON_DAYS = 180
#: How far the window's own level is taken to tell the room's future, days: a season in a
#: monsoon climate turns over two to three months (engineering choice).
PERSISTENCE_HORIZON_DAYS = 60
#: Last year's same weeks: 52 weeks back, so that weekdays (and visitors) match.
LAST_YEAR_DAYS = 364
#: Days of the smoother that leaves the season and removes the weather (engineering choice:
#: weather spells last two to ten days).
SMOOTH_DAYS = 15
#: A day's mean needs at least this many of its hourly means.
MIN_HOURS_A_DAY = 12
#: An outlook from a year before needs that year's days over at least this share of the
#: window's calendar days and at least ``MIN_AHEAD_DAYS`` ahead of them.
MIN_PAST_COVERAGE = 0.7
MIN_AHEAD_DAYS = 30
SAMPLES = 2000
EARLY_QUANTILE = 0.25
INTERVAL_QUANTILES = (0.025, 0.975)
#: An interval spanning more than this factor is uncertain (its lower end counted as at
#: least ``ACTIONABLE_FLOOR_DAYS``: within the next three days is always actionable).
ACTIONABLE_RATIO = 3.0
ACTIONABLE_FLOOR_DAYS = 1.0
#: ... and, in this share of the draws at least, the crossing falls within a third of the
#: central estimate or within ``CLOSE_DAYS`` of it: the forecast is good to a third.
ACTIONABLE_CLOSE = 0.95
CLOSE_DAYS = 2.0
#: An unbuffered case has followed its room this many time constants after a change
#: (e^−3 ≈ 5 % of the gap left): only then does its offset from the room measure the sensors.
SETTLED_TIME_CONSTANTS = 3.0
#: Where the room's future comes from.
SOURCES = ("history", "outdoor", "persistence")
#: What may hold a forecast back (``Forecast.limited_by``).
LIMITS = ("season", "calibration", "tightness")


@dataclass(frozen=True)
class Outlook:
    """The room's future as equation (1) of the module: daily x (% RH at the case's
    temperature) for the days after the window."""

    source: str
    #: m_j, % RH, one value per day of the horizon.
    expected_pct: np.ndarray
    #: s_j, % RH per standard normal of the course's own uncertainty.
    course_sd_pct: np.ndarray
    #: σ_δ, % RH.
    level_sd_pct: float
    #: φ of the weather's departures, their σ on each day of the horizon, and the
    #: window's last departure e_(−1).
    persistence: float
    weather_sd_pct: np.ndarray
    last_departure_pct: float

    @property
    def horizon_days(self) -> int:
        return len(self.expected_pct)


@dataclass(frozen=True)
class Forecast:
    """When the case passes its limit (days after the window; inf: not within the
    horizon), as the module describes."""

    limit_rh_pct: float
    rh_now_pct: float
    #: Median of the crossing day.
    days: float
    #: Lower quartile: one chance in four that the case passes its limit before it.
    early_days: float
    #: 95 % interval.
    interval_days: tuple[float, float]
    actionable: bool
    source: str
    horizon_days: int
    #: What holds an uncertain forecast back: some of ``LIMITS``.
    limited_by: tuple[str, ...] = ()
    #: Share of the draws within a third (or two days) of ``days``.
    close_share: float = 1.0


def room_rh_at_case_pct(
    room_temperature_c: np.ndarray, room_rh_pct: np.ndarray, case_temperature_c: np.ndarray
) -> np.ndarray:
    """The room's moisture as RH at the case's temperature, % (x of :mod:`analysis.diagnostics`):
    100·ρ(T_room, RH_room)/ρ_s(T_case)."""
    rho = np.asarray(absolute_humidity(np.asarray(room_temperature_c, float), np.asarray(room_rh_pct, float)))
    return 100.0 * rho / np.asarray(saturation_density_g_per_m3(np.asarray(case_temperature_c, float)))


def daily_means(time_s: np.ndarray, values: np.ndarray, end_s: float, days: int) -> np.ndarray:
    """Means of ``values`` over the ``days`` whole days before ``end_s`` (oldest first); NaN
    for a day with fewer than ``MIN_HOURS_A_DAY`` finite hourly values."""
    t, v = np.asarray(time_s, float), np.asarray(values, float)
    index = days - 1 - np.floor((end_s - t - 1e-9) / SECONDS_PER_DAY).astype(int)
    keep = (index >= 0) & (index < days) & np.isfinite(v)
    sums = np.bincount(index[keep], weights=v[keep], minlength=days)
    counts = np.bincount(index[keep], minlength=days)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= MIN_HOURS_A_DAY, sums / np.maximum(counts, 1), np.nan)


def _running_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Centred running mean over ``width`` days, ignoring missing days (NaN where a window
    holds none)."""
    finite = np.isfinite(values)
    kernel = np.ones(width)
    sums = np.convolve(np.where(finite, values, 0.0), kernel, mode="same")
    counts = np.convolve(finite.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)


def _course(values: np.ndarray, width: int) -> np.ndarray:
    """The season under the weather: a straight line fitted to the ``width`` days around
    each day (a local linear smoother, which stays unbiased at the ends of the series
    where a running mean would lag a rising season), ignoring missing days."""
    x = np.asarray(values, float)
    half = width // 2
    course = np.full(len(x), np.nan)
    for day in range(len(x)):
        around = np.arange(max(day - half, 0), min(day + half + 1, len(x)))
        seen = around[np.isfinite(x[around])]
        if len(seen) >= 3:
            course[day] = np.polyfit(seen - day, x[seen], 1)[1]
        elif len(seen):
            course[day] = float(np.mean(x[seen]))
    return course


def _weather(departures: list[np.ndarray]) -> tuple[float, float]:
    """φ and σ of AR(1) departures from one or more daily series (pairs of finite days)."""
    finite = np.concatenate([d[np.isfinite(d)] for d in departures])
    if len(finite) < 3:
        return 0.0, 0.0
    sigma = float(np.sqrt(np.mean(finite**2)))
    pairs = np.concatenate([d[:-1] * d[1:] for d in departures if len(d) > 1])
    pairs = pairs[np.isfinite(pairs)]
    phi = float(np.mean(pairs)) / sigma**2 if len(pairs) and sigma > 0 else 0.0
    return min(max(phi, 0.0), 0.95), sigma


def _mean_se(sigma: float, phi: float, n: int) -> float:
    """Standard error of the mean of n AR(1) days (Bayley & Hammersley's effective n)."""
    return sigma * math.sqrt((1.0 + phi) / (1.0 - phi) / max(n, 1))


def persistence_outlook(window_pct: np.ndarray, horizon_days: int = PERSISTENCE_HORIZON_DAYS) -> Outlook:
    """The room stays at the window's mean level and may drift, either way, as fast as it
    drifted over the window (equation 1 with m_j constant). ``window_pct``: daily x."""
    x = np.asarray(window_pct, float)
    days = np.arange(len(x), dtype=float)
    seen = np.isfinite(x)
    level = float(np.mean(x[seen]))
    departures = np.where(seen, x - level, np.nan)
    phi, sigma = _weather([departures])
    slope, slope_se, _ = slope_through(days[seen], x[seen], np.zeros(int(seen.sum()), int))
    drift = math.hypot(slope, slope_se) if math.isfinite(slope) and math.isfinite(slope_se) else 0.0
    ahead = np.arange(horizon_days) + 0.5 + len(x) / 2.0
    return Outlook(
        source="persistence",
        expected_pct=np.full(horizon_days, level),
        course_sd_pct=drift * ahead,
        level_sd_pct=_mean_se(sigma, phi, int(seen.sum())),
        persistence=phi,
        weather_sd_pct=np.full(horizon_days, sigma),
        last_departure_pct=_last(departures),
    )


def _last(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else 0.0


def past_coverage(past_pct: np.ndarray, window_days: int) -> tuple[float, int]:
    """How much a year-before series (the window's calendar days, then the days ahead)
    covers: the share of the window's days, and how many days ahead it reaches."""
    x = np.asarray(past_pct, float)
    seen = np.isfinite(x)
    covered = float(seen[:window_days].mean()) if window_days else 0.0
    ahead = np.flatnonzero(seen[window_days:])
    return covered, int(ahead[-1] + 1) if len(ahead) else 0


def seasonal_outlook(
    window_pct: np.ndarray, past_pct: np.ndarray, source: str = "history", horizon_days: int = HORIZON_DAYS
) -> Outlook:
    """The room follows its course of a year before, shifted by this window's anomaly.

    ``past_pct``: daily x a year before, over the window's calendar days then as far ahead
    as known (NaN where missing), the first ``len(window_pct)`` days matching the window."""
    x, past = np.asarray(window_pct, float), np.asarray(past_pct, float)
    n = len(x)
    course = _course(past, SMOOTH_DAYS)
    anomaly_days = x - course[:n]
    seen = np.isfinite(anomaly_days)
    anomaly = float(np.mean(anomaly_days[seen])) if seen.any() else 0.0
    now = np.where(seen, anomaly_days - anomaly, np.nan)
    phi, sigma = _weather([now, past - course])
    # The weather's spread changes with the season (a dehumidifier holds the dry months
    # and not the wet): last year's own, over the month around each day.
    spread = np.sqrt(_running_mean((past - course) ** 2, 2 * SMOOTH_DAYS + 1))
    _, reach = past_coverage(past, n)
    ahead = min(horizon_days, reach)
    return Outlook(
        source=source,
        expected_pct=course[n : n + ahead] + anomaly,
        course_sd_pct=np.zeros(ahead),
        level_sd_pct=_mean_se(sigma, phi, int(seen.sum())),
        persistence=phi,
        weather_sd_pct=np.where(np.isfinite(spread[n : n + ahead]), spread[n : n + ahead], sigma),
        last_departure_pct=_last(now),
    )


def building_response(outdoor: np.ndarray, room: np.ndarray) -> tuple[float, float, float]:
    """α, β and the standard error of β of equation (2), from daily means."""
    o, r = np.asarray(outdoor, float), np.asarray(room, float)
    both = np.isfinite(o) & np.isfinite(r)
    if both.sum() < 5:
        return math.nan, math.nan, math.inf
    beta, se, _ = slope_through(o[both], r[both], np.zeros(int(both.sum()), int))
    return float(np.mean(r[both]) - beta * np.mean(o[both])), beta, se


def outdoor_outlook(
    window_pct: np.ndarray,
    room_rho_g_per_m3: np.ndarray,
    room_temperature_c: np.ndarray,
    outdoor_rho_g_per_m3: np.ndarray,
    outdoor_temperature_c: np.ndarray,
    past_outdoor_rho_g_per_m3: np.ndarray,
    past_outdoor_temperature_c: np.ndarray,
    case_warmer_k: float,
    horizon_days: int = HORIZON_DAYS,
) -> Outlook:
    """The room's course from the outdoor air's of a year before, through the building's
    response (equation 2) fitted on the window; then as :func:`seasonal_outlook`.

    Window arrays are daily means over the window's days; ``past_*`` are the outdoor's
    daily means a year before, from the window's calendar days on. ``case_warmer_k``: the
    case's mean temperature above the room's (its lights)."""
    a_rho, b_rho, se_rho = building_response(outdoor_rho_g_per_m3, room_rho_g_per_m3)
    a_t, b_t, _ = building_response(outdoor_temperature_c, room_temperature_c)

    def course(beta: float) -> np.ndarray:
        rho = a_rho + beta * np.asarray(past_outdoor_rho_g_per_m3, float)
        temperature = a_t + b_t * np.asarray(past_outdoor_temperature_c, float) + case_warmer_k
        return 100.0 * rho / np.asarray(saturation_density_g_per_m3(temperature))

    n = len(window_pct)
    outlook = seasonal_outlook(
        window_pct,
        course(b_rho),
        "outdoor",
        min(
            horizon_days,
            _within_range(
                outdoor_rho_g_per_m3,
                past_outdoor_rho_g_per_m3,
                outdoor_temperature_c,
                past_outdoor_temperature_c,
                n,
            ),
        ),
    )
    shifted = _course(course(b_rho + se_rho), SMOOTH_DAYS) - _course(course(b_rho), SMOOTH_DAYS)
    # The anomaly re-anchors any shift over the window: what is left is the course's own.
    moved = np.abs(shifted[n : n + outlook.horizon_days] - np.nanmean(shifted[:n]))
    return dataclasses.replace(outlook, course_sd_pct=np.nan_to_num(moved))


def sensor_offset(
    case_pct: np.ndarray, room_pct: np.ndarray, time_constant_days: float = 0.0
) -> tuple[float, float]:
    """An unbuffered case's sensor against the room's x: the mean difference of their daily
    means over the window's second half (the case has followed the room by then; what is
    left is the two sensors' relative calibration), and its standard error.

    Only days at least ``SETTLED_TIME_CONSTANTS`` time constants after the window's start
    count: before, the case is still on its way to the room's level (e^−3 ≈ 5 % of its first
    gap left, equation 3), and the difference is the approach, not the sensors. Without two
    such days the offset is drawn as for a buffered case: 0 ± √2 × ``CALIBRATION_RH_PCT``."""
    difference = np.asarray(case_pct, float) - np.asarray(room_pct, float)
    settled = (
        math.ceil(SETTLED_TIME_CONSTANTS * time_constant_days) if math.isfinite(time_constant_days) else None
    )
    if settled is None or settled >= len(difference):
        return 0.0, math.sqrt(2.0) * CALIBRATION_RH_PCT
    half = difference[max(len(difference) // 2, settled) :]
    half = half[np.isfinite(half)]
    if len(half) < 2:
        return 0.0, math.sqrt(2.0) * CALIBRATION_RH_PCT
    return float(np.mean(half)), float(np.std(half, ddof=1) / math.sqrt(len(half)))


def _within_range(
    rho_now: np.ndarray,
    rho_past: np.ndarray,
    temperature_now: np.ndarray,
    temperature_past: np.ndarray,
    n: int,
) -> int:
    """Days ahead while the outdoor's course a year before stays within the range of the
    window's daily means, widened by their standard deviation: the building's response is
    known there, not beyond (an air-conditioner that stops cooling in the autumn changes
    it)."""
    outside = np.zeros(len(rho_past) - n, bool)
    for now, past in ((rho_now, rho_past), (temperature_now, temperature_past)):
        course = _course(np.asarray(past, float), SMOOTH_DAYS)[n:]
        sd = float(np.nanstd(now))
        outside |= (course < np.nanmin(now) - sd) | (course > np.nanmax(now) + sd) | ~np.isfinite(course)
    leaves = np.flatnonzero(outside)
    return int(leaves[0]) if len(leaves) else len(outside)


def crossing_days(
    rh_start_pct: np.ndarray, time_constant_days: np.ndarray, target_pct: np.ndarray, limit_rh_pct: float
) -> np.ndarray:
    """Days after the window until each drawn case passes ``limit_rh_pct`` (equation 3; inf
    when it does not within the targets given).

    ``rh_start_pct`` (n,): the case's mean RH over the window's last day (centred half a
    day before its end); ``time_constant_days`` (n,); ``target_pct`` (n, days): daily x."""
    previous = np.asarray(rh_start_pct, float).copy()
    decay = np.exp(-1.0 / np.asarray(time_constant_days, float))
    found = np.full(len(previous), math.inf)
    for day in range(target_pct.shape[1]):
        target = target_pct[:, day]
        current = target + (previous - target) * decay
        hit = (current >= limit_rh_pct) & np.isinf(found)
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.clip((limit_rh_pct - previous) / (current - previous), 0.0, 1.0)
        found[hit] = np.maximum(day - 0.5 + fraction[hit], 0.0)
        previous = current
        if not np.isinf(found).any():
            break  # every future has crossed
    return found


def _draw_targets(outlook: Outlook, rng: np.random.Generator, samples: int) -> np.ndarray:
    """Daily x of ``samples`` futures of the room (equation 1)."""
    days = outlook.horizon_days
    phi = outlook.persistence
    level = rng.normal(0.0, 1.0, samples) * outlook.level_sd_pct
    course = rng.normal(0.0, 1.0, samples)[:, None] * outlook.course_sd_pct[None, :]
    # e_j = φ·e_(j−1) + η_j from e_(−1), as a recursive filter over each future's shocks.
    shocks = (
        rng.normal(0.0, 1.0, (samples, days)) * (outlook.weather_sd_pct * math.sqrt(1.0 - phi**2))[None, :]
    )
    # Imported here: SciPy's signal package takes 0.6 s to import, which every process that
    # imports this module (the collector, the dashboard) would pay without forecasting.
    from scipy.signal import lfilter

    start = np.full((samples, 1), phi * outlook.last_departure_pct)
    weather, _ = lfilter([1.0], [1.0, -phi], shocks, axis=1, zi=start)
    return np.clip(outlook.expected_pct[None, :] + level[:, None] + course + weather, 0.0, 100.0)


@dataclass(frozen=True)
class CaseDraws:
    """What is known of the case for the draws: its rate and the rate's standard error from
    the fit alone (as :class:`Tightness`), the factor from rate to time constant; for a
    buffered case the mean driving difference in % RH (``gap_pct``), for an unbuffered one
    the measured offset of its sensor from the room's x and that offset's standard error."""

    rate: float
    rate_se: float
    rate_to_tau: float
    gap_pct: float | None = None
    offset_pct: float | None = None
    offset_se_pct: float = 0.0


def case_draws(tightness: Tightness, offset_pct: float, offset_se_pct: float) -> CaseDraws:
    """The case's part of the draws from its fit (the offset only for an unbuffered case)."""
    buffered = tightness.buffered
    return CaseDraws(
        tightness.rate,
        tightness.rate_fit_se,
        tightness.time_constant_days * tightness.rate,
        gap_pct=tightness.mean_gap_rh_pct if buffered else None,
        offset_pct=None if buffered else offset_pct,
        offset_se_pct=0.0 if buffered else offset_se_pct,
    )


def _crossings(
    case: CaseDraws,
    rh_now_pct: float,
    limit_rh_pct: float,
    outlook: Outlook,
    calibration_pct: float,
    seed: int,
    samples: int,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    targets = _draw_targets(outlook, rng, samples)
    rate = case.rate + case.rate_se * rng.normal(0.0, 1.0, samples)
    # The case's readings settle at the room's x as the room sensor reads it plus the
    # difference between the two sensors' calibrations: measured for an unbuffered case,
    # drawn for a buffered one.
    if case.offset_pct is None:
        offset = math.sqrt(2.0) * calibration_pct * rng.normal(0.0, 1.0, samples)
    else:
        offset = case.offset_pct + case.offset_se_pct * rng.normal(0.0, 1.0, samples)
    if case.gap_pct is not None:
        # A buffered case's rate k rests on the driving difference the sensors saw: the
        # drift the readings show is k·gap, so k follows the drawn difference.
        ratio = case.gap_pct / (case.gap_pct + offset)
        rate = rate * np.where(ratio > 0.0, ratio, np.nan)
    rate = np.where(np.isfinite(rate) & (rate > 0.0), rate, 1e-9)
    start = np.full(samples, rh_now_pct)
    return crossing_days(start, case.rate_to_tau / rate, targets + offset[:, None], limit_rh_pct)


@dataclass(frozen=True)
class _Spread:
    """What the draws say: median, lower quartile, the 95 % interval, and the share of
    draws within a third (or ``CLOSE_DAYS``) of the median."""

    days: float
    early_days: float
    low_days: float
    high_days: float
    close: float

    @property
    def actionable(self) -> bool:
        if math.isinf(self.low_days):
            return True  # confidently not within the horizon
        ratio_ok = self.high_days <= ACTIONABLE_RATIO * max(self.low_days, ACTIONABLE_FLOOR_DAYS)
        return math.isfinite(self.high_days) and ratio_ok and self.close >= ACTIONABLE_CLOSE

    @property
    def ratio(self) -> float:
        return (
            self.high_days / max(self.low_days, ACTIONABLE_FLOOR_DAYS)
            if math.isfinite(self.high_days)
            else math.inf
        )


def _spread(crossings: np.ndarray) -> _Spread:
    """Quantiles by the inverted CDF, so that crossings beyond the horizon (inf) stay inf."""
    low, high = INTERVAL_QUANTILES
    q = np.quantile(crossings, [0.5, EARLY_QUANTILE, low, high], method="inverted_cdf")
    median = float(q[0])
    with np.errstate(invalid="ignore"):
        close = np.abs(crossings - median) <= np.maximum(crossings / 3.0, CLOSE_DAYS)
    return _Spread(
        median, float(q[1]), float(q[2]), float(q[3]), float(np.mean(close & np.isfinite(crossings)))
    )


def _limits(
    case: CaseDraws,
    outlook: Outlook,
    calibration_pct: float,
    run: Callable[[CaseDraws, Outlook, float], _Spread],
) -> tuple[str, ...]:
    """What holds an uncertain forecast back: each source of uncertainty that alone, the
    others set aside, would already leave the forecast uncertain; when none does alone, the
    one whose absence sharpens it most."""
    calm = dataclasses.replace(
        outlook,
        course_sd_pct=0.0 * outlook.course_sd_pct,
        level_sd_pct=0.0,
        weather_sd_pct=0.0 * outlook.weather_sd_pct,
    )
    sure = dataclasses.replace(case, rate_se=0.0)
    exact = dataclasses.replace(case, offset_se_pct=0.0)
    alone = {
        "season": run(dataclasses.replace(sure, offset_se_pct=0.0), outlook, 0.0),
        "calibration": run(sure, calm, calibration_pct),
        "tightness": run(exact, calm, 0.0),
    }
    named = tuple(name for name, spread in alone.items() if not spread.actionable)
    if named:
        return named
    without = {
        "season": run(case, calm, calibration_pct),
        "calibration": run(exact, outlook, 0.0),
        "tightness": run(sure, outlook, calibration_pct),
    }
    return (max(without, key=lambda name: without[name].close),)


def forecast_crossing(
    case: CaseDraws,
    rh_now_pct: float,
    limit_rh_pct: float,
    outlook: Outlook,
    *,
    calibration_pct: float = CALIBRATION_RH_PCT,
    seed: int = 0,
    samples: int = SAMPLES,
    explain: bool = True,
) -> Forecast:
    """When the case passes ``limit_rh_pct`` (the module's crossing), with its lower
    quartile, 95 % interval, whether it is actionable and, if not, what holds it back.

    ``explain=False`` leaves ``limited_by`` empty: finding what holds an uncertain forecast
    back draws six more sets of futures, and the alert engine, which forecasts every case
    each hour, only needs whether the forecast is actionable."""
    if rh_now_pct >= limit_rh_pct:
        return Forecast(
            limit_rh_pct, rh_now_pct, 0.0, 0.0, (0.0, 0.0), True, outlook.source, outlook.horizon_days
        )

    def run(c: CaseDraws, o: Outlook, calibration: float, n: int = samples) -> _Spread:
        return _spread(_crossings(c, rh_now_pct, limit_rh_pct, o, calibration, seed, n))

    found = run(case, outlook, calibration_pct)
    limited: tuple[str, ...] = ()
    if explain and not found.actionable:
        # What holds it back needs only the broad picture: a quarter of the draws.
        limited = _limits(
            case, outlook, calibration_pct, lambda c, o, k: run(c, o, k, max(samples // 4, 100))
        )
    return Forecast(
        limit_rh_pct=limit_rh_pct,
        rh_now_pct=rh_now_pct,
        days=found.days,
        early_days=found.early_days,
        interval_days=(found.low_days, found.high_days),
        actionable=found.actionable,
        source=outlook.source,
        horizon_days=outlook.horizon_days,
        limited_by=limited,
        close_share=found.close,
    )
