"""IPI, ISO 9223, VTT and EN 15757 metrics against published values (sources in each test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import (
    emc_wood,
    en15757_band,
    ipi_ratings,
    mould_index_vtt,
    period_ipi_ratings,
    preservation_index,
    time_of_wetness_hours,
    time_weighted_preservation_index,
    vtt_critical_rh,
)


@pytest.mark.parametrize(("temperature_c", "rh_pct", "emc"), [(21.1, 50.0, 9.2), (37.8, 50.0, 8.7)])
def test_emc_matches_the_wood_handbook(temperature_c: float, rh_pct: float, emc: float) -> None:
    # Wood Handbook FPL-GTR-282 (2021), eq. 4-5 and its worked values (docs/science.md §3).
    assert emc_wood(temperature_c, rh_pct) == pytest.approx(emc, abs=0.06)


def test_ipi_metal_corrosion_bands_sit_near_35_and_58_pct_at_20c() -> None:
    # IPI: EMC 7.0 and 10.5 correspond to about 35 % and 58 % RH at 20 °C.
    assert emc_wood(20.0, 35.0) == pytest.approx(7.0, abs=0.1)
    assert emc_wood(20.0, 58.0) == pytest.approx(10.5, abs=0.15)


@pytest.mark.parametrize(("temperature_c", "rh_pct", "ipi_table_years"), [(20.0, 50.0, 44), (20.0, 45.0, 50)])
def test_preservation_index_reproduces_ipis_table(
    temperature_c: float, rh_pct: float, ipi_table_years: float
) -> None:
    # IPI Dew Point Calculator lookup table: 20 °C / 50 % → 44 years, 20 °C / 45 % → 50.
    assert preservation_index(temperature_c, rh_pct) == pytest.approx(ipi_table_years, abs=2)


def test_time_weighted_pi_is_the_harmonic_mean() -> None:
    t = np.array([20.0, 30.0])
    rh = np.array([50.0, 70.0])
    pis = preservation_index(t, rh)
    assert time_weighted_preservation_index(t, rh) == pytest.approx(2 / (1 / pis[0] + 1 / pis[1]))
    assert time_weighted_preservation_index(t, rh) < pis.mean()


@pytest.mark.parametrize(
    ("temperature_c", "rh_pct", "expected"),
    [
        (
            20.0,
            30.0,
            {"metal_corrosion": "good", "mechanical_damage": "ok", "natural_aging": "good", "mould": "good"},
        ),
        (
            20.0,
            50.0,
            {"metal_corrosion": "ok", "mechanical_damage": "ok", "natural_aging": "risk", "mould": "good"},
        ),
        (
            28.0,
            75.0,
            {
                "metal_corrosion": "risk",
                "mechanical_damage": "risk",
                "natural_aging": "risk",
                "mould": "risk",
            },
        ),
        (
            10.0,
            30.0,
            {"metal_corrosion": "good", "mechanical_damage": "ok", "natural_aging": "good", "mould": "good"},
        ),
        (
            20.0,
            15.0,
            {
                "metal_corrosion": "good",
                "mechanical_damage": "risk",
                "natural_aging": "good",
                "mould": "good",
            },
        ),
    ],
)
def test_ipi_ratings_band_as_ipi_does(temperature_c: float, rh_pct: float, expected: dict[str, str]) -> None:
    assert ipi_ratings(temperature_c, rh_pct) == expected


def test_ipi_ratings_of_arrays_are_a_dataframe() -> None:
    ratings = ipi_ratings(np.array([20.0, 28.0]), np.array([30.0, 75.0]))
    assert list(ratings.columns) == ["metal_corrosion", "mechanical_damage", "natural_aging", "mould"]
    assert ratings["metal_corrosion"].tolist() == ["good", "risk"]


def test_period_ratings_use_the_worst_smoothed_emc() -> None:
    index = pd.date_range("2026-01-01", periods=24 * 60, freq="h", tz="UTC")
    dry = period_ipi_ratings(pd.Series(18.0, index=index), pd.Series(30.0, index=index))
    humid = period_ipi_ratings(pd.Series(28.0, index=index), pd.Series(75.0, index=index))
    assert dry["metal_corrosion"] == "good" and humid["metal_corrosion"] == "risk"
    assert humid["mould"] == "risk"


def test_time_of_wetness_counts_hours_above_80_pct_and_0_c() -> None:
    # ISO 9223: RH > 80 % and T > 0 °C. Ten-minute readings: 3 wet hours, one frozen hour.
    index = pd.date_range("2026-06-01", periods=6 * 6, freq="10min", tz="UTC")
    rh = pd.Series([85.0] * 18 + [60.0] * 12 + [90.0] * 6, index=index)
    t = pd.Series([25.0] * 30 + [-2.0] * 6, index=index)
    assert time_of_wetness_hours(t, rh) == pytest.approx(3.0)


def test_time_of_wetness_does_not_count_gaps_as_wet() -> None:
    # Hourly readings, 10 then a two-day gap then 5: the gap counts as one ordinary step.
    start = pd.Timestamp("2026-06-01", tz="UTC")
    index = pd.DatetimeIndex([start + pd.Timedelta(hours=h) for h in [*range(10), *range(57, 62)]])
    rh = pd.Series(90.0, index=index)
    assert time_of_wetness_hours(pd.Series(25.0, index=index), rh) == pytest.approx(15.0)


def test_vtt_critical_rh_at_10c_is_82_pct() -> None:
    # Hukka & Viitanen 1999 eq. 2; the −3.13T term is negative.
    assert vtt_critical_rh(10.0) == pytest.approx(82.0, abs=0.05)
    assert vtt_critical_rh(25.0) == 80.0
    assert vtt_critical_rh(0.0) == pytest.approx(100.0)


def test_vtt_mould_grows_at_the_papers_rate_and_declines_when_dry() -> None:
    index = pd.date_range("2026-01-01", periods=24 * 120, freq="h", tz="UTC")
    t = pd.Series(22.0, index=index)
    wet = mould_index_vtt(t, pd.Series(97.0, index=index))
    # Until M = 1, dM/dt = 1/(7·t_m) per day, t_m = exp(−0.68 ln T − 13.9 ln RH + 66.02) weeks.
    t_m_days = 7 * np.exp(-0.68 * np.log(22.0) - 13.9 * np.log(97.0) + 66.02)
    # (k₂ = 1 − exp(2.3(M − M_max)) is within 1e-5 of 1 while M is small.)
    assert wet.iloc[23] == pytest.approx(1 / t_m_days, rel=1e-5)
    first_growth = (wet >= 1.0).idxmax()
    assert (first_growth - index[0]) / pd.Timedelta(days=1) == pytest.approx(t_m_days, abs=0.05)
    # M never passes M_max, which is 1 + 7r − 2r² with r = (RH_crit − RH)/(RH_crit − 100).
    r = (80.0 - 97.0) / (80.0 - 100.0)
    assert wet.max() <= 1 + 7 * r - 2 * r**2 + 1e-9
    assert wet.iloc[-1] > 4.0
    # Dry air: −0.032/h for 6 h, nothing to 24 h, then −0.016/h.
    dry = mould_index_vtt(t, pd.Series(50.0, index=index)[:48], initial_index=3.0)
    assert dry.iloc[5] == pytest.approx(3.0 - 6 * 0.032)
    assert dry.iloc[23] == pytest.approx(3.0 - 6 * 0.032)
    assert dry.iloc[47] == pytest.approx(3.0 - 6 * 0.032 - 24 * 0.016)
    assert mould_index_vtt(t, pd.Series(75.0, index=index)).max() == 0.0


def test_en15757_band_needs_13_months_and_is_at_least_plus_minus_10() -> None:
    index = pd.date_range("2025-01-01", periods=24 * 420, freq="h", tz="UTC")
    days = np.arange(len(index)) / 24
    rng = np.random.default_rng(1)
    rh = pd.Series(60 + 10 * np.sin(2 * np.pi * days / 365) + rng.normal(0, 3, len(index)), index=index)
    band = en15757_band(rh)
    assert band.lower_offset_pct == -10.0 and band.upper_offset_pct == 10.0
    assert band.share_inside > 0.99
    noisy = rh + pd.Series(rng.normal(0, 12, len(index)), index=index)
    wide = en15757_band(noisy)
    assert wide.upper_offset_pct > 10.0 and wide.lower_offset_pct < -10.0
    assert wide.share_inside == pytest.approx(0.86, abs=0.01)
    with pytest.raises(ValueError, match="13 months"):
        en15757_band(rh[: 24 * 300])


def test_loan_compliance_counts_the_time_inside_each_band() -> None:
    from analysis.metrics import LoanBands, loan_compliance

    index = pd.date_range("2026-03-01", periods=96, freq="1h", tz="UTC")  # four days, hourly
    rh = pd.Series(45.0, index=index)
    rh.iloc[30:36] = 52.0  # six hours above 45 ± 5
    temperature = pd.Series(20.0, index=index)
    temperature.iloc[60:72] = 23.0  # twelve hours above 20 ± 2
    bands = LoanBands(45.0, 5.0, 20.0, 2.0, max_rh_change_24h_pct=5.0)
    result = loan_compliance(temperature, rh, bands)
    assert result["rh_pct"] == pytest.approx(100 * 90 / 96)
    assert result["temperature_pct"] == pytest.approx(100 * 84 / 96)
    # A 24-hour window (T − 24 h, T] holds a 45 and a 52 from hour 30 to hour 35 + 23 = 58.
    assert result["change_24h_pct"] == pytest.approx(100 * (96 - 29) / 96)
    assert result["all_pct"] == pytest.approx(100 * (96 - 29 - 12) / 96)
    only_rh = loan_compliance(temperature, rh, LoanBands(45.0, 5.0))
    assert only_rh["temperature_pct"] is None and only_rh["change_24h_pct"] is None
    assert only_rh["all_pct"] == only_rh["rh_pct"]
