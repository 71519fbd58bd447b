"""One normaliser for every layout: from a grid and a :class:`TableSpec` to readings per
sensor, in °C, % RH, lux and mW/m² on a UTC index, with every decision and every rejected
row said.

Decisions taken from the whole column, never from its first rows:

* decimal mark, per column, from all its values (the separator says nothing about it);
* date format and order (:mod:`museum.files.loggers.times`);
* units: °F and K converted to °C, lm/ft² to lux, mW/cm² to mW/m², and said;
* RH a little above 100 % (a sensor's tolerance near saturation) kept as 100 % and
  counted; rows dated before the rows above them (a logger's clock reset) set aside and
  said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.light import lux_from_lumens_per_square_foot, uv_mw_m2_from_uw_per_lm, uv_uw_per_lm
from museum.files.loggers.layouts import LIGHT_QUANTITIES, Channel, TableSpec
from museum.files.loggers.source import LoggerFileError, Sheet
from museum.files.loggers.times import ParsedTimes, date_order, localise, parse_times
from museum.storage.schema import TEMPERATURE_RANGE_C

#: RH above 100 % and up to 100 % plus this is a sensor's error near saturation, not an
#: impossible value: kept as 100 % and counted. ±5 % RH is the error Onset states above
#: 90 % RH for its HOBO Temp/RH loggers (UX100-023 manual, "below 10% and above 90% ±5%
#: typical"); Campbell Scientific's HC2S3 manual likewise reads 100–103 % as 100 % and
#: keeps higher values to show a fault.
RH_SATURATION_TOLERANCE_PCT = 5.0
#: Illuminance read, lux: never negative, and at most twice the noon sun (about 100 000 lx).
ILLUMINANCE_RANGE_LUX = (0.0, 200_000.0)
#: UV irradiance read, mW/m²: never negative, at most about twice the noon sun's UV.
UV_RANGE_MW_M2 = (0.0, 100_000.0)
#: A row dated more than this before a row above it is not a clock change but a reset (a
#: battery change sets many loggers back to their epoch): set aside. Smaller steps back
#: are reported and sorted in.
CLOCK_RESET_MIN = pd.Timedelta(days=1)

#: Why a row is rejected: code → English text (the report translates the codes).
REASONS = {
    "unreadable_value": "a value that is not a number",
    "unreadable_time": "a time that cannot be read",
    "temperature_out_of_range": "temperature outside {:g}…{:g} °C".format(*TEMPERATURE_RANGE_C),
    "rh_out_of_range": f"RH below 0 % or above {100 + RH_SATURATION_TOLERANCE_PCT:g} %",
    "illuminance_out_of_range": "illuminance outside {:g}…{:g} lx".format(*ILLUMINANCE_RANGE_LUX),
    "uv_out_of_range": "UV outside {:g}…{:g} mW/m²".format(*UV_RANGE_MW_M2),
    "clock_reset": "dated over a day before a row above it (the logger's clock was reset)",
}
#: Rejected row numbers kept for the report.
FIRST_ROWS_SHOWN = 5
#: The column of each quantity in a sensor's readings.
COLUMNS = {
    "temperature": "temperature_c",
    "rh": "rh_pct",
    "illuminance": "illuminance_lux",
    "uv": "uv_mw_m2",
}

_NUMBER = re.compile(
    r"^\s*([-+−]?)\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*(°\s*[CFK]|℃|℉|%\s*RH|%rh|%)?\s*$", re.IGNORECASE
)


@dataclass
class SensorRecord:
    """The readings of one sensor and what was done to get them."""

    name: str
    #: UTC index "time"; temperature_c, rh_pct (NaN where absent) and, when the sensor
    #: reads light, illuminance_lux, uv_mw_m2 and uv_uw_per_lm.
    readings: pd.DataFrame
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
    #: Readings of RH above 100 % within :data:`RH_SATURATION_TOLERANCE_PCT`, kept as 100 %.
    rh_saturated: int = 0
    #: Steps back of the logger's clock: ``row`` (file line), ``before`` and ``after``
    #: (ISO 8601, UTC), ``rows`` dated before the row above, ``set_aside`` (over a day back).
    clock_resets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quantities(self) -> list[str]:
        """The quantities this sensor holds readings of: temperature, rh, illuminance, uv."""
        return [
            q
            for q, column in COLUMNS.items()
            if column in self.readings and self.readings[column].notna().any()
        ]


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
    #: Other date orders under which every date read but times went back more often
    #: (``order``, ``backwards_pct``): not chosen, and said.
    date_orders_set_aside: list[dict[str, Any]] = field(default_factory=list)
    #: Files joined on time into this reading (a BMS's temperature and RH files), else 1.
    files_joined: int = 1
    #: What the reader noticed that a person should know: ``{"code": …, …}``
    #: (docs/loggers.md lists the codes).
    remarks: list[dict[str, str]] = field(default_factory=list)

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
            "date_orders_set_aside": self.date_orders_set_aside,
            "files_joined": self.files_joined,
            "timezone": self.timezone,
            "timezone_origin": self.timezone_origin,
            "conversions": self.conversions,
            "sensor": record.name,
            "sensors_in_file": list(self.sensors),
            "columns": record.columns,
            "quantities": record.quantities,
            "rows_read": record.rows_read,
            "rows_without_values": record.rows_without_values,
            "rejected": record.rejected,
            "rejected_reasons": record.rejected_reasons,
            "first_rejected_rows": record.first_rejected_rows,
            "duplicated_times": record.duplicated_times,
            "repeated_local_times": record.repeated_local_times,
            "nonexistent_local_times": record.nonexistent_local_times,
            "standard_time_years": record.standard_time_years,
            "rh_saturated": record.rh_saturated,
            "rh_saturation_tolerance_pct": RH_SATURATION_TOLERANCE_PCT,
            "clock_resets": record.clock_resets,
            "remarks": self.remarks,
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


# --- units ---------------------------------------------------------------------------------------

#: Light units converted on reading: code → (symbol, factor to lux or mW/m²).
_LIGHT_FACTORS = {
    "lm/ft2": ("lm/ft²", float(lux_from_lumens_per_square_foot(1.0))),
    "mW/cm2": ("mW/cm²", 10_000.0),
    "uW/cm2": ("µW/cm²", 10.0),
    "W/m2": ("W/m²", 1000.0),
}


def _unit_from_suffix(suffix: str, fallback: str) -> str:
    if suffix in ("°F", "℉"):
        return "F"
    if suffix in ("°K", "K"):
        return "K"
    return fallback


def _convert(values: pd.Series, channel: Channel, suffix: str) -> tuple[pd.Series, str | None]:
    """Values in Patina's units (°C, %, lx, mW/m²; UV per lumen left in µW/lm) and the
    conversion made, said as ``header: unit → unit`` (None if none)."""
    if channel.quantity == "temperature":
        unit = _unit_from_suffix(suffix, channel.unit)
        if unit == "F":
            return (values - 32.0) * 5.0 / 9.0, f"{channel.header}: °F → °C"
        if unit == "K":
            return values - 273.15, f"{channel.header}: K → °C"
        return values, None
    if channel.unit in _LIGHT_FACTORS:
        symbol, factor = _LIGHT_FACTORS[channel.unit]
        target = "lx" if channel.quantity == "illuminance" else "mW/m²"
        return values * factor, f"{channel.header}: {symbol} → {target}"
    return values, None


@dataclass
class _Channels:
    """The channels' values read and converted, per column, and what was decided."""

    values: dict[int, pd.Series] = field(default_factory=dict)
    unreadable: dict[int, pd.Series] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)
    conversions: list[str] = field(default_factory=list)
    remarks: list[dict[str, str]] = field(default_factory=list)


def _read_channels(table: pd.DataFrame, channels: list[Channel]) -> _Channels:
    read = _Channels()
    for channel in channels:
        numbers, mark, bad, suffix = parse_numbers(table[channel.column])
        values, conversion = _convert(numbers, channel, suffix)
        if conversion:
            read.conversions.append(conversion)
        if channel.quantity == "uv" and not channel.unit:
            # No unit anywhere: museum light and UV loggers report UV per lumen.
            channel.unit = "uW/lm"
            read.remarks.append({"code": "uv_unit_assumed", "header": channel.header})
        read.values[channel.column] = values
        read.unreadable[channel.column] = bad
        read.marks[channel.header] = mark
    return read


# --- the table and its sensors ------------------------------------------------------------------


def _table(sheet: Sheet, spec: TableSpec) -> pd.DataFrame:
    """The columns read, as stripped text, indexed by file line (1-based, as a person finds
    them in a spreadsheet or editor); empty rows and a closing section marker left out."""
    rows = sheet.rows[spec.data_start : spec.data_end]
    needed = sorted({*spec.time_columns, *(c.column for c in spec.channels), *spec.sensor_columns})
    # Only the columns read are built: a long archive has 100,000 rows.
    table = pd.DataFrame(
        {i: pd.Series([r[i] if i < len(r) else "" for r in rows], dtype="str").str.strip() for i in needed}
    )
    table.index = np.arange(spec.data_start + 1, spec.data_start + 1 + len(table))
    table = table[(table != "").any(axis=1)] if len(table) else table
    # Sectioned files (Rotronic) may close with a marker row.
    table = table[~table[spec.time_columns[0]].astype(str).str.startswith("[#")] if len(table) else table
    if table.empty:
        raise LoggerFileError("the table has a header but no rows")
    return table


def _sensor_keys(table: pd.DataFrame, spec: TableSpec) -> tuple[pd.Series, str, list[dict[str, str]]]:
    """The sensor of each row, from the columns that name one, and the name of a file
    holding one sensor. A column names the sensor of its rows only if it is filled on most
    rows and its names recur: a serial number written on the first row alone (Lascar
    EasyLog) or a running number names no sensor; a value written once is the sensor's name."""
    identity = table[list(spec.sensor_columns)].astype(str)
    varying: list[int] = []
    constant: list[int] = []
    remarks: list[dict[str, str]] = []
    for column in identity.columns:
        values = identity[column]
        filled = values[values != ""]
        if filled.empty:
            continue
        if len(filled) >= 0.5 * len(values) and (len(values) < 4 or filled.nunique() <= len(values) / 2):
            (varying if filled.nunique() > 1 else constant).append(column)
        elif filled.nunique() == 1:
            constant.append(column)
            remarks.append({"code": "written_once", "column": str(column + 1), "value": str(filled.iloc[0])})
    name = " · ".join(str(identity[c][identity[c] != ""].iloc[0]) for c in constant) or spec.name
    keys = identity[varying].agg(" · ".join, axis=1) if varying else pd.Series("", index=table.index)
    return keys, name, remarks


def _zone(
    time_text: pd.Series, times: ParsedTimes, spec: TableSpec, timezone_name: str | None
) -> tuple[str, str]:
    """The zone the times are read in and where it comes from."""
    if times.has_offset:
        # Name the offsets themselves (language-neutral): "UTC+01:00, UTC+02:00".
        found = time_text.str.extract(r"((?:Z|[+-][0-9][0-9]:?[0-9][0-9])$)")[0].dropna().unique()[:4]
        return ", ".join(sorted({"UTC" if o == "Z" else f"UTC{o[:3]}:{o[-2:]}" for o in found})), "file"
    if spec.utc_offset:
        return f"UTC{spec.utc_offset}", "header"
    return (timezone_name, "option") if timezone_name else ("UTC", "default")


def _refuse_if_mostly_rejected(
    rejected: int, with_values: int, reasons: dict[str, int], marks: dict[str, str]
) -> None:
    if not with_values or rejected <= 0.5 * with_values:
        return
    commonest = max(reasons, key=lambda r: reasons[r])
    share = f"{100 * rejected / with_values:.0f} % of the rows"
    if commonest == "clock_reset":
        raise LoggerFileError(
            f"{share} are dated over a day before rows above them: the logger's clock was reset early in "
            "the file; split the file where the dates jump back"
        )
    read_as = ", ".join(f"{h!r} with decimal mark {m!r}" for h, m in marks.items())
    raise LoggerFileError(
        f"{share} hold impossible values (commonest: {REASONS[commonest]}); the decimal mark or the "
        f"column is probably misread (read {read_as})"
    )


@dataclass(frozen=True)
class _Clock:
    """How the times of the file are read (shared by its sensors)."""

    parsed: pd.Series
    has_offset: bool
    utc_offset: str | None
    timezone_name: str | None
    header: str


def normalise(
    sheet: Sheet, spec: TableSpec, path: str, timezone_name: str | None, default_name: str = "sensor"
) -> FileReading:
    """Readings per sensor from a recognised sheet. ``timezone_name`` (None: not given)
    applies to times written without an offset."""
    table = _table(sheet, spec)
    columns = [table[c].astype(str) for c in spec.time_columns]
    time_text = columns[0] if len(columns) == 1 else columns[0] + " " + columns[1]
    channels = _read_channels(table, spec.channels)
    has_time = time_text.str.strip() != ""
    times = parse_times(time_text.where(has_time, ""))
    clock = _Clock(times.values, times.has_offset, spec.utc_offset, timezone_name, spec.time_header)
    keys, file_name, key_remarks = _sensor_keys(table, spec)
    by_sensor: dict[str, list[Channel]] = {}
    for channel in spec.channels:
        by_sensor.setdefault(channel.sensor, []).append(channel)
    sensors: dict[str, SensorRecord] = {}
    reasons_all: dict[str, int] = {}
    for group_name, group in by_sensor.items():
        for key in keys.unique():
            name = (
                f"{key} · {group_name}"
                if key and group_name
                else key or group_name or file_name or default_name
            )
            record = _sensor(name, table.index[(keys == key).to_numpy()], group, channels, clock)
            sensors[name] = record
            for reason, count in record.rejected_reasons.items():
                reasons_all[reason] = reasons_all.get(reason, 0) + count
    with_values = sum(r.rows_read - r.rows_without_values for r in sensors.values())
    _refuse_if_mostly_rejected(
        sum(r.rejected for r in sensors.values()), with_values, reasons_all, channels.marks
    )
    if all(r.readings.empty for r in sensors.values()):
        raise LoggerFileError("no readings with a time and a value")
    zone, origin = _zone(time_text, times, spec, timezone_name)
    return FileReading(
        path=path,
        layout=spec.layout,
        encoding=sheet.encoding,
        separator=sheet.separator,
        sheet=sheet.name,
        other_sheets=sheet.others,
        decimal_marks=channels.marks,
        date_format=times.format,
        date_order=date_order(times.format),
        timezone=zone,
        timezone_origin=origin,
        conversions=channels.conversions,
        rows_read=len(table),
        sensors={k: v for k, v in sensors.items() if not v.readings.empty},
        notes=spec.notes,
        date_order_alternatives=times.alternatives,
        date_orders_set_aside=times.set_aside,
        remarks=[*spec.remarks, *channels.remarks, *key_remarks],
    )


# --- one sensor ---------------------------------------------------------------------------------


def _quantity_values(rows: pd.Index, channels: list[Channel], read: _Channels) -> dict[str, pd.Series]:
    """Each quantity's values on the sensor's rows (NaN where it has no such channel); UV
    as irradiance (mW/m²) and, where the file gave UV per lumen, as ``uv_per_lm`` too."""
    found = {c.quantity: c for c in channels}
    values = {
        q: read.values[found[q].column].loc[rows] if q in found else pd.Series(np.nan, index=rows)
        for q in COLUMNS
    }
    uv = found.get("uv")
    if uv is not None and uv.unit == "uW/lm":
        values["uv_per_lm"] = values["uv"]
        values["uv"] = pd.Series(uv_mw_m2_from_uw_per_lm(values["uv"], values["illuminance"]), index=rows)
    return values


def _checks(
    values: dict[str, pd.Series], times: pd.Series, bad_cell: pd.Series, with_values: pd.Series
) -> list[tuple[str, pd.Series]]:
    low_t, high_t = TEMPERATURE_RANGE_C
    rh, lux, uv = values["rh"], values["illuminance"], values["uv"]
    uv_ratio = values.get("uv_per_lm", pd.Series(np.nan, index=rh.index))
    return [
        ("unreadable_value", bad_cell),
        ("unreadable_time", with_values & times.isna()),
        ("temperature_out_of_range", (values["temperature"] < low_t) | (values["temperature"] > high_t)),
        ("rh_out_of_range", (rh < 0) | (rh > 100 + RH_SATURATION_TOLERANCE_PCT)),
        ("illuminance_out_of_range", (lux < ILLUMINANCE_RANGE_LUX[0]) | (lux > ILLUMINANCE_RANGE_LUX[1])),
        ("uv_out_of_range", (uv < UV_RANGE_MW_M2[0]) | (uv > UV_RANGE_MW_M2[1]) | (uv_ratio < 0)),
    ]


def _sensor(
    name: str, rows: pd.Index, channels: list[Channel], read: _Channels, clock: _Clock
) -> SensorRecord:
    values = _quantity_values(rows, channels, read)
    bad_cell = pd.Series(False, index=rows)
    for c in channels:
        bad_cell |= read.unreadable[c.column].loc[rows]
    with_values = bad_cell.copy()
    for quantity in COLUMNS:
        with_values |= values[quantity].notna()
    times = clock.parsed.loc[rows]
    rejected = pd.Series(False, index=rows)
    reasons: dict[str, int] = {}
    for reason, mask in _checks(values, times, bad_cell, with_values):
        mask = mask & with_values & ~rejected
        if mask.any():
            reasons[reason] = int(mask.sum())
            rejected |= mask
    keep = with_values & ~rejected
    saturated = keep & (values["rh"] > 100)
    record = SensorRecord(
        name=name,
        readings=pd.DataFrame(),
        columns={"time": clock.header, **{c.quantity: c.header for c in channels}},
        rows_read=len(rows),
        rows_without_values=int((~with_values).sum()),
        rh_saturated=int(saturated.sum()),
    )
    frame = pd.DataFrame(
        {COLUMNS[q]: values[q][keep].to_numpy(float) for q in ("temperature", "rh")},
        index=rows[keep.to_numpy()],
    )
    frame.loc[saturated[keep].to_numpy(), "rh_pct"] = 100.0
    light = {c.quantity for c in channels} & set(LIGHT_QUANTITIES)
    for quantity in sorted(light):
        frame[COLUMNS[quantity]] = values[quantity][keep].to_numpy(float)
    if "uv" in light:
        given = values.get("uv_per_lm")
        frame["uv_uw_per_lm"] = (
            given[keep].to_numpy(float)
            if given is not None
            else uv_uw_per_lm(frame["uv_mw_m2"], frame.get("illuminance_lux", np.nan))
        )
    frame.index = _utc(times[keep], clock, record)
    frame, reset_rows = _set_aside_clock_resets(frame, rows[keep.to_numpy()], record)
    if reset_rows.size:
        reasons["clock_reset"] = int(reset_rows.size)
        rejected.loc[reset_rows] = True
    record.rejected = int(rejected.sum())
    record.rejected_reasons = reasons
    record.first_rejected_rows = [int(r) for r in rows[rejected.to_numpy()][:FIRST_ROWS_SHOWN]]
    frame = frame.sort_index(kind="stable")
    duplicated = frame.index.duplicated(keep="first")
    record.duplicated_times = int(duplicated.sum())
    frame = frame[~duplicated]
    frame.index = pd.DatetimeIndex(frame.index, name="time").as_unit("ns")
    record.readings = frame
    return record


def _utc(kept: pd.Series, clock: _Clock, record: SensorRecord) -> pd.DatetimeIndex:
    """The kept times in UTC, counting the local clock's changes on ``record``."""
    if clock.has_offset:
        utc = kept
    elif clock.utc_offset:
        utc = kept.dt.tz_localize(clock.utc_offset).dt.tz_convert("UTC")
    else:
        utc, record.repeated_local_times, record.nonexistent_local_times, record.standard_time_years = (
            localise(kept, clock.timezone_name or "UTC")
        )
    return pd.DatetimeIndex(utc, name="time")


def _set_aside_clock_resets(
    frame: pd.DataFrame, rows: pd.Index, record: SensorRecord
) -> tuple[pd.DataFrame, np.ndarray]:
    """Find where the logger's clock stepped back, in file order (or in reverse for a file
    written newest first). Steps back of more than two readings' interval (and an hour) are
    recorded on ``record``; rows dated over :data:`CLOCK_RESET_MIN` before a row above them
    are set aside, their times being wrong; a row repeating a time already read is left to
    the duplicate count. Returns the frame kept and the file lines set aside."""
    stamps = frame.index.as_unit("ns").asi8
    if len(stamps) < 3:
        return frame, np.zeros(0, dtype=int)
    steps = np.diff(stamps)
    order = slice(None, None, -1) if (steps < 0).mean() > 0.5 else slice(None)
    ordered = stamps[order]
    behind = np.maximum.accumulate(ordered) - ordered
    tolerance = max(pd.Timedelta(hours=1).value, 2 * int(np.median(np.abs(steps))))
    repeated = pd.Series(ordered).duplicated(keep="first").to_numpy()
    back = (behind > tolerance) & ~repeated
    reset = (behind > CLOCK_RESET_MIN.value) & ~repeated
    lines = np.asarray(rows)[order]
    starts = np.flatnonzero(back & ~np.concatenate([[False], back[:-1]]))
    for start in starts:
        end = start + int(np.argmin(back[start:])) if not back[start:].all() else len(back)
        record.clock_resets.append(
            {
                "row": int(lines[start]),
                "before": pd.Timestamp(int(np.maximum.accumulate(ordered)[start]), tz="UTC").isoformat(),
                "after": pd.Timestamp(int(ordered[start]), tz="UTC").isoformat(),
                "rows": int(end - start),
                "set_aside": bool(reset[start]),
            }
        )
    mask = np.empty_like(reset)
    mask[order] = reset
    return frame[~mask], np.asarray(rows)[mask]
