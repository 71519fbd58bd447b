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
_UV = re.compile(r"(?<![a-z])uv(?![a-z])|ultra-?violet|tia cực tím", re.IGNORECASE)
_ILLUMINANCE = re.compile(
    r"(?<![a-z])(lux|lx|illuminance|illumination|intensity|light|lumi[eè]re|[ée]clairement|beleuchtung)"
    r"(?![a-z])|ánh sáng|độ rọi",
    re.IGNORECASE,
)
#: Columns a logger or its software computes from others (a running dose): not readings.
_CUMULATIVE = re.compile(
    r"cumul|(?<![a-z])(lxh|lx·h|luxh|dose|total)(?![a-z])|/\s*cm2h|w/cm2h", re.IGNORECASE
)
_NOT_CLIMATE = re.compile(
    r"dew|dewpt|taupunkt|ros[eé]e|alarm|limit|(?<![a-z])(min|max|count|sp)(?![a-z])"
    # ``_raw``: Patina's export beside its corrected columns, as measured before a
    # calibration correction (docs/calibration.md); the corrected ones are analysed.
    r"|_min|_max|_raw(?![a-z])|setpoint|abs|g/m|battery|signal|rssi",
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
#: A cell of a units row: °C, °F, K, %, %RH, or the bare letters; lx, lm/ft², mW/cm² ….
_UNIT_CELL = re.compile(
    r"^\s*[\[(]?\s*(°\s*[CF]|℃|℉|[CFK]|%\s*(RH)?|RH\s*%|%rh|lx|lux|lum/ft²?|lm/ft2?|[mµμu]W/(cm|m)[2²]"
    r"|W/m[2²]|[µμu]W/(lm|lumen))\s*[\])]?\s*$",
    re.IGNORECASE,
)
_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2}):?(\d{2})?", re.IGNORECASE)


@dataclass
class Channel:
    """One column of values."""

    column: int
    #: "temperature", "rh", "illuminance" or "uv".
    quantity: str
    #: Temperature "C", "F" or "K"; RH "%"; illuminance "lx" or "lm/ft2"; UV "mW/cm2",
    #: "uW/cm2", "mW/m2", "W/m2", "uW/lm" or "" (not stated).
    unit: str
    sensor: str  # "" when the file holds one sensor
    header: str


#: The quantities of light, beside temperature and RH.
LIGHT_QUANTITIES = ("illuminance", "uv")


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
    #: What the recogniser noticed and a person should know, as plain data for the report:
    #: ``{"code": …, …}`` (docs/loggers.md lists the codes).
    remarks: list[dict[str, str]] = field(default_factory=list)


def quantity(header: str) -> str | None:
    """``temperature``, ``rh``, ``illuminance``, ``uv`` or None from a column header."""
    if not header or _NOT_CLIMATE.search(header) or _CUMULATIVE.search(header):
        return None
    if _TEMPERATURE.search(header):
        return "temperature"
    if _RH.search(header):
        return "rh"
    if _UV.search(header):
        return "uv"
    if _ILLUMINANCE.search(header):
        return "illuminance"
    return None


def light_unit(kind: str, text: str) -> str:
    """The unit code of a light column from its header or unit cell (:class:`Channel`)."""
    compact = text.replace(" ", "").lower().replace("μ", "µ").replace("²", "2")
    if kind == "illuminance":
        return (
            "lm/ft2"
            if re.search(r"lum/ft|lm/ft|footcandle|foot-candle|(?<![a-z])fc(?![a-z])", compact)
            else "lx"
        )
    for pattern, code in (
        (r"mw/cm2", "mW/cm2"),
        (r"[µu]w/cm2", "uW/cm2"),
        (r"mw/m2", "mW/m2"),
        (r"(?<![mµu])w/m2", "W/m2"),
        (r"[µu]w/(lm|lumen)", "uW/lm"),
    ):
        if re.search(pattern, compact):
            return code
    return ""


def unit_of(kind: str, text: str) -> str:
    """The unit code of a column of ``kind`` from its header (and any unit written with it)."""
    if kind == "temperature":
        return temperature_unit(text)
    if kind == "rh":
        return "%"
    return light_unit(kind, text)


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
            channels.append(Channel(i, kind, unit_of(kind, cell), "", cell))
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
                channel.unit = unit_of(channel.quantity, f"{_at(units, channel.column)} {channel.header}")
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
            unit = unit_of(kind, units.get(kind, cell))
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
    # HW4 writes "[#I]Device Description" and the description alone on the next line.
    described = next(
        (i for i, row in enumerate(rows[: marks["[#H]"]]) if row and "description" in row[0].lower()), None
    )
    if described is not None:
        following = next((r[0] for r in rows[described + 1 : marks["[#H]"]] if r and r[0]), "")
        if following and not following.startswith("[#") and "=" not in following:
            name = following
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
            unit = unit_of(kind, f"{described} {cell}")
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


#: Unit cells of T&D exports and what they hold. Software on one machine writes ``°C`` in
#: Latin-1, on another in UTF-8, and a spreadsheet may have mangled either: the cell is
#: compared with everything but letters, digits, ``%`` and ``/`` stripped (``Â°C``, ``ºC``
#: and ``?C`` all read ``C``).
_TANDD_UNITS = {
    "c": ("temperature", "C"),
    "degc": ("temperature", "C"),
    "f": ("temperature", "F"),
    "degf": ("temperature", "F"),
    "k": ("temperature", "K"),
    "%": ("rh", "%"),
    "%rh": ("rh", "%"),
    "rh%": ("rh", "%"),
    "lx": ("illuminance", "lx"),
    "lux": ("illuminance", "lx"),
    "mw/cm2": ("uv", "mW/cm2"),
    "uw/cm2": ("uv", "uW/cm2"),
    "mw/m2": ("uv", "mW/m2"),
    "uw/lm": ("uv", "uW/lm"),
}


def _unit_key(cell: str) -> str:
    text = cell.replace("℃", "C").replace("℉", "F").replace("â„ƒ", "C").replace("â„‰", "F")
    text = text.replace("µ", "u").replace("μ", "u").replace("²", "2")
    return re.sub(r"[^a-z0-9%/]", "", text.lower())


def _tandd_time_column(rows: Grid, start: int, candidates: list[int]) -> int | None:
    """The column of a T&D table holding the times: among ``candidates``, the first whose
    values are written dates (``2021-11-12 15:51:00``), else the first of serial days."""
    sample = [r for r in rows[start : start + 50] if any(r)]

    def values(i: int) -> list[str]:
        return [r[i].strip() for r in sample if i < len(r) and r[i].strip()]

    written = [i for i in candidates if values(i) and all(re.search(r"\d[-/.]\d", v) for v in values(i))]
    if written:
        return written[0]
    serial = [
        i for i in candidates if values(i) and all(re.fullmatch(r"\d{5}([.,]\d+)?", v) for v in values(i))
    ]
    return serial[0] if serial else None


def tandd(sheet: Sheet) -> TableSpec | None:
    """T&D (TR-7x, TR-74Ui, RTR-57x): two header rows (``Date/Time``, ``No.1`` … and
    ``Date/Time``, ``ch1``, ``ch2`` …) and a units row, which alone tells what each channel
    holds (``lx``, ``mW/cm2``, ``°C``, ``%``). The time column may have no name at all, the
    one named ``Date/Time`` then holding spreadsheet serial days; cumulative columns
    (``lxh``, ``W/cm2h``) are the software's running sums, not readings."""
    rows = sheet.rows
    for number, cells in enumerate(rows[: HEADER_SEARCH_ROWS - 2]):
        if "date/time" not in [c.lower() for c in cells] or number + 3 > len(rows):
            continue
        second, units = rows[number + 1], rows[number + 2]
        if "date/time" not in [c.lower() for c in second]:
            continue
        channels: list[Channel] = []
        remarks: list[dict[str, str]] = []
        cumulative: list[str] = []
        for i in range(max(len(cells), len(second), len(units))):
            unit, label = _at(units, i), " ".join(x for x in (_at(cells, i), _at(second, i)) if x)
            if not unit or label.lower().startswith("date/time"):
                continue
            if _CUMULATIVE.search(f"{label} {unit}"):
                cumulative.append(label)
            elif _unit_key(unit) in _TANDD_UNITS:
                kind, code = _TANDD_UNITS[_unit_key(unit)]
                channels.append(Channel(i, kind, code, "", f"{label} ({unit})"))
            else:
                remarks.append({"code": "unit_not_recognised", "header": label, "unit": unit})
        if not channels:
            return None
        used = {c.column for c in channels}
        named = [i for i, c in enumerate(second) if c.lower() == "date/time"]
        unnamed = [i for i in range(min(named)) if not _at(cells, i) and not _at(second, i) and i not in used]
        time_column = _tandd_time_column(rows, number + 3, unnamed + named)
        if time_column is None:
            return None
        if time_column in unnamed and named:
            remarks.append(
                {
                    "code": "unnamed_time_column",
                    "column": str(time_column + 1),
                    "serial_column": str(named[0] + 1),
                }
            )
        if cumulative:
            remarks.append({"code": "cumulative_not_read", "columns": ", ".join(cumulative)})
        names = {c.column: _at(cells, c.column) for c in channels}
        # One logger (No.1) with a temperature and an RH channel is one sensor.
        return TableSpec(
            "t&d",
            number + 3,
            (time_column,),
            pair_channels(channels, names),
            time_header=_at(second, time_column) or _at(cells, time_column) or f"#{time_column + 1}",
            remarks=remarks,
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


def unrecognised(sheet: Sheet) -> str:
    """Why no recogniser knows a sheet, naming what its header holds when it has one."""
    for cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        times = _time_columns(cells)
        others = [c for i, c in enumerate(cells) if c and i not in times]
        if times and others and not any(ch.isdigit() for c in others for ch in c[:1]):
            return (
                "no header naming a time and a temperature, RH or light column (the header names "
                + ", ".join(repr(c) for c in others[:6])
                + (" …" if len(others) > 6 else "")
                + ": none of them a quantity Patina reads)"
            )
    return "no header naming a time and a temperature, RH or light column"
