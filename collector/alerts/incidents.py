"""The incident lifecycle, in one place: open, notify, repeat, escalate, acknowledge, resolve.

Rules only say what holds (:class:`~collector.alerts.condition.Condition`); this book turns
that into alerts, as Alertmanager does for Prometheus's rules. One incident per case and key
(``rule`` or ``rule:subject``), kept as an append-only event log:
``opened`` → ``notified`` (written by the notifiers as they deliver) → ``acknowledged`` (user,
note) → ``resolved``.

- An alert opens once its cause has held longer than the condition's ``min_duration_s``, and
  resolves once the cause has been gone (``clear``) for the condition's ``calm_for_s``.
- While open and not acknowledged it is notified again after ``[alerts] repeat_after``, and
  escalated once, to the second list, after ``escalate_after``. An acknowledgement stops both.
- Rules told once (the forecast: notice weeks ahead) neither repeat nor escalate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.alerts.condition import Condition
from museum.description.config import AlertsConfig, Case
from museum.storage.schema import AlertEvent

log = logging.getLogger("patina.alerts")


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
    #: The forecast rule: when the case is expected to pass its RH limit (epoch seconds),
    #: and the day by which it likely will (the forecast's lower quartile).
    due_s: float | None = None
    early_s: float | None = None


@dataclass
class Incident:
    """One case's incident of one cause: its open alert, if any, and what it last reported."""

    #: ``rule`` or ``rule:subject`` (the ``rule_key`` of its events).
    key: str
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
    #: The forecast rule: when the case is expected to pass its limit, and likely by.
    due_s: float | None = None
    early_s: float | None = None

    @property
    def rule(self) -> str:
        return self.key.partition(":")[0]


class Incidents:
    """Every incident of the cases in ``cases`` (read live: a case whose objects moved is
    the case notifications describe). ``write_event`` stores events; ``notify`` queues
    notifications; rules named in ``told_once`` neither repeat nor escalate."""

    def __init__(
        self,
        cases: Mapping[str, Case],
        alerts: AlertsConfig,
        write_event: Callable[[AlertEvent], None],
        notify: Callable[[Notification], None],
        told_once: Collection[str] = (),
    ) -> None:
        self.cases = cases
        self.alerts = alerts
        self.write_event = write_event
        self.notify = notify
        self.told_once = frozenset(told_once)
        self.by_key: dict[tuple[str, str], Incident] = {}

    def get(self, case_id: str, key: str) -> Incident | None:
        return self.by_key.get((case_id, key))

    def open_alerts(self) -> list[tuple[str, str, Incident]]:
        return [(case, key, i) for (case, key), i in self.by_key.items() if i.alert_id]

    def restore(self, open_alerts: list[dict[str, Any]]) -> None:
        """Open alerts from the event log (the latest event of each alert not resolved), so a
        restart neither reopens nor forgets."""
        for alert in open_alerts:
            key = alert["rule_key"]
            self.by_key[(alert["case_id"], key)] = Incident(
                key=key,
                active_since=alert["opened_s"],
                alert_id=alert["alert_id"],
                opened_s=alert["opened_s"],
                last_notified_s=alert["time_s"],
                acknowledged=alert["state"] == "acknowledged",
                severity=alert.get("severity", "warning"),
            )

    def acknowledged(self, alert_id: str) -> None:
        """An acknowledgement was recorded (by `patina alerts ack` or the dashboard)."""
        for incident in self.by_key.values():
            if incident.alert_id == alert_id:
                incident.acknowledged = True

    def apply(self, case_id: str, condition: Condition, now_s: float) -> None:
        """What ``condition`` means for its incident at ``now_s``: open once ``active`` has held
        for longer than its minimum duration (strictly: a reading seen at both ends of the
        duration is still one reading); resolve once ``clear`` has held for its calm spell."""
        incident = self.by_key.setdefault((case_id, condition.key), Incident(key=condition.key))
        if condition.due_s is not None:
            incident.due_s = condition.due_s
        if condition.early_s is not None:
            incident.early_s = condition.early_s
        incident.value, incident.threshold = condition.value, condition.threshold
        incident.source, incident.material = condition.source, condition.material
        incident.detail = condition.detail or incident.detail
        if condition.active:
            incident.calm_since = None
            if incident.active_since is None:
                incident.active_since = now_s
            long_enough = now_s - incident.active_since > condition.min_duration_s
            if incident.alert_id is None and (long_enough or condition.min_duration_s <= 0):
                self._open(case_id, incident, now_s, condition.severity)
            elif incident.alert_id and condition.severity == "critical":
                incident.severity = "critical"  # an open alert grows worse, never milder
        elif condition.clear:
            incident.active_since = None
            if incident.calm_since is None:
                incident.calm_since = now_s
            if incident.alert_id is not None and now_s - incident.calm_since >= condition.calm_for_s:
                self._resolve(case_id, incident, now_s)

    def follow_up(self, now_s: float) -> None:
        """Repeats and escalations of the open alerts nobody has acknowledged."""
        for (case_id, _), incident in self.by_key.items():
            if incident.alert_id is None or incident.acknowledged or incident.rule in self.told_once:
                continue
            if not incident.escalated and now_s - incident.opened_s >= self.alerts.escalate_after_s:
                incident.escalated = True
                incident.last_notified_s = now_s
                self._event(case_id, incident, "escalated", now_s)
                self.notify(self._notification("escalated", case_id, incident, escalate=True))
            elif now_s - incident.last_notified_s >= self.alerts.repeat_after_s:
                incident.last_notified_s = now_s
                self.notify(self._notification("repeat", case_id, incident, escalate=incident.escalated))

    def _open(self, case_id: str, incident: Incident, now_s: float, severity: str) -> None:
        # Milliseconds: an alert that resolves and opens again within a second gets a new id.
        stamp = datetime.fromtimestamp(now_s, UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
        incident.alert_id = f"{case_id}.{incident.key.replace(':', '.')}.{stamp}"
        incident.opened_s = now_s
        incident.severity = severity
        incident.acknowledged = False
        incident.escalated = False
        incident.last_notified_s = now_s
        log.warning(
            "alert %s opened: %s = %s (limit %s)",
            incident.alert_id,
            incident.rule,
            incident.value,
            incident.threshold,
        )
        self._event(case_id, incident, "opened", now_s, incident.detail)
        self.notify(self._notification("opened", case_id, incident))

    def _resolve(self, case_id: str, incident: Incident, now_s: float) -> None:
        log.info("alert %s resolved", incident.alert_id)
        self._event(case_id, incident, "resolved", now_s)
        self.notify(self._notification("resolved", case_id, incident))
        incident.alert_id = None
        incident.acknowledged = False

    def _event(self, case_id: str, incident: Incident, state: str, time_s: float, message: str = "") -> None:
        assert incident.alert_id is not None
        self.write_event(
            AlertEvent(
                time_ns=int(time_s * 1e9),
                site=self.cases[case_id].site,
                case_id=case_id,
                alert_id=incident.alert_id,
                rule=incident.rule,
                severity=incident.severity,
                state=state,
                message=message,
                value=incident.value,
                threshold=incident.threshold,
                rule_key=incident.key,
                # The forecast's dates as the alert opened, for the Alerts page.
                due_s=incident.due_s if state == "opened" else None,
                early_s=incident.early_s if state == "opened" else None,
            )
        )

    def _notification(
        self, kind: str, case_id: str, incident: Incident, escalate: bool = False
    ) -> Notification:
        assert incident.alert_id is not None
        return Notification(
            kind=kind,
            alert_id=incident.alert_id,
            case=self.cases[case_id],
            rule=incident.rule,
            subject_key=f"rule.{incident.rule}",
            severity=incident.severity,
            value=incident.value,
            threshold=incident.threshold,
            source=incident.source,
            since_s=incident.opened_s,
            detail=incident.detail,
            escalate=escalate,
            material=incident.material,
            due_s=incident.due_s,
            early_s=incident.early_s,
        )
