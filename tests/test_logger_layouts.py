"""Every logger family of docs/loggers.md read back to the values written; several sensors never
merged; impossible values refused; a round trip through random layouts; a fuzzed reader."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from museum.files.loggers import LoggerFileError, read_logger_file, read_logger_files
from tests.logger_files import (
    known_series,
    write_archive,
    write_hanwell_rht,
    write_hanwell_sheet,
    write_hanwell_workbook,
    write_hobo,
    write_hobo_day_first,
    write_meaco,
    write_plain,
    write_rotronic,
    write_tandd,
    write_tinytag,
    write_trend,
    write_workbook,
)

ZONE = "Europe/Paris"
# 20 days at 30 min across the spring clock change (30 March 2025), past day 12 of a month.
DATA = known_series("2025-03-20", 48 * 20, "30min")


def write_family(family: str, folder: Path) -> list[Path]:
    writers = {
        "hoboware": lambda: write_hobo(folder / "hobo.csv", DATA),
        "hoboware-day-first": lambda: write_hobo_day_first(folder / "hobo-eu.csv", DATA),
        "hanwell-rht": lambda: write_hanwell_rht(folder / "hanwell.csv", DATA, ZONE),
        "hanwell-sheet": lambda: write_hanwell_sheet(folder / "hanwell-new.csv", DATA, ZONE),
        "hanwell-workbook": lambda: write_hanwell_workbook(folder / "hanwell-new.xlsx", DATA, ZONE),
        "rotronic": lambda: write_rotronic(folder / "rotronic.csv", DATA, ZONE),
        "tinytag": lambda: write_tinytag(folder / "tinytag.csv", DATA, ZONE),
        "t&d": lambda: write_tandd(folder / "tandd.csv", DATA, ZONE),
        "t&d-leading-column": lambda: write_tandd(folder / "tandd2.csv", DATA, ZONE, leading_empty=True),
        "archive-points": lambda: write_archive(folder / "archive-dk.csv", DATA, ZONE, "."),
        "archive-commas": lambda: write_archive(folder / "archive-fr.csv", DATA, ZONE, ","),
        "plain": lambda: write_plain(folder / "plain.csv", DATA),
    }
    if family == "trend":
        return list(write_trend(folder, DATA, ZONE))
    return [writers[family]()]


#: family → (layout recognised, temperature and RH precision as written)
FAMILIES = {
    "hoboware": ("hoboware", 5e-4, 0.05),
    "hoboware-day-first": ("hoboware", 5e-4, 0.05),
    "hanwell-rht": ("hanwell", 5e-3, 0.05),
    "hanwell-sheet": ("hanwell", 5e-3, 0.05),
    "hanwell-workbook": ("hanwell", 0, 0),
    "rotronic": ("rotronic", 5e-3, 0.05),
    "tinytag": ("tinytag", 5e-4, 0.05),
    "t&d": ("t&d", 0.05, 0.5),
    "t&d-leading-column": ("t&d", 0.05, 0.5),
    "trend": ("trend", 5e-3, 0.05),
    "archive-points": ("semicolon", 0.05, 0.5),
    "archive-commas": ("semicolon", 0.05, 0.5),
    "plain": ("plain", 0, 0),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_reads_back_the_readings_written(family: str, tmp_path: Path) -> None:
    layout, t_tol, rh_tol = FAMILIES[family]
    reading = read_logger_files(write_family(family, tmp_path), ZONE)
    assert reading.layout == layout
    assert len(reading.sensors) == 1
    record = next(iter(reading.sensors.values()))
    assert record.rejected == 0
    # Every reading at its own UTC instant, none lost at the clock change.
    np.testing.assert_array_equal(record.readings.index.asi8, DATA.index.as_unit("ns").asi8)
    np.testing.assert_allclose(record.readings["temperature_c"], DATA["temperature_c"], atol=t_tol + 1e-9)
    np.testing.assert_allclose(record.readings["rh_pct"], DATA["rh_pct"], atol=rh_tol + 1e-9)


def test_the_decimal_mark_is_decided_per_column_not_from_the_separator(tmp_path: Path) -> None:
    points = read_logger_file(write_archive(tmp_path / "dk.csv", DATA, ZONE, "."), ZONE)
    commas = read_logger_file(write_archive(tmp_path / "fr.csv", DATA, ZONE, ","), ZONE)
    assert points.separator == commas.separator == ";"
    assert points.decimal_marks == {"TEMP C": ".", "%RH": "none"}
    assert commas.decimal_marks == {"TEMP C": ",", "%RH": "none"}
    mean = DATA["temperature_c"].mean()
    for reading in (points, commas):
        assert next(iter(reading.sensors.values())).readings["temperature_c"].mean() == pytest.approx(
            mean, abs=0.05
        )


def test_an_archive_that_follows_daylight_saving_one_year_and_not_the_next(tmp_path: Path) -> None:
    # 2024: the logger's clock changed with Paris; 2025: left on winter time (UTC+1) all year.
    data = known_series("2024-01-01", 24 * 731, "1h")
    local = data.index.tz_convert(ZONE).tz_localize(None)
    fixed = (data.index + pd.Timedelta(hours=1)).tz_localize(None)
    stamps = np.where(
        data.index.year == 2024, local.strftime("%d-%m-%Y %H:%M"), fixed.strftime("%d-%m-%Y %H:%M")
    )
    path = tmp_path / "mixed.csv"
    path.write_text(
        "DATE AND TIME; TEMP C; %RH\n"
        + "".join(
            f"{s}; {t:.2f}; {rh:.1f}\n"
            for s, t, rh in zip(stamps, data["temperature_c"], data["rh_pct"], strict=True)
        )
    )
    record = next(iter(read_logger_file(path, ZONE).sensors.values()))
    assert record.standard_time_years == [2025]
    assert record.repeated_local_times == 2 and record.nonexistent_local_times == 0  # 2024's autumn hour
    assert record.duplicated_times == 0
    np.testing.assert_array_equal(record.readings.index.asi8, data.index.as_unit("ns").asi8)


def test_a_units_row_under_the_header_names_the_units(tmp_path: Path) -> None:
    path = tmp_path / "units-row.csv"
    path.write_text(
        "Date;Temperature;Humidity\n;°F;%\n"
        + "".join(
            f"{m.strftime('%d.%m.%Y %H:%M')};{t * 9 / 5 + 32:.3f};{rh:.1f}\n"
            for m, t, rh in zip(DATA.index, DATA["temperature_c"], DATA["rh_pct"], strict=True)
        )
    )
    reading = read_logger_file(path)
    record = next(iter(reading.sensors.values()))
    assert reading.conversions == ["Temperature: °F → °C"] and record.rejected == 0
    np.testing.assert_allclose(record.readings["temperature_c"], DATA["temperature_c"], atol=1e-3)


def test_date_and_time_in_two_columns_with_the_offset_on_the_time(tmp_path: Path) -> None:
    local = DATA.index.tz_convert("Etc/GMT-2")  # GMT+02:00
    path = tmp_path / "hobo-split.csv"
    path.write_text(
        '"Plot Title: case 9"\n"#","Date","Time, GMT+02:00","Temp, °C","RH, %"\n'
        + "".join(
            f"{n},{m.strftime('%m/%d/%y')},{m.strftime('%I:%M:%S %p')},{t},{rh}\n"
            for n, (m, t, rh) in enumerate(zip(local, DATA["temperature_c"], DATA["rh_pct"], strict=True))
        ),
        encoding="latin-1",
    )
    reading = read_logger_file(path)
    assert reading.timezone == "UTC+02:00" and reading.timezone_origin == "header"
    record = next(iter(reading.sensors.values()))
    np.testing.assert_array_equal(record.readings.index.asi8, DATA.index.as_unit("ns").asi8)


def test_day_first_dates_are_decided_from_the_whole_file(tmp_path: Path) -> None:
    # 15-minute readings from 1 February: the first 1,100 rows are all ambiguous (days 1–12).
    data = known_series("2025-02-01", 96 * 28, "15min")
    reading = read_logger_file(write_hobo_day_first(tmp_path / "hobo.csv", data))
    record = next(iter(reading.sensors.values()))
    assert reading.date_order == "day-month-year"
    assert record.rejected == 0 and len(record.readings) == len(data)


def test_when_both_date_orders_read_the_steady_interval_decides_and_it_is_said(tmp_path: Path) -> None:
    # Five days of 15-minute readings from 1 May: 05/01 … 05/06 read as day-first too (the
    # 5th of January … June, also increasing), but only month-first gives a steady interval.
    data = known_series("2026-05-01", 500, "15min")
    reading = read_logger_file(write_hobo(tmp_path / "hobo.csv", data))
    assert reading.date_order == "month-day-year"
    # Two-digit years read year first too: 05/01/26 is also 26 January 2005.
    assert set(reading.date_order_alternatives) == {"day-month-year", "year-month-day"}
    record = next(iter(reading.sensors.values()))
    np.testing.assert_array_equal(record.readings.index.asi8, data.index.as_unit("ns").asi8)
    text = run_analyse(str(tmp_path / "hobo.csv")).stdout
    line = next(line for line in text.splitlines() if "Every date also reads as" in line)
    assert "day-month-year" in line and "year-month-day" in line


def test_excel_serial_days_and_values_written_with_their_unit(tmp_path: Path) -> None:
    # A workbook column of serial days (not formatted as dates) and Tinytag-style values
    # that carry their unit.
    serial = (DATA.index.tz_localize(None) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    path = tmp_path / "serial.csv"
    path.write_text(
        "Time;Temperature;Humidity\n"
        + "".join(
            f"{d:.6f};{t * 9 / 5 + 32:.3f} °F;{rh:.1f} %RH\n"
            for d, t, rh in zip(serial, DATA["temperature_c"], DATA["rh_pct"], strict=True)
        ),
        encoding="cp1252",
    )
    reading = read_logger_file(path)
    record = next(iter(reading.sensors.values()))
    assert reading.date_format == "Excel serial day" and reading.conversions
    np.testing.assert_array_equal(record.readings.index.asi8, DATA.index.as_unit("ns").asi8)
    np.testing.assert_allclose(record.readings["temperature_c"], DATA["temperature_c"], atol=1e-3)
    np.testing.assert_allclose(record.readings["rh_pct"], DATA["rh_pct"], atol=1e-9)


def test_fahrenheit_and_kelvin_headers_are_converted_and_said(tmp_path: Path) -> None:
    fahrenheit = read_logger_file(write_hobo(tmp_path / "f.csv", DATA, fahrenheit=True))
    assert fahrenheit.conversions and "°F → °C" in fahrenheit.conversions[0]
    tinytag = read_logger_file(write_tinytag(tmp_path / "tt.csv", DATA, ZONE, fahrenheit=True), ZONE)
    assert tinytag.conversions == ["Temperature: °F → °C"]
    np.testing.assert_allclose(
        next(iter(tinytag.sensors.values())).readings["temperature_c"], DATA["temperature_c"], atol=1e-3
    )
    kelvin = tmp_path / "k.csv"
    kelvin.write_text(
        "time;T (K);RH (%)\n"
        + "".join(
            f"{m.isoformat()};{t + 273.15:.2f};{rh}\n"
            for m, t, rh in zip(DATA.index, DATA["temperature_c"], DATA["rh_pct"], strict=True)
        )
    )
    reading = read_logger_file(kelvin)
    assert reading.conversions == ["T (K): K → °C"]
    np.testing.assert_allclose(
        next(iter(reading.sensors.values())).readings["temperature_c"], DATA["temperature_c"], atol=5e-3
    )


# --- several sensors --------------------------------------------------------------------------------

SENSORS = {
    "Room 1": DATA,
    "Room 1 Case": known_series("2025-03-20", 48 * 20, "30min", seed=2),
    "External": known_series("2025-03-20", 24 * 20, "1h", seed=3) - 8,
}


def test_long_format_workbook_keeps_every_sensor_apart(tmp_path: Path) -> None:
    reading = read_logger_file(write_workbook(tmp_path / "loggers.xlsx", SENSORS, ZONE), ZONE)
    assert reading.sheet == "Data" and reading.other_sheets == ["Notes", "Psychrometrics"]
    assert set(reading.sensors) == set(SENSORS)
    for name, data in SENSORS.items():
        read = reading.sensors[name].readings
        np.testing.assert_array_equal(read.index.asi8, data.index.as_unit("ns").asi8)
        np.testing.assert_allclose(read["temperature_c"], data["temperature_c"])
        assert reading.sensors[name].duplicated_times == 0
    with pytest.raises(LoggerFileError, match="no sheet 'Sheet9'; sheets: Notes, Data, Psychrometrics"):
        read_logger_file(tmp_path / "loggers.xlsx", ZONE, sheet="Sheet9")


def test_meaco_transmitters_are_separate_sensors(tmp_path: Path) -> None:
    reading = read_logger_file(write_meaco(tmp_path / "meaco.csv", SENSORS))
    assert reading.layout == "meaco" and set(reading.sensors) == set(SENSORS)
    assert len(reading.sensors["External"].readings) == len(SENSORS["External"])


def test_a_wide_file_with_two_pairs_gives_two_sensors(tmp_path: Path) -> None:
    other = SENSORS["Room 1 Case"]
    path = tmp_path / "wide.csv"
    path.write_text(
        "Date/Time,Case A Temp (°C),Case A RH (%),Case B Temp (°C),Case B RH (%)\n"
        + "".join(
            f"{m.strftime('%d/%m/%Y %H:%M')},{a.temperature_c},{a.rh_pct},{b.temperature_c},{b.rh_pct}\n"
            for m, a, b in zip(DATA.index, DATA.itertuples(), other.itertuples(), strict=True)
        )
    )
    reading = read_logger_file(path)
    assert set(reading.sensors) == {"Case A", "Case B"}
    np.testing.assert_allclose(reading.sensors["Case B"].readings["rh_pct"], other["rh_pct"])
    one = json.loads(run_analyse(str(path), "--sensor", "Case A", "--json").stdout)
    columns = {"time": "Date/Time", "temperature": "Case A Temp (°C)", "rh": "Case A RH (%)"}
    assert one["file"]["columns"] == columns


def run_analyse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patina", "analyse", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_analyse_reports_each_sensor_on_its_own(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "loggers.xlsx", SENSORS, ZONE)
    result = run_analyse(str(path), "--timezone", ZONE, "--json")
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)["sensors"]
    assert set(reports) == set(SENSORS)
    assert reports["External"]["coverage"]["readings"] == len(SENSORS["External"])
    assert reports["External"]["statistics"]["temperature_c"]["mean"] == pytest.approx(
        SENSORS["External"]["temperature_c"].mean()
    )
    assert reports["Room 1"]["file"]["sheet"] == "Data"
    one = json.loads(run_analyse(str(path), "--timezone", ZONE, "--sensor", "Room 1 Case", "--json").stdout)
    assert "sensors" not in one and one["file"]["sensor"] == "Room 1 Case"
    text = run_analyse(str(path), "--timezone", ZONE, "--language", "fr").stdout
    assert "3 capteurs dans le fichier" in text
    assert "Feuille : Data (autres feuilles : Notes, Psychrometrics)" in text
    missing = run_analyse(str(path), "--sensor", "Room 9")
    assert missing.returncode == 1 and "no sensor 'Room 9'" in missing.stderr


def test_trend_files_are_joined_on_time(tmp_path: Path) -> None:
    t_path, rh_path = write_trend(tmp_path, DATA, ZONE)
    result = run_analyse(str(t_path), str(rh_path), "--timezone", ZONE, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["coverage"]["readings"] == len(DATA)
    assert report["statistics"]["rh_pct"]["mean"] == pytest.approx(DATA["rh_pct"].mean())
    alone = run_analyse(str(t_path), "--timezone", ZONE)
    assert alone.returncode == 1 and "give the temperature and the RH file together" in alone.stderr


# --- impossible values --------------------------------------------------------------------------------


def test_impossible_values_are_rejected_counted_and_shown(tmp_path: Path) -> None:
    lines = ["timestamp,temperature_c,rh_pct"]
    for n, (m, t, rh) in enumerate(zip(DATA.index, DATA["temperature_c"], DATA["rh_pct"], strict=True)):
        t = 299.0 if n in (3, 40) else t
        rh = -4.0 if n == 7 else 836.0 if n == 8 else rh
        lines.append(f"{m.isoformat()},{t},{'n/a' if n == 9 else rh}")
    path = tmp_path / "spiky.csv"
    path.write_text("\n".join(lines) + "\n")
    record = next(iter(read_logger_file(path).sensors.values()))
    assert record.rejected == 5
    assert record.rejected_reasons == {
        "unreadable_value": 1,
        "temperature_out_of_range": 2,
        "rh_out_of_range": 2,
    }
    assert record.first_rejected_rows == [5, 9, 10, 11, 42]  # file lines, header = line 1
    assert record.readings["temperature_c"].max() < 85 and record.readings["rh_pct"].max() <= 100
    text = run_analyse(str(path)).stdout
    assert "5 rejected" in text and "first rows: 5, 9, 10, 11, 42" in text


def test_a_file_mostly_impossible_fails_with_one_line(tmp_path: Path) -> None:
    # Temperatures written in tenths of a degree without a mark: 174 for 17.4 °C.
    path = tmp_path / "tenths.csv"
    path.write_text(
        "Date;Temp;RH\n"
        + "".join(
            f"{m.strftime('%d.%m.%Y %H:%M')};{round(t * 10)};{round(rh)}\n"
            for m, t, rh in zip(DATA.index, DATA["temperature_c"], DATA["rh_pct"], strict=True)
        )
    )
    result = run_analyse(str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (
        "impossible values" in result.stderr
        and "decimal mark or the column is probably misread" in result.stderr
    )


# --- round trip through random layouts -------------------------------------------------------------------

DATE_ORDERS = {"dmy": "%d{s}%m{s}%Y", "mdy": "%m{s}%d{s}%Y", "ymd": "%Y{s}%m{s}%d"}


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, object]:
    return {
        "separator": draw(st.sampled_from([",", ";", "\t"])),
        "decimal": draw(st.sampled_from([".", ","])),
        "order": draw(st.sampled_from(sorted(DATE_ORDERS))),
        "date_sep": draw(st.sampled_from(["/", "-", "."])),
        "clock": draw(st.sampled_from(["%H:%M:%S", "%H:%M", "%I:%M:%S %p"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])),
        "unit": draw(st.sampled_from(["C", "F", "K"])),
        "preamble": draw(st.integers(0, 3)),
        # The layout of the table itself: which columns, in which order, quoted or not.
        "split_date_time": draw(st.booleans()),
        "extra_columns": draw(st.booleans()),
        "column_order": draw(st.permutations(["time", "temperature", "rh"])),
        "quote_all": draw(st.booleans()),
        "seed": draw(st.integers(0, 10_000)),
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts())
def test_any_layout_round_trips(layout: dict[str, Any], tmp_path: Path) -> None:
    rng = np.random.default_rng(layout["seed"])
    # Every 6 h for 20 days: past day 12, so only one date order reads every date.
    index = pd.date_range("2024-01-03", periods=80, freq="6h", tz="UTC")
    t_c = np.round(rng.uniform(-30, 60, len(index)), 2)
    rh = np.round(rng.uniform(0, 100, len(index)), 1)
    unit = layout["unit"]
    written_t = {"C": t_c, "F": t_c * 9 / 5 + 32, "K": t_c + 273.15}[unit]
    header_unit = {"C": "°C", "F": "°F", "K": "K"}[unit]
    date_format = DATE_ORDERS[layout["order"]].format(s=layout["date_sep"])
    decimal = layout["decimal"]
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if layout["quote_all"] else csv.QUOTE_MINIMAL
    writer = csv.writer(out, delimiter=layout["separator"], lineterminator="\n", quoting=quoting)
    for n in range(layout["preamble"]):
        writer.writerow([f"Logger note {n}"])
    headers = {
        "time": ["Date", "Time"] if layout["split_date_time"] else ["Date and time"],
        "temperature": [f"Temperature ({header_unit})"],
        "rh": ["RH (%)"],
    }
    extra_headers = ["Dew point (°C)", "Battery (%)"] if layout["extra_columns"] else []
    writer.writerow([h for column in layout["column_order"] for h in headers[column]] + extra_headers)
    for moment, t, h in zip(index, written_t, rh, strict=True):
        cells = {
            "time": [moment.strftime(date_format), moment.strftime(layout["clock"])]
            if layout["split_date_time"]
            else [moment.strftime(f"{date_format} {layout['clock']}")],
            "temperature": [f"{t:.4f}".replace(".", decimal)],
            "rh": [f"{h:.1f}".replace(".", decimal)],
        }
        extra = ["12.5".replace(".", decimal), "97"] if layout["extra_columns"] else []
        writer.writerow([c for column in layout["column_order"] for c in cells[column]] + extra)
    path = tmp_path / "random.csv"
    path.write_bytes(out.getvalue().encode(layout["encoding"]))
    reading = read_logger_file(path)
    record = next(iter(reading.sensors.values()))
    assert len(reading.sensors) == 1
    np.testing.assert_array_equal(record.readings.index.asi8, index.as_unit("ns").asi8)
    np.testing.assert_allclose(record.readings["temperature_c"], t_c, atol=1e-3)
    np.testing.assert_allclose(record.readings["rh_pct"], rh, atol=1e-9)


# --- fuzz -------------------------------------------------------------------------------------------

_cells = st.one_of(
    st.sampled_from(
        [
            "Time",
            "Temp °C",
            "RH %",
            "Date",
            "Humidity",
            "[#D]",
            "[#H]",
            "Property",
            "Date/Time",
            "°C",
            "%",
            "",
            "#",
            "Sensor",
            "12/13/14 10:00",
            "2025-01-01",
            "1,5",
            "17.4",
            "-",
            "NaN",
            "1e309",
            "99999999999999999999",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=True).map(repr),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(_cells, max_size=6), max_size=30),
    separator=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_the_reader_never_raises_anything_but_a_reason(
    rows: list[list[str]], separator: str, encoding: str, tmp_path: Path
) -> None:
    text = "\n".join(separator.join(r) for r in rows)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    try:
        reading = read_logger_file(path, "Europe/Paris")
    except LoggerFileError as error:
        assert str(error).startswith(str(path))
    else:
        for record in reading.sensors.values():
            assert record.readings["temperature_c"].dropna().between(-40, 85).all()
            assert record.readings["rh_pct"].dropna().between(0, 100).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_random_bytes_give_a_reason(raw: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bytes.xlsx" if raw[:1] == b"P" else tmp_path / "bytes.csv"
    path.write_bytes(raw)
    with contextlib.suppress(LoggerFileError):
        read_logger_file(path)


def test_garbage_through_the_command_gives_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run_analyse(str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "workbook" in result.stderr
