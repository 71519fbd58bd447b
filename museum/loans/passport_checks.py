"""What an imported passport must meet before anything of it is written (issue 27).

The digests of a passport prove its files were not changed on the way, not that the
values in them are possible: a partner's buggy exporter can state correct hashes over RH
950 %. So the hours of ``climate.csv`` are held to the rules a live reading meets
(:mod:`museum.storage.schema`: the sensors' plausible ranges), plus what an hourly summary
must be (min ≤ mean ≤ max, a count that is not negative, each hour once and in order), and
each member of the zip is capped in size before it is read: first from the size its zip
header declares, then while it is read in bounded chunks, since a header can lie.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import zipfile
from datetime import datetime

from museum.storage.schema import RH_RANGE_PCT, TEMPERATURE_RANGE_C

#: Largest uncompressed member read from a passport. Thirteen months of hourly climate is
#: about 1.5 MB of CSV; 64 MiB leaves room for years of history and refuses a zip bomb.
MEMBER_CAP_BYTES = 64 * 1024 * 1024
#: Bytes read at a time, so a member is never held beyond the cap plus one chunk.
CHUNK_BYTES = 64 * 1024

QUANTITIES = (("temperature_c", TEMPERATURE_RANGE_C, "°C"), ("rh_pct", RH_RANGE_PCT, "%"))


class PassportCheckError(ValueError):
    """A passport member or value that cannot be imported; the message names where."""


def read_member(archive: zipfile.ZipFile, name: str, cap_bytes: int = MEMBER_CAP_BYTES) -> bytes:
    """The member ``name`` of ``archive``, refused from its header when it declares more
    than ``cap_bytes`` uncompressed (nothing of it is read), and refused while reading
    when it inflates beyond the cap whatever its header said."""
    info = archive.getinfo(name)
    if info.file_size > cap_bytes:
        raise PassportCheckError(
            f"{name}: declares {info.file_size} bytes uncompressed, more than the "
            f"{cap_bytes} bytes a passport member may hold; not read"
        )
    parts: list[bytes] = []
    total = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK_BYTES):
            total += len(chunk)
            if total > cap_bytes:
                raise PassportCheckError(
                    f"{name}: inflates beyond the {cap_bytes} bytes a passport member may hold "
                    f"(its header said {info.file_size}); reading stopped"
                )
            parts.append(chunk)
    return b"".join(parts)


def _number(name: str, text: str | None, line: int) -> float | None:
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise PassportCheckError(f"climate.csv line {line}: {name} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise PassportCheckError(f"climate.csv line {line}: {name} {text!r} is not a finite number")
    return value


def _check_quantity(
    row: dict[str, str], line: int, quantity: str, bounds: tuple[float, float], unit: str
) -> None:
    """One quantity's mean/min/max on one line: inside the sensors' range, min ≤ mean ≤ max."""
    low, high = bounds
    values = {
        stat: _number(f"{quantity}_{stat}", row.get(f"{quantity}_{stat}"), line)
        for stat in ("min", "mean", "max")
    }
    for stat, value in values.items():
        if value is not None and not low <= value <= high:
            raise PassportCheckError(
                f"climate.csv line {line}: {quantity}_{stat} {value:g} {unit} is outside "
                f"{low:g}…{high:g} {unit}, the range a live reading must meet"
            )
    ordered = [(stat, value) for stat, value in values.items() if value is not None]
    for (first, a), (second, b) in itertools.pairwise(ordered):
        if a > b:
            raise PassportCheckError(
                f"climate.csv line {line}: {quantity}_{first} {a:g} is above {quantity}_{second} {b:g} "
                f"(an hour's min ≤ mean ≤ max)"
            )


def _hour(text: str, line: int) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise PassportCheckError(f"climate.csv line {line}: time {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise PassportCheckError(f"climate.csv line {line}: time {text!r} has no UTC offset")
    if moment.minute or moment.second or moment.microsecond:
        raise PassportCheckError(f"climate.csv line {line}: time {text!r} is not the start of an hour")
    return moment


def check_climate(data: bytes) -> None:
    """Refuse ``climate.csv`` (:class:`PassportCheckError` naming the line and value) unless
    every hour is possible: times the start of an hour, strictly in order (so each hour is
    there once: the object was in one place each hour), temperatures and RH inside the
    sensors' ranges, min ≤ mean ≤ max, a whole count of readings that is not negative."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
        previous: datetime | None = None
        for row in reader:
            line = reader.line_num
            moment = _hour(row.get("time") or "", line)
            if previous is not None and moment <= previous:
                word = "twice" if moment == previous else "out of order"
                after = previous.isoformat()
                raise PassportCheckError(
                    f"climate.csv line {line}: hour {row['time']} is there {word} (after {after})"
                )
            previous = moment
            for quantity, bounds, unit in QUANTITIES:
                _check_quantity(row, line, quantity, bounds, unit)
            count = row.get("readings") or "0"
            if not count.isdigit():
                raise PassportCheckError(
                    f"climate.csv line {line}: readings {count!r} is not a count (a whole number ≥ 0)"
                )
    except (UnicodeDecodeError, csv.Error) as error:
        raise PassportCheckError(f"climate.csv: cannot be read ({error})") from None
