"""Writers of logger exports in the layouts people have (docs/loggers.md), for the tests.

The files are made here from a known series, so a test can compare what Patina reads
with what was written. No third-party data is copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def known_series(start: str, periods: int, freq: str, zone: str = "UTC", seed: int = 1) -> pd.DataFrame:
    """A plausible record: diurnal and seasonal cycles plus noise, on a UTC index."""
    index = pd.date_range(start, periods=periods, freq=freq, tz=zone).tz_convert("UTC")
    hours = (index - index[0]) / pd.Timedelta(hours=1)
    rng = np.random.default_rng(seed)
    temperature = 24 + 5 * np.sin(2 * np.pi * hours / 8766) + 2 * np.sin(2 * np.pi * hours / 24)
    rh = (
        65
        + 12 * np.sin(2 * np.pi * hours / 8766 + 1)
        - 5 * np.sin(2 * np.pi * hours / 24)
        + rng.normal(0, 1.5, len(index))
    )
    return pd.DataFrame(
        {"temperature_c": np.round(temperature, 2), "rh_pct": np.round(np.clip(rh, 5, 99), 1)}, index=index
    )


def write_plain(path: Path, data: pd.DataFrame) -> Path:
    out = data.copy()
    out.index = out.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index_label="timestamp")
    return path


def write_hobo(path: Path, data: pd.DataFrame, fahrenheit: bool = False) -> Path:
    """HOBOware: title line, quoted header with the GMT offset, US dates with AM/PM,
    ISO-8859-1, event rows without values."""
    local = data.index.tz_convert("Etc/GMT-1")  # GMT+01:00
    unit = "°F" if fahrenheit else "°C"
    lines = [
        '"Plot Title: Vitrine 12"',
        f'"#","Time, GMT+01:00","Temp, {unit} (LGR S/N: 1234567, SEN S/N: 1234567)",'
        '"RH, % (LGR S/N: 1234567, SEN S/N: 1234567)","Coupler Detached (LGR S/N: 1234567)",'
        '"Coupler Attached (LGR S/N: 1234567)","Stopped (LGR S/N: 1234567)",'
        '"End Of File (LGR S/N: 1234567)"',
    ]
    for n, (moment, row) in enumerate(zip(local, data.itertuples(), strict=True), start=1):
        stamp = moment.strftime("%m/%d/%y %I:%M:%S %p")
        t = row.temperature_c * 9 / 5 + 32 if fahrenheit else row.temperature_c
        lines.append(f"{n},{stamp},{t:.3f},{row.rh_pct:.1f},,,,")
        if n == 3:
            lines.append(f"{n + 1000},{stamp},,,Logged,Logged,,")
    lines.append(f"{len(data) + 1},{local[-1].strftime('%m/%d/%y %I:%M:%S %p')},,,,,Logged,Logged")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def write_hanwell(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Hanwell: a preamble, then Time,Temperature (C),Humidity (RH(%)), with trailing commas,
    day-first local times."""
    local = data.index.tz_convert(zone)
    lines = [
        "Hanwell RL4000 export",
        "Site: Gallery 2",
        "Transmitter: 0042 Case 7",
        "",
        "Time,Temperature (C),Humidity (RH(%)),",
    ]
    lines += [
        f"{m.strftime('%d/%m/%Y %H:%M:%S')},{r.temperature_c:.2f},{r.rh_pct:.1f},"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_semicolon(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """European: dd-mm-yyyy HH:MM local times (DST hour repeated or missing), decimal
    commas, whole-number RH."""
    local = data.index.tz_convert(zone)
    lines = ["Date;Température (°C);Humidité relative (%)"]
    lines += [
        f"{m.strftime('%d-%m-%Y %H:%M')};{r.temperature_c:.1f}".replace(".", ",") + f";{round(r.rh_pct):d}"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path


# --- every family of docs/loggers.md ----------------------------


def write_hobo_day_first(path: Path, data: pd.DataFrame) -> Path:
    """HOBOware set to European dates: day-first, 24-hour clock, the GMT offset in the header."""
    local = data.index.tz_convert("Etc/GMT-1")
    lines = [
        '"Plot Title: Vitrine 3"',
        '"#","Date Time, GMT+01:00","Temp, °C (LGR S/N: 20011)","RH, % (LGR S/N: 20011)"',
    ]
    lines += [
        f"{n},{m.strftime('%d/%m/%y %H:%M:%S')},{r.temperature_c:.3f},{r.rh_pct:.1f}"
        for n, (m, r) in enumerate(zip(local, data.itertuples(), strict=True), start=1)
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def write_hanwell_rht(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Hanwell RHT export: labelled preamble lines separated by blank lines, then
    ``Time, Temperature (C),Humidity (RH(%)),``; times ``HH:MM:SS DD/Mon/YYYY``."""
    local = data.index.tz_convert(zone)
    lines = [
        "Database Valid",
        "",
        "Sensor:,Thermistor/RH",
        "Serial No:,104417",
        "",
        f"Data Starts:,{local[0].strftime('%H:%M %d/%b/%Y')}",
        f"No. of Readings:,{len(data)}",
        "",
        "Time, Temperature (C),Humidity (RH(%)),",
    ]
    lines += [
        f"{m.strftime('%H:%M:%S %d/%b/%Y')},{r.temperature_c:.2f},{r.rh_pct:.1f},"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def write_hanwell_sheet(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Hanwell's newer export: ``Exported Sensor Data``, start and end dates, then the
    sensor's name, type and serial above the columns."""
    local = data.index.tz_convert(zone)
    lines = [
        "Exported Sensor Data",
        f"Date Start:,{local[0].strftime('%d/%m/%Y %H:%M')}",
        f"Date End:,{local[-1].strftime('%d/%m/%Y %H:%M')}",
        "",
        "Sensor Name:,Gallery 4 Case 2",
        "Type:,Thermistor/RH",
        "Serial:,55012",
        "",
        "Date/Time,Temperature (°C),Humidity (%RH)",
    ]
    lines += [
        f"{m.strftime('%d/%m/%Y %H:%M:%S')},{r.temperature_c:.2f},{r.rh_pct:.1f}"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_hanwell_workbook(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Hanwell's newer export saved as a workbook: the same preamble rows, Excel dates and
    numbers in the cells."""
    from openpyxl import Workbook

    local = data.index.tz_convert(zone).tz_localize(None)
    book = Workbook()
    sheet = book.active
    sheet.title = "Sensor Data"
    for row in (
        ["Exported Sensor Data"],
        ["Date Start:", local[0].to_pydatetime()],
        ["Date End:", local[-1].to_pydatetime()],
        [],
        ["Sensor Name:", "Gallery 4 Case 2"],
        ["Type:", "Thermistor/RH"],
        ["Serial:", 55012],
        [],
        ["Date/Time", "Temperature (°C)", "Humidity (%RH)"],
    ):
        sheet.append(row)
    for moment, r in zip(local, data.itertuples(), strict=True):
        sheet.append([moment.to_pydatetime(), float(r.temperature_c), float(r.rh_pct)])
    book.save(path)
    return path


def write_rotronic(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Rotronic HygroLog: sections [#I] [#S] [#1] [#2] [#H] [#D]; day-first date and time in
    two columns; UTF-8 with a byte-order mark; trailing commas."""
    local = data.index.tz_convert(zone)
    lines = [
        "[#I]",
        "Device Type = HL-1D,,,",
        "Device Name = Store 3,,,",
        "[#S]",
        "Log Interval = 00:30:00,,,",
        "[#1]",
        "Humidity = %rh,,,",
        "Alarm High = 70,,,",
        "[#2]",
        "Temperature = °C,,,",
        "Alarm High = 30,,,",
        "[#H]",
        "Date,Time,Humidity,Temperature",
        "[#D]",
    ]
    lines += [
        f"{m.strftime('%d/%m/%Y')},{m.strftime('%H:%M:%S')},{r.rh_pct:.1f},{r.temperature_c:.2f},,"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_tinytag(path: Path, data: pd.DataFrame, zone: str, fahrenheit: bool = False) -> Path:
    """Tinytag: ``,Time,1,2`` then S/N, Type, Description, Property rows; data rows led by a
    running number; ``°`` in a legacy encoding; the unit in the probe's Type."""
    local = data.index.tz_convert(zone)
    unit = "°F" if fahrenheit else "°C"
    lines = [
        ",Time,1,2",
        "S/N,,661234,661234",
        f"Type,,TGU-4500 {unit},TGU-4500 %RH",
        "Description,,Archive 1,Archive 1",
        "Property,,Temperature,Humidity",
    ]
    lines += [
        f"{n},{m.strftime('%Y-%m-%d %H:%M:%S')},"
        f"{r.temperature_c * 9 / 5 + 32 if fahrenheit else r.temperature_c:.3f},{r.rh_pct:.1f}"
        for n, (m, r) in enumerate(zip(local, data.itertuples(), strict=True), start=1)
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def write_tandd(path: Path, data: pd.DataFrame, zone: str, leading_empty: bool = False) -> Path:
    """T&D: two header rows and a units row (only it tells temperature from RH); the
    second column an Excel serial day; quoted values; empty cells."""
    local = data.index.tz_convert(zone)
    lead = '"",' if leading_empty else ""
    lines = [
        lead + '"Date/Time","Date/Time","No.1","No.1","No.1"',
        lead + '"Date/Time","Date/Time","ch1","ch2","ch3"',
        lead + '"","","lx","°C","%"',
    ]
    epoch = pd.Timestamp("1899-12-30")
    for m, r in zip(local, data.itertuples(), strict=True):
        naive = m.tz_localize(None)
        serial = (naive - epoch) / pd.Timedelta(days=1)
        lines.append(
            lead + f'"{naive.strftime("%Y-%m-%d %H:%M:%S")}","{serial:.5f}","",'
            f'"{r.temperature_c:.1f}","{r.rh_pct:.0f}"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_trend(folder: Path, data: pd.DataFrame, zone: str) -> tuple[Path, Path]:
    """Trend BMS: one point per file, ``Timestamp,P0025_[Archive 2 Space Temp 1] (°C)``;
    times ``01-Sep-21 12:30:00 am``."""
    local = data.index.tz_convert(zone)
    stamps = [f"{m.strftime('%d-%b-%y %I:%M:%S')} {m.strftime('%p').lower()}" for m in local]
    t_path, rh_path = folder / "P0025_temperature.csv", folder / "P0026_rh.csv"
    t_path.write_text(
        "Timestamp,P0025_[Archive 2 Space Temp 1] (°C)\n"
        + "".join(f"{s},{v:.2f}\n" for s, v in zip(stamps, data["temperature_c"], strict=True)),
        encoding="utf-8",
    )
    rh_path.write_text(
        "Timestamp,P0026_[Archive 2 Space RH 1] (%RH)\n"
        + "".join(f"{s},{v:.1f}\n" for s, v in zip(stamps, data["rh_pct"], strict=True)),
        encoding="utf-8",
    )
    return t_path, rh_path


def write_meaco(path: Path, sensors: dict[str, pd.DataFrame]) -> Path:
    """Meaco radio loggers: RECEIVER,TRANSMITTER,DATE,TEMPERATURE,HUMIDITY, ISO times,
    several transmitters interleaved."""
    rows = []
    for name, data in sensors.items():
        for m, r in zip(data.index, data.itertuples(), strict=True):
            stamp = m.strftime("%Y-%m-%d %H:%M:%S")
            rows.append((m, f"Meaco 1,{name},{stamp},{r.temperature_c:.1f},{r.rh_pct:.1f}"))
    rows.sort(key=lambda item: item[0])
    path.write_text(
        "RECEIVER,TRANSMITTER,DATE,TEMPERATURE,HUMIDITY\n" + "\n".join(r for _, r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def write_archive(path: Path, data: pd.DataFrame, zone: str, decimal: str = ".") -> Path:
    """A semicolon archive file: ``DATE AND TIME; TEMP C; %RH`` with ``dd-mm-yyyy HH:MM`` local
    times; decimal points (Danish archives) or commas; whole-number RH carries no mark."""
    local = data.index.tz_convert(zone)
    lines = ["DATE AND TIME; TEMP C; %RH"]
    lines += [
        f"{m.strftime('%d-%m-%Y %H:%M')}; {r.temperature_c:.1f}".replace(".", decimal)
        + f"; {round(r.rh_pct):d}"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path


def write_workbook(path: Path, sensors: dict[str, pd.DataFrame], zone: str) -> Path:
    """A workbook as museums keep them: a notes sheet first, then long-format data of several
    sensors in one sheet (``Site, Sensor, Date, Temp, RH``), then a psychrometric table."""
    frames = []
    for name, data in sensors.items():
        frames.append(
            pd.DataFrame(
                {
                    "Site": "Museum",
                    "Sensor": name,
                    "Date": data.index.tz_convert(zone).tz_localize(None),
                    "Temp": data["temperature_c"].to_numpy(),
                    "RH": data["rh_pct"].to_numpy(),
                }
            )
        )
    long = pd.concat(frames).sort_values("Date", kind="stable")
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notes": ["Loggers checked 2024-03-01", "Case 2 resealed"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        long.to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame({"T": [10, 20], "RH at 10 g/m3": [106.8, 57.6]}).to_excel(
            writer, sheet_name="Psychrometrics", index=False
        )
    return path


def write_samples(folder: Path) -> dict[str, list[Path]]:
    """One small sample file of every family (20 days at 30 min across the spring clock
    change, Europe/Paris; the workbook and Meaco files hold three sensors), for trying
    `patina analyse` by hand: ``python -m tests.logger_files FOLDER``."""
    folder.mkdir(parents=True, exist_ok=True)
    zone = "Europe/Paris"
    data = known_series("2025-03-20", 48 * 20, "30min")
    three = {
        "Room 1": data,
        "Room 1 Case": known_series("2025-03-20", 48 * 20, "30min", seed=2),
        "External": known_series("2025-03-20", 24 * 20, "1h", seed=3) - 8,
    }
    faulty = folder / "archive-with-faults.csv"
    write_archive(faulty, data, zone, ".")
    lines = faulty.read_text(encoding="cp1252").splitlines()
    for n in (5, 200, 201, 640):  # a sensor fault: 299.9 °C and an RH of 836 %
        cells = lines[n].split("; ")
        lines[n] = "; ".join([cells[0], "299.9" if n % 2 else cells[1], "836" if n % 2 == 0 else cells[2]])
    faulty.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return {
        "HOBOware, US dates": [write_hobo(folder / "hoboware.csv", data)],
        "HOBOware, °F": [write_hobo(folder / "hoboware-fahrenheit.csv", data, fahrenheit=True)],
        "HOBOware, day-first": [write_hobo_day_first(folder / "hoboware-day-first.csv", data)],
        "Hanwell RHT": [write_hanwell_rht(folder / "hanwell-rht.csv", data, zone)],
        "Hanwell, newer export": [write_hanwell_sheet(folder / "hanwell-export.csv", data, zone)],
        "Hanwell, newer export (XLSX)": [write_hanwell_workbook(folder / "hanwell-export.xlsx", data, zone)],
        "Rotronic": [write_rotronic(folder / "rotronic.csv", data, zone)],
        "Tinytag": [write_tinytag(folder / "tinytag.csv", data, zone)],
        "T&D": [write_tandd(folder / "tandd.csv", data, zone)],
        "T&D, leading empty column": [write_tandd(folder / "tandd-lead.csv", data, zone, leading_empty=True)],
        "Trend, two files": list(write_trend(folder, data, zone)),
        "Meaco, 3 transmitters": [write_meaco(folder / "meaco.csv", three)],
        "semicolon archive, decimal points": [write_archive(folder / "archive-points.csv", data, zone, ".")],
        "semicolon archive, decimal commas": [write_archive(folder / "archive-commas.csv", data, zone, ",")],
        "semicolon archive, 4 faulty rows": [faulty],
        "plain CSV": [write_plain(folder / "plain.csv", data)],
        "workbook, long format, 3 sensors": [write_workbook(folder / "workbook.xlsx", three, zone)],
    }


if __name__ == "__main__":
    import sys

    for family, paths in write_samples(Path(sys.argv[1])).items():
        print(f"{family}: {' '.join(str(p) for p in paths)}")


# --- layouts of issue 32 -------------------------------------------------------------------------


def write_rotronic_hw4(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Rotronic HW4 as its software writes it: ``[#I]Device Description`` with the
    description alone on the next line, ``[#S]Device Information`` with ``key = value``
    lines, one ``[#n]`` block per channel, ``[#H]`` with the header then an empty row, ``[#D]``;
    every line padded with commas; day-first dates."""
    local = data.index.tz_convert(zone)
    lines = [
        "[#I]Device Description,,,",
        "Arch1  ,,,",
        ",,,",
        "[#S]Device Information,,,",
        "Version = V2.2-2,,,",
        "Serial Number = A00000000,,,",
        "Log Interval = 12:00:00,,,",
        ",,,",
        "[#1],,,",
        "Humidity = %rh,,,",
        "High Alarm Threshold = 60,,,",
        ",,,",
        "[#2],,,",
        "Temperature = °C,,,",
        "High Alarm Threshold = 25,,,",
        ",,,",
        "[#H],,,",
        "Date,Time,Humidity,Temperature",
        ",,,",
        "[#D],,,",
    ]
    lines += [
        f"{m.strftime('%d/%m/%Y')},{m.strftime('%H:%M:%S')},{r.rh_pct:g},{r.temperature_c:g}"
        for m, r in zip(local, data.itertuples(), strict=True)
    ]
    path.write_bytes(("\n".join(lines)).encode("utf-8"))
    return path
