"""What a rule concludes about one incident of a case at one moment: the input of the incident
lifecycle (``collector/alerts/incidents.py``), the output of every rule (``collector/alerts/rules/``).

A rule says whether its cause is present (``active``) or gone far enough to end the alert
(``clear``: the far side of a hysteresis band). Neither, inside the band, changes only the
figures an open alert reports; what follows for the alert (open after a minimum duration,
resolve after a calm spell, repeat, escalate) is the lifecycle's business, not the rule's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    #: The rule's name: the alert's ``rule`` and the key of its texts (``rule.<name>``).
    rule: str
    active: bool
    clear: bool
    value: float | None
    threshold: float | None
    #: Where the threshold comes from (a publication, a config key), shown with the alert.
    source: str
    #: ``active`` must hold longer than this (strictly) before the alert opens; 0: at once.
    min_duration_s: float = 0.0
    #: What the incident is about within its case (a sensor, a part of the collector): there
    #: is one incident per case, rule and subject. Empty: one per case and rule.
    subject: str = ""
    #: What the notification adds (the objects at risk, the sensor); empty keeps the last one.
    detail: str = ""
    severity: str = "warning"
    #: The material whose limit it is, when there is one.
    material: str = ""
    #: ``clear`` must hold this long before the alert resolves.
    calm_for_s: float = 0.0
    #: The forecast rule: when the case is expected to pass its limit (epoch seconds); None
    #: keeps what the incident had.
    due_s: float | None = None
    #: The forecast rule: the day by which the case is likely to pass its limit (the
    #: forecast's lower quartile, analysis.forecast: one chance in four sooner); None keeps
    #: what the incident had.
    early_s: float | None = None

    @property
    def key(self) -> str:
        """The incident's key within its case: ``rule`` or ``rule:subject``."""
        return f"{self.rule}:{self.subject}" if self.subject else self.rule
