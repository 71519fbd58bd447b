"""Alerts: rules that conclude what holds for a case, an incident lifecycle that turns that
into alerts people are told about, and the assessment of each object's risk.

- ``rules/``: one module per family of rules (thresholds, rate of change, condensation,
  sensors, battery, objects at risk, forecast, collector health), each pure: it reads a
  :class:`~collector.alerts.rules.base.CaseView` and returns conditions.
- ``incidents.py``: open, notify, repeat, escalate, acknowledge, resolve; one incident per
  case and cause.
- ``assessment.py``: each object's risk level (with the model's hysteresis) and its risk points.
- ``readings.py``: what the engine remembers of each case's readings.
- ``engine.py``: :class:`AlertEngine`, which feeds them and judges each rule when it is due.

docs/alerts.md lists the rules and says how to add one.
"""

from collector.alerts.assessment import worst_sensor_series
from collector.alerts.engine import AlertEngine
from collector.alerts.incidents import Notification
from collector.alerts.readings import RISK_WINDOW_S
from collector.alerts.rules import RULES

__all__ = ["RISK_WINDOW_S", "RULES", "AlertEngine", "Notification", "worst_sensor_series"]
