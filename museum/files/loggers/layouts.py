"""Layout recognisers: each looks at a grid of cells and, if it knows the layout, says
where the data start and what each column holds (a :class:`TableSpec`). The normaliser
(:mod:`museum.files.loggers.normalise`) does the rest, the same way for every layout.

Adding a logger family is one function here that returns a :class:`TableSpec` (or None),
listed in :data:`RECOGNISERS` before :func:`header_table`, the generic recogniser that
reads any file whose columns are named in one header row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from museum.files.loggers.source import HEAD_ROWS, Grid, Sheet

#: Rows searched for a header.
HEADER_SEARCH_ROWS = HEAD_ROWS

_TEMPERATURE = re.compile(r"temp|°\s*[cf]\b|celsius|fahrenheit|kelvin|nhiệt|^\s*t(?![a-z])", re.IGNORECASE)
_RH = re.compile(
    r"(?<![a-z])rh(?![a-z])|humid|hygro|feucht|fugt|fukt|umidit|(?<![a-z])hr(?![a-z])|độ ẩm"
    r"|^\s*%\s*$",
    re.IGNORECASE,
)
_NOT_CLIMATE = re.compile(
    r"dew|dewpt|taupunkt|ros[eé]e|alarm|limit|(?<![a-z])(min|max|count|sp)(?![a-z])"
    r"|_min|_max|setpoint|abs|g/m|battery",
    re.IGNORECASE,
)
_TIME = re.compile(r"time|date|datum|dato|zeit|heure|(?<![a-z])tid(?![a-z])|thời gian|ngày", re.IGNORECASE)
_DATE_ONLY = re.compile(r"^\s*(date|datum|dato|ngày)\s*$", re.IGNORECASE)
_TIME_ONLY = re.compile(r"^\s*(time|zeit|heure|tid|giờ)(?![a-z])(?!.*date)", re.IGNORECASE)
_SENSOR = re.compile(
    r"sensor|transmitter|logger|device|site|location|channel|serial|case|room", re.IGNORECASE
)
_FAHRENHEIT = re.compile(
    r"°\s*f|\(f\)|\[f\]|(?<![a-z])deg\.?\s*f(?![a-z])|fahrenheit|(?<![a-z])f\s*$", re.IGNORECASE
)
_KELVIN = re.compile(r"\(k\)|\[k\]|kelvin|(?<![a-z°])k\s*$", re.IGNORECASE)
#: A cell of a units row: °C, °F, K, %, %RH, or the bare letters.
_UNIT_CELL = re.compile(r"^\s*[\[(]?\s*(°\s*[CF]|℃|℉|[CFK]|%\s*(RH)?|RH\s*%|%rh)\s*[\])]?\s*$", re.IGNORECASE)
_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2}):?(\d{2})?", re.IGNORECASE)


@dataclass
class Channel:
    """One column of values."""

    column: int
    quantity: str  # "temperature" or "rh"
    unit: str  # "C", "F", "K" or "%"
    sensor: str  # "" when the file holds one sensor
    header: str


@dataclass
class TableSpec:
    """Where the readings are in a grid and what each column means."""

    layout: str
    data_start: int
    time_columns: tuple[int, ...]  # one column, or a date column and a time column
    channels: list[Channel]
    #: Columns naming the sensor of each row (long format: several sensors interleaved).
    sensor_columns: tuple[int, ...] = ()
    data_end: int | None = None
    #: A fixed UTC offset the header states (``+01:00``), else None.
    utc_offset: str | None = None
    #: The sensor's name when the file says it (a preamble line), for one-sensor files.
    name: str = ""
    #: The header of the time column(s), as written.
    time_header: str = ""
    notes: list[str] = field(default_factory=list)


def quantity(header: str) -> str | None:
    """``temperature``, ``rh`` or None from a column header."""
    if not header or _NOT_CLIMATE.search(header):
        return None
    if _TEMPERATURE.search(header):
        return "temperature"
    if _RH.search(header):
        return "rh"
    return None


def temperature_unit(text: str) -> str:
    if _FAHRENHEIT.search(text):
        return "F"
    if _KELVIN.search(text):
        return "K"
    return "C"


def utc_offset(text: str) -> str | None:
    match = _GMT_OFFSET.search(text)
    if not match:
        return None
    return f"{match.group(1)}{int(match.group(2)):02d}:{match.group(3) or '00'}"


def _time_columns(cells: list[str]) -> tuple[int, ...]:
    dates = [i for i, c in enumerate(cells) if _DATE_ONLY.match(c)]
    times = [i for i, c in enumerate(cells) if _TIME_ONLY.match(c)]
    if dates and times:
        return (dates[0], times[0])
    candidates = [i for i, c in enumerate(cells) if _TIME.search(c) and quantity(c) is None]
    return (candidates[0],) if candidates else ()


def _sensor_label(header: str) -> str:
    """What is left of a header once the quantity and unit are taken out: the sensor."""
    bracket = re.search(r"\[([^\]]+)\]", header)
    text = bracket.group(1) if bracket else header
    text = re.sub(
        r"\(.*?\)|°\s*[CFK]|%\s*RH|%|temperature|temp\.?|humidity|rel\.?|relative|(?<![a-z])rh"
        r"(?![a-z])|[,_:]",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    return " ".join(text.split())


def pair_channels(channels: list[Channel], names: dict[int, str] | None = None) -> list[Channel]:
    """Name the sensors of a wide file: one temperature and one RH column are one sensor;
    with several, the k-th temperature goes with the k-th RH unless the headers (or
    ``names``, column → sensor) say otherwise."""
    temps = [c for c in channels if c.quantity == "temperature"]
    rhs = [c for c in channels if c.quantity == "rh"]
    if len(temps) <= 1 and len(rhs) <= 1:
        return channels
    names = names or {}
    labelled = {c.column: names.get(c.column) or _sensor_label(c.header) for c in channels}
    if names and len(set(labelled.values())) > 1:
        for c in channels:
            c.sensor = labelled[c.column]
        return channels
    for k in range(max(len(temps), len(rhs))):
        group = [g[k] for g in (temps, rhs) if k < len(g)]
        label = next((labelled[c.column] for c in group if labelled[c.column]), "")
        for c in group:
            c.sensor = (
                label if label and sum(1 for v in labelled.values() if v == label) <= 2 else f"sensor {k + 1}"
            )
    return channels


def _channels_from_header(cells: list[str]) -> list[Channel]:
    channels = []
    for i, cell in enumerate(cells):
        kind = quantity(cell)
        if kind is not None:
            unit = temperature_unit(cell) if kind == "temperature" else "%"
            channels.append(Channel(i, kind, unit, "", cell))
    return pair_channels(channels)


def _preamble_name(rows: Grid) -> str:
    for row in rows:
        if (
            len(row) >= 2
            and re.match(
                r"^(serial no|s/n|sensor name|transmitter|logger name|name)\s*:?\s*$", row[0], re.IGNORECASE
            )
            and row[1]
        ):
            return row[1]
    return ""


def _generic_name(sheet: Sheet, header_row: int, cells: list[str], preamble: Grid) -> str:
    lower = [c.lower() for c in cells]
    first_lines = " ".join(" ".join(r) for r in preamble).lower()
    if lower and lower[0] == "#" and any("gmt" in c or "time" in c for c in lower):
        return "hoboware"
    if "receiver" in lower and "transmitter" in lower:
        return "meaco"
    if (
        any("humidity (rh" in c for c in lower)
        or "database valid" in first_lines
        or "exported sensor data" in first_lines
        or "data starts" in first_lines
    ):
        return "hanwell"
    if lower and lower[0] == "timestamp" and len([c for c in cells if c]) == 2 and "[" in cells[1]:
        return "trend"
    if lower[:4] == ["time", "site", "case_id", "sensor_id"]:
        return "patina-export"
    if sheet.encoding == "xlsx":
        return "workbook"
    if sheet.separator == ";":
        return "semicolon"
    if sheet.separator == "\t":
        return "tab-separated"
    return "plain"


def header_table(sheet: Sheet) -> TableSpec | None:
    """Any file whose columns are named in one row: a time column (or a date and a time
    column) and at least one temperature or RH column, after any preamble."""
    rows = sheet.rows
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        times = _time_columns(cells)
        if not times:
            continue
        channels = [c for c in _channels_from_header(cells) if c.column not in times]
        if not channels:
            continue
        sensors = tuple(
            i
            for i, c in enumerate(cells)
            if i not in times
            and quantity(c) is None
            and _SENSOR.search(c)
            and c != "#"
            and not _NOT_CLIMATE.search(c)
        )
        preamble = rows[:number]
        offset = utc_offset(" ".join(cells[i] for i in times))
        start = number + 1
        units = rows[start] if start < len(rows) else []
        if (
            channels
            and all(_UNIT_CELL.match(_at(units, c.column)) for c in channels)
            and not any(ch.isdigit() for i in times for ch in _at(units, i))
        ):
            # A units row under the header (``;°C;%``): it names the units, and is no data.
            for channel in channels:
                if channel.quantity == "temperature":
                    channel.unit = temperature_unit(f"{_at(units, channel.column)} {channel.header}")
            start += 1
        return TableSpec(
            _generic_name(sheet, number, cells, preamble),
            start,
            times,
            channels,
            sensors,
            utc_offset=offset,
            name=_preamble_name(preamble),
            time_header=" + ".join(cells[i] for i in times),
        )
    return None


def rotronic(sheet: Sheet) -> TableSpec | None:
    """Rotronic HygroLog / HW4: ``[#I]``, ``[#S]``, one ``[#n]`` block per channel naming its
    quantity and unit, ``[#H]`` then the header, ``[#D]`` then the rows."""
    rows = sheet.rows
    marks = {
        row[0].upper(): i
        for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
        if row and row[0].startswith("[#")
    }
    if "[#D]" not in marks or "[#H]" not in marks:
        return None
    units: dict[str, str] = {}
    for row in rows[: marks["[#H]"]]:
        text = " ".join(c for c in row if c)
        key, _, value = text.partition("=")
        if value and quantity(key.strip()) and not _NOT_CLIMATE.search(key):
            units[quantity(key.strip()) or ""] = value.strip()
    header = next((r for r in rows[marks["[#H]"] + 1 : marks["[#D]"]] if any(r)), [])
    times = _time_columns(header)
    if not times:
        return None
    channels = []
    for i, cell in enumerate(header):
        kind = quantity(cell)
        if kind and i not in times:
            unit = temperature_unit(units.get(kind, cell)) if kind == "temperature" else "%"
            channels.append(Channel(i, kind, unit, "", cell))
    name = next(
        (
            r.split("=", 1)[1].strip()
            for row in rows[: marks["[#H]"]]
            for r in row[:1]
            if re.match(r"^\s*(device name|name|serial)", r, re.IGNORECASE) and "=" in r
        ),
        "",
    )
    return TableSpec(
        "rotronic",
        marks["[#D]"] + 1,
        times,
        pair_channels(channels),
        name=name,
        time_header=" + ".join(header[i] for i in times),
    )


def tinytag(sheet: Sheet) -> TableSpec | None:
    """Tinytag: ``,Time,1,2`` then labelled rows (``S/N``, ``Type``, ``Description``,
    ``Property``: one column per channel), data rows led by a running number."""
    rows = sheet.rows
    labels = {r[0].strip().lower(): i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if r and r[0]}
    if "property" not in labels:
        return None
    prop = labels["property"]
    head = next((i for i in range(prop - 1, -1, -1) if any(_TIME_ONLY.match(c) for c in rows[i])), None)
    if head is None:
        return None
    times = tuple(i for i, c in enumerate(rows[head]) if _TIME_ONLY.match(c))[:1]
    names_row = (
        rows[labels["description"]]
        if "description" in labels
        else rows[labels["s/n"]]
        if "s/n" in labels
        else []
    )
    channels = []
    for i, cell in enumerate(rows[prop]):
        kind = quantity(cell)
        if kind and i not in times:
            # The unit may be in a Units row, in the probe's Type (``TGU-4500 °F``) or in the
            # Property itself.
            described = " ".join(_at(rows[labels[key]], i) for key in ("units", "type") if key in labels)
            unit = temperature_unit(f"{described} {cell}") if kind == "temperature" else "%"
            channels.append(Channel(i, kind, unit, "", cell))
    names = {c.column: names_row[c.column] for c in channels if c.column < len(names_row)}
    return TableSpec(
        "tinytag",
        prop + 1,
        times,
        pair_channels(channels, names),
        utc_offset=utc_offset(" ".join(rows[head])),
        time_header=rows[head][times[0]],
    )


def tandd(sheet: Sheet) -> TableSpec | None:
    """T&D: two header rows (``"Date/Time","Date/Time","No.1"…`` and ``…,"ch1","ch2"``)
    and a units row, which alone tells temperature from RH."""
    rows = sheet.rows
    for number, cells in enumerate(rows[: HEADER_SEARCH_ROWS - 2]):
        lower = [c.lower() for c in cells]
        if lower.count("date/time") < 2 or number + 2 >= len(rows):
            continue
        second, units = rows[number + 1], rows[number + 2]
        if "date/time" not in [c.lower() for c in second]:
            continue
        time_column = lower.index("date/time")
        channels = []
        for i, unit in enumerate(units):
            text = unit.replace(" ", "").lower()
            if text in ("°c", "℃", "c", "°f", "℉", "f", "k"):
                unit_code = "F" if "f" in text or "℉" in text else "K" if text == "k" else "C"
                channels.append(
                    Channel(i, "temperature", unit_code, "", f"{_at(cells, i)} {_at(second, i)} ({unit})")
                )
            elif text in ("%", "%rh", "rh%"):
                channels.append(Channel(i, "rh", "%", "", f"{_at(cells, i)} {_at(second, i)} ({unit})"))
        if not channels:
            return None
        names = {c.column: _at(cells, c.column) for c in channels}
        # One logger (No.1) with a temperature and an RH channel is one sensor.
        return TableSpec(
            "t&d", number + 3, (time_column,), pair_channels(channels, names), time_header=cells[time_column]
        )
    return None


def _at(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


#: Tried in order; the first that recognises the sheet wins.
RECOGNISERS: list[Callable[[Sheet], TableSpec | None]] = [rotronic, tandd, tinytag, header_table]


def recognise(sheet: Sheet) -> TableSpec | None:
    for recogniser in RECOGNISERS:
        spec = recogniser(sheet)
        if spec is not None:
            return spec
    return None
