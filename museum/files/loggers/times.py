"""Reading the times of a logger column: formats, date order, Excel serial days, local
clocks and their changes. Every decision is taken from the whole column, never from its
first rows (docs/loggers.md, "How decisions are made")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from museum.files.loggers.source import LoggerFileError

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
        # HOBOware set to year first writes a two-digit year: 24/07/20 is 20 July 2024.
        ("%y", "%m", "%d"),
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


@dataclass
class ParsedTimes:
    """The times of a column and how they were read."""

    #: Naive, or UTC when the file writes offsets; NaT where a time cannot be read.
    values: pd.Series
    format: str
    #: Whether the file wrote UTC offsets.
    has_offset: bool
    #: Other date orders under which every date read and times increased as often: the
    #: choice then rests on the shortest span.
    alternatives: list[str]
    #: Other date orders under which every date read but times went back more often:
    #: ``{"order": …, "backwards_pct": …}``.
    set_aside: list[dict[str, Any]]


def _read_as(text: pd.Series, fmt: str, has_offset: bool) -> pd.Series:
    if fmt == EXCEL_SERIAL:
        days = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        return (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).dt.round("s")
    if fmt == "ISO8601":
        return pd.to_datetime(
            text.str.replace(" ", "T", n=1), format="ISO8601", errors="coerce", utc=has_offset
        )
    parsed = _fixed_width(text, fmt)
    return parsed if parsed is not None else pd.to_datetime(text, format=fmt, errors="coerce")


def _candidates(filled: pd.Series) -> list[str]:
    """The formats that read an even sample of the column (all of it, else most of it)."""
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
    return candidates


def parse_times(texts: pd.Series) -> ParsedTimes:
    """Times of a column, deciding the format from the whole column.

    The format is the one under which the most times parse; among equals, the one under
    which the times increase most often; among equals still, the one that spans the least
    time (five days of 15-minute readings written 05/01 … 05/06 are 1–6 May, not the 5th
    of six months: both read and increase, only one is a logger's steady interval). The
    other orders that read every date are kept, to be reported."""
    text = texts.fillna("").astype(str).str.strip()
    if (text.str.contains("  ", regex=False) | text.str.contains("\t", regex=False)).any():
        text = text.str.replace(r"\s+", " ", regex=True)
    filled = text[text != ""]
    if filled.empty:
        raise LoggerFileError("no times in the time column")
    candidates = _candidates(filled)
    if not candidates:
        raise LoggerFileError(f"cannot read the times (for example {filled.iloc[0]!r})")
    has_offset = bool(filled.str.contains(_OFFSET.pattern, regex=True).any()) and "ISO8601" in candidates
    scored: list[tuple[tuple[float, float, int], str, pd.Series]] = []
    for fmt in candidates:
        parsed = _read_as(text, fmt, has_offset)
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
    alternatives: dict[str, None] = {}
    set_aside: dict[str, float] = {}
    for key, other, _ in scored[1:]:
        order = date_order(other).split(" (")[0]
        if order == chosen or key[0] != share:
            continue
        if key[1] == increasing:
            alternatives[order] = None
        elif order not in alternatives:
            set_aside.setdefault(order, round(100 * (1 - key[1]), 1))
    return ParsedTimes(
        parsed,
        fmt,
        has_offset and fmt == "ISO8601",
        list(alternatives),
        [
            {"order": order, "backwards_pct": pct}
            for order, pct in set_aside.items()
            if order not in alternatives
        ],
    )


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
