"""Whether two sensors in the same case agree, within what their accuracy allows.

Two sensors in one closed case measure the same air: apart from a small gradient, their
readings differ by their errors. A sensor whose error is within its stated accuracy
:math:`a` reads :math:`x_i = x + e_i` with :math:`|e_i| \\le a_i`, so the difference of two
sensors in spec is bounded:

.. math::

    |x_1 - x_2| = |e_1 - e_2| \\le a_1 + a_2

A difference beyond :math:`a_1 + a_2` means that at least one of the two is out of its
specification (drift, a wet or contaminated element, a sensor outside the case) or that the
case really holds two climates (a sensor in a draught, near a lamp). Either way a person
should look: the bound is worst-case, so a flag is never the sensors' ordinary scatter.

The comparison is made on hourly means, which average away the readings' noise and a few
minutes of clock offset between the sensors. Accuracies default to the typical figures of
the digital sensors in museum data loggers: ±2 % RH and ±0.3 °C (Sensirion, SHT3x-DIS
datasheet: SHT31 ±2 % RH and ±0.2 °C typical; 0.3 °C leaves room for older and cheaper
elements). See docs/data-quality.md.
"""

from __future__ import annotations

import pandas as pd

#: Typical accuracy of one sensor (see the module docstring for the source).
ACCURACY_TEMPERATURE_C = 0.3
ACCURACY_RH_PCT = 2.0


def disagreement(
    first: pd.DataFrame,
    second: pd.DataFrame,
    accuracy_temperature_c: float = ACCURACY_TEMPERATURE_C,
    accuracy_rh_pct: float = ACCURACY_RH_PCT,
) -> pd.DataFrame:
    """Hour by hour, the first sensor minus the second, and whether they disagree.

    ``first`` and ``second``: hourly means indexed by time, columns ``temperature_c`` (°C)
    and ``rh_pct`` (%). Returns, for the hours both have: ``temperature_diff_c`` (K),
    ``rh_diff_pct`` (percentage points), and ``disagree``, True where
    :math:`|\\Delta T| > 2 a_T` or :math:`|\\Delta RH| > 2 a_{RH}` (both sensors taken as
    having the same accuracy, so the bound :math:`a_1 + a_2` is twice it)."""
    both = pd.merge(
        first[["temperature_c", "rh_pct"]],
        second[["temperature_c", "rh_pct"]],
        left_index=True,
        right_index=True,
        how="inner",
        suffixes=("_1", "_2"),
    ).astype(float)
    result = pd.DataFrame(index=both.index)
    result["temperature_diff_c"] = both["temperature_c_1"] - both["temperature_c_2"]
    result["rh_diff_pct"] = both["rh_pct_1"] - both["rh_pct_2"]
    # A difference equal to the bound is still agreement; 1e-9 absorbs binary rounding
    # (20.6 − 20.0 is 0.6000000000000014).
    result["disagree"] = (result["temperature_diff_c"].abs() > 2 * accuracy_temperature_c + 1e-9) | (
        result["rh_diff_pct"].abs() > 2 * accuracy_rh_pct + 1e-9
    )
    return result.dropna(subset=["temperature_diff_c", "rh_diff_pct"], how="all")
