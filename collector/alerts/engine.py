"""The alert engine: it keeps each case's readings and its objects' levels, judges the rules
(``collector/alerts/rules/``) at the moments they are due, and hands what they conclude to
the incident lifecycle (``collector/alerts/incidents.py``).

The engine is plain logic driven by explicit times, so tests can step it; the collector
feeds it readings (:meth:`AlertEngine.observe`) and calls :meth:`AlertEngine.evaluate`
every second, which is what notices a sensor that has gone silent even when no message
ever arrives again.

- At each reading of a case, and at every tick: its objects are assessed
  (``assessment.py``), then its ``READING_RULES``.
- At every tick, first: the ``TICK_RULES`` (silence) of every case; afterwards the
  forecast when due, then repeats and escalations.
- Every ``FORECAST_EVERY_S``, with ``[alerts] forecast_days`` set: each case diagnosed
  against its room, then the ``FORECAST_RULES``.
- When the collector reports its own health: the ``HEALTH_RULES``.
- At every tick, with partner museums watched: the ``PARTNER_RULES`` on the first case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pandas as pd

from collector.alerts.assessment import ObjectAssessment
from collector.alerts.incidents import Incident, Incidents, Notification
from collector.alerts.light import LightState
from collector.alerts.readings import CaseReadings
from collector.alerts.rules import (
    ALL_RULES,
    FORECAST_RULES,
    HEALTH_RULES,
    PARTNER_RULES,
    READING_RULES,
    TICK_RULES,
)
from collector.alerts.rules.base import CaseView, CollectorReport, PartnerBeats, Rule
from collector.alerts.rules.forecast import FORECAST_EVERY_S, FORECAST_MIN_HOURS
from museum.assessment.diagnose import DEFAULT_WINDOW, Diagnosis, diagnose_case
from museum.description.config import Case, MuseumConfig
from museum.description.limits import case_limits
from museum.storage.schema import AlertEvent, RiskPoint

#: A reading's light: (illuminance_lux, uv_mw_m2, uv_uw_per_lm).
Light = tuple[float | None, float | None, float | None]
#: A reading handed over in a batch: (case, sensor, time_s, temperature_c, rh_pct,
#: battery_pct, light or None).
BatchReading = tuple[str, str, float, float | None, float | None, float | None, Light | None]


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
        self.write_risk = write_risk or (lambda point: None)
        self.cases = {case.id: case for case in config.cases}
        self.limits = {case.id: case_limits(config, case) for case in config.cases}
        self.sensor_case = {s: case.id for case in config.cases for s in case.sensors}
        self.last_seen: dict[str, float] = {s: now_s for s in self.sensor_case}
        self.readings = {case.id: CaseReadings() for case in config.cases}
        self.objects = {case.id: ObjectAssessment() for case in config.cases}
        #: Each case's light, from its first light reading on (collector/alerts/light.py).
        self.light: dict[str, LightState] = {}
        self.incidents = Incidents(
            self.cases,
            config.alerts,
            write_event,
            notify,
            told_once=[rule.name for rule in ALL_RULES if not rule.repeats],
        )
        #: Per sensor, when it counts as silent, where its own reading interval says more
        #: than ``sensor_silent_after`` (the collector's event-time mode sets it).
        self.silent_after_s: dict[str, float] = {}
        self.forecast_every_s = FORECAST_EVERY_S
        self._forecast_at_s = -float("inf")
        #: Hourly means of a reference room this engine does not evaluate (scale-out: read
        #: from the store by the evaluator); None: such a case is not forecast.
        self.reference_hourly: Callable[[str, datetime, datetime], pd.DataFrame] | None = None
        #: The partners' heartbeats (collector/partners.py); None: no partner is watched here.
        self.partner_beats: Callable[[], PartnerBeats] | None = None

    # --- state across restarts ------------------------------------------------------------
    def restore(self, open_alerts: list[dict[str, Any]], last_seen: dict[str, float]) -> None:
        """Open alerts from the event log (latest event of each alert not resolved) and each
        sensor's last reading, so a restart neither reopens nor forgets."""
        self.incidents.restore(open_alerts)
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
        self.incidents.acknowledged(alert_id)

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

    def open_alerts(self) -> list[tuple[str, str, Incident]]:
        return self.incidents.open_alerts()

    # --- readings and time -------------------------------------------------------------------
    def observe(
        self,
        case_id: str,
        sensor_id: str,
        time_s: float,
        temperature_c: float | None,
        rh_pct: float | None,
        battery_pct: float | None,
        now_s: float,
        light: Light | None = None,
    ) -> None:
        """A reading; ``light``: its (illuminance_lux, uv_mw_m2, uv_uw_per_lm), if it has any."""
        if case_id in self.cases and self._add(
            case_id, sensor_id, time_s, temperature_c, rh_pct, battery_pct, light
        ):
            self._evaluate_case(case_id, now_s)

    def observe_batch(self, readings: Iterable[BatchReading], now_s: float) -> None:
        """Readings received together, as (case, sensor, time, temperature, RH, battery,
        light), all judged at ``now_s``: each case they changed is evaluated once, after all
        of them. The rules read each sensor's latest reading and the case's history, which
        hold every reading of the batch either way; what a case is evaluated on differs
        from reading-by-reading evaluation only when one sensor reports twice in a batch
        (a backlog): its earlier value then opens no alert by itself, as a condition that
        is gone at the same moment opens none with ``min_duration``. An evaluation costs
        far more than a reading (the objects' risk is reassessed on a change of RH band):
        per reading, a burst spent a third of the collector's CPU here (issue 31)."""
        changed: dict[str, None] = {}
        for case_id, sensor_id, time_s, temperature_c, rh_pct, battery_pct, light in readings:
            if case_id in self.cases and self._add(
                case_id, sensor_id, time_s, temperature_c, rh_pct, battery_pct, light
            ):
                changed[case_id] = None
        for case_id in changed:
            self._evaluate_case(case_id, now_s)

    def _add(
        self,
        case_id: str,
        sensor_id: str,
        time_s: float,
        temperature_c: float | None,
        rh_pct: float | None,
        battery_pct: float | None,
        light: Light | None,
    ) -> bool:
        """Keep a reading; whether it changed what the case's rules see. A light-only
        reading is not a climate reading (it would look stuck at nothing)."""
        self.last_seen[sensor_id] = max(self.last_seen.get(sensor_id, 0.0), time_s)
        changed = False
        if light is None or temperature_c is not None or rh_pct is not None or battery_pct is not None:
            changed = self.readings[case_id].add(
                sensor_id,
                time_s,
                temperature_c,
                rh_pct,
                battery_pct,
                hourly=self.config.alerts.forecast_days is not None,
            )
        if light is not None:
            changed = self.light_state(case_id).add(sensor_id, time_s, *light) or changed
        return changed

    def light_state(self, case_id: str) -> LightState:
        """The case's light, made at its first light reading (or when seeded from the store)."""
        if case_id not in self.light:
            self.light[case_id] = LightState(self.config.zone)
        return self.light[case_id]

    def evaluate(self, now_s: float) -> None:
        """Silence, durations, repeats and escalations; call every second or so."""
        for case_id in self.cases:
            self._judge(TICK_RULES, self._view(case_id), now_s)
        if self.partner_beats is not None and self.cases:
            first = next(iter(self.cases))
            self._judge(PARTNER_RULES, self._view(first, partners=self.partner_beats()), now_s)
        for case_id in self.cases:
            self._evaluate_case(case_id, now_s)
        forecast_due = now_s - self._forecast_at_s >= self.forecast_every_s
        if self.config.alerts.forecast_days is not None and forecast_due:
            self._forecast_at_s = now_s
            self.forecast(now_s)
        self.incidents.follow_up(now_s)

    def collector_health(
        self, broker_dropped: int | None, spool_depth: int, now_s: float, problem: str | None = None
    ) -> None:
        """The monitoring system's own health, reported on the first case of each site.
        ``problem`` says what keeps readings from InfluxDB (``writer_blocked:access_denied``,
        ``spool_full``…); its alert is notified at once, since notifications do not need InfluxDB."""
        report = CollectorReport(broker_dropped, spool_depth, problem)
        first_of_site: dict[str, str] = {}
        for case in self.cases.values():
            first_of_site.setdefault(case.site, case.id)
        for case_id in first_of_site.values():
            self._judge(HEALTH_RULES, self._view(case_id, health=report), now_s)

    # --- the forecast ---------------------------------------------------------------------------
    def seed_hourly(self, case_id: str, frame: pd.DataFrame) -> None:
        """Hourly means (temperature_c, rh_pct on a UTC hourly index) of a case from the
        store, so a restart does not wait two weeks to forecast again."""
        if case_id in self.readings:
            self.readings[case_id].seeded = frame

    def hourly_means(self, case_id: str) -> pd.DataFrame:
        """Hourly means of a case over the last two weeks (:meth:`CaseReadings.hourly_means`)."""
        return self.readings[case_id].hourly_means()

    def forecast(self, now_s: float) -> list[Diagnosis]:
        """Diagnose every case against its room over the last two weeks and judge its
        forecast rule; returns the diagnoses made."""
        if self.config.alerts.forecast_days is None:
            return []
        end = datetime.fromtimestamp(now_s, UTC)
        start = end - DEFAULT_WINDOW
        for readings in self.readings.values():  # two weeks kept, for every case (rooms too)
            readings.forget_hours_before(start.timestamp() - 3600.0)
        rooms: dict[str, pd.DataFrame] = {}
        diagnoses = []
        for case_id, case in self.cases.items():
            diagnosis = self._diagnose(case, rooms, start, end)
            if diagnosis is not None:
                diagnoses.append(diagnosis)
                self._judge(FORECAST_RULES, self._view(case_id, diagnosis=diagnosis), now_s)
        return diagnoses

    def _diagnose(
        self, case: Case, rooms: dict[str, pd.DataFrame], start: datetime, end: datetime
    ) -> Diagnosis | None:
        """A case against its room (its hourly means, computed once per room in ``rooms``);
        None for a room, a case without one, or fewer than two days of either."""
        reference = None if case.is_room else self.museum.reference_for(case.id)
        if reference is None:
            return None
        if reference.id in self.readings:
            room = rooms.get(reference.id)
            if room is None:
                room = rooms[reference.id] = self.hourly_means(reference.id)
        elif self.reference_hourly is not None:
            room = self.reference_hourly(reference.id, start, end)
        else:
            return None
        mine = self.hourly_means(case.id)
        if len(mine) < FORECAST_MIN_HOURS or len(room) < FORECAST_MIN_HOURS:
            return None
        # The forecast rule reads whether a forecast is actionable, not what holds it back.
        return diagnose_case(self.museum, case, mine, room, start, end, explain=False)

    # --- judging -------------------------------------------------------------------------------
    def _evaluate_case(self, case_id: str, now_s: float) -> None:
        # Objects first: the case rules list the objects they put at risk.
        points = self.objects[case_id].assess(
            self.cases[case_id], self.readings[case_id], self.config.alerts.sensor_silent_after_s, now_s
        )
        for point in points:
            self.write_risk(point)
        self._judge(READING_RULES, self._view(case_id, objects_assessed=bool(points)), now_s)

    def _view(
        self,
        case_id: str,
        *,
        objects_assessed: bool = False,
        diagnosis: Diagnosis | None = None,
        health: CollectorReport | None = None,
        partners: PartnerBeats | None = None,
    ) -> CaseView:
        return CaseView(
            case=self.cases[case_id],
            limits=self.limits[case_id],
            alerts=self.config.alerts,
            readings=self.readings[case_id],
            objects=self.objects[case_id],
            last_seen_s=self.last_seen,
            silent_after_s=self.silent_after_s,
            incident=partial(self.incidents.get, case_id),
            objects_assessed=objects_assessed,
            diagnosis=diagnosis,
            health=health,
            light=self.light.get(case_id),
            light_config=self.config.light,
            opening_hours=self.config.opening_hours,
            partners=partners,
        )

    def _judge(self, rules: Iterable[Rule], view: CaseView, now_s: float) -> None:
        """Each rule in turn, its conditions applied before the next rule reads the incidents."""
        for rule in rules:
            for condition in rule.evaluate(view, now_s):
                self.incidents.apply(view.case.id, condition, now_s)
