"""Logger exports in the layouts conservators have, read back to the values written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import find_gaps
from museum.files.loggers import FileReading, LoggerFileError, SensorRecord
from museum.files.loggers import read_logger_file as read_file
from tests.conftest import REPO_DIR
from tests.logger_files import known_series, write_hanwell, write_hobo, write_plain, write_semicolon


def read_logger_file(path: Path, timezone_name: str | None = None) -> tuple[pd.DataFrame, FileReading]:
    reading = read_file(path, timezone_name)
    assert len(reading.sensors) == 1
    return next(iter(reading.sensors.values())).readings, reading


def only(reading: FileReading) -> SensorRecord:
    return next(iter(reading.sensors.values()))


def assert_same(read: pd.DataFrame, written: pd.DataFrame, t_tol: float, rh_tol: float) -> None:
    assert read.index.equals(written.index.as_unit("ns"))
    np.testing.assert_allclose(read["temperature_c"], written["temperature_c"], atol=t_tol)
    np.testing.assert_allclose(read["rh_pct"], written["rh_pct"], atol=rh_tol)


def test_plain_csv_round_trips_exactly(tmp_path: Path) -> None:
    data = known_series("2025-01-01", 500, "15min")
    read, info = read_logger_file(write_plain(tmp_path / "plain.csv", data))
    assert info.layout == "plain"
    assert_same(read, data, 0, 0)


@pytest.mark.parametrize("fahrenheit", [False, True])
def test_hoboware_csv_with_events_latin1_and_gmt_offset(tmp_path: Path, fahrenheit: bool) -> None:
    data = known_series("2024-03-01", 300, "1h")
    read, info = read_logger_file(write_hobo(tmp_path / "hobo.csv", data, fahrenheit), "Asia/Ho_Chi_Minh")
    assert info.layout == "hoboware" and info.encoding in ("cp1252", "latin-1")
    assert bool(info.conversions) == fahrenheit
    assert only(info).rows_without_values == 2  # the "Logged" event rows
    assert info.timezone == "UTC+01:00" and info.timezone_origin == "header"
    assert_same(read, data, 1e-3, 1e-9)


def test_hanwell_csv_with_trailing_commas_and_uk_daylight_saving(tmp_path: Path) -> None:
    # Hourly across both UK clock changes of 2025 (30 March, 26 October).
    data = known_series("2025-03-01", 24 * 270, "1h")
    read, info = read_logger_file(
        write_hanwell(tmp_path / "hanwell.csv", data, "Europe/London"), "Europe/London"
    )
    assert info.layout == "hanwell"
    assert only(info).duplicated_times == 0 and only(info).nonexistent_local_times == 0
    assert only(info).repeated_local_times == 2  # the two rows written 01:00 on 26 October
    assert_same(read, data, 1e-9, 1e-9)


def test_semicolon_european_file_across_both_clock_changes(tmp_path: Path) -> None:
    data = known_series("2025-03-29", 48 * 215, "30min")  # past 30 March and 26 October
    path = write_semicolon(tmp_path / "europe.csv", data, "Europe/Paris")
    text = path.read_text(encoding="cp1252")
    assert text.count("26-10-2025 02:00") == 2 and "30-03-2025 02:00" not in text
    read, info = read_logger_file(path, "Europe/Paris")
    assert info.layout == "semicolon" and info.date_format == "%d-%m-%Y %H:%M"
    # Every reading back at its own UTC instant: no hour repeated or lost.
    assert_same(read, data, 0.051, 0.5)
    assert len(find_gaps(pd.DatetimeIndex(read.index))) == 0


def test_xlsx_export(tmp_path: Path) -> None:
    data = known_series("2025-05-01", 200, "1h")
    sheet = pd.DataFrame(
        {
            "Date/Time": data.index.tz_convert("Asia/Ho_Chi_Minh").tz_localize(None),
            "Temperature (°C)": data["temperature_c"].to_numpy(),
            "RH (%)": data["rh_pct"].to_numpy(),
        }
    )
    path = tmp_path / "logger.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Logger export, case 4"], [""]]).to_excel(writer, header=False, index=False)
        sheet.to_excel(writer, startrow=2, index=False)
    read, info = read_logger_file(path, "Asia/Ho_Chi_Minh")
    assert info.layout == "workbook"
    assert_same(read, data, 1e-9, 1e-9)


def test_files_that_are_not_climate_records_say_why(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("name,colour\nrifle,brown\n")
    with pytest.raises(
        LoggerFileError, match="no header naming a time and a temperature, RH or light column"
    ):
        read_logger_file(path)
    with pytest.raises(LoggerFileError, match="no such file"):
        read_logger_file(tmp_path / "absent.csv")


def run_analyse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patina", "analyse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_analyse_reports_on_three_years_of_hourly_data(tmp_path: Path) -> None:
    data = known_series("2022-01-01", 24 * 365 * 3, "1h", zone="Europe/Paris")
    data = data.drop(data.index[5000:5168])  # a week lost
    path = write_semicolon(tmp_path / "three-years.csv", data, "Europe/Paris")
    result = run_analyse(
        str(path),
        "--timezone",
        "Europe/Paris",
        "--material",
        "archaeological_iron",
        "--material",
        "wood",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["period"]["days"] == pytest.approx(3 * 365, abs=1)
    assert report["coverage"]["readings"] == len(data)
    # The longest gap is the time without readings: 168 hourly readings missing.
    assert report["gaps"]["count"] == 1 and report["gaps"]["longest"]["hours"] == pytest.approx(168)
    assert report["en15757"] is not None
    assert set(report["ipi"]) == {
        "metal_corrosion",
        "mechanical_damage",
        "natural_aging",
        "mould",
        "twpi_years",
    }
    iron = report["risk"]["archaeological_iron"]
    assert iron["pct_per_level"]["critical"] > 90  # 65 % RH is far above 44 %
    assert iron["current"]["source"].startswith("Wang 2007")
    assert report["file"]["layout"] == "semicolon"
    assert report["file"]["timezone_origin"] == "option"
    assert report["statistics"]["rh_pct"]["max"] <= 99


def test_analyse_prints_a_readable_report_in_french(tmp_path: Path) -> None:
    path = write_hobo(tmp_path / "hobo.csv", known_series("2024-06-01", 24 * 30, "1h"))
    result = run_analyse(str(path), "--material", "copper_alloy", "--language", "fr")
    assert result.returncode == 0, result.stderr
    assert "Rapport climatique" in result.stdout
    assert "Risque pour : Alliage cuivreux stable (bronze historique, cuivre)" in result.stdout
    assert "Bande EN 15757 : il faut 13 mois de données" in result.stdout


def test_analyse_refuses_an_unknown_time_zone(tmp_path: Path) -> None:
    path = write_plain(tmp_path / "p.csv", known_series("2025-01-01", 10, "1h"))
    result = run_analyse(str(path), "--timezone", "Mars/Olympus")
    assert result.returncode != 0 and "not an IANA time zone" in result.stderr


# --- the files that still failed (issue 32) ----------------------------------------------------


def test_sparse_records_of_thirteen_months_give_a_band_or_say_why(tmp_path: Path) -> None:
    from analysis.history import historic_band
    from tests.logger_files import write_rotronic_hw4

    # An hourly archive thinned to 2-hourly, and a 12-hourly Rotronic HygroLog, 14 months.
    two_hourly = known_series("2022-01-01", 12 * 425, "2h")
    path = write_semicolon(tmp_path / "two-hourly.csv", two_hourly, "Europe/Paris")
    report = json.loads(run_analyse(str(path), "--timezone", "Europe/Paris", "--json").stdout)
    assert report["en15757"] is not None and report["en15757"]["share_inside_pct"] > 0
    half_daily = known_series("2022-01-01", 2 * 425, "12h")
    path = write_rotronic_hw4(tmp_path / "hygrolog.csv", half_daily, "Europe/London")
    result = run_analyse(str(path), "--timezone", "Europe/London", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["en15757"] is not None
    assert json.loads(result.stdout)["file"]["sensor"] == "Arch1"
    # Weekly readings cannot make a 30-day moving average: said, not a crash.
    weekly = known_series("2022-01-01", 61, "7D")
    path = write_plain(tmp_path / "weekly.csv", weekly)
    report = json.loads(run_analyse(str(path), "--json").stdout)
    assert report["en15757"] is None
    assert report["en15757_unavailable"] == {"reason": "sparse", "needed": 20, "found": 5}
    assert "the 30-day moving average needs 20 readings in 30 days; this record has at most 5" in (
        run_analyse(str(path)).stdout
    )
    assert historic_band(two_hourly["rh_pct"]) is not None
    assert historic_band(weekly["rh_pct"].resample("1h").mean()) is None


def test_a_logger_clock_reset_is_set_aside_and_said(tmp_path: Path) -> None:
    data = known_series("2024-03-01", 24 * 20, "1h")
    stamps = list(data.index.strftime("%Y-%m-%d %H:%M:%S"))
    # A battery change at row 300: the clock restarts at 1 January 2000 for 20 readings.
    reset = pd.date_range("2000-01-01", periods=20, freq="1h").strftime("%Y-%m-%d %H:%M:%S")
    stamps[300:320] = list(reset)
    path = tmp_path / "reset.csv"
    path.write_text(
        "timestamp,temperature_c,rh_pct\n"
        + "".join(
            f"{s},{t},{rh}\n" for s, t, rh in zip(stamps, data["temperature_c"], data["rh_pct"], strict=True)
        )
    )
    record = next(iter(read_file(path).sensors.values()))
    assert record.rejected_reasons == {"clock_reset": 20} and record.first_rejected_rows[0] == 302
    assert record.readings.index[0] == data.index[0] and len(record.readings) == len(data) - 20
    assert record.clock_resets == [
        {
            "row": 302,
            "before": data.index[299].isoformat(),
            "after": "2000-01-01T00:00:00+00:00",
            "rows": 20,
            "set_aside": True,
        }
    ]
    text = run_analyse(str(path)).stdout
    assert "The logger's clock was set back at row 302" in text and "20 rows dated before" in text


def test_rh_a_little_above_100_is_kept_as_100_and_counted(tmp_path: Path) -> None:
    data = known_series("2024-11-01", 200, "1h")
    rh = data["rh_pct"].to_numpy().copy()
    rh[10:26] = [100.5, 101.0, 102.2, 103.0, 104.9, 105.0] + [100.2] * 10  # a sensor at saturation
    rh[40], rh[41] = 105.5, 120.0  # beyond any sensor's tolerance
    path = tmp_path / "wet.csv"
    path.write_text(
        "timestamp,temperature_c,rh_pct\n"
        + "".join(
            f"{m.isoformat()},{t},{h}\n"
            for m, t, h in zip(data.index, data["temperature_c"], rh, strict=True)
        )
    )
    record = next(iter(read_file(path).sensors.values()))
    assert record.rh_saturated == 16 and record.rejected_reasons == {"rh_out_of_range": 2}
    assert (record.readings["rh_pct"].iloc[10:26] == 100.0).all()
    report = json.loads(run_analyse(str(path), "--json").stdout)
    assert report["file"]["rh_saturated"] == 16 and report["file"]["rh_saturation_tolerance_pct"] == 5.0
    assert report["statistics"]["rh_pct"]["max"] == 100.0
    text = run_analyse(str(path)).stdout
    assert "16 readings up to 105 % kept as 100 %" in text


def test_two_files_that_share_no_time_say_so(tmp_path: Path) -> None:
    from tests.logger_files import write_trend

    t_path, _ = write_trend(tmp_path, known_series("2021-09-01", 24 * 30, "1h"), "Europe/London")
    later = tmp_path / "later"
    later.mkdir()
    _, rh_path = write_trend(later, known_series("2022-06-01", 24 * 30, "1h"), "Europe/London")
    result = run_analyse(str(t_path), str(rh_path), "--timezone", "Europe/London")
    assert result.returncode == 1
    assert (
        "these 2 files do not overlap in time: 2021-09-01…2021-09-30 and 2022-06-01…2022-06-30"
        in result.stderr
    )
    assert "building-management" not in result.stderr


def test_analyse_and_replay_read_a_file_in_the_same_zone_and_say_which(tmp_path: Path) -> None:
    from patina.analyse import analyse_files
    from sensors_sim.replay import load_replay

    zone = "Asia/Ho_Chi_Minh"
    data = known_series("2025-01-01", 100, "1h")
    path = tmp_path / "local.csv"
    local = data.index.tz_convert(zone).strftime("%Y-%m-%d %H:%M")
    path.write_text(
        "Date;Temp;RH\n"
        + "".join(
            f"{s};{t};{h}\n" for s, t, h in zip(local, data["temperature_c"], data["rh_pct"], strict=True)
        )
    )
    feed, _ = load_replay(path, "s1", "site", "patina", zone)
    report = analyse_files([path], [], museum_timezone=zone)
    assert report["period"]["start"] == feed.readings.index[0].isoformat() == data.index[0].isoformat()
    assert report["file"]["timezone"] == zone and report["file"]["timezone_origin"] == "museum"
    # Without the museum's zone the report says UTC was assumed.
    assert analyse_files([path], [])["file"]["timezone_origin"] == "default"
    # The command takes the zone of the museum's config, as `patina replay` does.
    config = tmp_path / "museum.toml"
    example = (REPO_DIR / "museum.example.toml").read_text()
    config.write_text(example.replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Europe/Paris"'))
    result = run_analyse(str(path), "--config", str(config), "--json")
    report = json.loads(result.stdout)
    assert report["file"]["timezone"] == "Europe/Paris" and report["file"]["timezone_origin"] == "museum"
    expected = pd.Timestamp(local[0]).tz_localize("Europe/Paris").tz_convert("UTC").isoformat()
    assert report["period"]["start"] == expected
    assert "the museum's zone, from its config" in run_analyse(str(path), "--config", str(config)).stdout
