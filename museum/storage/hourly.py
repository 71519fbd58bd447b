"""The hourly aggregates of ``climate``: where they live, the query that computes them, the
statements that set them up, and which stored hours can be trusted when they are read.

Nothing here talks to InfluxDB: :class:`museum.storage.store.InfluxStore` runs what is
built here (``ensure_downsampling``, ``backfill_hourly``, ``hourly_series``), and
:mod:`museum.storage.store_v2` keeps the same places under 2.x. Every name in the text is
quoted by :mod:`museum.storage.influxql`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.schema import CLIMATE, CLIMATE_HOURLY

#: Where the hourly aggregates live: a retention policy that keeps them for ever.
HOURLY_POLICY = "patina_forever"
HOURLY_QUERY = "patina_climate_hourly"
HOURLY_TARGET = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(CLIMATE_HOURLY)}"
HOURLY_COLUMNS = [
    "time",
    "sensor_id",
    "temperature_c",
    "rh_pct",
    "temperature_c_min",
    "temperature_c_max",
    "rh_pct_min",
    "rh_pct_max",
]
#: Runs of stale hours read from the raw readings one query each; beyond that many runs,
#: one query from the first stale hour to the end.
STALE_SPANS_PER_QUERY = 12


def hourly_select(into: bool = True) -> str:
    """The hourly aggregation of ``climate``, as the continuous query, the backfill and the
    dashboard run it (followed by WHERE and GROUP BY time(1h))."""
    target = f" INTO {HOURLY_TARGET}" if into else ""
    return (
        "SELECT mean(temperature_c) AS temperature_c, mean(rh_pct) AS rh_pct, "
        "min(temperature_c) AS temperature_c_min, max(temperature_c) AS temperature_c_max, "
        "min(rh_pct) AS rh_pct_min, max(rh_pct) AS rh_pct_max, count(rh_pct) AS readings"
        f"{target} FROM {quote_identifier(CLIMATE)}"
    )


# --- setting up: retention policies and the continuous query ---------------------------------
def shard_duration_s(retention_s: float | None) -> int:
    """The shard group duration InfluxDB 1.x's documentation recommends for a retention
    policy ("Schema and data layout", shard group duration recommendations): up to a day
    6 h, up to 7 days 1 day, up to 3 months 7 days, longer 30 days, infinite 52 weeks.
    Its own defaults are shorter (7 days for an infinite policy): a history import over
    decades then makes a shard per week that has a reading, each with its open files.
    A retention shorter than 6 h gets shards as long as itself: InfluxDB refuses a shard
    longer than its policy's duration."""
    day = 86_400
    if retention_s is None or retention_s <= 0:
        return 52 * 7 * day
    if retention_s <= day:
        return int(min(6 * 3600, max(3600, retention_s)))
    if retention_s <= 7 * day:
        return day
    if retention_s <= 92 * day:
        return 7 * day
    return 30 * day


def _duration_s(text: str) -> int:
    """Seconds in an InfluxQL duration as SHOW RETENTION POLICIES prints it ("8736h0m0s")."""
    units = {"h": 3600, "m": 60, "s": 1}
    seconds, number = 0, ""
    for char in str(text):
        if char.isdigit():
            number += char
        elif char in units and number:
            seconds += int(number) * units[char]
            number = ""
    return seconds


#: SHOW RETENTION POLICIES rows by policy name: name, duration, shard duration, …, default.
Policies = Mapping[str, Sequence[Any]]


def forever_policy_statement(database: str, policies: Policies) -> str | None:
    """The statement creating ``patina_forever`` (kept for ever, long shards), or giving it
    the recommended shard duration; None when it is as it should be."""
    forever_shard = f"SHARD DURATION {shard_duration_s(None)}s"
    if HOURLY_POLICY not in policies:
        return (
            f"CREATE RETENTION POLICY {quote_identifier(HOURLY_POLICY)} ON {quote_identifier(database)} "
            f"DURATION INF REPLICATION 1 {forever_shard}"
        )
    if _duration_s(policies[HOURLY_POLICY][2]) != shard_duration_s(None):
        return (
            f"ALTER RETENTION POLICY {quote_identifier(HOURLY_POLICY)} ON {quote_identifier(database)} "
            f"{forever_shard}"
        )
    return None


def hourly_query_statement(database: str, queries: set[str]) -> str | None:
    """The statement creating the continuous query (every hour, over the last two days so
    that late readings are counted), unless ``queries`` already holds it."""
    if HOURLY_QUERY in queries:
        return None
    return (
        f"CREATE CONTINUOUS QUERY {quote_identifier(HOURLY_QUERY)} ON {quote_identifier(database)} "
        f"RESAMPLE EVERY 1h FOR 2d BEGIN {hourly_select()} GROUP BY time(1h), * END"
    )


def raw_policy_statement(database: str, policies: Policies, raw_retention: timedelta | None) -> str | None:
    """The statement giving the default (raw) policy ``raw_retention`` and the shard
    duration recommended for it; without ``raw_retention``, only an infinite default policy
    gets the recommended shard duration (an admin's own duration is left alone). Shard
    durations apply to shard groups made from then on."""
    default = next((name for name, row in policies.items() if row[-1] is True), "autogen")
    retention_s = int(raw_retention.total_seconds()) if raw_retention is not None else None
    shard = f"SHARD DURATION {shard_duration_s(retention_s)}s"
    if retention_s is not None:
        return (
            f"ALTER RETENTION POLICY {quote_identifier(default)} ON {quote_identifier(database)} "
            f"DURATION {retention_s}s {shard}"
        )
    if (
        default in policies
        and _duration_s(policies[default][1]) == 0
        and _duration_s(policies[default][2]) != shard_duration_s(None)
    ):
        return f"ALTER RETENTION POLICY {quote_identifier(default)} ON {quote_identifier(database)} {shard}"
    return None


# --- reading: which stored hours to trust -------------------------------------------------
def stale_hours(stored: pd.DataFrame, counts: pd.DataFrame) -> list[pd.Timestamp]:
    """Hours whose aggregates cannot be trusted: some sensor has more raw readings in the
    hour than its aggregate counted (or no aggregate). Hours whose raw readings have
    expired (count missing) keep their aggregate."""
    if counts.empty:
        return []
    raw = counts.set_index(["time", "sensor_id"])["readings"].astype(float)
    if stored.empty or "readings" not in stored:
        return sorted(set(raw.index.get_level_values("time")))
    aggregated = stored.set_index(["time", "sensor_id"])["readings"].astype(float)
    counted = aggregated.reindex(raw.index)
    late = raw.index[(counted.isna() | (raw > counted)).to_numpy()]
    return sorted(set(late.get_level_values("time")))


def stale_spans(
    hours: list[pd.Timestamp], limit: int = STALE_SPANS_PER_QUERY
) -> list[tuple[datetime, datetime]]:
    """Runs of consecutive hours as (start, end) pairs; at most ``limit`` of them."""
    spans: list[list[pd.Timestamp]] = []
    for hour in hours:
        if spans and hour - spans[-1][1] <= pd.Timedelta(hours=1):
            spans[-1][1] = hour
        else:
            spans.append([hour, hour])
    if len(spans) > limit:
        spans = [[spans[0][0], spans[-1][1]]]
    return [(a.to_pydatetime(), (b + pd.Timedelta(hours=1)).to_pydatetime()) for a, b in spans]


def merge_hourly(
    stored: pd.DataFrame, fresh_parts: list[pd.DataFrame], stale: list[pd.Timestamp]
) -> pd.DataFrame:
    """The stored aggregates that can be trusted and the hours aggregated afresh from the
    raw readings, as one frame sorted by time and sensor (columns: ``HOURLY_COLUMNS`` and
    ``readings``). A fresh hour replaces a stored one."""
    columns = [*HOURLY_COLUMNS, "readings"]
    fresh = (
        pd.concat([f for f in fresh_parts if not f.empty], ignore_index=True)
        if fresh_parts
        else pd.DataFrame()
    )
    if not stored.empty:
        stored = stored[~stored["time"].isin(pd.DatetimeIndex(stale))]
        if not fresh.empty:
            stored = stored[~stored["time"].isin(fresh["time"])]
    frames = [f.reindex(columns=columns) for f in (stored, fresh) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    data = pd.concat(frames, ignore_index=True).sort_values(["time", "sensor_id"], ignore_index=True)
    data["readings"] = data["readings"].astype(float)
    return data


# --- readings per hour from the aggregates (the data-quality page's coverage) ---------------
#: The last whole hours always counted from the raw readings: the continuous query aggregates
#: an hour when the next begins, and readings still arriving then are counted an hour later.
RAW_COUNT_HOURS = 2
#: Series keys of the readings per hour: a sensor in the case it reported from.
READING_KEYS = ["sensor_id", "case_id"]


def untrusted_sensors(stored: pd.DataFrame, totals: pd.DataFrame) -> list[str]:
    """Sensors whose stored hours cannot stand for the raw count: for some case, the
    aggregates' ``readings`` summed over the hours differ from the raw readings counted over
    the same hours (``totals``: one row per sensor and case). Raw readings are only ever
    added, so each hour's raw count is at least its aggregate's: equal sums mean every hour
    is equal, a larger raw sum means an hour aggregated before all its readings arrived (or
    never aggregated), a smaller one raw readings expired or deleted."""
    raw = (
        totals.groupby(READING_KEYS)["readings"].sum().astype("int64")
        if not totals.empty
        else pd.Series(dtype="int64")
    )
    kept = (
        stored.groupby(READING_KEYS)["readings"].sum().astype("int64")
        if not stored.empty
        else pd.Series(dtype="int64")
    )
    keys = raw.index.union(kept.index)
    differ = raw.reindex(keys, fill_value=0) != kept.reindex(keys, fill_value=0)
    return sorted({sensor for sensor, _ in keys[differ.to_numpy()]})


def readings_grid(
    parts: Sequence[pd.DataFrame], present: Sequence[tuple[str, str]], start: datetime, end: datetime
) -> pd.DataFrame:
    """Readings per hour of every series in ``present`` (sensor, case), every hour from
    ``start`` up to ``end`` (0 where no part has the hour), as InfluxDB's count with
    ``fill(0)`` gives them: time, sensor_id, case_id, readings (int64), sorted by sensor and
    hour. ``parts`` hold hour rows of those series (time, sensor_id, case_id, readings), no
    hour in two parts."""
    columns = ["time", *READING_KEYS, "readings"]
    hours = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="1h", inclusive="left").as_unit("ns")
    if not present or hours.empty:
        return pd.DataFrame(columns=columns)
    rows = [p.reindex(columns=columns) for p in parts if not p.empty]
    counted = (
        pd.concat(rows, ignore_index=True).groupby([*READING_KEYS, "time"])["readings"].sum()
        if rows
        else pd.Series(dtype="int64")
    )
    keys = sorted(present)
    grid = pd.MultiIndex.from_arrays(
        [
            np.repeat([sensor for sensor, _ in keys], len(hours)),
            np.repeat([case for _, case in keys], len(hours)),
            np.tile(hours, len(keys)),
        ],
        names=[*READING_KEYS, "time"],
    )
    data = counted.reindex(grid, fill_value=0).rename("readings").reset_index()
    data["readings"] = data["readings"].astype("int64")
    return data.reindex(columns=columns)


def raw_count_statement(start: datetime, end: datetime, per_hour: bool, sensors: Sequence[str] = ()) -> str:
    """Raw RH readings counted per sensor and case, per hour (``fill(0)``: every hour of a
    series with a reading in the span) or over the whole span, of ``sensors`` or of all."""
    which = " OR ".join(f"sensor_id = {quote_literal(sensor)}" for sensor in sensors)
    group = "GROUP BY time(1h), sensor_id, case_id fill(0)" if per_hour else "GROUP BY sensor_id, case_id"
    return (
        f"SELECT count(rh_pct) AS readings FROM {quote_identifier(CLIMATE)} "
        f"WHERE time >= {time_literal(start)} AND time < {time_literal(end)}"
        f"{f' AND ({which})' if which else ''} {group}"
    )


def stored_readings_statement(start: datetime, end: datetime) -> str:
    """The hourly aggregates' ``readings`` per sensor and case between whole hours."""
    return (
        f"SELECT readings FROM {HOURLY_TARGET} WHERE time >= {time_literal(start)} "
        f"AND time < {time_literal(end)} GROUP BY sensor_id, case_id"
    )
