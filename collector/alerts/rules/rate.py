"""``rate_of_change``: RH in a case changed by more than ``rate_of_change_pct_per_h`` within the
last hour (a door left open, a dehumidifier that stopped), for longer than ``min_duration``
(so a single spike opens nothing). Each sensor is compared with itself: two sensors'
calibration offsets are not a change. The alert resolves once the change has stayed 1 %
below the limit for an hour (``CALM_S``).

One incident per case and cause: a fast change that takes RH beyond a case limit, or brings
it back within the hour after, is that limit's incident (``rh_high``, ``rh_low``) already.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CALM_S, CaseView

#: A sensor's hour of RH counts once it spans this long (readings rarely fall on the hour).
SPAN_S = 3000.0
#: The rules whose incident a fast change beyond their limit belongs to.
LIMIT_RULES = ("rh_high", "rh_low")


@dataclass(frozen=True)
class RateOfChange:
    name: str = "rate_of_change"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        alerts = view.alerts
        changes = [
            abs(recent[-1][1] - recent[0][1])
            for recent in view.readings.rh_last_hour.values()
            if recent
            and recent[-1][0] - recent[0][0] >= SPAN_S
            and now_s - recent[-1][0] < alerts.sensor_silent_after_s
        ]
        if not changes:
            return []
        change = max(changes)
        return [
            Condition(
                self.name,
                active=change > alerts.rate_of_change_pct_per_h and not self._beyond_limit(view, now_s),
                clear=change <= alerts.rate_of_change_pct_per_h - 1.0,
                value=change,
                threshold=alerts.rate_of_change_pct_per_h,
                source="alerts.rate_of_change_pct_per_h",
                min_duration_s=view.limits.min_duration_s,
                calm_for_s=CALM_S,
            )
        ]

    @staticmethod
    def _beyond_limit(view: CaseView, now_s: float) -> bool:
        """Whether a limit's incident is under way, open, or resolved within the hour."""
        for rule in LIMIT_RULES:
            incident = view.incident(rule)
            if incident is not None and (
                incident.active_since is not None
                or incident.alert_id is not None
                or (
                    incident.calm_since is not None
                    and now_s - incident.calm_since < 3600.0
                    and incident.opened_s > 0
                )
            ):
                return True
        return False
