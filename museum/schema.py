"""The InfluxDB schema every part agrees on (DESIGN.md, "InfluxDB schema")."""

from __future__ import annotations

from dataclasses import dataclass

from museum.lineprotocol import encode_point

CLIMATE = "climate"
COLLECTOR_STATS = "collector_stats"
CLIMATE_TAGS = ("site", "case_id", "sensor_id")
CLIMATE_FIELDS = ("temperature_c", "rh_pct", "battery_pct", "rssi_dbm")


@dataclass(frozen=True, slots=True)
class Reading:
    """One climate reading from one sensor at one moment.

    ``ts_source`` is ``"sensor"`` when the device stamped the reading and ``"received"``
    when it did not and the collector used its receive time.
    """

    sensor_id: str
    time_ns: int
    temperature_c: float | None
    rh_pct: float | None
    battery_pct: float | None = None
    ts_source: str = "sensor"
    rssi_dbm: float | None = None


def climate_line(reading: Reading, site: str, case_id: str) -> str:
    """The ``climate`` point of a reading, as one line of line protocol."""
    return encode_point(
        CLIMATE,
        {"site": site, "case_id": case_id, "sensor_id": reading.sensor_id},
        {
            "temperature_c": reading.temperature_c,
            "rh_pct": reading.rh_pct,
            "battery_pct": reading.battery_pct,
            "rssi_dbm": reading.rssi_dbm,
            "ts_source": reading.ts_source,
        },
        reading.time_ns,
    )
