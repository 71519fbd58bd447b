"""The InfluxDB schema every part agrees on (DESIGN.md, "InfluxDB schema")."""

from __future__ import annotations

from dataclasses import dataclass

from museum.lineprotocol import encode_point

CLIMATE = "climate"
#: Hourly mean/min/max/count per sensor, written by InfluxDB (museum.store.ensure_downsampling).
CLIMATE_HOURLY = "climate_hourly"
COLLECTOR_STATS = "collector_stats"
ALERT_EVENTS = "alert_events"
RISK = "risk"
#: Alert states, in lifecycle order; the state of an alert is its latest event.
ALERT_STATES = ("opened", "notified", "escalated", "notify_failed", "acknowledged", "resolved")
RISK_LEVELS = ("good", "watch", "risk", "critical")
CLIMATE_TAGS = ("site", "case_id", "sensor_id")
CLIMATE_FIELDS = ("temperature_c", "rh_pct", "battery_pct", "rssi_dbm")


@dataclass(frozen=True, slots=True)
class Reading:
    """One climate reading from one sensor at one moment.

    ``ts_source`` is ``"sensor"`` when the device stamped the reading and ``"received"``
    when it did not and the collector used its receive time; ``"received_backlog"`` when
    that receipt came from the broker's queue after the collector was away, so the
    reading was measured earlier than its time says (by up to the outage's length).
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


def alert_event_line(
    time_ns: int,
    *,
    site: str,
    case_id: str,
    alert_id: str,
    rule: str,
    rule_key: str,
    severity: str,
    state: str,
    message: str = "",
    value: float | None = None,
    threshold: float | None = None,
    user: str = "",
    note: str = "",
) -> str:
    """One event of the append-only alert log (DESIGN.md: ``alert_events``)."""
    return encode_point(
        ALERT_EVENTS,
        {"site": site, "case_id": case_id, "alert_id": alert_id, "rule": rule, "severity": severity},
        {
            "state": state,
            "rule_key": rule_key,
            "message": message,
            "value": value,
            "threshold": threshold,
            "user": user,
            "note": note,
        },
        time_ns,
    )


def risk_line(
    time_ns: int,
    *,
    site: str,
    case_id: str,
    artefact_id: str,
    material: str,
    score: float,
    level: int,
    driver: str,
    components: dict[str, float],
) -> str:
    """An artefact's risk at a moment (DESIGN.md: ``risk``); ``level`` 0 good … 3 critical."""
    return encode_point(
        RISK,
        {"site": site, "case_id": case_id, "artefact_id": artefact_id, "material": material},
        {"score": float(score), "level": int(level), "driver": driver, **components},
        time_ns,
    )
