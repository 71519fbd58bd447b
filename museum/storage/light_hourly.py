"""The hourly means of ``light`` kept for ever (docs/light.md): where they live and the
continuous query that writes them, beside ``climate_hourly`` (:mod:`museum.storage.hourly`).
Built here, run by :meth:`museum.storage.store.InfluxStore.ensure_downsampling`; read by
:mod:`museum.storage.light`. InfluxDB 1.x only: the 2.x backend keeps light raw."""

from __future__ import annotations

from museum.storage.hourly import HOURLY_POLICY
from museum.storage.influxql import quote_identifier
from museum.storage.schema import LIGHT, LIGHT_FIELDS

#: Hourly means of ``light`` kept for ever beside ``climate_hourly`` (InfluxDB 1.x: a
#: continuous query), so a year's budget outlives a short raw retention.
LIGHT_HOURLY = "light_hourly"
LIGHT_HOURLY_QUERY = "patina_light_hourly"
LIGHT_HOURLY_TARGET = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(LIGHT_HOURLY)}"


def light_hourly_select(into: bool = True) -> str:
    """The hourly means of ``light`` (followed by WHERE and GROUP BY time(1h))."""
    means = ", ".join(f"mean({quote_identifier(name)}) AS {quote_identifier(name)}" for name in LIGHT_FIELDS)
    target = f" INTO {LIGHT_HOURLY_TARGET}" if into else ""
    return f"SELECT {means}, count(illuminance_lux) AS readings{target} FROM {quote_identifier(LIGHT)}"


def light_hourly_query_statement(database: str, queries: set[str]) -> str | None:
    """The continuous query keeping :data:`LIGHT_HOURLY` (every hour, over the last two days
    as the climate's does), unless ``queries`` already holds it."""
    if LIGHT_HOURLY_QUERY in queries:
        return None
    return (
        f"CREATE CONTINUOUS QUERY {quote_identifier(LIGHT_HOURLY_QUERY)} ON {quote_identifier(database)} "
        f"RESAMPLE EVERY 1h FOR 2d BEGIN {light_hourly_select()} GROUP BY time(1h), * END"
    )
