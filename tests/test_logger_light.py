"""Logger files with light and UV, and the ugly layouts that used to be refused (issue 32).

The files in tests/fixtures/loggers/ are byte-faithful to layouts conservators export
(README there); each test checks Patina's reading against an independent reading of the
same bytes with pandas and NumPy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from museum.files.loggers import LoggerFileError, read_logger_file

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "loggers"


def analyse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patina", "analyse", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def analyse_json(*args: str) -> dict[str, Any]:
    result = analyse(*args, "--json")
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def trapezoid_lux_hours(times: pd.Series, lux: pd.Series) -> float:
    hours = (pd.to_datetime(times) - pd.to_datetime(times).iloc[0]) / pd.Timedelta(hours=1)
    return float(np.trapezoid(lux.to_numpy(float), x=hours.to_numpy(float)))


def test_a_tandd_export_with_lux_and_uv_gives_its_dose_and_its_climate() -> None:
    """Done when: lux hours equal an independent trapezoid of the lux column within 1 %,
    and the temperature and RH means are the file's."""
    path = FIXTURES / "tandd-tr74ui.csv"
    # Read independently: three header rows, Latin-1, the unnamed first column the time.
    raw = pd.read_csv(path, encoding="latin-1", skiprows=3, header=None)
    times, lux, uv_mw_cm2, t, rh = raw[0], raw[2], raw[3], raw[4], raw[5]
    report = analyse_json(str(path))
    light = report["light"]
    assert light["lux_hours"] == pytest.approx(trapezoid_lux_hours(times, lux), rel=0.01)
    assert report["statistics"]["temperature_c"]["mean"] == pytest.approx(t.mean(), abs=1e-9)
    assert report["statistics"]["rh_pct"]["mean"] == pytest.approx(rh.mean(), abs=1e-9)
    # UV per lumen of the light received: UV dose over light dose while lit (above 5 lx).
    lit = lux > 5
    uv_mw_m2 = uv_mw_cm2 * 10_000
    expected_uv = (
        1000
        * trapezoid_lux_hours(times, uv_mw_m2.where(lit, 0))
        / trapezoid_lux_hours(times, lux.where(lit, 0))
    )
    assert light["uv_uw_per_lm_mean"] == pytest.approx(expected_uv, rel=1e-9)
    assert light["hours_lit"] == pytest.approx(trapezoid_lux_hours(times, lit.astype(float)), rel=1e-9)
    info = report["file"]
    assert info["layout"] == "t&d" and info["rejected"] == 0 and info["rows_read"] == len(raw)
    assert {r["code"] for r in info["remarks"]} == {"unnamed_time_column", "cumulative_not_read"}
    assert (
        info["columns"]["illuminance"] == "No.1 ch1 (lx)"
        and info["columns"]["temperature"] == "No.1 ch3 (°C)"
    )


@pytest.mark.parametrize("language", ["en", "fr", "vi"])
def test_the_text_report_has_a_light_section_in_every_language(language: str) -> None:
    text = analyse(str(FIXTURES / "tandd-tr74ui.csv"), "--language", language).stdout
    title = {"en": "Light and UV", "fr": "Lumière et UV", "vi": "Ánh sáng và tia cực tím"}[language]
    assert title in text and "lx·h" in text and "µW/lm" in text and "CIE 157" in text


@pytest.mark.parametrize("garble", ["?C", "Â°C", "ºC", "â„ƒ", "deg C"])
def test_a_tandd_unit_cell_garbled_still_names_the_temperature(garble: str, tmp_path: Path) -> None:
    text = (FIXTURES / "tandd-garbled-unit.csv").read_bytes().decode("latin-1").replace(",?C,", f",{garble},")
    path = tmp_path / "garbled.csv"
    path.write_bytes(text.encode("utf-8"))
    record = next(iter(read_logger_file(path).sensors.values()))
    assert record.quantities == ["temperature", "rh", "illuminance", "uv"]
    raw = pd.read_csv(path, skiprows=3, header=None, encoding="utf-8")
    assert record.readings["temperature_c"].mean() == pytest.approx(raw[4].mean())


def test_a_unit_patina_does_not_know_is_named_in_the_report(tmp_path: Path) -> None:
    text = (FIXTURES / "tandd-garbled-unit.csv").read_bytes().decode("latin-1")
    text = text.replace(",?C,", ",xx,").replace(",lx,mW/cm2,", ",ly,ly,")
    path = tmp_path / "unknown-units.csv"
    path.write_bytes(text.encode("latin-1"))
    result = analyse(str(path))
    # Only RH is left: refused, naming what the file holds and the units not read.
    assert result.returncode == 1
    assert "holds RH only" in result.stderr and "'No.1 ch3': unit 'xx' not recognised" in result.stderr
    assert "building-management" not in result.stderr


def test_a_light_only_meaco_file_gives_a_light_report_per_transmitter() -> None:
    path = FIXTURES / "meaco-light.csv"
    raw = pd.read_csv(path)
    reports = analyse_json(str(path))["sensors"]
    assert set(reports) == set(raw["TRANSMITTER"])
    for name, report in reports.items():
        rows = raw[raw["TRANSMITTER"] == name]
        assert "statistics" not in report and report["climate_unavailable"] == ["illuminance", "uv"]
        assert report["light"]["lux_hours"] == pytest.approx(trapezoid_lux_hours(rows["DATE"], rows["LUX"]))
        # UV written without a unit is read as µW/lm, and said.
        assert {"code": "uv_unit_assumed", "header": "UV"} in report["file"]["remarks"]
        lit = rows["LUX"] > 5
        expected = trapezoid_lux_hours(
            rows["DATE"], (rows["UV"] * rows["LUX"]).where(lit, 0)
        ) / trapezoid_lux_hours(rows["DATE"], rows["LUX"].where(lit, 0))
        assert report["light"]["uv_uw_per_lm_mean"] == pytest.approx(expected, rel=1e-9)
    text = analyse(str(path), "--language", "fr").stdout
    assert "Pas de chiffres climatiques : le fichier contient lumière (éclairement), UV" in text
    assert "Exposition lumineuse" in text


def test_a_hobo_pendant_in_lumens_per_square_foot_and_fahrenheit() -> None:
    path = FIXTURES / "hobo-pendant-lumft2.csv"
    raw = pd.read_csv(path, skiprows=1, encoding="latin-1")
    raw = raw.dropna(subset=[raw.columns[3]])
    report = analyse_json(str(path))
    times = pd.to_datetime(raw.iloc[:, 1], format="%m/%d/%y %I:%M:%S %p")
    lux = raw.iloc[:, 3] / 0.3048**2
    assert report["light"]["lux_hours"] == pytest.approx(trapezoid_lux_hours(times, lux), rel=1e-9)
    assert any("lm/ft² → lx" in c for c in report["file"]["conversions"])
    assert report["climate_unavailable"] == ["temperature", "illuminance"]
    text = analyse(str(path)).stdout
    assert "No climate figures: the file holds temperature, light (illuminance)" in text


def test_a_temperature_only_file_says_what_it_holds_without_the_bms_hint(tmp_path: Path) -> None:
    text = (FIXTURES / "hobo-pendant-lumft2.csv").read_bytes().decode("latin-1")
    lines = [",".join(line.split(",")[:3] + line.split(",")[4:]) for line in text.splitlines()]
    lines[1] = lines[1].replace('"Intensity, lum/ft² (LGR S/N: 9948811, SEN S/N: 9948811)",', "")
    path = tmp_path / "temperature-only.csv"
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    result = analyse(str(path))
    assert result.returncode == 1 and "holds temperature only" in result.stderr
    assert "building-management" not in result.stderr


def test_hoboware_year_first_dates_with_a_two_digit_year() -> None:
    path = FIXTURES / "hoboware-ymd.csv"
    reading = read_logger_file(path)
    record = next(iter(reading.sensors.values()))
    assert reading.date_order == "year-month-day"
    # 24/07/20 10:00 at GMT+07:00 is 20 July 2024, 03:00 UTC; 40 days of hourly readings.
    assert record.readings.index[0] == pd.Timestamp("2024-07-20 03:00", tz="UTC")
    assert record.readings.index[-1] - record.readings.index[0] == pd.Timedelta(hours=24 * 40 - 1)
    # Day-first reads every date too but goes back in time: said, with how often.
    assert [o["order"] for o in reading.date_orders_set_aside] == ["day-month-year"]
    text = analyse(str(path)).stdout
    assert "Every date also reads as day-month-year, but times then go back" in text


def test_a_lascar_serial_number_on_the_first_row_is_no_sensor() -> None:
    path = FIXTURES / "lascar-easylog.csv"
    reading = read_logger_file(path)
    assert list(reading.sensors) == ["010538893"]
    record = reading.sensors["010538893"]
    raw = pd.read_csv(path, encoding="latin-1")
    assert len(record.readings) == len(raw)
    assert record.readings["rh_pct"].mean() == pytest.approx(raw["Humidity(%rh)"].mean())
    assert {"code": "written_once", "column": "6", "value": "010538893"} in reading.remarks
    result = analyse(str(path))
    assert result.returncode == 0 and "010538893" in result.stdout


def test_a_comma_header_over_tab_separated_decimal_comma_rows() -> None:
    path = FIXTURES / "comma-header-tab-data.txt"
    reading = read_logger_file(path)
    record = next(iter(reading.sensors.values()))
    raw = pd.read_csv(path, sep="\t", skiprows=1, header=None, decimal=",")
    assert reading.separator == "\t" and reading.decimal_marks == {"Temperature": ",", "RH": ","}
    assert record.readings["temperature_c"].mean() == pytest.approx(raw[2].mean())
    assert len(record.readings) == len(raw)


def test_a_file_holding_no_quantity_patina_reads_names_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "co2.csv"
    path.write_text(
        "Date/Time,CO2 (ppm),Pressure (hPa)\n2025-01-01 10:00,420,1013\n2025-01-01 10:10,421,1013\n"
    )
    with pytest.raises(LoggerFileError, match=r"the header names 'CO2 \(ppm\)', 'Pressure \(hPa\)'"):
        read_logger_file(path)
