"""The risk model: levels tied to published limits, properties that must always hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.materials import MATERIAL_NAMES, METALS, PROFILES, profile
from analysis.risk import DRIVERS, LEVELS, assess, latest_risk, rh_high_score


def constant(temperature_c: float, rh_pct: float, hours: int = 48, freq: str = "10min") -> pd.DataFrame:
    index = pd.date_range("2026-07-01", periods=hours * 6, freq=freq, tz="UTC")
    return pd.DataFrame({"temperature_c": temperature_c, "rh_pct": rh_pct}, index=index)


def last(frame: pd.DataFrame, materials: list[str], **kwargs: object) -> pd.Series:
    return assess(frame, materials, **kwargs).timeline.iloc[-1]  # type: ignore[arg-type]


def test_every_material_has_rising_limits_and_a_source_for_each() -> None:
    assert set(PROFILES) == set(MATERIAL_NAMES)
    for name, material in PROFILES.items():
        assert material.rh_safe_pct <= material.rh_risk_pct <= material.rh_critical_pct, name
        for key in ("rh_safe_pct", "rh_risk_pct", "rh_critical_pct"):
            assert material.sources[key], (name, key)
        if material.organic:
            assert material.sources["rh_too_dry_pct"]


@pytest.mark.parametrize(("rh_pct", "level"), [(10, "good"), (20, "watch"), (30, "risk"), (50, "critical")])
def test_excavated_iron_levels_follow_the_published_limits(rh_pct: float, level: str) -> None:
    # Watkinson & Lewis 2005 (15 %, 25 %), Wang 2007 (44 %).
    row = last(constant(22.0, rh_pct), ["archaeological_iron"])
    assert row["level"] == level
    assert row["driver"] == "rh_high" and row["material"] == "archaeological_iron"


def test_historic_iron_is_good_where_excavated_iron_is_critical() -> None:
    assert last(constant(22.0, 30.0), ["iron_steel"])["level"] == "good"
    assert last(constant(22.0, 47.0), ["archaeological_iron"])["level"] == "critical"


def test_bronze_disease_limits_of_scott_1990() -> None:
    assert last(constant(22.0, 38.0), ["archaeological_copper_alloy"])["level"] == "good"
    assert last(constant(22.0, 40.0), ["archaeological_copper_alloy"])["level"] == "watch"
    assert last(constant(22.0, 47.0), ["archaeological_copper_alloy"])["level"] == "critical"


@pytest.mark.parametrize("material", ["brass", "copper_alloy"])
def test_stable_brass_and_bronze_are_not_judged_by_bronze_disease_limits(material: str) -> None:
    # 46 % RH: critical for chloride-contaminated bronze (Scott 1990), only "watch" for stable
    # copper alloys (above WA Museum's 45 %, inside CCI Note 9/2's 35–55 % for stable metals).
    assert last(constant(22.0, 46.5), ["archaeological_copper_alloy"])["level"] == "critical"
    assert last(constant(22.0, 44.0), [material])["level"] == "good"
    assert last(constant(22.0, 46.5), [material])["level"] == "watch"
    assert last(constant(22.0, 60.0), [material])["level"] == "risk"
    assert last(constant(22.0, 80.0), [material])["level"] == "critical"
    assert "engineering choice" in profile(material).sources["rh_risk_pct"]


def test_a_level_does_not_flap_on_rh_hovering_at_a_limit() -> None:
    # A day of one-minute readings wandering ±1 % around brass's 55 % risk limit.
    index = pd.date_range("2026-07-01", periods=24 * 60, freq="1min", tz="UTC")
    rng = np.random.default_rng(4)
    rh = 55.0 + rng.uniform(-1.0, 1.0, len(index))
    rh[:30] = 50.0  # half an hour of watch first
    timeline = assess(pd.DataFrame({"temperature_c": 22.0, "rh_pct": rh}, index=index), ["brass"]).timeline
    raw_changes = int((np.diff(timeline["raw_level"].cat.codes) != 0).sum())
    held_changes = int((np.diff(timeline["level"].cat.codes) != 0).sum())
    assert raw_changes > 100  # without hysteresis the level would flap all day
    assert held_changes == 1  # watch → risk once, then held
    assert timeline["level"].iloc[-1] == "risk"


def test_a_level_falls_back_after_an_hour_a_margin_inside_the_limit() -> None:
    index = pd.date_range("2026-07-01", periods=6 * 60, freq="1min", tz="UTC")
    rh = np.where(np.arange(len(index)) < 60, 58.0, 51.0)  # an hour at risk, then 4 % below
    timeline = assess(pd.DataFrame({"temperature_c": 22.0, "rh_pct": rh}, index=index), ["brass"]).timeline
    fell = timeline.index[timeline["level"] == "watch"][0]
    assert fell - index[60] == pd.Timedelta(hours=1)
    # Just inside the limit (less than the 3 % margin) is not enough to fall back.
    rh = np.where(np.arange(len(index)) < 60, 58.0, 53.0)
    timeline = assess(pd.DataFrame({"temperature_c": 22.0, "rh_pct": rh}, index=index), ["brass"]).timeline
    assert (timeline["level"].iloc[60:] == "risk").all()


def test_overrides_replace_single_values_and_say_so() -> None:
    assert last(constant(22.0, 13.0), ["archaeological_iron"])["level"] == "good"
    overrides = {"archaeological_iron": {"rh_safe_pct": 12.0}}
    result = assess(constant(22.0, 13.0), ["archaeological_iron"], overrides)
    assert result.timeline.iloc[-1]["level"] == "watch"
    assert result.summary["current"]["source"] == "museum override (config)"
    with pytest.raises(ValueError, match="cannot override"):
        profile("wood", {"colour": 1.0})


def test_a_composite_object_says_which_material_drives_it() -> None:
    # 30 % RH: fine for the wooden stock, a risk for the excavated barrel.
    row = last(constant(24.0, 30.0), ["wood", "archaeological_iron"])
    assert (row["level"], row["material"], row["driver"]) == ("risk", "archaeological_iron", "rh_high")
    dry = last(constant(24.0, 12.0), ["wood", "archaeological_iron"])
    assert (dry["level"], dry["material"], dry["driver"]) == ("critical", "wood", "too_dry")


def test_excavated_iron_and_wood_want_incompatible_air() -> None:
    summary = assess(constant(24.0, 30.0), ["archaeological_iron", "wood"]).summary
    assert summary["conflicts"] == [
        {
            "materials": ["archaeological_iron", "wood"],
            "metal_safe_below_pct": 15.0,
            "organic_too_dry_below_pct": 25.0,
        }
    ]
    assert assess(constant(24.0, 30.0), ["iron_steel", "wood"]).summary["conflicts"] == []


def test_condensation_drives_when_air_is_near_its_dew_point() -> None:
    # 99 % RH at 20 °C: the dew-point margin is 0.15 K.
    row = last(constant(20.0, 99.0), ["wood"])
    assert row["condensation"] >= 50.0
    assert row["level"] == "critical"


def test_a_wet_day_drives_time_of_wetness_for_metals() -> None:
    frame = constant(26.0, 60.0)
    frame.iloc[-36:, frame.columns.get_loc("rh_pct")] = 85.0  # the last 6 hours wet
    row = last(frame, ["aluminium"])
    assert row["time_of_wetness"] == pytest.approx(50.0 + 25.0 * 6 / 24, abs=0.01)


def test_a_large_daily_swing_is_a_fluctuation_risk_for_wood() -> None:
    index = pd.date_range("2026-07-01", periods=48 * 6, freq="10min", tz="UTC")
    hours = np.arange(len(index)) / 6
    frame = pd.DataFrame(
        {"temperature_c": 22.0, "rh_pct": 45 + 13 * np.sin(2 * np.pi * hours / 24)}, index=index
    )
    row = last(frame, ["wood"])
    assert row["driver"] == "fluctuation" and row["level"] == "risk"


def test_summary_hours_per_level_worst_moment_and_since() -> None:
    frame = constant(22.0, 30.0, hours=24)
    frame.iloc[72:, frame.columns.get_loc("rh_pct")] = 50.0  # critical from hour 12
    summary = assess(frame, ["archaeological_iron"]).summary
    assert summary["hours_per_level"]["risk"] == pytest.approx(12.0)
    assert summary["hours_per_level"]["critical"] == pytest.approx(12.0)
    assert summary["current"]["level"] == "critical"
    assert summary["current"]["since"] == frame.index[72].isoformat()
    assert summary["current"]["source"].startswith("Wang 2007")
    assert summary["worst"]["level"] == "critical"
    # Dose: (30 − 15) for 12 h, (50 − 15) for 12 h, at 22 °C: k = 2^(2/10).
    assert summary["corrosion_dose"]["archaeological_iron"] == pytest.approx((15 * 12 + 35 * 12) * 2**0.2)


def test_a_year_of_minutes_goes_through() -> None:
    index = pd.date_range("2025-01-01", periods=525_600, freq="min", tz="UTC")
    hours = np.arange(len(index)) / 60
    frame = pd.DataFrame(
        {
            "temperature_c": 27 + 2 * np.sin(2 * np.pi * hours / 24),
            "rh_pct": 70 + 8 * np.cos(2 * np.pi * hours / 24),
        },
        index=index,
    )
    result = assess(frame, ["archaeological_iron", "wood", "brass"])
    assert len(result.timeline) == 525_600
    assert sum(result.summary["hours_per_level"].values()) == pytest.approx(8760.0)


# --- properties ------------------------------------------------------------------------------
temperatures = st.floats(min_value=0.0, max_value=45.0)
humidities = st.floats(min_value=0.0, max_value=100.0)


@settings(max_examples=300, deadline=None)
@given(material=st.sampled_from(METALS), temperature_c=temperatures, rh_low=humidities, rh_high=humidities)
def test_more_rh_never_lowers_a_metals_score(
    material: str, temperature_c: float, rh_low: float, rh_high: float
) -> None:
    rh_low, rh_high = sorted((rh_low, rh_high))
    low = last(constant(temperature_c, rh_low, hours=2), [material])["score"]
    high = last(constant(temperature_c, rh_high, hours=2), [material])["score"]
    assert high >= low


@settings(max_examples=300, deadline=None)
@given(material=st.sampled_from(METALS), rh_pct=humidities, t_low=temperatures, t_high=temperatures)
def test_warmer_air_at_the_same_rh_above_the_limit_never_lowers_a_metals_score(
    material: str, rh_pct: float, t_low: float, t_high: float
) -> None:
    t_low, t_high = sorted((t_low, t_high))
    low = last(constant(t_low, rh_pct, hours=2), [material])["score"]
    high = last(constant(t_high, rh_pct, hours=2), [material])["score"]
    assert high >= low


@settings(max_examples=200, deadline=None)
@given(
    materials=st.lists(st.sampled_from(MATERIAL_NAMES), min_size=1, max_size=4, unique=True),
    temperature_c=temperatures,
    rh_pct=humidities,
)
def test_a_composite_is_never_below_its_worst_material(
    materials: list[str], temperature_c: float, rh_pct: float
) -> None:
    frame = constant(temperature_c, rh_pct, hours=2)
    composite = last(frame, materials)
    for material in materials:
        assert composite["score"] >= last(frame, [material])["score"]
    assert composite["level"] in LEVELS


@given(rh_pct=humidities, temperature_c=temperatures)
def test_temperature_never_changes_the_level_of_rh_against_its_limits(
    rh_pct: float, temperature_c: float
) -> None:
    material = PROFILES["iron_steel"]
    at_reference = rh_high_score(np.array([rh_pct]), np.array([20.0]), material)
    elsewhere = rh_high_score(np.array([rh_pct]), np.array([temperature_c]), material)
    assert np.floor(at_reference / 25).clip(0, 3) == np.floor(elsewhere / 25).clip(0, 3)


def test_a_held_level_says_the_air_is_back() -> None:
    """After damp air has gone, hysteresis keeps the level for an hour: the reason must say the
    air is back within its limit, not read as if it were still over it."""
    from datetime import UTC, datetime, timedelta

    from dashboard.data import ObjectStatus, object_reason
    from museum.description.config import Artefact, Case
    from museum.language.i18n import Translator

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    panel = Artefact("P-1", "Fuselage panel", ("iron_steel",))
    case = Case("G3-01", "hanoi", "Gallery 3", "Aircraft parts", ("s1",), (panel,))

    def reason(rh_pct: float, language: str = "en") -> str:
        status = ObjectStatus(
            case, panel, 3, "rh_high", "iron_steel", 80.0, rh_pct, 60.0, now - timedelta(minutes=40), now
        )
        return object_reason(status, Translator(language), now)

    assert reason(72.0) == "72 % RH against its limit of 60 % (Iron and steel), for 40 min"
    assert reason(45.0).startswith("45 % RH, back within its limit of 60 % (Iron and steel)")
    assert "revenue dans sa limite de 60 %" in reason(45.0, "fr")
    assert "đã trở lại trong giới hạn 60 %" in reason(45.0, "vi")


@settings(max_examples=150, deadline=None)
@given(
    materials=st.lists(st.sampled_from(MATERIAL_NAMES), min_size=1, max_size=3, unique=True),
    steps=st.lists(
        st.tuples(st.integers(min_value=60, max_value=7200), temperatures, humidities),
        min_size=1,
        max_size=80,
    ),
)
def test_the_latest_risk_is_the_last_row_of_the_timeline(
    materials: list[str], steps: list[tuple[int, float, float]]
) -> None:
    """The collector's live assessment (arrays in, the last reading's risk out) says what the
    whole timeline says at its last reading, since when included."""
    times_s = 1_790_000_000 + np.cumsum([step for step, _, _ in steps])
    index = pd.to_datetime(times_s, unit="s", utc=True)
    temperature_c = np.array([t for _, t, _ in steps])
    rh_pct = np.array([rh for _, _, rh in steps])
    timeline = assess(
        pd.DataFrame({"temperature_c": temperature_c, "rh_pct": rh_pct}, index=index),
        materials,
        summarise=False,
    ).timeline
    latest = latest_risk(index, temperature_c, rh_pct, materials)
    assert latest is not None
    row = timeline.iloc[-1]
    assert (latest.score, latest.level, latest.driver, latest.material) == (
        row["score"],
        row["level"],
        row["driver"],
        row["material"],
    )
    assert latest.components == {c: row[c] for c in DRIVERS if c in timeline.columns}
    codes = timeline["level"].cat.codes.to_numpy()
    since = timeline.index[codes != codes[-1]]
    assert latest.since == (
        timeline.index[timeline.index > since[-1]][0] if len(since) else timeline.index[0]
    )
    assert latest_risk(index[:0], temperature_c[:0], rh_pct[:0], materials) is None
