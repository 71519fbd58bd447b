"""``artefact_risk``: an object's level (collector/alerts/assessment.py) is risk or critical
through a cause no case rule covers (time of wetness, fluctuation, mould); critical when one
object is; resolves after an hour below (``CALM_S``).

Objects at risk through damp, dry or near-condensing air are the incident of ``rh_high``,
``rh_low`` or ``condensation``, which list them: one incident per case and cause. The rule
is judged when the objects were assessed, once each of them has a level.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.risk import COMPONENT_SOURCES, LEVELS
from collector.alerts.assessment import CASE_RULE_OF_DRIVER
from collector.alerts.condition import Condition
from collector.alerts.rules.base import CALM_S, CaseView
from museum.description.config import Artefact

#: The level index from which an object is at risk (``risk``, then ``critical``).
AT_RISK = LEVELS.index("risk")


@dataclass(frozen=True)
class ArtefactRisk:
    name: str = "artefact_risk"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        objects, case = view.objects, view.case
        if not view.objects_assessed or not objects.all_assessed(case):
            return []
        others = [
            (LEVELS.index(objects.last_level[a.id]), a)
            for a in case.artefacts
            if objects.last_driver.get(a.id) not in CASE_RULE_OF_DRIVER
        ]

        def severity_of(pair: tuple[int, Artefact]) -> tuple[int, float]:
            return pair[0], objects.last_score.get(pair[1].id, 0.0)

        rank, worst = max(others, key=severity_of) if others else (0, None)
        at_risk = [a for r, a in sorted(others, key=lambda pair: -pair[0]) if r >= AT_RISK]
        return [
            Condition(
                self.name,
                active=rank >= AT_RISK,
                clear=rank < AT_RISK,
                value=objects.last_score.get(worst.id, 0.0) if worst else 0.0,
                threshold=50.0,
                source=COMPONENT_SOURCES.get(objects.last_driver.get(worst.id, ""), "") if worst else "",
                min_duration_s=view.limits.min_duration_s,
                detail="; ".join(
                    f"{a.id} {a.name} ({objects.last_level[a.id]}, {objects.last_driver[a.id]})"
                    for a in at_risk
                ),
                severity="critical" if rank == LEVELS.index("critical") else "warning",
                calm_for_s=CALM_S,
            )
        ]
