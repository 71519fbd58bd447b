"""Sensor calibration: the error a check finds, the correction it implies over time, and
the relative humidity of the saturated salt solutions used as references (docs/calibration.md).

A *check* compares a sensor with a reference at one moment: a calibrated hygrometer or
thermometer placed beside it, or a saturated salt solution in a small closed box with the
sensor inside. Its *error* is what the sensor read minus the reference; the *offset* that
corrects the sensor's readings is the opposite, reference minus sensor, added to each
reading.

Over time, the offset to apply at a moment comes from the checks of that sensor and
quantity (RH or temperature), oldest first:

* before the first check, nothing (the readings stand as measured: the error's history
  before anyone looked is unknown, and a correction there would invent one);
* between two checks, the offset moves in a straight line from the first check's to the
  second's;
* after the last check, the last check's offset, unchanged.

Why a straight line between two checks: the drift of a capacitive polymer RH sensor is
specified by its makers as a rate, % RH per year (Sensirion, *SHT3x-DIS datasheet*, "long-
term drift", and Vaisala's HUMICAP instruments' "long-term stability", both stated per
year) [1]_ [2]_, that is, as an error growing in proportion to time. Two checks fix the two
ends of that line; between them, a linear drift is the model the sensor's own
specification assumes, and with it the corrected record has no step at either check. A
step correction held from the first check would leave the whole period with the first
check's error and then jump at the second. Extrapolating the line beyond the last check
would guess a future no check has seen, so the last offset is held instead. The ISO GUM
[3]_ and EA-4/02 [4]_ treat a calibration correction as an additive term with its own
uncertainty, which is the form used here (an offset added to the reading).

A check whose error exceeds the sensor's stated accuracy is flagged: within its accuracy
the sensor meets its specification (the correction is still applied, since a known
systematic error is better corrected, GUM [3]_ §3.2.4); beyond it, the sensor is out of
specification and should be replaced or recalibrated by its maker.

Saturated salt solutions hold a known RH above them, which depends on the temperature.
:data:`GREENSPAN_1977_PCT` holds Greenspan's evaluated values [5]_ (his Table 2) from 0 to
40 °C in 5 °C steps, with his stated uncertainties; between the tabulated temperatures the
value is interpolated linearly (the tabulated values change by at most 1.5 % RH per 5 °C
over this range, so the interpolation error is well below his stated uncertainties).

References
----------
.. [1] Sensirion AG (2019). *Datasheet SHT3x-DIS, Humidity and Temperature Sensor*,
   version 6: long-term drift specified in %RH per year and °C per year.
.. [2] Vaisala Oyj. *HUMICAP® Humidity Sensors* technology description and instrument
   datasheets (e.g. HMP110): long-term stability stated in %RH per year.
.. [3] JCGM 100:2008. *Evaluation of measurement data — Guide to the expression of
   uncertainty in measurement* (GUM). §3.2.3–3.2.4: a recognised systematic effect is
   corrected by adding a correction to the uncorrected result.
.. [4] EA-4/02 M:2022. *Evaluation of the Uncertainty of Measurement in Calibration*.
   European co-operation for Accreditation.
.. [5] Greenspan, L. (1977). Humidity fixed points of binary saturated aqueous solutions.
   *Journal of Research of the National Bureau of Standards*, 81A(1), 89–96, Table 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: What a check may be of, and the unit its values are in.
QUANTITIES = {"rh": "% RH", "temperature": "°C"}
#: Stated accuracy a sensor is assumed to have when the config gives none: a typical
#: museum-grade capacitive sensor's ±2 % RH and ±0.3 °C (e.g. Sensirion SHT3x [1]_).
DEFAULT_ACCURACY = {"rh": 2.0, "temperature": 0.3}

#: Temperatures of Greenspan's Table 2 used here, °C.
GREENSPAN_TEMPERATURES_C = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0)
#: Equilibrium RH over each saturated solution at those temperatures, % (Greenspan 1977,
#: Table 2 [5]_), and his stated uncertainty at 25 °C, %.
GREENSPAN_1977_PCT: dict[str, tuple[tuple[float, ...], float]] = {
    "LiCl": ((11.23, 11.26, 11.29, 11.30, 11.31, 11.30, 11.28, 11.25, 11.21), 0.27),
    "MgCl2": ((33.66, 33.60, 33.47, 33.30, 33.07, 32.78, 32.44, 32.05, 31.60), 0.16),
    "Mg(NO3)2": ((60.35, 58.86, 57.36, 55.87, 54.38, 52.89, 51.40, 49.91, 48.42), 0.22),
    "NaCl": ((75.51, 75.65, 75.67, 75.61, 75.47, 75.29, 75.09, 74.87, 74.68), 0.12),
    "KCl": ((88.61, 87.67, 86.77, 85.92, 85.11, 84.34, 83.62, 82.95, 82.32), 0.26),
    "K2SO4": ((98.77, 98.48, 98.18, 97.89, 97.59, 97.30, 97.00, 96.71, 96.41), 0.45),
}


class CalibrationError(ValueError):
    """A check or a reference cannot be used as given; the message says why."""


def salt_rh_pct(salt: str, temperature_c: float) -> float:
    """The RH over a saturated solution of ``salt`` at ``temperature_c`` (Greenspan 1977,
    Table 2, interpolated linearly between his 5 °C steps), %."""
    if salt not in GREENSPAN_1977_PCT:
        raise CalibrationError(f"unknown salt {salt!r}; one of {', '.join(GREENSPAN_1977_PCT)}")
    low, high = GREENSPAN_TEMPERATURES_C[0], GREENSPAN_TEMPERATURES_C[-1]
    if not low <= temperature_c <= high:
        raise CalibrationError(
            f"{temperature_c:g} °C is outside Greenspan's table as used here ({low:g}–{high:g} °C)"
        )
    values = GREENSPAN_1977_PCT[salt][0]
    return round(float(np.interp(temperature_c, GREENSPAN_TEMPERATURES_C, values)), 2)


@dataclass(frozen=True)
class Check:
    """One comparison of a sensor with a reference: at ``time_ns``, the reference gave
    ``reference`` and the sensor ``measured`` (both % RH or both °C)."""

    time_ns: int
    reference: float
    measured: float

    @property
    def error(self) -> float:
        """What the sensor reads too high (negative: too low)."""
        return self.measured - self.reference

    @property
    def offset(self) -> float:
        """What to add to the sensor's readings: the opposite of its error."""
        return self.reference - self.measured


def offsets_at(checks: Sequence[Check], times_ns: np.ndarray) -> np.ndarray:
    """The offset to add to readings taken at ``times_ns`` (int64 nanoseconds): zero
    before the first check, linear between two checks, the last check's after it."""
    times = np.asarray(times_ns, dtype="int64")
    if not checks:
        return np.zeros(times.shape, dtype=float)
    ordered = sorted(checks, key=lambda c: c.time_ns)
    at = np.array([c.time_ns for c in ordered], dtype="int64")
    offsets = np.array([c.offset for c in ordered], dtype=float)
    # Interpolate on seconds from the first check: float64 keeps whole seconds exactly
    # over millennia, where nanoseconds since 1970 would lose their last digits.
    origin = at[0]
    x = (times - origin) / 1e9
    xp = (at - origin) / 1e9
    result = np.interp(x, xp, offsets, left=0.0, right=float(offsets[-1]))
    result[times < origin] = 0.0
    return np.asarray(result, dtype=float)


def beyond_accuracy(check: Check, accuracy: float) -> bool:
    """Whether the check found an error larger than the sensor's stated accuracy (a
    positive ± figure in the check's unit)."""
    if accuracy <= 0:
        raise CalibrationError(f"a sensor's accuracy must be positive, got {accuracy:g}")
    return abs(check.error) > accuracy + 1e-9
