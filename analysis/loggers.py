"""Reading the climate files that stand-alone loggers export (SCIENCE.md, PAYLOADS.md).

:func:`read_logger_file` takes a CSV or XLSX file and returns a DataFrame indexed by UTC
time with ``temperature_c`` and ``rh_pct``, plus a :class:`LoggerFileInfo` that says what
was found and what was dropped. It understands, by their headers:

* plain CSV: ``timestamp,temperature_c,rh_pct`` (ISO 8601 times);
* HOBOware (Onset) CSV: a title line, then ``"#","Time, GMT+01:00","Temp, °C","RH, %"…``,
  US dates with AM/PM, ISO-8859-1, event-only rows (``Logged``, ``Coupler Attached``),
  °F when the header says so;
* Hanwell CSV: a preamble, then ``Time,Temperature (C),Humidity (RH(%)),`` with a trailing
  comma on every row, day-first dates;
* European semicolon files: ``dd-mm-yyyy HH:MM`` local times, decimal commas, whole-number
  RH, with the daylight-saving hour repeated in autumn and missing in spring;
* the same layouts saved as XLSX.

Times without an offset are read in the time zone the caller names (the museum's), with
repeated autumn hours resolved from the order of the rows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

#: Date formats tried in order; the first that reads (nearly) every row wins.
DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%y %I:%M:%S %p",  # HOBOware
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",     # Hanwell, UK
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M",        # European semicolon files
    "%d-%m-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)
_GMT_OFFSET = re.compile(r"GMT\s*([+-])\s*(\d{1,2}):?(\d{2})?", re.IGNORECASE)


class LoggerFileError(ValueError):
    """The file cannot be read as a climate record; the message says why."""


@dataclass
class LoggerFileInfo:
    """What :func:`read_logger_file` found."""

    layout: str
    encoding: str
    time_column: str
    temperature_column: str
    rh_column: str
    temperature_unit: str = "C"
    date_format: str = ""
    timezone: str = "UTC"
    rows_read: int = 0
    rows_without_values: int = 0
    rows_with_bad_time: int = 0
    duplicate_times: int = 0
    nonexistent_local_times: int = 0
    notes: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise LoggerFileError("the file is not text")  # pragma: no cover - latin-1 decodes anything


def _is_header(cells: list[str]) -> bool:
    text = " ".join(c.lower() for c in cells)
    has_time = any(word in text for word in ("time", "date", "zeit", "heure"))
    has_t = "temp" in text or "°c" in text or "°f" in text
    has_rh = "rh" in text or "humid" in text or "hum" in text or "feucht" in text
    return has_time and has_t and has_rh


def _pick(columns: list[str], *words: str, exclude: tuple[str, ...] = ()) -> str:
    for column in columns:
        lower = column.lower()
        if any(w in lower for w in words) and not any(x in lower for x in exclude):
            return column
    raise LoggerFileError(f"no column for {' / '.join(words)} among {columns}")


def _table_from_text(text: str) -> tuple[pd.DataFrame, str]:
    lines = text.splitlines()
    for number, line in enumerate(lines[:200]):
        delimiter = ";" if line.count(";") > line.count(",") else "\t" if "\t" in line else ","
        cells = next(csv.reader([line], delimiter=delimiter))
        if _is_header(cells):
            body = "\n".join(lines[number:])
            table = pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str, skipinitialspace=True,
                                keep_default_na=False, index_col=False)
            return table, delimiter
    raise LoggerFileError("no header line naming time, temperature and RH in the first 200 lines")


def _table_from_xlsx(path: Path) -> pd.DataFrame:
    sheet = pd.read_excel(path, header=None, dtype=object)
    for number, row in sheet.head(200).iterrows():
        cells = ["" if pd.isna(c) else str(c) for c in row.tolist()]
        if _is_header(cells):
            table = sheet.iloc[int(number) + 1:].copy()  # type: ignore[call-overload]
            table.columns = [c if c else f"column_{i}" for i, c in enumerate(cells)]
            return table.reset_index(drop=True)
    raise LoggerFileError("no header row naming time, temperature and RH in the first 200 rows")


def _numbers(values: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).str.strip()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text.replace({"": None}), errors="coerce")


def _parse_times(values: pd.Series) -> tuple[pd.Series, str]:
    if pd.api.types.is_datetime64_any_dtype(values) or values.map(
            lambda v: hasattr(v, "year")).all():
        return pd.to_datetime(values, errors="coerce"), "native"
    text = values.astype(str).str.strip()
    sample = text[text != ""].head(500)
    best: tuple[float, str] = (0.0, "")
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        share = float(parsed.notna().mean()) if len(sample) else 0.0
        if share > best[0]:
            best = (share, fmt)
        if share >= 0.99:
            break
    if best[0] < 0.5:
        raise LoggerFileError(f"cannot read the times (first value {sample.iloc[0]!r})"
                              if len(sample) else "no times in the file")
    return pd.to_datetime(text, format=best[1], errors="coerce"), best[1]


def _fixed_offset(header: str) -> timezone | None:
    match = _GMT_OFFSET.search(header)
    if not match:
        return None
    sign = 1 if match.group(1) == "+" else -1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * delta)


def _localise(times: pd.Series, zone: str, info: LoggerFileInfo) -> pd.Series:
    """Naive local times → UTC. Repeated autumn hours are told apart by the order of the
    rows; times that do not exist (the spring hour) are dropped and counted."""
    index = pd.DatetimeIndex(times)
    try:
        local = index.tz_localize(zone, ambiguous="infer", nonexistent="NaT")
    except Exception:
        local = index.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        info.notes.append("ambiguous autumn times could not be ordered and were dropped")
    dropped = int(local.isna().sum() - index.isna().sum())
    info.nonexistent_local_times = max(dropped, 0)
    return pd.Series(local.tz_convert("UTC"), index=times.index)


def read_logger_file(path: str | Path, timezone_name: str = "UTC") -> tuple[pd.DataFrame, LoggerFileInfo]:
    """Read a logger export. See the module docstring for the layouts.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt`` or ``.xlsx`` file.
    timezone_name : str
        IANA time zone of times written without an offset (the museum's).

    Returns
    -------
    readings : DataFrame
        Indexed by UTC time, sorted, without duplicate times; ``temperature_c`` (°C) and
        ``rh_pct`` (%).
    info : LoggerFileInfo
        The layout recognised and what was dropped.
    """
    file = Path(path)
    if not file.is_file():
        raise LoggerFileError(f"{file}: no such file")
    if file.suffix.lower() in (".xlsx", ".xlsm"):
        table = _table_from_xlsx(file)
        encoding, delimiter = "xlsx", ","
    else:
        text, encoding = _decode(file.read_bytes())
        table, delimiter = _table_from_text(text)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    time_column = _pick(columns, "time", "date", "zeit", "heure")
    temperature_column = _pick(columns, "temp", "°c", "°f")
    rh_column = _pick(columns, "rh", "humid", "hum", "feucht", exclude=("temp",))
    lower_t = temperature_column.lower()
    unit = "F" if ("°f" in lower_t or "(f)" in lower_t or lower_t.endswith(" f")) else "C"
    layout = ("hobo" if "gmt" in time_column.lower() and columns[0].strip() == "#"
              else "hanwell" if "humidity (rh" in rh_column.lower()
              else "semicolon" if delimiter == ";"
              else "xlsx" if encoding == "xlsx" else "plain")
    info = LoggerFileInfo(layout=layout, encoding=encoding, time_column=time_column,
                          temperature_column=temperature_column, rh_column=rh_column,
                          temperature_unit=unit, rows_read=len(table))

    decimal_comma = delimiter == ";"
    temperature = _numbers(table[temperature_column], decimal_comma)
    rh = _numbers(table[rh_column], decimal_comma)
    if unit == "F":
        temperature = (temperature - 32.0) * 5.0 / 9.0
    has_values = temperature.notna() | rh.notna()
    info.rows_without_values = int((~has_values).sum())

    times, info.date_format = _parse_times(table[time_column])
    info.rows_with_bad_time = int((times.isna() & has_values).sum())
    keep = has_values & times.notna()
    times, temperature, rh = times[keep], temperature[keep], rh[keep]

    offset = _fixed_offset(time_column)
    if getattr(times.dt, "tz", None) is not None:
        utc = times.dt.tz_convert("UTC")
        info.timezone = "from the file"
    elif offset is not None:
        utc = times.dt.tz_localize(offset).dt.tz_convert("UTC")
        info.timezone = f"UTC{offset.tzname(None)[3:] or '+00:00'} (header)"
    else:
        utc = _localise(times, timezone_name, info)
        info.timezone = timezone_name
    frame = pd.DataFrame({"temperature_c": temperature.to_numpy(float),
                          "rh_pct": rh.to_numpy(float)}, index=pd.DatetimeIndex(utc, name="time"))
    frame = frame[frame.index.notna()]
    frame = frame.sort_index(kind="stable")
    duplicated = frame.index.duplicated(keep="first")
    info.duplicate_times = int(duplicated.sum())
    frame = frame[~duplicated]
    if frame.empty:
        raise LoggerFileError(f"{file}: no readings with a time and a value")
    frame.index = frame.index.as_unit("ns")
    return frame, info


def find_gaps(index: pd.DatetimeIndex, factor: float = 3.0) -> pd.DataFrame:
    """Gaps in a record: steps longer than ``factor`` × the median step. Columns start,
    end, duration."""
    if len(index) < 3:
        return pd.DataFrame(columns=["start", "end", "duration"])
    steps = np.diff(index.as_unit("ns").asi8)
    median = np.median(steps)
    where = np.flatnonzero(steps > factor * median)
    return pd.DataFrame({"start": index[where], "end": index[where + 1],
                         "duration": pd.to_timedelta(steps[where], unit="ns")})
