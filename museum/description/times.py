"""Times people type: a time zone's name and an ISO 8601 moment, read the same way by every
command (``patina export``, ``report``, ``replay``, ``analyse``, ``diagnose``, ``move``,
``passport``) and by the config.

A time written without an offset is a wall-clock time in the museum's zone (or the one
given). Where the clocks change, such a time may not exist (the hour skipped in spring) or
may exist twice (the hour repeated in autumn): those are refused with the offsets to add,
never guessed, because a report or an export an hour off says something false about the
climate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Times the commands take: InfluxDB stores nanoseconds since 1970 in 64 bits (1677–2262);
#: this range holds every plausible reading with room to spare.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 1, 1)


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Ho_Chi_Minh``); ValueError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone") from None


def offset_text(moment: datetime) -> str:
    """The UTC offset of an aware time as ISO 8601 writes it: ``+07:00``, ``-03:30``."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_moment(text: str, zone_name: str) -> datetime:
    """An ISO 8601 time between :data:`EARLIEST` and :data:`LATEST`, as an aware datetime;
    without an offset, in ``zone_name``. Local times a clock change skips or repeats are
    refused rather than guessed. ValueError says what is wrong and what to write instead."""
    import pandas as pd  # pandas: kept off the start of commands that never read a time

    span = f"{EARLIEST:%Y-%m-%d} … {LATEST:%Y-%m-%d}"
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, OverflowError):
        stamp = None
    if stamp is None or stamp is pd.NaT:
        raise ValueError(f"{text!r} is not an ISO 8601 time within {span}")
    moment = stamp.to_pydatetime(warn=False)
    try:
        naive_utc = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except OverflowError:
        naive_utc = EARLIEST - timedelta(days=1)  # beyond year 1 or 9999: out of range either way
    if not EARLIEST <= naive_utc < LATEST:
        raise ValueError(f"{text!r} is outside {span}")
    if moment.tzinfo is not None:
        return moment
    zone = zone_named(zone_name)
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    offsets = [offset_text(first), offset_text(second)]
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise ValueError(
            f"{text} does not exist in {zone_name} (the clocks skip it); give a time outside the "
            f"skipped hour or one with its UTC offset, e.g. {text}{offsets[0]}"
        )
    raise ValueError(
        f"{text} happens twice in {zone_name} (the clocks go back); add the UTC offset: "
        f"{text}{offsets[0]} (the first) or {text}{offsets[1]} (the second)"
    )
