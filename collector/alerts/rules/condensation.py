"""``condensation``: the dew-point margin of the case's air (the smallest among its fresh
sensors; docs/science.md §1) below ``condensation_margin_k``; resolves 1 K above. Objects at
risk through near-condensing air are this alert's, which lists them."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.psychrometrics import dew_point_margin
from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView

SOURCE = "ASHRAE Fundamentals 2017 ch. 1 (dew point): a margin under about 3 K"


@dataclass(frozen=True)
class Condensation:
    name: str = "condensation"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        margins = [
            float(dew_point_margin(latest.temperature_c, latest.rh_pct))
            for latest in view.readings.fresh(now_s, view.alerts.sensor_silent_after_s)
            if latest.temperature_c is not None and latest.rh_pct is not None and latest.rh_pct > 0
        ]
        if not margins:
            return []
        margin, limit_k = min(margins), view.alerts.condensation_margin_k
        objects, severity = view.objects.at_risk_through(view.case, self.name)
        return [
            Condition(
                self.name,
                active=margin < limit_k,
                clear=margin >= limit_k + 1.0,
                value=margin,
                threshold=limit_k,
                source=SOURCE,
                min_duration_s=view.limits.min_duration_s,
                detail=objects,
                severity=severity,
            )
        ]
