"""One normaliser for every layout: from a grid and a :class:`TableSpec` to readings per
sensor, in °C and % RH on a UTC index, with every decision and every rejected row said.

Decisions taken from the whole column, never from its first rows:

* decimal mark, per column, from all its values (the separator says nothing about it);
* date format and order: the format under which the most times parse; among equals, the
  one under which times increase (day-first and month-first read 12 days a month alike);
* units: °F and K converted to °C, and said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from museum.files.loggers.layouts import Channel, TableSpec
from museum.files.loggers.source import LoggerFileError, Sheet
from museum.storage.schema import RH_RANGE_PCT, TEMPERATURE_RANGE_C

#: Why a row is rejected: code → English text (the report translates the codes).
REASONS = {
    "unreadable_value": "a value that is not a number",
    "unreadable_time": "a time that cannot be read",
    "temperature_out_of_range": "temperature outside {:g}…{:g} °C".format(*TEMPERATURE_RANGE_C),
    "rh_out_of_range": "RH outside {:g}–{:g} %".format(*RH_RANGE_PCT),
}
#: Rejected row numbers kept for the report.
FIRST_ROWS_SHOWN = 5

_NUMBER = re.compile(
    r"^\s*([-+−]?)\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*(°\s*[CFK]|℃|℉|%\s*RH|%rh|%)?\s*$", re.IGNORECASE
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")
_OFFSET = re.compile(r"(?:Z|[+-][0-9][0-9]:?[0-9][0-9])$")

_DATES = [
    f"{a}{s}{b}{s}{c}"
    for s in "/-."
    for a, b, c in (
        ("%d", "%m", "%Y"),
        ("%m", "%d", "%Y"),
        ("%d", "%m", "%y"),
        ("%m", "%d", "%y"),
        ("%Y", "%m", "%d"),
        ("%d", "%b", "%Y"),
        ("%d", "%b", "%y"),
    )
] + ["%d %b %Y", "%d %B %Y", "%b %d %Y", "%Y%m%d"]
_TIMES = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S.%f", "%H.%M"]
#: Every date and time layout tried: date then time, time then date (Hanwell), date alone.
TIME_FORMATS = (
    ["ISO8601"]
    + [f"{d} {t}" for d in _DATES for t in _TIMES]
    + [f"{t} {d}" for d in _DATES for t in _TIMES]
    + _DATES
)


@dataclass
class SensorRecord:
    """The readings of one sensor and what was done to get them."""

    name: str
    readings: pd.DataFrame  # UTC index "time"; temperature_c, rh_pct (NaN where absent)
    columns: dict[str, str]  # quantity -> header of the column read
    rows_read: int = 0
    rows_without_values: int = 0
    rejected: int = 0
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    first_rejected_rows: list[int] = field(default_factory=list)
    duplicated_times: int = 0
    repeated_local_times: int = 0
    nonexistent_local_times: int = 0
    #: Years in which the logger's clock stayed on standard time (see :func:`localise`).
    standard_time_years: list[int] = field(default_factory=list)


@dataclass
class FileReading:
    """What a file held and every assumption made reading it."""

    path: str
    layout: str
    encoding: str
    separator: str
    sheet: str
    other_sheets: list[str]
    decimal_marks: dict[str, str]
    date_format: str
    date_order: str
    timezone: str
    timezone_origin: str  # "file", "header", "option" or "default"
    conversions: list[str]
    rows_read: int
    sensors: dict[str, SensorRecord]
    notes: list[str] = field(default_factory=list)
    #: Other date orders under which every date read and times increased as well: the
    #: choice then rests on the shortest span, and the report says so.
    date_order_alternatives: list[str] = field(default_factory=list)
    #: Files joined on time into this reading (a BMS's temperature and RH files), else 1.
    files_joined: int = 1

    def assumptions(self, sensor: str) -> dict[str, Any]:
        """Plain data for the report of one sensor: file-wide decisions and the sensor's counts."""
        record = self.sensors[sensor]
        return {
            "path": self.path,
            "layout": self.layout,
            "encoding": self.encoding,
            "separator": self.separator,
            "sheet": self.sheet,
            "other_sheets": self.other_sheets,
            "decimal_marks": self.decimal_marks,
            "date_format": self.date_format,
            "date_order": self.date_order,
            "date_order_alternatives": self.date_order_alternatives,
            "files_joined": self.files_joined,
            "timezone": self.timezone,
            "timezone_origin": self.timezone_origin,
            "conversions": self.conversions,
            "sensor": record.name,
            "sensors_in_file": list(self.sensors),
            "columns": record.columns,
            "rows_read": record.rows_read,
            "rows_without_values": record.rows_without_values,
            "rejected": record.rejected,
            "rejected_reasons": record.rejected_reasons,
            "first_rejected_rows": record.first_rejected_rows,
            "duplicated_times": record.duplicated_times,
            "repeated_local_times": record.repeated_local_times,
            "nonexistent_local_times": record.nonexistent_local_times,
            "standard_time_years": record.standard_time_years,
            "notes": self.notes,
        }


# --- numbers -------------------------------------------------------------------------------------


def parse_numbers(cells: pd.Series) -> tuple[pd.Series, str, pd.Series, str]:
    """Numbers of one column: values (NaN where empty or unreadable), the decimal mark
    decided from all values (``"."``, ``","`` or ``"none"`` for whole numbers), a mask of
    unreadable non-empty cells, and a unit written beside the values (``""`` if none)."""
    text = cells.fillna("").astype(str).str.strip()
    empty = text == ""
    commas = text.str.contains(",", regex=False)
    points = text.str.contains(".", regex=False)
    mark = "," if commas.sum() > points.sum() else "." if points.any() else "none"
    # A comma in a point-decimal column is not a decimal mark: those cells are refused.
    normal = text.str.replace(",", ".", regex=False) if mark == "," else text.where(~commas, "x")
    try:
        # The common case, every cell a plain number or empty: a vectorised cast.
        values = normal.where(~empty).astype("float64")
    except (ValueError, TypeError):
        values = pd.to_numeric(normal, errors="coerce")
    unit = ""
    slow = values.isna() & ~empty & ~(commas & (mark == "."))
    if slow.any():
        # Values with a unit beside them, a Unicode minus or spaces: read one by one.
        parts = text[slow].str.extract(_NUMBER)
        body = (
            parts[1].str.replace(",", ".", regex=False)
            if mark == ","
            else parts[1].where(~parts[1].str.contains(",", regex=False).fillna(False))
        )
        more = pd.to_numeric(body, errors="coerce")
        more = more.where(~parts[0].isin(["-", "−"]), -more)
        values = values.astype(float)
        values[slow] = more
        units = parts[2].dropna().str.replace(" ", "").str.upper()
        unit = str(units.mode().iloc[0]) if len(units) else ""
    bad = values.isna() & ~empty
    return values.astype(float), mark, bad, unit


# --- times ---------------------------------------------------------------------------------------


_DIRECTIVES = {
    "%d": r"\d{1,2}",
    "%m": r"\d{1,2}",
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%H": r"\d{1,2}",
    "%I": r"\d{1,2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
    "%p": r"[ap]\.?m\.?",
    "%b": r"[^\W\d_]{3,4}\.?",
    "%B": r"[^\W\d_]+",
    "%f": r"\d{1,9}",
}


@cache
def _shape(fmt: str) -> re.Pattern[str]:
    """A quick regular expression for a strptime format, to rule formats out before the
    (slower) exact parse."""
    pattern = re.sub(r"%[a-zA-Z]|[^%]+", lambda m: _DIRECTIVES.get(m.group(0), re.escape(m.group(0))), fmt)
    return re.compile(f"^{pattern}$", re.IGNORECASE)


def _strptime_ok(fmt: str, values: list[str]) -> bool:
    if fmt == "ISO8601":
        return all(_ISO.match(v) for v in values)
    shape = _shape(fmt)
    if not all(shape.match(v) for v in values):
        return False
    try:
        for v in values:
            datetime.strptime(v, fmt)
    except ValueError:
        return False
    return True


#: Times written as Excel serial days (days since 1899-12-30, the fraction the time of day).
EXCEL_SERIAL = "Excel serial day"
#: Serial days Patina accepts as times: 1954 to 2119.
EXCEL_SERIAL_RANGE = (20_000.0, 80_000.0)


def _excel_serials(values: list[str]) -> bool:
    try:
        numbers = [float(v.replace(",", ".")) for v in values]
    except ValueError:
        return False
    low, high = EXCEL_SERIAL_RANGE
    return bool(numbers) and all(low <= n <= high for n in numbers)


def date_order(fmt: str) -> str:
    if fmt == EXCEL_SERIAL:
        return "Excel serial day"
    if fmt == "ISO8601":
        return "year-month-day (ISO 8601)"
    positions = sorted(
        (fmt.find(d), name)
        for d, name in (
            ("%d", "day"),
            ("%m", "month"),
            ("%b", "month"),
            ("%B", "month"),
            ("%Y", "year"),
            ("%y", "year"),
        )
        if d in fmt
    )
    return "-".join(name for _, name in positions) or "unknown"


_NUMERIC_DIRECTIVES = {
    "%d": "day",
    "%m": "month",
    "%Y": "year",
    "%y": "year2",
    "%H": "hour",
    "%M": "minute",
    "%S": "second",
}


def _fixed_width(text: pd.Series, fmt: str) -> pd.Series | None:
    """Times of a numeric, zero-padded format (every value the same length) rewritten as
    ISO 8601 by slicing, which pandas parses in C: several times faster than strptime on
    a long archive. None when the format or the values do not allow it."""
    directives = re.findall(r"%.", fmt)
    if not directives or any(d not in _NUMERIC_DIRECTIVES for d in directives):
        return None
    filled = text[text != ""]
    lengths = filled.str.len()
    if filled.empty or lengths.min() != lengths.max():
        return None
    pattern = re.sub(
        r"%[a-zA-Z]|[^%]+",
        lambda m: (
            f"(?P<{_NUMERIC_DIRECTIVES[m.group(0)]}>\\d{{{4 if m.group(0) == '%Y' else 2}}})"
            if m.group(0) in _NUMERIC_DIRECTIVES
            else re.escape(m.group(0))
        ),
        fmt,
    )
    match = re.fullmatch(pattern, filled.iloc[0])
    if match is None:
        return None
    part = {name: filled.str.slice(match.start(name), match.end(name)) for name in match.groupdict()}
    if "year2" in part:
        # strptime's pivot: 00–68 are 2000–2068, 69–99 are 1969–1999.
        two = part.pop("year2")
        part["year"] = ("20" + two).where(two < "69", "19" + two)
    if not {"year", "month", "day"} <= set(part):
        return None
    iso = (
        part["year"]
        + "-"
        + part["month"]
        + "-"
        + part["day"]
        + "T"
        + part.get("hour", "00")
        + ":"
        + part.get("minute", "00")
        + ":"
        + part.get("second", "00")
    )
    parsed = pd.to_datetime(iso, format="ISO8601", errors="coerce")
    return parsed.reindex(text.index)


def parse_times(texts: pd.Series) -> tuple[pd.Series, str, bool, list[str]]:
    """Times of a column: values (naive, or UTC when the file writes offsets), the format
    chosen, whether the file wrote UTC offsets, and the other date orders that read the
    file equally well (empty when the order is certain).

    The format is the one under which the most times parse; among equals, the one under
    which the times increase most often; among equals still, the one that spans the least
    time (five days of 15-minute readings written 05/01 … 05/06 are 1–6 May, not the 5th
    of six months: both read and increase, only one is a logger's steady interval)."""
    text = texts.fillna("").astype(str).str.strip()
    if (text.str.contains("  ", regex=False) | text.str.contains("\t", regex=False)).any():
        text = text.str.replace(r"\s+", " ", regex=True)
    filled = text[text != ""]
    if filled.empty:
        raise LoggerFileError("no times in the time column")
    spread = filled.iloc[np.linspace(0, len(filled) - 1, min(len(filled), 60)).astype(int)]
    sample = list(dict.fromkeys([*filled.head(20), *spread]))
    candidates = [f for f in TIME_FORMATS if _strptime_ok(f, sample)]
    if not candidates:
        # Some values are broken (a note typed into the time column): keep the formats that
        # read most of the sample, the best first.
        counts = {f: sum(_strptime_ok(f, [v]) for v in sample) for f in TIME_FORMATS}
        candidates = sorted(
            (f for f, n in counts.items() if n >= 0.5 * len(sample)), key=lambda f: -counts[f]
        )[:8]
    if not candidates and _excel_serials(sample):
        candidates = [EXCEL_SERIAL]
    if not candidates:
        raise LoggerFileError(f"cannot read the times (for example {filled.iloc[0]!r})")
    has_offset = bool(filled.str.contains(_OFFSET.pattern, regex=True).any()) and "ISO8601" in candidates
    scored: list[tuple[tuple[float, float, int], str, pd.Series]] = []
    for fmt in candidates:
        if fmt == EXCEL_SERIAL:
            days = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            parsed = (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).dt.round("s")
        elif fmt == "ISO8601":
            parsed = pd.to_datetime(
                text.str.replace(" ", "T", n=1), format="ISO8601", errors="coerce", utc=has_offset
            )
        else:
            parsed = _fixed_width(text, fmt)
            if parsed is None:
                parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        share = float(parsed[text != ""].notna().mean())
        steps = pd.DatetimeIndex(parsed.dropna()).as_unit("ns").asi8
        increasing = float((np.diff(steps) >= 0).mean()) if len(steps) > 1 else 1.0
        span = int(steps.max() - steps.min()) if len(steps) else 0
        scored.append(((round(share, 4), round(increasing, 4), -span), fmt, parsed))
    scored.sort(key=lambda item: item[0], reverse=True)
    (share, increasing, _), fmt, parsed = scored[0]
    if share < 0.5:
        raise LoggerFileError(f"cannot read the times (for example {filled.iloc[0]!r})")
    chosen = date_order(fmt).split(" (")[0]
    alternatives = list(
        dict.fromkeys(
            date_order(f).split(" (")[0]
            for key, f, _ in scored[1:]
            if key[:2] == (share, increasing) and date_order(f).split(" (")[0] != chosen
        )
    )
    return parsed, fmt, has_offset and fmt == "ISO8601", alternatives


def _standard_offset(zone: ZoneInfo, year: int) -> timedelta:
    """The zone's standard-time offset in a year: the smaller of midwinter's and
    midsummer's, whichever hemisphere."""
    offsets = [zone.utcoffset(datetime(year, month, 15)) for month in (1, 7)]
    return min(o for o in offsets if o is not None)


def localise(naive: pd.Series, zone: str) -> tuple[pd.Series, int, int, list[int]]:
    """Local wall-clock times → UTC, with the counts of repeated and non-existent times and
    the years in which the clock was kept on standard time.

    A repeated autumn hour is read as summer time the first time a wall-clock time appears
    and as winter time after. A time in the spring gap cannot have been written by a clock
    that changed: it is read with the offset in force before the change, never dropped. A
    year with times in the spring gap and no repeated autumn hour is a logger left on
    standard time all year (docs/loggers.md: a fixed offset that merely looks local; a file
    may mix both over the years): all its times are read with the standard offset."""
    index = pd.DatetimeIndex(naive)
    valid = ~np.asarray(index.isna())
    probe = index.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    nonexistent_mask = (
        np.asarray(index.tz_localize(zone, ambiguous=np.ones(len(index), bool), nonexistent="NaT").isna())
        & valid
    )
    ambiguous_mask = np.asarray(probe.isna()) & ~nonexistent_mask & valid
    first_seen = ~pd.Series(index).where(ambiguous_mask).duplicated(keep="first").to_numpy()
    is_summer = np.where(ambiguous_mask, first_seen, True)
    local = index.tz_localize(zone, ambiguous=is_summer, nonexistent=pd.Timedelta(hours=1))
    utc = pd.Series(local.tz_convert("UTC"), index=naive.index)
    years = np.asarray(index.year)
    repeated = ambiguous_mask & ~first_seen
    standard_years = [int(y) for y in np.unique(years[nonexistent_mask]) if not repeated[years == y].any()]
    in_standard = np.isin(years, standard_years) & valid
    if in_standard.any():
        info = ZoneInfo(zone)
        offsets = pd.to_timedelta([_standard_offset(info, int(y)) for y in years[in_standard]])
        fixed = (index[in_standard] - offsets).tz_localize("UTC")
        utc.iloc[np.flatnonzero(in_standard)] = fixed
    return (
        utc,
        int((ambiguous_mask & ~in_standard).sum()),
        int((nonexistent_mask & ~in_standard).sum()),
        standard_years,
    )


# --- the normaliser ------------------------------------------------------------------------------


def _convert(values: pd.Series, unit: str) -> pd.Series:
    if unit == "F":
        return (values - 32.0) * 5.0 / 9.0
    if unit == "K":
        return values - 273.15
    return values


def _unit_from_suffix(suffix: str, fallback: str) -> str:
    if suffix in ("°F", "℉"):
        return "F"
    if suffix in ("°K", "K"):
        return "K"
    return fallback


def normalise(
    sheet: Sheet, spec: TableSpec, path: str, timezone_name: str | None, default_name: str = "sensor"
) -> FileReading:
    """Readings per sensor from a recognised sheet. ``timezone_name`` (None: not given)
    applies to times written without an offset."""
    rows = sheet.rows[spec.data_start : spec.data_end]
    if not rows:
        raise LoggerFileError("the table has a header but no rows")
    needed = sorted({*spec.time_columns, *(c.column for c in spec.channels), *spec.sensor_columns})
    # Only the columns read are built: a long archive has 100,000 rows.
    table = pd.DataFrame(
        {i: pd.Series([r[i] if i < len(r) else "" for r in rows], dtype="str").str.strip() for i in needed}
    )
    # File row numbers (1-based) as a person finds them in a spreadsheet or editor.
    table.index = np.arange(spec.data_start + 1, spec.data_start + 1 + len(table))
    table = table[(table != "").any(axis=1)]
    # Sectioned files (Rotronic) may close with a marker row.
    table = table[~table[spec.time_columns[0]].astype(str).str.startswith("[#")]
    if table.empty:
        raise LoggerFileError("the table has a header but no rows")

    if len(spec.time_columns) == 2:
        time_text = table[spec.time_columns[0]].astype(str) + " " + table[spec.time_columns[1]].astype(str)
    else:
        time_text = table[spec.time_columns[0]].astype(str)

    marks: dict[str, str] = {}
    conversions: list[str] = []
    values: dict[int, pd.Series] = {}
    unreadable: dict[int, pd.Series] = {}
    for channel in spec.channels:
        numbers, mark, bad, suffix = parse_numbers(table[channel.column])
        unit = _unit_from_suffix(suffix, channel.unit) if channel.quantity == "temperature" else "%"
        if unit != "C" and channel.quantity == "temperature":
            conversions.append(
                f"{channel.header}: °{unit} → °C" if unit == "F" else f"{channel.header}: K → °C"
            )
        values[channel.column] = _convert(numbers, unit)
        unreadable[channel.column] = bad
        marks[channel.header] = mark

    has_time = time_text.str.strip() != ""
    parsed, time_format, has_offset, other_orders = parse_times(time_text.where(has_time, ""))

    if spec.sensor_columns:
        identity = table[list(spec.sensor_columns)].astype(str)
        varying = [c for c in identity.columns if identity[c].nunique() > 1]
        keys = (
            identity[varying].agg(" · ".join, axis=1)
            if varying
            else pd.Series(" · ".join(identity.iloc[0]) or spec.name, index=table.index)
        )
    else:
        keys = pd.Series("", index=table.index)
    by_sensor: dict[str, list[Channel]] = {}
    for channel in spec.channels:
        by_sensor.setdefault(channel.sensor, []).append(channel)

    zone, origin = timezone_name or "UTC", ("option" if timezone_name else "default")
    if has_offset:
        # Name the offsets themselves (language-neutral): "UTC+01:00, UTC+02:00".
        found = time_text.str.extract(f"({_OFFSET.pattern})")[0].dropna().unique()[:4]
        zone = ", ".join(sorted({"UTC" if o == "Z" else f"UTC{o[:3]}:{o[-2:]}" for o in found}))
        origin = "file"
    elif spec.utc_offset:
        zone, origin = f"UTC{spec.utc_offset}", "header"

    sensors: dict[str, SensorRecord] = {}
    total_rejected = total_with_values = 0
    reasons_all: dict[str, int] = {}
    for group_name, channels in by_sensor.items():
        for key in keys.unique() if spec.sensor_columns else [""]:
            rows_of = keys == key if spec.sensor_columns else pd.Series(True, index=table.index)
            name = key or group_name or spec.name or default_name
            if group_name and key:
                name = f"{key} · {group_name}"
            record, rejected, with_values, reasons = _sensor(
                name,
                table.index[rows_of.to_numpy()],
                channels,
                values,
                unreadable,
                parsed,
                has_time,
                has_offset,
                spec.utc_offset,
                timezone_name,
                spec.time_header,
            )
            sensors[name] = record
            total_rejected += rejected
            total_with_values += with_values
            for reason, count in reasons.items():
                reasons_all[reason] = reasons_all.get(reason, 0) + count
    if total_with_values and total_rejected > 0.5 * total_with_values:
        commonest = REASONS[max(reasons_all, key=lambda r: reasons_all[r])]
        read_as = ", ".join(f"{h!r} with decimal mark {m!r}" for h, m in marks.items())
        raise LoggerFileError(
            f"{100 * total_rejected / total_with_values:.0f} % of the rows hold impossible values "
            f"(commonest: {commonest}); the decimal mark or the column is probably misread "
            f"(read {read_as})"
        )
    if all(r.readings.empty for r in sensors.values()):
        raise LoggerFileError("no readings with a time and a value")
    return FileReading(
        path=path,
        layout=spec.layout,
        encoding=sheet.encoding,
        separator=sheet.separator,
        sheet=sheet.name,
        other_sheets=sheet.others,
        decimal_marks=marks,
        date_format=time_format,
        date_order=date_order(time_format),
        timezone=zone,
        timezone_origin=origin,
        conversions=conversions,
        rows_read=len(table),
        sensors={k: v for k, v in sensors.items() if not v.readings.empty},
        notes=spec.notes,
        date_order_alternatives=other_orders,
    )


def _sensor(
    name: str,
    rows: pd.Index,
    channels: list[Channel],
    values: dict[int, pd.Series],
    unreadable: dict[int, pd.Series],
    parsed: pd.Series,
    has_time: pd.Series,
    has_offset: bool,
    utc_offset: str | None,
    timezone_name: str | None,
    time_header: str,
) -> tuple[SensorRecord, int, int, dict[str, int]]:
    temperature = next(
        (values[c.column].loc[rows] for c in channels if c.quantity == "temperature"),
        pd.Series(np.nan, index=rows),
    )
    rh = next(
        (values[c.column].loc[rows] for c in channels if c.quantity == "rh"), pd.Series(np.nan, index=rows)
    )
    bad_cell = pd.Series(False, index=rows)
    for c in channels:
        bad_cell |= unreadable[c.column].loc[rows]
    with_values = temperature.notna() | rh.notna() | bad_cell
    times = parsed.loc[rows]
    low_t, high_t = TEMPERATURE_RANGE_C
    low_rh, high_rh = RH_RANGE_PCT
    checks = [
        ("unreadable_value", bad_cell),
        ("unreadable_time", with_values & times.isna()),
        ("temperature_out_of_range", (temperature < low_t) | (temperature > high_t)),
        ("rh_out_of_range", (rh < low_rh) | (rh > high_rh)),
    ]
    rejected = pd.Series(False, index=rows)
    reasons: dict[str, int] = {}
    for reason, mask in checks:
        mask = mask & with_values & ~rejected
        if mask.any():
            reasons[reason] = int(mask.sum())
            rejected |= mask
    keep = with_values & ~rejected
    record = SensorRecord(
        name=name,
        readings=pd.DataFrame(),
        columns={"time": time_header, **{c.quantity: c.header for c in channels}},
        rows_read=len(rows),
        rows_without_values=int((~with_values).sum()),
        rejected=int(rejected.sum()),
        rejected_reasons=reasons,
        first_rejected_rows=[int(r) for r in rows[rejected.to_numpy()][:FIRST_ROWS_SHOWN]],
    )
    kept_times = times[keep]
    if has_offset:
        utc = kept_times
    elif utc_offset:
        utc = kept_times.dt.tz_localize(utc_offset).dt.tz_convert("UTC")
    else:
        utc, record.repeated_local_times, record.nonexistent_local_times, record.standard_time_years = (
            localise(kept_times, timezone_name or "UTC")
        )
    frame = pd.DataFrame(
        {"temperature_c": temperature[keep].to_numpy(float), "rh_pct": rh[keep].to_numpy(float)},
        index=pd.DatetimeIndex(utc, name="time"),
    )
    frame = frame.sort_index(kind="stable")
    duplicated = frame.index.duplicated(keep="first")
    record.duplicated_times = int(duplicated.sum())
    frame = frame[~duplicated]
    frame.index = frame.index.as_unit("ns")
    record.readings = frame
    return record, int(rejected.sum()), int(with_values.sum()), reasons
