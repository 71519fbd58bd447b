"""Psychrometrics of moist air for display-case climates.

Every function accepts a Python float, a NumPy array or a pandas Series (broadcasting
like NumPy) and returns the same kind: a float for scalars, an array for arrays and a
Series, with the index of the first Series argument, for Series.

References
----------
.. [1] ASHRAE (2017). *ASHRAE Handbook — Fundamentals*, chapter 1, Psychrometrics,
   equation 6 (Hyland & Wexler 1983) and Table 3.
.. [2] Alduchov, O. A. & Eskridge, R. E. (1996). Improved Magnus form approximation of
   saturation vapor pressure. *Journal of Applied Meteorology* 35(4), 601–609.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

import numpy as np
import pandas as pd

ArrayLike = TypeVar("ArrayLike", float, np.ndarray, pd.Series)
#: One of the kinds ArrayLike stands for, where it need not match the other arguments.
AnyArrayLike: TypeAlias = float | np.ndarray | pd.Series

#: Molar mass ratio of water vapour to dry air, M_w / M_da (ASHRAE 2017 ch. 1 eq. 20).
MOLAR_MASS_RATIO = 0.621945
#: Specific gas constant of water vapour, J/(kg·K) (ASHRAE 2017 ch. 1: R / M_w).
R_WATER_VAPOUR_J_PER_KG_K = 461.52

# Hyland–Wexler coefficients over liquid water, ASHRAE 2017 ch. 1 eq. 6.
_C8 = -5.8002206e3
_C9 = 1.3914993
_C10 = -4.8640239e-2
_C11 = 4.1764768e-5
_C12 = -1.4452093e-8
_C13 = 6.5459673

# Magnus coefficients of Alduchov & Eskridge (1996), AERK form.
_MAGNUS_A = 17.625
_MAGNUS_B_C = 243.04


def _as_result(values: np.ndarray, *inputs: AnyArrayLike) -> Any:
    """Return ``values`` as the kind of the inputs: Series, array or float (typed Any: the
    caller's ArrayLike, which the type checker cannot follow through ``*inputs``)."""
    for item in inputs:
        if isinstance(item, pd.Series):
            return pd.Series(np.asarray(values, dtype=float), index=item.index)
    if all(np.ndim(item) == 0 for item in inputs):
        return float(values)
    return np.asarray(values, dtype=float)


def _values(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def saturation_vapour_pressure(temperature_c: ArrayLike) -> ArrayLike:
    r"""Saturation vapour pressure over liquid water, in Pa.

    .. math:: \ln p_{ws} = C_8/T + C_9 + C_{10}T + C_{11}T^2 + C_{12}T^3 + C_{13}\ln T

    with *T* in kelvin (ASHRAE 2017 Fundamentals ch. 1 eq. 6, Hyland & Wexler 1983).
    Valid from 0 to 200 °C; below 0 °C it is the (supercooled) over-water value, which
    is what relative humidity is defined against by meteorological convention.

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.

    Returns
    -------
    float, array or Series
        Saturation vapour pressure, Pa. ASHRAE Table 3: 5 °C → 872.6 Pa,
        25 °C → 3169.7 Pa, 50 °C → 12351.3 Pa.
    """
    t_k = _values(temperature_c) + 273.15
    ln_p = _C8 / t_k + _C9 + _C10 * t_k + _C11 * t_k**2 + _C12 * t_k**3 + _C13 * np.log(t_k)
    return _as_result(np.exp(ln_p), temperature_c)


def vapour_pressure(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    """Partial pressure of water vapour, in Pa: p_w = RH/100 · p_ws(T) (ASHRAE 2017 ch. 1 eq. 24).

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, % (0–100).
    """
    p_ws = _values(saturation_vapour_pressure(_values(temperature_c)))
    return _as_result(_values(rh_pct) / 100.0 * p_ws, temperature_c, rh_pct)


def dew_point(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    r"""Dew point temperature, in °C, from the Magnus form.

    .. math:: \gamma = \ln(RH/100) + \frac{a\,T}{b + T}, \qquad T_d = \frac{b\,\gamma}{a - \gamma}

    with a = 17.625 and b = 243.04 °C (Alduchov & Eskridge 1996), which agrees with the
    ASHRAE formulation to about ±0.04 K for 5–45 °C and 20–100 % RH. Reference values:
    25 °C / 80 % → 21.31 °C; 30 °C / 80 % → 26.17 °C; 20 °C / 50 % → 9.27 °C.

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, % (0–100]. RH = 0 gives −inf.

    Returns
    -------
    float, array or Series
        Dew point, °C.
    """
    t = _values(temperature_c)
    rh = _values(rh_pct)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.log(rh / 100.0) + _MAGNUS_A * t / (_MAGNUS_B_C + t)
        result = np.where(np.isfinite(gamma), _MAGNUS_B_C * gamma / (_MAGNUS_A - gamma), -np.inf)
    return _as_result(result, temperature_c, rh_pct)


def absolute_humidity(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    r"""Absolute humidity (water vapour density), in g/m³.

    .. math:: \rho_v = \frac{p_w}{R_v\,T}

    ideal-gas law for water vapour, R_v = 461.52 J/(kg·K), p_w from
    :func:`vapour_pressure`. At 20 °C / 50 % this is 8.65 g/m³.

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, %.
    """
    t_k = _values(temperature_c) + 273.15
    p_w = _values(vapour_pressure(_values(temperature_c), _values(rh_pct)))
    return _as_result(p_w / (R_WATER_VAPOUR_J_PER_KG_K * t_k) * 1000.0, temperature_c, rh_pct)


def saturation_density_g_per_m3(temperature_c: ArrayLike) -> np.ndarray:
    r"""Absolute humidity of saturated air (RH = 100 %), ρ_s(T), in g/m³, as an array.

    .. math:: \rho_s = \frac{p_{ws}(T)}{R_v\,T}

    :func:`absolute_humidity` at 100 %: the most water vapour air at T can hold, the scale
    on which a case's moisture content and its RH convert (RH = 100 · ρ_v / ρ_s). At 20 °C
    this is 17.3 g/m³.

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    """
    # The same operations as absolute_humidity(T, 100) (RH/100 = 1 multiplies exactly), without
    # its wrappers: the simulator calls this twice per five-minute step of every run.
    t_k = _values(temperature_c) + 273.15
    ln_p = _C8 / t_k + _C9 + _C10 * t_k + _C11 * t_k**2 + _C12 * t_k**3 + _C13 * np.log(t_k)
    return np.asarray(np.exp(ln_p) / (R_WATER_VAPOUR_J_PER_KG_K * t_k) * 1000.0)


def mixing_ratio(
    temperature_c: ArrayLike, rh_pct: ArrayLike, pressure_hpa: AnyArrayLike = 1013.25
) -> ArrayLike:
    r"""Humidity (mixing) ratio, in grams of water per kilogram of dry air.

    .. math:: W = 0.621945\,\frac{p_w}{p - p_w}

    (ASHRAE 2017 ch. 1 eq. 20).

    Parameters
    ----------
    temperature_c : float, array or Series
        Air temperature, °C.
    rh_pct : float, array or Series
        Relative humidity, %.
    pressure_hpa : float, array or Series, default 1013.25
        Total (barometric) pressure, hPa.
    """
    p_w = _values(vapour_pressure(_values(temperature_c), _values(rh_pct)))
    p = _values(pressure_hpa) * 100.0
    return _as_result(MOLAR_MASS_RATIO * p_w / (p - p_w) * 1000.0, temperature_c, rh_pct, pressure_hpa)


def rh_at_temperature(temperature_c: ArrayLike, rh_pct: ArrayLike, new_temperature_c: ArrayLike) -> ArrayLike:
    r"""Relative humidity after the air warms or cools with no moisture added or removed, in %.

    .. math:: RH_2 = RH_1 \cdot \frac{p_{ws}(T_1)}{p_{ws}(T_2)}

    The vapour pressure is conserved (closed case, constant total pressure). The result
    can exceed 100 %: that means the air would reach its dew point and condense.
    A case at 28 °C / 60 % that cools to 25 °C overnight rises to about 71 %.

    Parameters
    ----------
    temperature_c : float, array or Series
        Starting air temperature, °C.
    rh_pct : float, array or Series
        Starting relative humidity, %.
    new_temperature_c : float, array or Series
        Temperature after the change, °C.
    """
    p_ws_1 = _values(saturation_vapour_pressure(_values(temperature_c)))
    p_ws_2 = _values(saturation_vapour_pressure(_values(new_temperature_c)))
    return _as_result(_values(rh_pct) * p_ws_1 / p_ws_2, temperature_c, rh_pct, new_temperature_c)


def dew_point_margin(temperature_c: ArrayLike, rh_pct: ArrayLike) -> ArrayLike:
    """Air temperature minus dew point, in K: how far the air is from condensing on a
    surface at air temperature. Metal lags the air when it cools, so a margin below
    about 3 K during cooling is a warning (docs/science.md §1).
    """
    t = _values(temperature_c)
    return _as_result(t - _values(dew_point(t, _values(rh_pct))), temperature_c, rh_pct)
