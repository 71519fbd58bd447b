"""The InfluxDB schema every part agrees on (docs/architecture.md, "What is stored")."""

from __future__ import annotations

from dataclasses import dataclass

from museum.storage.lineprotocol import encode_point

CLIMATE = "climate"
#: Hourly mean/min/max/count per sensor, written by InfluxDB (museum.storage.store.ensure_downsampling).
CLIMATE_HOURLY = "climate_hourly"
COLLECTOR_STATS = "collector_stats"
ALERT_EVENTS = "alert_events"
RISK = "risk"
#: Alert states, in lifecycle order; the state of an alert is its latest event.
ALERT_STATES = ("opened", "notified", "escalated", "notify_failed", "acknowledged", "resolved")
CLIMATE_TAGS = ("site", "case_id", "sensor_id")
CLIMATE_FIELDS = ("temperature_c", "rh_pct", "battery_pct", "rssi_dbm")
#: Light and ultraviolet on a case's objects (issue 32, docs/light.md): a measurement of its
#: own beside ``climate``, with the same tags, so that the climate queries, the hourly
#: aggregates and the rules that read T and RH never meet a light-only point.
LIGHT = "light"
LIGHT_FIELDS = ("illuminance_lux", "uv_mw_m2", "uv_uw_per_lm")
#: Plausible air, the range of the sensors Patina expects: a reading outside it is refused,
#: by the collector (quarantine) and by the logger-file import (rejected rows) alike.
TEMPERATURE_RANGE_C = (-40.0, 85.0)
RH_RANGE_PCT = (0.0, 100.0)
BATTERY_RANGE_PCT = (0.0, 100.0)
#: Plausible light, the ranges of the sensors in use: full sunlight is about 100 000 lx and
#: the common lux sensors end at 65 535 lx (BH1750) or about 120 000 lx (VEML7700); T&D's
#: TR-74Ui reads UV up to 30 mW/cm² (300 000 mW/m²); daylight brings some 400–1600 µW/lm
#: and no museum source ten times that. A negative reading is a fault, not darkness.
ILLUMINANCE_RANGE_LUX = (0.0, 200_000.0)
UV_RANGE_MW_M2 = (0.0, 300_000.0)
UV_RANGE_UW_PER_LM = (0.0, 10_000.0)


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
    #: Light (docs/light.md), stored as a ``light`` point beside the ``climate`` one.
    illuminance_lux: float | None = None
    uv_mw_m2: float | None = None
    uv_uw_per_lm: float | None = None

    @property
    def has_climate(self) -> bool:
        """Whether it carries anything of the ``climate`` point (a light sensor may not)."""
        return self.temperature_c is not None or self.rh_pct is not None or self.battery_pct is not None

    @property
    def has_light(self) -> bool:
        return self.illuminance_lux is not None or self.uv_mw_m2 is not None or self.uv_uw_per_lm is not None


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


def light_line(reading: Reading, site: str, case_id: str) -> str:
    """The ``light`` point of a reading, as one line of line protocol."""
    return encode_point(
        LIGHT,
        {"site": site, "case_id": case_id, "sensor_id": reading.sensor_id},
        {
            "illuminance_lux": reading.illuminance_lux,
            "uv_mw_m2": reading.uv_mw_m2,
            "uv_uw_per_lm": reading.uv_uw_per_lm,
            "ts_source": reading.ts_source,
        },
        reading.time_ns,
    )


def reading_lines(reading: Reading, site: str, case_id: str) -> list[str]:
    """The points of a reading: ``climate`` if it carries climate (or nothing else: a
    battery-only or empty reading keeps its old form), ``light`` if it carries light."""
    lines = [climate_line(reading, site, case_id)] if reading.has_climate or not reading.has_light else []
    if reading.has_light:
        lines.append(light_line(reading, site, case_id))
    return lines


@dataclass(frozen=True)
class AlertEvent:
    """One event of the append-only alert log (docs/architecture.md: ``alert_events``):
    written by the collector's alert engine and notifiers, and by an acknowledgement."""

    time_ns: int
    site: str
    case_id: str
    alert_id: str
    rule: str
    severity: str
    state: str
    message: str = ""
    value: float | None = None
    threshold: float | None = None
    user: str = ""
    note: str = ""
    #: The rule and, for sensor rules, the sensor ("sensor_silent:s1"); empty: the rule.
    rule_key: str = ""
    #: The forecast rule's opening: the day the case is expected to pass its limit and the
    #: day it likely will by (epoch seconds); None for every other event.
    due_s: float | None = None
    early_s: float | None = None

    @property
    def time_s(self) -> float:
        return self.time_ns / 1e9


@dataclass(frozen=True)
class RiskPoint:
    """An artefact's risk at a moment (docs/architecture.md: ``risk``); ``level`` 0 good …
    3 critical (the index in :data:`analysis.risk.LEVELS`); ``components`` are extra fields
    (component scores, since when, the air against the limit)."""

    time_ns: int
    site: str
    case_id: str
    artefact_id: str
    material: str
    score: float
    level: int
    driver: str
    components: dict[str, float]

    @property
    def time_s(self) -> float:
        return self.time_ns / 1e9


def alert_event_line(event: AlertEvent) -> str:
    """The ``alert_events`` point of an event, as one line of line protocol."""
    return encode_point(
        ALERT_EVENTS,
        {
            "site": event.site,
            "case_id": event.case_id,
            "alert_id": event.alert_id,
            "rule": event.rule,
            "severity": event.severity,
        },
        {
            "state": event.state,
            "rule_key": event.rule_key or event.rule,
            "message": event.message,
            "value": event.value,
            "threshold": event.threshold,
            "user": event.user,
            "note": event.note,
            "due_s": event.due_s,
            "early_s": event.early_s,
        },
        event.time_ns,
    )


def risk_line(point: RiskPoint) -> str:
    """The ``risk`` point of an artefact's assessment, as one line of line protocol."""
    return encode_point(
        RISK,
        {
            "site": point.site,
            "case_id": point.case_id,
            "artefact_id": point.artefact_id,
            "material": point.material,
        },
        {"score": float(point.score), "level": int(point.level), "driver": point.driver, **point.components},
        point.time_ns,
    )


# --- an artefact's moves and recorded climate (issue 22, docs/passport.md) ---------------------

#: Append-only log of where an artefact is: moves, arrivals from a passport, transits.
ARTEFACT_MOVES = "artefact_moves"
#: Hourly climate an artefact lived in that no case of this museum measured: the history a
#: passport brought from other museums, and crate loggers' transits.
ARTEFACT_CLIMATE = "artefact_climate"
#: Kinds of ``artefact_moves`` events: a move within a museum, an arrival recorded by a
#: passport import, a transit (with its end), the location at the start of a passport, and a
#: departure on loan (``museum`` the borrower; the object is in none of this museum's cases).
MOVE_KINDS = ("move", "arrival", "transit", "initial", "departure")
ARTEFACT_CLIMATE_FIELDS = (
    "temperature_c_mean",
    "temperature_c_min",
    "temperature_c_max",
    "rh_pct_mean",
    "rh_pct_min",
    "rh_pct_max",
)


def move_line(
    time_ns: int,
    *,
    artefact_id: str,
    museum: str,
    site: str,
    case_id: str,
    kind: str,
    user: str,
    note: str,
    recorded_ns: int,
    until_ns: int | None = None,
    artefact: str | None = None,
) -> str:
    """One event of the append-only move log. ``museum`` (a tag) keeps apart events of
    different museums that fall on the same nanosecond; ``artefact`` is the object's
    description as JSON, carried by arrivals of objects the config does not list."""
    if kind not in MOVE_KINDS:
        raise ValueError(f"unknown move kind {kind!r}; one of {', '.join(MOVE_KINDS)}")
    return encode_point(
        ARTEFACT_MOVES,
        {"artefact_id": artefact_id, "museum": museum},
        {
            "site": site,
            "case_id": case_id,
            "kind": kind,
            "user": user,
            "note": note,
            "recorded_ns": int(recorded_ns),
            "until_ns": None if until_ns is None else int(until_ns),
            "artefact": artefact,
        },
        time_ns,
    )


def artefact_climate_line(
    time_ns: int,
    *,
    artefact_id: str,
    museum: str,
    site: str,
    case_id: str,
    source: str,
    values: dict[str, float | None],
    readings: int,
) -> str:
    """One hour of climate an artefact lived in outside this museum's cases."""
    return encode_point(
        ARTEFACT_CLIMATE,
        {"artefact_id": artefact_id, "museum": museum, "site": site, "case_id": case_id, "source": source},
        {**{name: values.get(name) for name in ARTEFACT_CLIMATE_FIELDS}, "readings": int(readings)},
        time_ns,
    )


# --- sensor calibrations (issue 28, docs/calibration.md) ---------------------------------------

#: Append-only log of sensor checks against a reference, and of their withdrawals; kept in
#: the retention policy that keeps for ever (``patina_forever``), like the hourly aggregates.
SENSOR_CALIBRATIONS = "sensor_calibrations"
#: Kinds of ``sensor_calibrations`` points: a check, or the withdrawal of an earlier check.
CALIBRATION_KINDS = ("check", "withdrawal")


def calibration_line(
    time_ns: int,
    *,
    sensor_id: str,
    quantity: str,
    record_id: str,
    kind: str,
    fields: dict[str, float | int | str | None],
) -> str:
    """One point of the calibration log. ``record_id`` (a tag) keeps apart two records of
    one sensor and quantity at the same nanosecond; ``fields`` are the reference, the
    sensor's value, who, the note and so on (museum.storage.calibration)."""
    if kind not in CALIBRATION_KINDS:
        raise ValueError(f"unknown calibration record kind {kind!r}; one of {', '.join(CALIBRATION_KINDS)}")
    return encode_point(
        SENSOR_CALIBRATIONS,
        {"sensor_id": sensor_id, "quantity": quantity, "record_id": record_id},
        {"kind": kind, **fields},
        time_ns,
    )


# --- case positions on the floor plans (issue 29, docs/dashboard-at-scale.md) ----------------

#: Where an admin placed a case on its gallery's plan with the mouse, with who; kept for ever
#: (``patina_forever``): the last point of a case overrides the config's ``[[galleries]]``.
CASE_POSITIONS = "case_positions"


def case_position_line(time_ns: int, *, gallery_id: str, case_id: str, x: float, y: float, user: str) -> str:
    """One placing of a case: ``x`` and ``y`` are fractions of the plan's image from its
    top-left corner (as in ``[[galleries]]``)."""
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError(f"position ({x}, {y}) is outside the plan (0 to 1)")
    return encode_point(
        CASE_POSITIONS,
        {"gallery_id": gallery_id, "case_id": case_id},
        {"x": x, "y": y, "user": user},
        time_ns,
    )
