"""Psychrometrics against published reference values (sources in each test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.psychrometrics import (
    absolute_humidity,
    dew_point,
    dew_point_margin,
    mixing_ratio,
    rh_at_temperature,
    saturation_vapour_pressure,
)


@pytest.mark.parametrize(("temperature_c", "pressure_pa"), [(5.0, 872.6), (25.0, 3169.7), (50.0, 12351.3)])
def test_saturation_vapour_pressure_matches_ashrae_table_3(temperature_c: float, pressure_pa: float) -> None:
    # ASHRAE Handbook — Fundamentals 2017, ch. 1, Table 3.
    assert saturation_vapour_pressure(temperature_c) == pytest.approx(pressure_pa, rel=3e-4)


@pytest.mark.parametrize(
    ("temperature_c", "rh_pct", "dew_point_c"), [(25.0, 80.0, 21.31), (30.0, 80.0, 26.17), (20.0, 50.0, 9.27)]
)
def test_dew_point_matches_reference_values(temperature_c: float, rh_pct: float, dew_point_c: float) -> None:
    # docs/science.md §1: Magnus with Alduchov & Eskridge (1996) coefficients, ±0.04 K of ASHRAE.
    assert dew_point(temperature_c, rh_pct) == pytest.approx(dew_point_c, abs=0.02)


def test_dew_point_at_saturation_is_the_air_temperature() -> None:
    assert dew_point(17.3, 100.0) == pytest.approx(17.3, abs=1e-9)
    assert dew_point_margin(17.3, 100.0) == pytest.approx(0.0, abs=1e-9)


def test_absolute_humidity_and_mixing_ratio_at_20c_50pct() -> None:
    # ρ_v = p_w / (R_v·T): 0.5 · 2339 Pa / (461.52 · 293.15) = 8.64 g/m³;
    # W = 0.621945 · p_w / (p − p_w) = 7.26 g/kg at 1013.25 hPa (ASHRAE 2017 ch. 1 eq. 20, 22).
    assert absolute_humidity(20.0, 50.0) == pytest.approx(8.64, abs=0.01)
    assert mixing_ratio(20.0, 50.0) == pytest.approx(7.26, abs=0.01)
    assert mixing_ratio(20.0, 50.0, pressure_hpa=900.0) > mixing_ratio(20.0, 50.0)


def test_cooling_at_constant_moisture_raises_rh() -> None:
    # docs/science.md §1: a case that cools by 3 °C at night at 60 % RH rises towards 70 %+.
    assert rh_at_temperature(28.0, 60.0, 25.0) == pytest.approx(71.6, abs=0.1)
    assert rh_at_temperature(25.0, 60.0, 25.0) == pytest.approx(60.0)
    # Cooling to the dew point brings RH to 100 %.
    assert rh_at_temperature(25.0, 80.0, dew_point(25.0, 80.0)) == pytest.approx(100.0, abs=0.3)


def test_functions_return_the_kind_they_are_given() -> None:
    index = pd.date_range("2026-01-01", periods=3, freq="h", tz="UTC")
    series_t = pd.Series([20.0, 25.0, 30.0], index=index)
    series_rh = pd.Series([50.0, 60.0, 70.0], index=index)
    result = dew_point(series_t, series_rh)
    assert isinstance(result, pd.Series) and result.index.equals(index)
    assert isinstance(dew_point(np.array([20.0, 25.0]), 50.0), np.ndarray)
    assert isinstance(dew_point(20.0, 50.0), float)
    assert isinstance(saturation_vapour_pressure(series_t), pd.Series)
    np.testing.assert_allclose(
        dew_point(series_t, series_rh).to_numpy(),
        [dew_point(20.0, 50.0), dew_point(25.0, 60.0), dew_point(30.0, 70.0)],
    )
