"""The alert engine: rules with minimum duration and hysteresis, a lifecycle kept as an
append-only event log, repeats and escalation.

The engine is plain logic driven by explicit times, so tests can step it; the collector
feeds it readings (:meth:`AlertEngine.observe`) and calls :meth:`AlertEngine.evaluate`
every second, which is what notices a sensor that has gone silent even when no message
ever arrives again.

Rules (``RULES``), for each case:

``rh_high`` / ``rh_low``
    The highest (lowest) RH among the case's sensors beyond the case limit. Default limits
    come from the artefacts' materials: the lowest ``rh_risk_pct`` of any material in the
    case, and the highest too-dry limit of any organic part; ``[[alerts.rules]]`` can set
    them per case. Opens after ``min_duration``; resolves only once RH is back by
    ``hysteresis_pct``, so RH wandering around the limit does not flap.
``condensation``
    Dew-point margin below ``condensation_margin_k`` (docs/science.md §1); resolves 1 K above.
``artefact_risk``
    An artefact's level (:func:`analysis.risk.assess` over the last 24 h of the case's
    worst sensor, :func:`worst_sensor_series`, with the model's hysteresis) is risk or
    critical through a cause no case rule covers (time of wetness, fluctuation, mould);
    resolves after an hour below.

One incident per case and cause: an object at risk because the air is too damp (too dry,
near condensation) is the same incident as the case's ``rh_high`` (``rh_low``,
``condensation``) alert, which lists the objects it puts at risk or worse and is critical
when one of them is; a fast change that takes RH beyond a case limit is that limit's
incident, not a ``rate_of_change`` one as well.
``rate_of_change``
    RH in a case changed by more than ``rate_of_change_pct_per_h`` within the last hour
    (a door left open, a dehumidifier that stopped), each sensor compared with itself, for
    longer than ``min_duration`` (so a single spike opens nothing);
    resolves once the change has stayed 1 % below the limit for an hour.
``sensor_silent``
    No reading from a sensor for ``sensor_silent_after``.
``sensor_stuck``
    A sensor repeating exactly the same temperature and RH for ``stuck_after``: real
    sensors' noise moves the last digit.
``collector_health``
    The monitoring system itself (on the first case of each site): the broker reports
    dropped messages, or the spool holds more than ``spool_alert_depth`` readings
    (InfluxDB unreachable or too slow).
``battery_low``
    A sensor's battery below ``battery_low_pct``; resolves 5 % above.
``forecast``
    With ``[alerts] forecast_days`` set: every hour (``forecast_every_s``) each case is
    diagnosed against its room (:func:`museum.assessment.diagnose.diagnose_case`, from the hourly
    means of the last two weeks the engine keeps), and a case forecast to pass its RH
    limit within ``forecast_days`` opens one alert that says by when and what to check
    (the gel of a buffered case, the seals and door otherwise). Only a fit of good or
    fair quality opens it; it resolves once the forecast is beyond
    ``FORECAST_MARGIN`` × ``forecast_days`` (or no crossing at all). It neither repeats
    nor escalates: it is notice weeks ahead, and ``rh_high`` takes over if the day comes.

Lifecycle, per (case, rule): ``opened`` → ``notified`` → ``acknowledged`` (user, note) →
``resolved``. One open alert per (case, rule) at a time; a repeat notification after
``repeat_after`` while open and not acknowledged; escalation to the second list after
``escalate_after`` if not acknowledged.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from analysis.materials import MaterialProfile, profile
from analysis.psychrometrics import dew_point_margin
from analysis.risk import COMPONENT_SOURCES, LEVELS, assess
from museum.assessment.diagnose import DEFAULT_WINDOW, Diagnosis, diagnose_case
from museum.description.config import Case, MuseumConfig
from museum.description.limits import case_limits
from museum.storage.schema import AlertEvent, RiskPoint

log = logging.getLogger("patina.alerts")

RULES = (
    "rh_high",
    "rh_low",
    "rate_of_change",
    "condensation",
    "artefact_risk",
    "sensor_silent",
    "sensor_stuck",
    "battery_low",
    "collector_health",
    "forecast",
)
#: How often the forecast rule diagnoses each case (of the engine's clock: event time in
#: a replay). The estimators work on hourly means over two weeks, so hourly is plenty.
FORECAST_EVERY_S = 3600.0
#: A forecast alert resolves once the forecast is beyond this many times ``forecast_days``:
#: a forecast wandering around the threshold from one hour to the next does not flap.
FORECAST_MARGIN = 1.25
#: Fits trusted enough to open a forecast alert (analysis.diagnostics qualities).
FORECAST_QUALITIES = ("good", "fair")
#: Readings kept per case for the risk assessment.
RISK_WINDOW_S = 24 * 3600
#: Rate-of-change and artefact-risk alerts resolve only after their cause has stayed away
#: this long: a case moving about a limit would otherwise open and resolve them again and
#: again (seen in the simulated scenarios).
CALM_S = 3600.0
#: Risk points are written at most this often per artefact (and at once when the current
#: reading moves an artefact into another RH band), so that the overview, the case page
#: (which read these points) and the alerts agree within a minute.
RISK_EVERY_S = 60.0
#: An object that is good, and whose RH band has not changed, is assessed this often only:
#: a change of band (the way up) is assessed at once anyway, and one assessment costs
#: 15–50 ms (benchmarks/bench_demo_day.py).
RISK_GOOD_EVERY_S = 900.0
#: The object-level drivers that a case rule already reports: their incident is that rule's.
CASE_RULE_OF_DRIVER = {"rh_high": "rh_high", "too_dry": "rh_low", "condensation": "condensation"}


def worst_sensor_series(
    history: Iterable[tuple[float, float, float, str]], fresh_for_s: float
) -> pd.DataFrame:
    """A case's climate as its worst sensor sees it: at each reading's time, the highest RH
    (and the highest temperature) among the latest values of the sensors still reporting.

    Two sensors in a case report in turns; assessing their readings as one series would
    make the case's level flip with each turn. This series moves only when the worst of
    them does. A sensor's value counts for ``fresh_for_s`` after its reading (as
    ``sensor_silent_after`` does for the rules).
    """
    entries = list(history)
    times = np.array([e[0] for e in entries], dtype=float)
    sensors = np.array([e[3] for e in entries], dtype=object)
    values = {
        "temperature_c": np.array([e[1] for e in entries], dtype=float),
        "rh_pct": np.array([e[2] for e in entries], dtype=float),
    }
    moments = np.unique(times)
    worst = {name: np.full(len(moments), -np.inf) for name in values}
    for sensor in set(sensors.tolist()):
        mine = np.flatnonzero(sensors == sensor)
        mine = mine[np.argsort(times[mine], kind="stable")]
        # The sensor's latest reading at or before each moment, if it is fresh enough.
        latest = np.searchsorted(times[mine], moments, side="right") - 1
        seen = latest >= 0
        fresh = seen & (moments - times[mine][np.maximum(latest, 0)] < fresh_for_s)
        for name, series in values.items():
            candidate = np.where(fresh, series[mine][np.maximum(latest, 0)], -np.inf)
            worst[name] = np.maximum(worst[name], candidate)
    frame = pd.DataFrame(worst, index=pd.to_datetime(moments, unit="s", utc=True))
    return frame[np.isfinite(frame).all(axis=1)]


def level_limit(material: MaterialProfile, driver: str, level: str) -> float | None:
    """The RH limit (%) that puts a material at ``level`` through ``driver``: for damp air
    the limit crossed (safe, risk or critical), for dry air the too-dry limit; None for
    other drivers."""
    if driver == "rh_high":
        key = {
            "good": "rh_safe_pct",
            "watch": "rh_safe_pct",
            "risk": "rh_risk_pct",
            "critical": "rh_critical_pct",
        }[level]
        return float(getattr(material, key))
    if driver == "too_dry":
        return material.rh_too_dry_pct
    return None


@dataclass
class Notification:
    """What the notifiers send: an alert that opened, repeats, escalates or resolved."""

    kind: str  # opened, repeat, escalated, resolved
    alert_id: str
    case: Case
    rule: str
    subject_key: str
    severity: str
    value: float | None
    threshold: float | None
    source: str
    since_s: float
    detail: str = ""
    escalate: bool = False
    #: The material whose limit it is, when there is one.
    material: str = ""
    #: The forecast rule: when the case is expected to pass its RH limit (epoch seconds).
    due_s: float | None = None


@dataclass
class _Condition:
    active_since: float | None = None
    alert_id: str | None = None
    opened_s: float = 0.0
    last_notified_s: float = 0.0
    acknowledged: bool = False
    escalated: bool = False
    severity: str = "warning"
    value: float | None = None
    threshold: float | None = None
    source: str = ""
    detail: str = ""
    material: str = ""
    #: Since when the clearing condition has held (for rules that must stay calm to resolve).
    calm_since: float | None = None
    #: The forecast rule: when the case is expected to pass its limit.
    due_s: float | None = None


@dataclass
class _CaseState:
    latest: dict[str, tuple[float, float | None, float | None, float | None]] = field(default_factory=dict)
    history: deque[tuple[float, float, float, str]] = field(default_factory=deque)
    last_risk_s: dict[str, float] = field(default_factory=dict)
    last_level: dict[str, str] = field(default_factory=dict)
    #: Per artefact: the driver of its last assessed level.
    last_driver: dict[str, str] = field(default_factory=dict)
    last_score: dict[str, float] = field(default_factory=dict)
    #: Per artefact: the RH band of the latest reading, to assess at once when it changes.
    last_band: dict[str, str] = field(default_factory=dict)
    #: Per sensor: its (time, RH) over the last hour, for the rate of change.
    rh_last_hour: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    #: Per sensor: the last (T, RH) pair and since when it has not changed.
    unchanged_since: dict[str, tuple[tuple[float | None, float | None], float]] = field(default_factory=dict)
    #: Per (hour start, sensor): [sum of T, sum of RH, readings], the last two weeks, for
    #: the forecast rule's diagnosis.
    hourly: dict[tuple[float, str], list[float]] = field(default_factory=dict)
    #: Hourly means read from the store at start (the weeks before this process ran).
    seeded: pd.DataFrame | None = None


class AlertEngine:
    """Rules and lifecycle for every case of a config. ``write_event`` stores events (the
    collector spools them for InfluxDB); ``notify`` queues notifications; ``write_risk``
    stores risk points."""

    def __init__(
        self,
        config: MuseumConfig,
        write_event: Callable[[AlertEvent], None],
        notify: Callable[[Notification], None],
        write_risk: Callable[[RiskPoint], None] | None = None,
        now_s: float = 0.0,
        museum: MuseumConfig | None = None,
    ) -> None:
        self.config = config
        #: The whole museum: with scale-out, a case's room may be another instance's.
        self.museum = museum or config
        self.write_event = write_event
        self.notify = notify
        self.write_risk = write_risk or (lambda point: None)
        self.cases = {case.id: case for case in config.cases}
        self.limits = {case.id: case_limits(config, case) for case in config.cases}
        self.sensor_case = {s: case.id for case in config.cases for s in case.sensors}
        self.last_seen: dict[str, float] = {s: now_s for s in self.sensor_case}
        self.conditions: dict[tuple[str, str], _Condition] = {}
        self.states = {case.id: _CaseState() for case in config.cases}
        #: Per sensor, when it counts as silent, where its own reading interval says more
        #: than ``sensor_silent_after`` (the collector's event-time mode sets it).
        self.silent_after_s: dict[str, float] = {}
        self.forecast_every_s = FORECAST_EVERY_S
        self._forecast_at_s = -np.inf
        #: Hourly means of a reference room this engine does not evaluate (scale-out: read
        #: from the store by the evaluator); None: such a case is not forecast.
        self.reference_hourly: Callable[[str, datetime, datetime], pd.DataFrame] | None = None

    # --- state across restarts ------------------------------------------------------------
    def restore(self, open_alerts: list[dict[str, Any]], last_seen: dict[str, float]) -> None:
        """Open alerts from the event log (latest event of each alert not resolved) and each
        sensor's last reading, so a restart neither reopens nor forgets."""
        for alert in open_alerts:
            key = (alert["case_id"], alert["rule_key"])
            self.conditions[key] = _Condition(
                active_since=alert["opened_s"],
                alert_id=alert["alert_id"],
                opened_s=alert["opened_s"],
                last_notified_s=alert["time_s"],
                acknowledged=alert["state"] == "acknowledged",
                severity=alert.get("severity", "warning"),
            )
        for sensor, seen in last_seen.items():
            if sensor in self.last_seen:
                self.last_seen[sensor] = max(self.last_seen[sensor], seen) if seen else self.last_seen[sensor]

    def start_clock(self, now_s: float) -> None:
        """Count silence from ``now_s`` for sensors not heard since (a replay whose readings
        are older than the moment the engine was made)."""
        for sensor, seen in self.last_seen.items():
            if seen > now_s:
                self.last_seen[sensor] = now_s

    def acknowledged(self, alert_id: str) -> None:
        """An acknowledgement was recorded (by `patina alerts ack` or the dashboard)."""
        for condition in self.conditions.values():
            if condition.alert_id == alert_id:
                condition.acknowledged = True

    def place_objects(self, config: MuseumConfig) -> list[str]:
        """Follow moves: each case now holds the objects ``config`` gives it (the move log
        through museum.loans.moves.with_locations). Its limits follow its materials; returns the
        ids of the cases that changed."""
        changed = []
        for case in config.cases:
            if case.id in self.cases and self.cases[case.id].artefacts != case.artefacts:
                self.cases[case.id] = replace(self.cases[case.id], artefacts=case.artefacts)
                self.limits[case.id] = case_limits(self.config, self.cases[case.id])
                changed.append(case.id)
        return changed

    def open_alerts(self) -> list[tuple[str, str, _Condition]]:
        return [(case, rule, c) for (case, rule), c in self.conditions.items() if c.alert_id]

    # --- readings -----------------------------------------------------------------------------
    def observe(
        self,
        case_id: str,
        sensor_id: str,
        time_s: float,
        temperature_c: float | None,
        rh_pct: float | None,
        battery_pct: float | None,
        now_s: float,
    ) -> None:
        if case_id not in self.cases:
            return
        self.last_seen[sensor_id] = max(self.last_seen.get(sensor_id, 0.0), time_s)
        state = self.states[case_id]
        previous = state.latest.get(sensor_id)
        if previous is not None and previous[0] > time_s:
            return  # an old reading (replay, redelivery) does not change the present
        state.latest[sensor_id] = (time_s, temperature_c, rh_pct, battery_pct)
        values = (temperature_c, rh_pct)
        previous_values = state.unchanged_since.get(sensor_id)
        if previous_values is None or previous_values[0] != values:
            state.unchanged_since[sensor_id] = (values, time_s)
        if rh_pct is not None:
            recent = state.rh_last_hour.setdefault(sensor_id, deque())
            recent.append((time_s, rh_pct))
            while recent[0][0] < time_s - 3600:
                recent.popleft()
        if temperature_c is not None and rh_pct is not None:
            state.history.append((time_s, temperature_c, rh_pct, sensor_id))
            while state.history and state.history[0][0] < time_s - RISK_WINDOW_S:
                state.history.popleft()
            if self.config.alerts.forecast_days is not None:
                sums = state.hourly.setdefault((time_s - time_s % 3600.0, sensor_id), [0.0, 0.0, 0.0])
                sums[0] += temperature_c
                sums[1] += rh_pct
                sums[2] += 1.0
        self._evaluate_case(case_id, now_s)

    def evaluate(self, now_s: float) -> None:
        """Silence, durations, repeats and escalations; call every second or so."""
        for sensor, case_id in self.sensor_case.items():
            silent_for = now_s - self.last_seen.get(sensor, now_s)
            silent_after_s = self.silent_after_s.get(sensor, self.config.alerts.sensor_silent_after_s)
            self._condition(
                case_id,
                f"sensor_silent:{sensor}",
                "sensor_silent",
                active=silent_for >= silent_after_s,
                clear=silent_for < silent_after_s,
                now_s=now_s,
                min_duration_s=0.0,
                value=silent_for / 60.0,
                threshold=silent_after_s / 60.0,
                source="alerts.sensor_silent_after",
                detail=sensor,
            )
        for case_id in self.cases:
            self._evaluate_case(case_id, now_s)
        forecast_due = now_s - self._forecast_at_s >= self.forecast_every_s
        if self.config.alerts.forecast_days is not None and forecast_due:
            self._forecast_at_s = now_s
            self.forecast(now_s)
        self._follow_up(now_s)

    # --- the forecast rule ----------------------------------------------------------------------
    def seed_hourly(self, case_id: str, frame: pd.DataFrame) -> None:
        """Hourly means (temperature_c, rh_pct on a UTC hourly index) of a case from the
        store, so a restart does not wait two weeks to forecast again."""
        if case_id in self.states:
            self.states[case_id].seeded = frame

    def hourly_means(self, case_id: str) -> pd.DataFrame:
        """Hourly means of a case over the last two weeks: the mean of its sensors' hourly means
        (as ``museum.assessment.diagnose.hourly_climate`` reads them from the store), the hours this
        engine saw over those read at start."""
        state = self.states[case_id]
        rows = [(hour, sums[0] / sums[2], sums[1] / sums[2]) for (hour, _), sums in state.hourly.items()]
        live = pd.DataFrame(rows, columns=["time", "temperature_c", "rh_pct"]).groupby("time").mean()
        live.index = pd.to_datetime(live.index, unit="s", utc=True)
        if state.seeded is None or state.seeded.empty:
            return live
        seeded = state.seeded[~state.seeded.index.isin(live.index)][["temperature_c", "rh_pct"]]
        return pd.concat([seeded, live]).sort_index()

    def forecast(self, now_s: float) -> list[Diagnosis]:
        """Diagnose every case against its room over the last two weeks and open (or
        resolve) its ``forecast`` alert; returns the diagnoses made."""
        forecast_days = self.config.alerts.forecast_days
        if forecast_days is None:
            return []
        end = datetime.fromtimestamp(now_s, UTC)
        start = end - DEFAULT_WINDOW
        start_s = start.timestamp()
        for state in self.states.values():  # two weeks kept, for every case (rooms too)
            for key in [k for k in state.hourly if k[0] < start_s - 3600.0]:
                del state.hourly[key]
        frames: dict[str, pd.DataFrame] = {}
        diagnoses = []
        for case_id, case in self.cases.items():
            reference = None if case.is_room else self.museum.reference_for(case_id)
            if reference is None:
                continue
            if reference.id in self.states:
                room = frames.get(reference.id)
                if room is None:
                    room = frames[reference.id] = self.hourly_means(reference.id)
            elif self.reference_hourly is not None:
                room = self.reference_hourly(reference.id, start, end)
            else:
                continue
            mine = self.hourly_means(case_id)
            if len(mine) < 48 or len(room) < 48:
                continue  # fewer than two days: the fit would say insufficient_data anyway
            diagnosis = diagnose_case(self.museum, case, mine, room, start, end)
            diagnoses.append(diagnosis)
            fit, predicted = diagnosis.tightness, diagnosis.forecast
            if fit is None or diagnosis.quality not in FORECAST_QUALITIES:
                continue  # an unusable fit neither opens nor resolves
            days = predicted.days if predicted is not None else np.inf
            if np.isfinite(days):
                # The day the case is expected to pass its limit: what the notification tells.
                self.conditions.setdefault((case_id, "forecast"), _Condition()).due_s = (
                    diagnosis.end.timestamp() + days * 86_400.0
                )
            self._condition(
                case_id,
                "forecast",
                "forecast",
                active=bool(days < forecast_days),
                clear=bool(days >= FORECAST_MARGIN * forecast_days),
                now_s=now_s,
                min_duration_s=0.0,
                value=float(days) if np.isfinite(days) else None,
                threshold=forecast_days,
                source="alerts.forecast_days",
                # What to check: the gel of a buffered case, the seals and door of a leaky one.
                detail="buffered" if fit.buffered else "unbuffered",
            )
        return diagnoses

    # --- rules ---------------------------------------------------------------------------------
    def _objects_at_risk(self, case_id: str, rule: str) -> tuple[str, str]:
        """The case's artefacts at risk or worse through the drivers of ``rule``, as
        "id name (level)" joined by "; ", and the incident's severity."""
        state, case = self.states[case_id], self.cases[case_id]
        found = [
            (LEVELS.index(state.last_level[a.id]), a)
            for a in case.artefacts
            if LEVELS.index(state.last_level.get(a.id, "good")) >= 2
            and CASE_RULE_OF_DRIVER.get(state.last_driver.get(a.id, "")) == rule
        ]
        found.sort(key=lambda pair: -pair[0])
        detail = "; ".join(f"{a.id} {a.name} ({LEVELS[rank]})" for rank, a in found)
        return detail, "critical" if found and found[0][0] == 3 else "warning"

    def _evaluate_case(self, case_id: str, now_s: float) -> None:
        state, limits, alerts = self.states[case_id], self.limits[case_id], self.config.alerts
        # Objects first: the case rules list the objects they put at risk.
        self._assess_artefacts(case_id, now_s)
        fresh = [v for v in state.latest.values() if now_s - v[0] < alerts.sensor_silent_after_s]
        rh_values = [v[2] for v in fresh if v[2] is not None]
        if rh_values and limits.rh_max_pct is not None:
            rh = max(rh_values)
            objects, severity = self._objects_at_risk(case_id, "rh_high")
            self._condition(
                case_id,
                "rh_high",
                "rh_high",
                active=rh > limits.rh_max_pct,
                clear=rh <= limits.rh_max_pct - alerts.hysteresis_pct,
                now_s=now_s,
                min_duration_s=limits.min_duration_s,
                value=rh,
                threshold=limits.rh_max_pct,
                source=limits.rh_max_source,
                material=limits.rh_max_material,
                detail=objects,
                severity=severity,
            )
        if rh_values and limits.rh_min_pct is not None:
            rh = min(rh_values)
            objects, severity = self._objects_at_risk(case_id, "rh_low")
            self._condition(
                case_id,
                "rh_low",
                "rh_low",
                active=rh < limits.rh_min_pct,
                clear=rh >= limits.rh_min_pct + alerts.hysteresis_pct,
                now_s=now_s,
                min_duration_s=limits.min_duration_s,
                value=rh,
                threshold=limits.rh_min_pct,
                source=limits.rh_min_source,
                material=limits.rh_min_material,
                detail=objects,
                severity=severity,
            )
        # Each sensor against itself an hour ago: two sensors' calibration offsets are not a change.
        changes = [
            abs(recent[-1][1] - recent[0][1])
            for recent in state.rh_last_hour.values()
            if recent
            and recent[-1][0] - recent[0][0] >= 3000
            and now_s - recent[-1][0] < alerts.sensor_silent_after_s
        ]
        # A fast change that takes RH beyond a case limit, or brings it back within the hour
        # after, is that limit's incident already.
        beyond_limit = any(
            (c := self.conditions.get((case_id, rule))) is not None
            and (
                c.active_since is not None
                or c.alert_id is not None
                or (c.calm_since is not None and now_s - c.calm_since < 3600.0 and c.opened_s > 0)
            )
            for rule in ("rh_high", "rh_low")
        )
        if changes:
            change = max(changes)
            self._condition(
                case_id,
                "rate_of_change",
                "rate_of_change",
                active=change > alerts.rate_of_change_pct_per_h and not beyond_limit,
                clear=change <= alerts.rate_of_change_pct_per_h - 1.0,
                now_s=now_s,
                min_duration_s=limits.min_duration_s,
                value=change,
                threshold=alerts.rate_of_change_pct_per_h,
                source="alerts.rate_of_change_pct_per_h",
                calm_for_s=CALM_S,
            )
        for sensor, (_, since) in state.unchanged_since.items():
            latest_s = state.latest[sensor][0]
            stuck_for = latest_s - since
            self._condition(
                case_id,
                f"sensor_stuck:{sensor}",
                "sensor_stuck",
                active=stuck_for >= alerts.stuck_after_s,
                clear=stuck_for < alerts.stuck_after_s,
                now_s=now_s,
                min_duration_s=0.0,
                value=stuck_for / 3600.0,
                threshold=alerts.stuck_after_s / 3600.0,
                source="alerts.stuck_after",
                detail=sensor,
            )
        margins = [
            float(dew_point_margin(v[1], v[2]))
            for v in fresh
            if v[1] is not None and v[2] is not None and v[2] > 0
        ]
        if margins:
            margin = min(margins)
            objects, severity = self._objects_at_risk(case_id, "condensation")
            self._condition(
                case_id,
                "condensation",
                "condensation",
                active=margin < alerts.condensation_margin_k,
                clear=margin >= alerts.condensation_margin_k + 1.0,
                now_s=now_s,
                min_duration_s=limits.min_duration_s,
                value=margin,
                threshold=alerts.condensation_margin_k,
                source="ASHRAE Fundamentals 2017 ch. 1 (dew point): a margin under about 3 K",
                detail=objects,
                severity=severity,
            )
        for sensor, (_, _, _, battery) in state.latest.items():
            if battery is not None:
                self._condition(
                    case_id,
                    f"battery_low:{sensor}",
                    "battery_low",
                    active=battery < alerts.battery_low_pct,
                    clear=battery >= alerts.battery_low_pct + 5.0,
                    now_s=now_s,
                    min_duration_s=0.0,
                    value=battery,
                    threshold=alerts.battery_low_pct,
                    source="alerts.battery_low_pct",
                    detail=sensor,
                )

    def _assess_artefacts(self, case_id: str, now_s: float) -> None:
        state, case = self.states[case_id], self.cases[case_id]
        if not state.history or not case.artefacts:
            return
        due = [
            a
            for a in case.artefacts
            if now_s - state.last_risk_s.get(a.id, -1e18)
            >= (RISK_EVERY_S if state.last_level.get(a.id, "watch") != "good" else RISK_GOOD_EVERY_S)
        ]
        # The worst fresh sensor decides the band, as it decides rh_high: with two sensors in
        # a case, the band must not flip with each sensor's turn to report.
        fresh = [
            (temperature_c, rh_pct)
            for seen_s, temperature_c, rh_pct, _ in state.latest.values()
            if temperature_c is not None
            and rh_pct is not None
            and now_s - seen_s < self.config.alerts.sensor_silent_after_s
        ]
        if fresh:
            latest_t, latest_rh = max(fresh, key=lambda pair: pair[1])
        else:
            _, latest_t, latest_rh, _ = state.history[-1]
        changed = []
        for artefact in case.artefacts:
            band_now = self._quick_level(artefact.materials, latest_t, latest_rh)
            if band_now != state.last_band.get(artefact.id):
                state.last_band[artefact.id] = band_now
                changed.append(artefact)
        todo = {a.id: a for a in due + changed}.values()
        if not todo:
            return
        frame = worst_sensor_series(state.history, self.config.alerts.sensor_silent_after_s)
        if frame.empty:
            return
        latest = frame.iloc[-1]
        # Objects of the same materials in a case share one assessment.
        timelines: dict[tuple[str, ...], pd.DataFrame] = {}
        for artefact in todo:
            materials = tuple(artefact.materials)
            if materials not in timelines:
                timelines[materials] = assess(frame, materials, summarise=False).timeline
            timeline = timelines[materials]
            row = timeline.iloc[-1]
            level = str(row["level"])
            codes = timeline["level"].cat.codes.to_numpy()
            switches = np.flatnonzero(codes != codes[-1])
            since = timeline.index[switches[-1] + 1] if len(switches) else timeline.index[0]
            material = profile(str(row["material"]))
            state.last_risk_s[artefact.id] = now_s
            state.last_level[artefact.id] = level
            state.last_driver[artefact.id] = str(row["driver"])
            state.last_score[artefact.id] = float(row["score"])
            self.write_risk(
                RiskPoint(
                    time_ns=int(frame.index[-1].timestamp() * 1e9),
                    site=case.site,
                    case_id=case.id,
                    artefact_id=artefact.id,
                    material=str(row["material"]),
                    score=float(row["score"]),
                    level=LEVELS.index(level),
                    driver=str(row["driver"]),
                    components={
                        **{
                            f"component_{c}": float(row[c])
                            for c in row.index
                            if c not in ("score", "level", "raw_level", "driver", "material")
                        },
                        # What the pages say beside the level: since when, and the air
                        # against the limit of the material that drives it.
                        "since_s": since.timestamp(),
                        "rh_pct": float(latest["rh_pct"]),
                        "temperature_c": float(latest["temperature_c"]),
                        **(
                            {"limit_pct": limit}
                            if (limit := level_limit(material, str(row["driver"]), level)) is not None
                            else {}
                        ),
                    },
                )
            )
        for artefact in case.artefacts:
            if artefact.id not in state.last_level:
                return
        # Objects at risk through damp, dry or near-condensing air belong to the case rule's
        # incident; this rule covers the other causes only.
        others = [
            (LEVELS.index(state.last_level[a.id]), a)
            for a in case.artefacts
            if state.last_driver.get(a.id) not in CASE_RULE_OF_DRIVER
        ]

        def severity_of(pair: tuple[int, Any]) -> tuple[int, float]:
            return pair[0], state.last_score.get(pair[1].id, 0.0)

        rank, worst = max(others, key=severity_of) if others else (0, None)
        at_risk = [a for r, a in sorted(others, key=lambda pair: -pair[0]) if r >= 2]
        self._condition(
            case_id,
            "artefact_risk",
            "artefact_risk",
            active=rank >= 2,
            clear=rank < 2,
            now_s=now_s,
            min_duration_s=self.limits[case_id].min_duration_s,
            value=state.last_score.get(worst.id, 0.0) if worst else 0.0,
            threshold=50.0,
            source=COMPONENT_SOURCES.get(state.last_driver.get(worst.id, ""), "") if worst else "",
            detail="; ".join(
                f"{a.id} {a.name} ({state.last_level[a.id]}, {state.last_driver[a.id]})" for a in at_risk
            ),
            severity="critical" if rank == 3 else "warning",
            calm_for_s=CALM_S,
        )

    @staticmethod
    def _quick_level(materials: tuple[str, ...], temperature_c: float, rh_pct: float) -> str:
        ranks = []
        for name in materials:
            p = profile(name)
            edges = [p.rh_safe_pct, p.rh_risk_pct, p.rh_critical_pct]
            ranks.append(sum(rh_pct >= edge for edge in edges))
        return LEVELS[max(ranks)]

    # --- lifecycle -----------------------------------------------------------------------------
    def _condition(
        self,
        case_id: str,
        key: str,
        rule: str,
        *,
        active: bool,
        clear: bool,
        now_s: float,
        min_duration_s: float,
        value: float | None,
        threshold: float | None,
        source: str,
        detail: str = "",
        severity: str = "warning",
        material: str = "",
        calm_for_s: float = 0.0,
    ) -> None:
        """Open once ``active`` has held for longer than ``min_duration_s`` (strictly: a
        reading seen at both ends of the duration is still one reading); resolve once
        ``clear`` has held for ``calm_for_s``."""
        condition = self.conditions.setdefault((case_id, key), _Condition())
        condition.value, condition.threshold, condition.source = value, threshold, source
        condition.material = material
        condition.detail = detail or condition.detail
        if active:
            condition.calm_since = None
            if condition.active_since is None:
                condition.active_since = now_s
            if condition.alert_id is None and (
                now_s - condition.active_since > min_duration_s or min_duration_s <= 0
            ):
                self._open(case_id, key, rule, condition, now_s, severity)
            elif condition.alert_id and severity == "critical" and condition.severity != "critical":
                condition.severity = "critical"
        elif clear:
            condition.active_since = None
            if condition.calm_since is None:
                condition.calm_since = now_s
            if condition.alert_id is not None and now_s - condition.calm_since >= calm_for_s:
                self._resolve(case_id, key, rule, condition, now_s)

    def _event(
        self, case_id: str, condition: _Condition, rule: str, state: str, time_s: float, message: str = ""
    ) -> None:
        assert condition.alert_id is not None
        key = next(
            (k for (c, k), cond in self.conditions.items() if cond is condition and c == case_id), rule
        )
        self.write_event(
            AlertEvent(
                time_ns=int(time_s * 1e9),
                site=self.cases[case_id].site,
                case_id=case_id,
                alert_id=condition.alert_id,
                rule=rule,
                severity=condition.severity,
                state=state,
                message=message,
                value=condition.value,
                threshold=condition.threshold,
                rule_key=key,
            )
        )

    def _notification(
        self, kind: str, case_id: str, rule: str, condition: _Condition, escalate: bool = False
    ) -> Notification:
        assert condition.alert_id is not None
        return Notification(
            kind=kind,
            alert_id=condition.alert_id,
            case=self.cases[case_id],
            rule=rule,
            subject_key=f"rule.{rule}",
            severity=condition.severity,
            value=condition.value,
            threshold=condition.threshold,
            source=condition.source,
            since_s=condition.opened_s,
            detail=condition.detail,
            escalate=escalate,
            material=condition.material,
            due_s=condition.due_s if rule == "forecast" else None,
        )

    def _open(
        self, case_id: str, key: str, rule: str, condition: _Condition, now_s: float, severity: str
    ) -> None:
        # Milliseconds: an alert that resolves and opens again within a second gets a new id.
        stamp = datetime.fromtimestamp(now_s, UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
        condition.alert_id = f"{case_id}.{key.replace(':', '.')}.{stamp}"
        condition.opened_s = now_s
        condition.severity = severity
        condition.acknowledged = False
        condition.escalated = False
        condition.last_notified_s = now_s
        log.warning(
            "alert %s opened: %s = %s (limit %s)",
            condition.alert_id,
            rule,
            condition.value,
            condition.threshold,
        )
        self._event(case_id, condition, rule, "opened", now_s, condition.detail)
        self.notify(self._notification("opened", case_id, rule, condition))

    def _resolve(self, case_id: str, key: str, rule: str, condition: _Condition, now_s: float) -> None:
        log.info("alert %s resolved", condition.alert_id)
        self._event(case_id, condition, rule, "resolved", now_s)
        self.notify(self._notification("resolved", case_id, rule, condition))
        condition.alert_id = None
        condition.acknowledged = False

    def collector_health(
        self, broker_dropped: int | None, spool_depth: int, now_s: float, problem: str | None = None
    ) -> None:
        """The monitoring system's own health, reported on the first case of each site.
        ``problem`` says what keeps readings from InfluxDB (``writer_blocked:access_denied``,
        ``spool_full``…); its alert is notified at once, since notifications do not need InfluxDB."""
        for site in dict.fromkeys(case.site for case in self.cases.values()):
            case_id = next(c.id for c in self.cases.values() if c.site == site)
            self._condition(
                case_id,
                "collector_health:storage",
                "collector_health",
                active=problem is not None,
                clear=problem is None,
                now_s=now_s,
                min_duration_s=0.0,
                value=float(spool_depth),
                threshold=0.0,
                source="patina status",
                detail=problem or "",
            )
            self._condition(
                case_id,
                "collector_health:broker_dropped",
                "collector_health",
                active=bool(broker_dropped),
                clear=not broker_dropped,
                now_s=now_s,
                min_duration_s=0.0,
                value=float(broker_dropped or 0),
                threshold=0.0,
                source="$SYS/broker/publish/messages/dropped",
                detail="broker_dropped",
            )
            depth_limit = self.config.alerts.spool_alert_depth
            self._condition(
                case_id,
                "collector_health:spool",
                "collector_health",
                active=spool_depth > depth_limit,
                clear=spool_depth <= depth_limit // 2,
                now_s=now_s,
                min_duration_s=self.config.alerts.min_duration_s,
                value=float(spool_depth),
                threshold=float(depth_limit),
                source="alerts.spool_alert_depth",
                detail="spool_depth",
            )

    def _follow_up(self, now_s: float) -> None:
        alerts = self.config.alerts
        for (case_id, key), condition in self.conditions.items():
            if condition.alert_id is None or condition.acknowledged:
                continue
            rule = key.split(":", 1)[0]
            if rule == "forecast":
                continue  # notice weeks ahead: told once, not repeated or escalated
            if not condition.escalated and now_s - condition.opened_s >= alerts.escalate_after_s:
                condition.escalated = True
                condition.last_notified_s = now_s
                self._event(case_id, condition, rule, "escalated", now_s)
                self.notify(self._notification("escalated", case_id, rule, condition, escalate=True))
            elif now_s - condition.last_notified_s >= alerts.repeat_after_s:
                condition.last_notified_s = now_s
                self.notify(
                    self._notification("repeat", case_id, rule, condition, escalate=condition.escalated)
                )
