"""Reading a case's light from InfluxDB (the ``light`` measurement, docs/light.md).

Kept apart from :mod:`museum.storage.store` so the store's class stays the size of one job;
the queries are built the same way, from fixed text and values quoted by
:mod:`museum.storage.influxql`, and run through the store's own ``frame`` (both APIs).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import pandas as pd

from analysis.light import uv_mw_m2_from_uw_per_lm
from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.light_hourly import LIGHT_HOURLY_TARGET, light_hourly_select
from museum.storage.schema import LIGHT, LIGHT_FIELDS
from museum.storage.store import StoreError

#: Columns of :func:`light_series`.
LIGHT_COLUMNS = ["time", "sensor_id", *LIGHT_FIELDS]


class Queries(Protocol):
    def frame(self, statement: str) -> pd.DataFrame: ...


class Statements(Queries, Protocol):
    def execute(self, statement: str) -> list[dict[str, object]]: ...


def backfill_light_hourly(store: Statements, start: datetime, end: datetime) -> None:
    """Compute the hourly means of light between ``start`` and ``end`` (whole hours)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    store.execute(
        f"{light_hourly_select()} WHERE time >= {time_literal(first)} AND time < {time_literal(end)} "
        "GROUP BY time(1h), *"
    )


def stored_light_hourly(store: Queries, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The hourly means kept in :data:`LIGHT_HOURLY`, as :func:`light_series` gives them."""
    columns = ", ".join(quote_identifier(name) for name in LIGHT_FIELDS)
    try:
        data = store.frame(
            f"SELECT {columns} FROM {LIGHT_HOURLY_TARGET} WHERE case_id = {quote_literal(case_id)} "
            f"AND time >= {time_literal(start)} AND time < {time_literal(end)} GROUP BY sensor_id"
        )
    except StoreError as error:
        if "retention policy not found" not in str(error):
            raise
        return pd.DataFrame(columns=LIGHT_COLUMNS)  # never set up (no collector has run): nothing kept
    return pd.DataFrame(columns=LIGHT_COLUMNS) if data.empty else data.reindex(columns=LIGHT_COLUMNS)


def light_series(
    store: Queries, case_id: str, start: datetime, end: datetime, every: timedelta | None = None
) -> pd.DataFrame:
    """Light readings of one case between ``start`` (inclusive) and ``end`` (exclusive):
    columns time, sensor_id, illuminance_lux, uv_mw_m2, uv_uw_per_lm. With ``every``, the
    mean per interval and sensor, computed by InfluxDB (a year of minutes never leaves it)."""
    where = (
        f"WHERE case_id = {quote_literal(case_id)} AND time >= {time_literal(start)} "
        f"AND time < {time_literal(end)}"
    )
    if every is None:
        select = "SELECT " + ", ".join(quote_identifier(name) for name in LIGHT_FIELDS)
        group = "GROUP BY sensor_id"
    else:
        select = "SELECT " + ", ".join(
            f"mean({quote_identifier(name)}) AS {quote_identifier(name)}" for name in LIGHT_FIELDS
        )
        group = f"GROUP BY time({max(1, int(every.total_seconds()))}s), sensor_id fill(none)"
    data = store.frame(f"{select} FROM {quote_identifier(LIGHT)} {where} {group}")
    if data.empty:
        return pd.DataFrame(columns=LIGHT_COLUMNS)
    return data.reindex(columns=LIGHT_COLUMNS).sort_values(["time", "sensor_id"], ignore_index=True)


def case_light(store: Queries, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The light on a case's objects, hour by hour: the hourly means of each sensor, then
    the brightest sensor of each hour (the objects nearest the lamp are the ones to protect),
    indexed by hour (UTC), with columns illuminance_lux and uv_mw_m2 (UV irradiance from UV
    per lumen where only that was sent). Hourly means, so that a year is 8766 rows whatever
    the sensors' pace; doses from them are the trapezoid over hourly means (docs/light.md)."""
    fresh = light_series(store, case_id, start, end, every=timedelta(hours=1))
    kept = stored_light_hourly(store, case_id, start, end)
    # The hours computed from the raw readings where they are still kept; the stored means
    # where the raw readings have expired.
    seen = pd.MultiIndex.from_frame(fresh[["time", "sensor_id"]]) if not fresh.empty else None
    if seen is not None and not kept.empty:
        kept = kept[~pd.MultiIndex.from_frame(kept[["time", "sensor_id"]]).isin(seen)]
    frames = [frame for frame in (fresh, kept) if not frame.empty]
    data = pd.concat(frames, ignore_index=True) if frames else fresh
    data = data.dropna(subset=["illuminance_lux"])
    if data.empty:
        return pd.DataFrame(columns=["illuminance_lux", "uv_mw_m2"], index=pd.DatetimeIndex([], tz="UTC"))
    uv = data["uv_mw_m2"].astype(float)
    from_ratio = uv_mw_m2_from_uw_per_lm(
        data["uv_uw_per_lm"].astype(float), data["illuminance_lux"].astype(float)
    )
    data = data.assign(uv_mw_m2=uv.where(uv.notna(), from_ratio))
    brightest = data.loc[data.groupby("time")["illuminance_lux"].idxmax()]
    frame = brightest.set_index("time")[["illuminance_lux", "uv_mw_m2"]].astype(float)
    frame.index = pd.DatetimeIndex(frame.index)
    return frame.sort_index()
