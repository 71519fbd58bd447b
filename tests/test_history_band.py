"""An object's historic band (EN 15757) and the band that suits its materials too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.history import historic_band, loan_bands, materials_range, suitable_band
from analysis.metrics import en15757_band


def hourly(values: np.ndarray, start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="h", tz="UTC"))


def test_a_complete_year_gives_en_15757s_own_band() -> None:
    rng = np.random.default_rng(3)
    hours = np.arange(420 * 24)
    rh = 50 + 10 * np.sin(2 * np.pi * hours / 8766) + rng.normal(0, 8, len(hours))
    series = hourly(rh)
    band = historic_band(series)
    assert band is not None and band.complete
    reference = en15757_band(series[series.index >= series.index[-1] - pd.Timedelta(days=395)])
    assert band.lower_offset_pct == reference.lower_offset_pct
    assert band.upper_offset_pct == reference.upper_offset_pct
    assert band.seasonal_now_pct == pytest.approx(reference.seasonal_pct.dropna().iloc[-1])
    # Normal fluctuations of σ = 8 % RH: the 7th/93rd percentiles lie near ±1.476 σ (±11.8).
    assert band.lower_offset_pct == pytest.approx(-1.476 * 8, abs=1.0)
    assert band.upper_offset_pct == pytest.approx(1.476 * 8, abs=1.0)


def test_small_fluctuations_widen_to_ten_percent_and_short_histories_are_provisional() -> None:
    rng = np.random.default_rng(4)
    band = historic_band(hourly(20 + rng.uniform(-2, 2, 30 * 24)))
    assert band is not None and not band.complete
    assert (band.lower_offset_pct, band.upper_offset_pct) == (-10.0, 10.0)
    assert band.lower_pct == pytest.approx(10, abs=0.5) and band.upper_pct == pytest.approx(30, abs=0.5)
    assert historic_band(hourly(np.full(100, 20.0))) is None, "four days say nothing of a season"


def test_the_suitable_band_puts_materials_first() -> None:
    rng = np.random.default_rng(5)
    kept_dry = historic_band(hourly(20 + rng.uniform(-2, 2, 60 * 24)))
    iron = suitable_band(kept_dry, ["archaeological_iron"])
    # Watkinson & Lewis 2005: corrosion appreciable from 25 % RH.
    assert iron.basis == "history" and iron.upper_pct == 25.0
    assert iron.lower_pct == pytest.approx(10, abs=0.5)
    assert not iron.lower_pct <= 45 <= iron.upper_pct, "the issue's iron kept at 20 % must not go to 45 %"
    damp = historic_band(hourly(70 + rng.uniform(-2, 2, 60 * 24)))
    rifle = suitable_band(damp, ["iron_steel", "wood"])
    assert rifle.basis == "conflict" and (rifle.lower_pct, rifle.upper_pct) == materials_range(
        ["iron_steel", "wood"]
    ) == (25.0, 50.0)
    assert suitable_band(None, ["copper_alloy"]).basis == "materials"
    bands = loan_bands(iron)
    assert bands.rh_target_pct - bands.rh_tolerance_pct == pytest.approx(iron.lower_pct)
    assert bands.rh_target_pct + bands.rh_tolerance_pct == pytest.approx(iron.upper_pct)
