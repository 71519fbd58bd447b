"""Sensor calibration (issue 28, docs/calibration.md): Greenspan's salts, offsets over time,
the flag beyond a sensor's accuracy, and, against a real InfluxDB, a check 2.5 % RH high
correcting the readings after it (case page data, export, report) and not those before,
its withdrawal, and the log kept in the policy kept for ever."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.calibration import (
    CalibrationError,
    Check,
    beyond_accuracy,
    offsets_at,
    salt_rh_pct,
)
from museum.description.config import ConfigError, MuseumConfig
from museum.files.export import ExportRequest, export
from museum.files.reports import case_period, case_section, render_html
from museum.language.i18n import Translator
from museum.storage.calibration import NewCheck, flagged, record_check, records_from, withdraw_check
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.cli import main
from patina.services import MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, wait_for
from tests.test_collector import native, running

# --- Greenspan 1977, Table 2 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("salt", "temperature_c", "published_pct"),
    [
        ("NaCl", 25, 75.29),
        ("Mg(NO3)2", 25, 52.89),
        ("MgCl2", 25, 32.78),
        ("K2SO4", 25, 97.30),
        ("NaCl", 20, 75.47),
        ("MgCl2", 20, 33.07),
        ("LiCl", 25, 11.30),
        ("KCl", 25, 84.34),
    ],
)
def test_salt_references_are_greenspans_published_values(
    salt: str, temperature_c: float, published_pct: float
) -> None:
    assert salt_rh_pct(salt, temperature_c) == published_pct


def test_salt_reference_between_table_temperatures_lies_between_its_neighbours() -> None:
    at_22 = salt_rh_pct("Mg(NO3)2", 22.5)
    assert salt_rh_pct("Mg(NO3)2", 25) < at_22 < salt_rh_pct("Mg(NO3)2", 20)
    assert at_22 == pytest.approx((54.38 + 52.89) / 2, abs=0.01)


def test_unknown_salt_and_temperatures_outside_the_table_are_refused() -> None:
    with pytest.raises(CalibrationError, match="unknown salt 'NaNO3'"):
        salt_rh_pct("NaNO3", 25)
    with pytest.raises(CalibrationError, match="outside Greenspan's table"):
        salt_rh_pct("NaCl", 55)


# --- offsets over time ------------------------------------------------------------------------
DAY_NS = 86_400 * 10**9


def test_offset_is_nothing_before_the_first_check_and_the_check_after_it() -> None:
    check = Check(10 * DAY_NS, reference=75.29, measured=77.79)  # 2.5 % RH high
    assert check.error == pytest.approx(2.5) and check.offset == pytest.approx(-2.5)
    offsets = offsets_at([check], np.array([0, 10 * DAY_NS - 1, 10 * DAY_NS, 400 * DAY_NS]))
    assert offsets.tolist() == pytest.approx([0.0, 0.0, -2.5, -2.5])


def test_offset_moves_linearly_between_two_checks_and_holds_after_the_last() -> None:
    checks = [Check(100 * DAY_NS, 50.0, 52.0), Check(0, 50.0, 51.0)]  # given out of order
    offsets = offsets_at(checks, np.array([0, 25 * DAY_NS, 50 * DAY_NS, 100 * DAY_NS, 200 * DAY_NS]))
    assert offsets.tolist() == pytest.approx([-1.0, -1.25, -1.5, -2.0, -2.0])


def test_a_check_beyond_the_stated_accuracy_is_flagged() -> None:
    assert beyond_accuracy(Check(0, 75.29, 77.79), 2.0)
    assert not beyond_accuracy(Check(0, 75.29, 76.79), 2.0)
    assert beyond_accuracy(Check(0, 20.0, 20.4), 0.3)
    assert not beyond_accuracy(Check(0, 20.0, 20.3), 0.3)


# --- against InfluxDB ---------------------------------------------------------------------------
START = datetime(2026, 3, 1, tzinfo=UTC)
CHECKED = START + timedelta(days=2)  # on the hour: hourly figures split cleanly
HIGH_BY_PCT = 2.5


def seed(store: InfluxStore, days: int = 4) -> None:
    """s1 (case C1) reads 55.0 % RH and 21.0 °C every 10 minutes; s2 reads 50.0 % RH."""
    lines = []
    for minute in range(0, days * 24 * 60, 10):
        time_ns = int((START + timedelta(minutes=minute)).timestamp()) * 10**9
        lines.append(climate_line(Reading("s1", time_ns, 21.0, 55.0, 90.0), "hanoi", "C1"))
        lines.append(climate_line(Reading("s2", time_ns, 21.0, 50.0, 90.0), "hanoi", "C1"))
    store.create_database()
    store.write_lines(lines)


def high_check(config: MuseumConfig, store: InfluxStore) -> str:
    """A conservator finds s1 2.5 % RH high over saturated NaCl at 25 °C."""
    record = record_check(
        store,
        NewCheck(
            "s1",
            "rh",
            CHECKED,
            reference=salt_rh_pct("NaCl", 25),
            measured=salt_rh_pct("NaCl", 25) + HIGH_BY_PCT,
            user="lan",
            note="NaCl box, 24 h\nsecond line",
            reference_kind="salt NaCl at 25 °C",
        ),
        [s for case in config.cases for s in case.sensors],
    )
    return record.record_id


def test_a_check_corrects_readings_after_it_and_not_before(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    seed(store)
    record_id = high_check(config, store)

    raw = store.climate_series("C1", START, START + timedelta(days=4))
    s1 = raw[raw["sensor_id"] == "s1"]
    before, after = s1[s1["time"] < CHECKED], s1[s1["time"] >= CHECKED]
    assert not before.empty and not after.empty
    assert before["rh_pct"].tolist() == pytest.approx([55.0] * len(before))
    assert after["rh_pct"].tolist() == pytest.approx([55.0 - HIGH_BY_PCT] * len(after))
    assert s1["rh_pct_raw"].tolist() == pytest.approx([55.0] * len(s1))  # the raw value is kept
    assert s1["temperature_c"].tolist() == pytest.approx([21.0] * len(s1))  # RH only was checked
    s2 = raw[raw["sensor_id"] == "s2"]
    assert s2["rh_pct"].tolist() == pytest.approx([50.0] * len(s2))  # another sensor: untouched

    hourly = store.hourly_series("C1", START, START + timedelta(days=4))
    h1 = hourly[hourly["sensor_id"] == "s1"]
    assert set(h1[h1["time"] < CHECKED]["rh_pct"].round(6)) == {55.0}
    assert set(h1[h1["time"] >= CHECKED]["rh_pct"].round(6)) == {55.0 - HIGH_BY_PCT}
    assert set(h1[h1["time"] >= CHECKED]["rh_pct_max"].round(6)) == {55.0 - HIGH_BY_PCT}

    # Withdrawn: the readings are as measured again; the log keeps the check, marked.
    withdraw_check(store, record_id, "minh", "wrong sensor: the box held s2")
    again = store.climate_series("C1", START, START + timedelta(days=4))
    assert "rh_pct_raw" not in again and set(again[again["sensor_id"] == "s1"]["rh_pct"]) == {55.0}
    (record,) = records_from(store.calibration_log())
    assert record.withdrawn is not None and record.withdrawn_by == "minh"
    assert record.note == "NaCl box, 24 h\nsecond line"
    with pytest.raises(CalibrationError, match="already withdrawn"):
        withdraw_check(store, record_id, "minh", "again")


def test_the_log_lives_in_the_policy_kept_for_ever_and_flags_beyond_accuracy(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    seed(store, days=3)
    high_check(config, store)
    stored = store.frame('SELECT count("reference") FROM "patina_forever"."sensor_calibrations"')
    assert int(stored.iloc[0, 1]) == 1
    assert store.frame('SELECT * FROM "autogen"."sensor_calibrations"').empty
    records = records_from(store.calibration_log())
    assert [r.sensor_id for r in flagged(records, config.sensors.accuracy_for)] == ["s1"]
    # A sensor whose stated accuracy is ±3 % RH is within it.
    assert flagged(records, lambda sensor: {"rh": 3.0, "temperature": 0.3}) == []


def test_checks_that_cannot_be_right_are_refused(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    sensors = ["s1", "s2", "s3"]
    now = datetime.now(UTC)
    cases = [
        (NewCheck("s9", "rh", now, 50, 51, "lan"), "no sensor 's9'"),
        (NewCheck("s1", "co2", now, 50, 51, "lan"), "unknown quantity"),
        (NewCheck("s1", "rh", now + timedelta(days=1), 50, 51, "lan"), "in the future"),
        (NewCheck("s1", "rh", now, 50, 151, "lan"), "not between 0 and 100"),
        (NewCheck("s1", "rh", now, 50, 51, " "), "who made the check"),
        (NewCheck("s1", "rh", datetime(2026, 1, 1), 50, 51, "lan"), "UTC offset"),
    ]
    for check, message in cases:
        with pytest.raises(CalibrationError, match=message):
            record_check(store, check, sensors)
    assert records_from(store.calibration_log()) == []
    with pytest.raises(CalibrationError, match="no calibration record"):
        withdraw_check(store, "feedbeef", "lan", "why")


# --- where figures are made: export, report, the case page's data -------------------------------


def test_export_has_raw_and_corrected_columns_and_names_the_check(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    seed(store)
    record_id = high_check(config, store)
    result = export(
        config,
        ExportRequest(START, START + timedelta(days=4), case_ids=["C1"]),
        tmp_path / "c1.csv",
        store=store,
    )
    data = pd.read_csv(tmp_path / "c1.csv")
    data["utc"] = pd.to_datetime(data["time"], utc=True)
    s1 = data[data["sensor_id"] == "s1"]
    before, after = s1[s1["utc"] < CHECKED], s1[s1["utc"] >= CHECKED]
    assert set(before["rh_pct"]) == {55.0} and set(after["rh_pct"]) == {55.0 - HIGH_BY_PCT}
    assert set(s1["rh_pct_raw"]) == {55.0} and set(s1["temperature_c_raw"]) == {21.0}
    s2 = data[data["sensor_id"] == "s2"]
    assert set(s2["rh_pct"]) == {50.0} and set(s2["rh_pct_raw"]) == {50.0}
    (listed,) = result.metadata["calibrations"]
    assert listed["record_id"] == record_id and listed["error"] == pytest.approx(HIGH_BY_PCT)
    package = json.loads((tmp_path / "c1.datapackage.json").read_text())
    assert "rh_pct_raw" in {f["name"] for f in package["resources"][0]["schema"]["fields"]}

    daily = export(
        config,
        ExportRequest(
            START, START + timedelta(days=4), case_ids=["C1"], every=timedelta(days=1), timezone="UTC"
        ),
        tmp_path / "daily.csv",
        store=store,
    )
    assert daily.rows > 0
    days = pd.read_csv(tmp_path / "daily.csv")
    days = days[days["sensor_id"] == "s1"].reset_index(drop=True)
    assert days["rh_pct_mean"].tolist() == pytest.approx([55.0, 55.0, 52.5, 52.5])
    assert days["rh_pct_mean_raw"].tolist() == pytest.approx([55.0] * 4)


def test_report_and_case_figures_say_which_correction_was_applied(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    seed(store)
    before = case_period(store, config.case("C1"), START, CHECKED)
    assert before.calibrations == [] and before.extremes["rh_pct_max"] == pytest.approx(55.0)
    record_id = high_check(config, store)
    # A period ending before the check: nothing applies, nothing is said.
    assert case_period(store, config.case("C1"), START, CHECKED).calibrations == []
    after = case_period(store, config.case("C1"), CHECKED, START + timedelta(days=4))
    assert [r.record_id for r in after.calibrations] == [record_id]
    assert after.extremes["rh_pct_max"] == pytest.approx(55.0 - HIGH_BY_PCT)  # s2 at 50, s1 corrected
    for language, words in (
        ("en", "read +2.50 % RH off"),
        ("fr", "s'écartait de +2,50 % HR"),
        ("vi", "lệch +2,50 % độ ẩm"),
    ):
        t = Translator(language)
        section = case_section(after, config, t, None)
        assert (
            section.calibration is not None
            and words in section.calibration
            and record_id in section.calibration
        )
        page = render_html([after], config, t, "C1", None, datetime.now(UTC))
        assert record_id in page and "class='calibration'" in page


# --- the command line --------------------------------------------------------------------------


def test_calibrate_command_records_lists_and_withdraws_in_three_languages(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    seed(store, days=3)
    assert config.path is not None
    environ = {"PATINA_INFLUX_URL": config.influxdb.url, "PATINA_MQTT_URL": config.mqtt.url}

    def run(*args: str) -> Any:
        words = 2 if args[0] == "calibrate" else 1
        return CliRunner().invoke(
            main, [*args[:words], "--config", str(config.path), *args[words:]], env=environ
        )

    recorded = run(
        "calibrate", "record", "--sensor", "s1", "--salt", "NaCl", "--temperature-c", "25",
        "--sensor-value", "77.79", "--at", CHECKED.isoformat(), "--user", "lan", "--note", "NaCl box",
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert "reference 75.29" in recorded.output and "error 2.50 % RH" in recorded.output
    assert "beyond the sensor's stated accuracy (±2.0 % RH)" in recorded.output
    listed = json.loads(run("calibrate", "list", "--json").output)
    assert [(r["sensor_id"], r["reference"], r["beyond_accuracy"]) for r in listed] == [("s1", 75.29, True)]
    record_id = listed[0]["record_id"]
    in_french = run("calibrate", "list", "--language", "fr").output
    assert "écart 2,50 % HR (sel NaCl à 25 °C (Greenspan 1977))" in in_french
    assert "sai số 2,50 % độ ẩm (muối NaCl ở 25 °C" in run("calibrate", "list", "--language", "vi").output
    corrected = store.climate_series("C1", CHECKED, CHECKED + timedelta(hours=1))
    assert set(corrected[corrected["sensor_id"] == "s1"]["rh_pct"].round(6)) == {55.0 - HIGH_BY_PCT}

    refused = run(
        "calibrate",
        "record",
        "--sensor",
        "s1",
        "--sensor-value",
        "50",
        "--at",
        "2026-03-01T00:00Z",
        "--user",
        "x",
    )
    assert refused.exit_code != 0 and "--reference or --salt" in refused.output
    withdrawn = run("calibrate", "withdraw", record_id, "--user", "minh", "--note", "wrong box")
    assert withdrawn.exit_code == 0 and record_id in withdrawn.output
    assert "withdrawn" in run("calibrate", "list").output
    again = store.climate_series("C1", CHECKED, CHECKED + timedelta(hours=1))
    assert set(again["rh_pct"]) == {50.0, 55.0} and "rh_pct_raw" not in again


# --- the collector judges corrected readings ----------------------------------------------------


def judged_rh_alerts(config: MuseumConfig, mosquitto: MosquittoServer, rh_pct: float) -> list[str]:
    """Two hours of s1 (case C1) at ``rh_pct`` a week ago, replayed on event time through the
    broker into a collector; the states of the case's rh_high alerts."""
    start_ns = int((datetime.now(UTC) - timedelta(days=7)).timestamp()) * 10**9
    messages = [native("s1", start_ns + minute * 60 * 10**9, 21.0, rh_pct) for minute in range(120)]
    with running(config, event_time=True) as collector:
        assert publish_all(mosquitto, messages) == len(messages)
        wait_for(lambda: collector.stats().evaluated >= len(messages) and collector.stats().spool_depth == 0)
        time.sleep(1.5)  # the evaluator's last tick, then the writer's last batch
        wait_for(lambda: collector.stats().spool_depth == 0)
    events = open_store(config.influxdb).alert_events(within=timedelta(days=9))
    if events.empty:
        return []
    return events[(events["case_id"] == "C1") & (events["rule"] == "rh_high")]["state"].tolist()


def test_alerts_judge_the_corrected_reading(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    # Archaeological iron: RH above 25 % is a risk. s1 reads 27 %; a check a month ago found
    # it 5 % RH high, so the air is at 22 %: no alert. Without the check, an alert.
    uncorrected = make_config()
    assert "opened" in judged_rh_alerts(uncorrected, mosquitto, 27.0)
    config = make_config()
    store = store_for(config)
    month_ago = datetime.now(UTC) - timedelta(days=30)
    record_check(store, NewCheck("s1", "rh", month_ago, 50.0, 55.0, "lan"), ["s1", "s2", "s3"])
    assert judged_rh_alerts(config, mosquitto, 27.0) == []
    # The readings stored stay as measured; the store corrects them as it reads them.
    stored = store.frame("SELECT rh_pct FROM climate WHERE sensor_id = 's1'")
    assert set(stored["rh_pct"]) == {27.0}


# --- the config ----------------------------------------------------------------------------------


def test_stated_accuracy_comes_from_the_config_per_sensor(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    default = offline_config()
    assert default.sensors.accuracy_for("s1") == {"rh": 2.0, "temperature": 0.3}
    config = offline_config(
        SMALL_MUSEUM
        + """
[sensors]
rh_accuracy_pct = 2.5

[[sensors.accuracy]]
sensor = "s3"
rh_accuracy_pct = 3.5
temperature_accuracy_c = 0.5
"""
    )
    assert config.sensors.accuracy_for("s1") == {"rh": 2.5, "temperature": 0.3}
    assert config.sensors.accuracy_for("s3") == {"rh": 3.5, "temperature": 0.5}
    with pytest.raises(ConfigError, match=r"sensors.accuracy\[0\].sensor: no sensor 's9' in the cases"):
        offline_config(SMALL_MUSEUM + '\n[[sensors.accuracy]]\nsensor = "s9"\n')
    with pytest.raises(ConfigError, match=r"sensors.rh_accuracy_pct: 0.0 is not"):
        offline_config(SMALL_MUSEUM + "\n[sensors]\nrh_accuracy_pct = 0\n")


def test_a_checks_reference_is_shown_in_the_readers_language() -> None:
    """The log keeps the reference in English (the words Patina records); pages, reports
    and the CLI show it translated, and a reference written in someone's own words as is."""
    from museum.language.i18n import Translator
    from museum.storage.calibration import INSTRUMENT_KIND, reference_kind_text, salt_kind

    shown = {
        language: (
            reference_kind_text(salt_kind("NaCl", 25.0), Translator(language)),
            reference_kind_text(salt_kind("MgCl2", 22.5), Translator(language)),
            reference_kind_text(INSTRUMENT_KIND, Translator(language)),
            reference_kind_text("Rotronic HP32", Translator(language)),
        )
        for language in ("en", "fr", "vi")
    }
    assert shown["en"] == (
        "salt NaCl at 25 °C (Greenspan 1977)",
        "salt MgCl2 at 22.5 °C (Greenspan 1977)",
        "reference instrument",
        "Rotronic HP32",
    )
    assert shown["fr"][:3] == (
        "sel NaCl à 25 °C (Greenspan 1977)",
        "sel MgCl2 à 22,5 °C (Greenspan 1977)",
        "instrument de référence",
    )
    assert shown["vi"][:3] == (
        "muối NaCl ở 25 °C (Greenspan 1977)",
        "muối MgCl2 ở 22,5 °C (Greenspan 1977)",
        "thiết bị chuẩn",
    )
