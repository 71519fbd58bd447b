"""Mould germination as the Image Permanence Institute grades it.

IPI's Dew Point Calculator [1]_ rates the mould risk of a climate from a table of the days
until mould germinates at constant temperature and RH (:data:`DAYS_TO_GERMINATION`). The
table starts at 65 % RH and covers 2–45 °C; outside it, or where the table holds 0, no
germination is expected. IPI rounds temperature and RH to whole numbers before looking up.

Two figures come from it:

* the instantaneous **IPI mould rating** (:func:`ipi_mould_rating`): "good" where the table
  gives no germination, "risk" where it gives a number of days, as the calculator shows;
* an accumulated **mould risk factor** (:func:`mould_risk_factor`): the sum, over the record,
  of each reading's duration divided by the days to germination at its conditions, while
  germination is possible. 1 means the conditions lasted as long as the table says
  germination takes at constant conditions. Summing fractions of a constant-conditions time
  over varying conditions assumes the fractions add up; that is Patina's modelling choice,
  not a measured law, and the grades of :func:`factor_grade` are Patina's, not IPI's.

References
----------
.. [1] Image Permanence Institute, Rochester Institute of Technology. Dew Point Calculator,
   https://www.dpcalc.org (the days-to-germination table in its script ``dp.js``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.psychrometrics import ArrayLike, _values
from analysis.sampling import reading_durations_h

#: Lowest RH of the table, %; the columns are 65, 66, … 100 % RH.
GERMINATION_RH_MIN_PCT = 65
#: Temperatures of the table, °C (rows).
GERMINATION_TEMPERATURE_RANGE_C = (2, 45)

#: Days until mould germinates at constant conditions: row = temperature (°C, whole),
#: column = RH − 65 (% RH, whole); 0 = no germination expected. IPI Dew Point Calculator [1]_.
# fmt: off
DAYS_TO_GERMINATION: dict[int, tuple[int, ...]] = {
    2: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 21, 19, 18,
         17, 16, 15, 14, 13, 12, 12),
    3: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 15, 14, 13, 12,
         11, 10, 10, 9, 9, 8, 8),
    4: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 12, 11, 10, 9, 9,
         8, 8, 7, 7, 6, 6, 6),
    5: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 11, 10, 9, 8, 8, 7, 7,
         6, 6, 5, 5, 5, 5),
    6: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 10, 9, 8, 8, 7, 7, 6, 6,
         5, 5, 5, 4, 4, 4),
    7: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 12, 10, 9, 8, 7, 7, 6, 6, 5, 5,
         5, 4, 4, 4, 4, 4),
    8: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 12, 10, 9, 8, 7, 7, 6, 6, 5, 5, 5,
         4, 4, 4, 4, 3, 3),
    9: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 13, 11, 10, 9, 8, 7, 6, 6, 5, 5, 4,
         4, 4, 4, 3, 3, 3, 3),
    10: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 19, 16, 14, 12, 10, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 4, 3, 3, 3, 3, 3),
    11: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 21, 18, 15, 13, 11, 10, 8, 8, 7, 6, 5, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 3, 3),
    12: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 20, 17, 14, 12, 11, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 3, 3),
    13: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 29, 24, 20, 16, 14, 12, 10, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 3, 2),
    14: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 44, 35, 28, 23, 19, 16, 13, 11, 10, 9, 7, 7, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 3, 2, 2),
    15: (0, 0, 0, 0, 0, 0, 0, 0, 0, 55, 43, 34, 27, 22, 18, 15, 13, 11, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 2, 2, 2),
    16: (0, 0, 0, 0, 0, 0, 0, 0, 71, 54, 42, 33, 26, 21, 18, 15, 12, 11, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 2, 2, 2),
    17: (0, 0, 0, 0, 0, 0, 0, 92, 69, 53, 41, 32, 26, 21, 17, 14, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4, 4,
         3, 3, 3, 3, 3, 2, 2, 2, 2),
    18: (0, 0, 0, 0, 0, 0, 123, 90, 67, 51, 40, 31, 25, 21, 17, 14, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 2, 2, 2, 2),
    19: (0, 0, 0, 0, 0, 168, 121, 88, 66, 50, 39, 31, 25, 20, 17, 14, 12, 10, 9, 8, 7, 6, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2),
    20: (0, 0, 0, 0, 236, 165, 119, 87, 65, 50, 38, 30, 24, 20, 16, 14, 11, 10, 8, 7, 6, 6, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2),
    21: (0, 0, 0, 340, 232, 163, 117, 86, 64, 49, 38, 30, 24, 19, 16, 13, 11, 10, 8, 7, 6, 6, 5, 5,
         4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2),
    22: (0, 0, 0, 335, 229, 161, 115, 85, 63, 48, 37, 30, 24, 19, 16, 13, 11, 10, 8, 7, 6, 6, 5, 4,
         4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2),
    23: (0, 0, 498, 332, 227, 159, 114, 84, 63, 48, 37, 29, 23, 19, 16, 13, 11, 9, 8, 7, 6, 6, 5, 4,
         4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2),
    24: (0, 763, 493, 328, 225, 157, 113, 83, 62, 47, 37, 29, 23, 19, 16, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    25: (0, 756, 489, 326, 223, 156, 112, 82, 61, 47, 36, 29, 23, 19, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    26: (0, 751, 486, 323, 221, 155, 111, 81, 61, 46, 36, 28, 23, 19, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    27: (0, 747, 483, 322, 220, 154, 111, 81, 61, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    28: (1186, 744, 481, 320, 219, 154, 110, 81, 60, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5,
         5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    29: (0, 742, 480, 320, 219, 153, 110, 81, 60, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    30: (0, 742, 480, 319, 218, 153, 110, 80, 60, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    31: (0, 742, 480, 320, 219, 153, 110, 81, 60, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5,
         4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    32: (0, 0, 482, 321, 219, 154, 110, 81, 60, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    33: (0, 0, 484, 322, 220, 154, 111, 81, 61, 46, 36, 28, 23, 18, 15, 13, 11, 9, 8, 7, 6, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    34: (0, 0, 0, 325, 222, 156, 112, 82, 61, 47, 36, 29, 23, 19, 15, 13, 11, 9, 8, 7, 6, 5, 5, 4,
         4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    35: (0, 0, 0, 0, 224, 157, 113, 83, 62, 47, 37, 29, 23, 19, 16, 13, 11, 9, 8, 7, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2),
    36: (0, 0, 0, 0, 0, 160, 114, 84, 63, 48, 37, 29, 23, 19, 16, 13, 11, 9, 8, 7, 6, 6, 5, 4, 4, 4,
         3, 3, 3, 3, 3, 2, 2, 2, 2, 2),
    37: (0, 0, 0, 0, 0, 0, 0, 86, 64, 49, 38, 30, 24, 19, 16, 13, 11, 10, 8, 7, 6, 6, 5, 5, 4, 4, 3,
         3, 3, 3, 3, 2, 2, 2, 2, 2),
    38: (0, 0, 0, 0, 0, 0, 0, 0, 66, 50, 39, 31, 25, 20, 16, 14, 12, 10, 9, 7, 7, 6, 5, 5, 4, 4, 4,
         3, 3, 3, 3, 2, 2, 2, 2, 2),
    39: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 32, 25, 21, 17, 14, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4, 4, 3,
         3, 3, 3, 3, 2, 2, 2, 2),
    40: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 27, 22, 18, 15, 13, 11, 9, 8, 7, 6, 6, 5, 5, 4, 4, 4,
         3, 3, 3, 3, 3, 2, 2, 2),
    41: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 19, 16, 14, 12, 10, 9, 8, 7, 6, 5, 5, 5, 4, 4, 4,
         3, 3, 3, 3, 3, 2, 2),
    42: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 11, 10, 9, 8, 7, 6, 6, 5, 5, 4, 4,
         4, 3, 3, 3, 3, 3, 3),
    43: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 10, 9, 8, 7, 7, 6, 6, 5, 5, 4,
         4, 4, 4, 3, 3, 3),
    44: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 10, 9, 9, 8, 7, 7, 6,
         6, 6, 5, 5, 5, 4),
    45: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 21, 19, 18,
         17, 16, 15, 14, 13, 12, 12),
}
# fmt: on

_TABLE = np.array([DAYS_TO_GERMINATION[t] for t in range(2, 46)], dtype=float)

#: Grades of the accumulated factor (Patina's, not IPI's): below half the germination
#: time "good", up to the germination time "ok", beyond "risk".
FACTOR_OK = 0.5
FACTOR_RISK = 1.0


def _round_half_up(x: np.ndarray) -> np.ndarray:
    # IPI's script rounds with JavaScript's Math.round (halves up), not to even.
    return np.floor(x + 0.5)


def days_to_germination(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    """Days until mould germinates at constant ``temperature_c`` and ``rh_pct`` per IPI [1]_;
    0 where no germination is expected (below 65 % RH, outside 2–45 °C, or 0 in the table).

    >>> float(days_to_germination(20.0, 80.0))
    14.0
    """
    t = _round_half_up(np.asarray(_values(temperature_c), dtype=float))
    rh = _round_half_up(np.asarray(_values(rh_pct), dtype=float))
    low, high = GERMINATION_TEMPERATURE_RANGE_C
    inside = (t >= low) & (t <= high) & (rh >= GERMINATION_RH_MIN_PCT) & np.isfinite(t) & np.isfinite(rh)
    row = np.where(inside, t - low, 0).astype(int)
    column = np.where(inside, np.clip(rh, GERMINATION_RH_MIN_PCT, 100) - GERMINATION_RH_MIN_PCT, 0).astype(
        int
    )
    days = np.where(inside, _TABLE[row, column], 0.0)
    for item in (temperature_c, rh_pct):
        if isinstance(item, pd.Series):
            return pd.Series(days, index=item.index, name="days_to_germination")
    return float(days) if np.ndim(days) == 0 else days  # type: ignore[return-value]


def ipi_mould_rating(temperature_c: ArrayLike, rh_pct: ArrayLike) -> str | np.ndarray:
    """IPI's instantaneous mould rating [1]_: "good" where no germination is expected,
    "risk" where the table gives a number of days."""
    days = np.asarray(_values(days_to_germination(temperature_c, rh_pct)))
    rating = np.where(days > 0, "risk", "good")
    return str(rating) if np.ndim(rating) == 0 else rating


def mould_risk_factor(temperature_c: pd.Series, rh_pct: pd.Series) -> pd.Series:
    r"""Accumulated mould risk factor over a time-indexed record:

    .. math:: F(t) = \sum_{i \le t,\ d_i > 0} \frac{\Delta t_i}{d_i}

    with :math:`\Delta t_i` the time reading *i* stands for, in days
    (:func:`analysis.sampling.reading_durations_h`, gaps counted as one interval) and
    :math:`d_i` the days to germination at its conditions (:func:`days_to_germination`).
    F reaches 1 when the record has spent, in total, the time IPI's table gives for
    germination. It never decreases: drying is not credited.
    """
    days = np.asarray(_values(days_to_germination(temperature_c, rh_pct)), dtype=float)
    duration_d = reading_durations_h(pd.DatetimeIndex(temperature_c.index)) / 24.0
    share = np.divide(duration_d, days, out=np.zeros_like(duration_d), where=days > 0)
    return pd.Series(np.cumsum(share), index=temperature_c.index, name="mould_risk_factor")


def longest_spell_factor(temperature_c: pd.Series, rh_pct: pd.Series) -> float:
    """The largest factor accumulated within one unbroken spell of conditions where
    germination is possible (the factor restarting from 0 after each dry reading): how
    close one episode came to germination on its own."""
    days = np.asarray(_values(days_to_germination(temperature_c, rh_pct)), dtype=float)
    duration_d = reading_durations_h(pd.DatetimeIndex(temperature_c.index)) / 24.0
    share = np.divide(duration_d, days, out=np.zeros_like(duration_d), where=days > 0)
    total = np.cumsum(share)
    # Restart at each dry reading: subtract the running total reached at the last dry one.
    base = np.maximum.accumulate(np.where(days > 0, 0.0, total))
    return float((total - base).max()) if len(total) else 0.0


def factor_grade(factor: float) -> str:
    """ "good", "ok" or "risk" for an accumulated factor (thresholds :data:`FACTOR_OK`,
    :data:`FACTOR_RISK`)."""
    return "risk" if factor >= FACTOR_RISK else "ok" if factor >= FACTOR_OK else "good"
