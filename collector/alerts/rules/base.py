"""What a rule is, and what it may read.

A rule is an object with a ``name`` (its alerts' ``rule`` and the key of its texts,
``rule.<name>``, ``advice.<name>``, ``alert.body.value.<name>``), ``repeats`` (False: told
once, never repeated nor escalated) and ``evaluate(view, now_s)``, which returns what holds
now as :class:`~collector.alerts.condition.Condition` objects. It reads :class:`CaseView` and
changes nothing: the engine keeps the readings and the objects' levels, the incident book
decides what a condition means for an alert, and the time comes as an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from collector.alerts.assessment import ObjectAssessment
from collector.alerts.condition import Condition
from collector.alerts.incidents import Incident
from collector.alerts.light import LightState
from collector.alerts.readings import CaseReadings
from museum.assessment.diagnose import Diagnosis
from museum.description.config import AlertsConfig, Case, Partner
from museum.description.config_light import LightConfig, OpeningHours
from museum.description.limits import CaseLimits

#: Rate-of-change and artefact-risk alerts resolve only after their cause has stayed away
#: this long: a case moving about a limit would otherwise open and resolve them again and
#: again (seen in the simulated scenarios).
CALM_S = 3600.0


@dataclass(frozen=True)
class CollectorReport:
    """The monitoring system's own state, as the collector reports it."""

    #: Messages the broker reports dropped (None: unknown).
    broker_dropped: int | None
    spool_depth: int
    #: What keeps readings from InfluxDB (``writer_blocked:access_denied``, ``spool_full``…).
    problem: str | None = None


@dataclass(frozen=True)
class PartnerBeats:
    """The partner museums watched and when each last gave a heartbeat (issue 27)."""

    partners: tuple[Partner, ...]
    #: Per partner id, the time its latest heartbeat was written (epoch s).
    last_beat_s: Mapping[str, float]
    #: When this collector began to watch: a partner never heard counts as silent from then.
    watching_since_s: float


@dataclass(frozen=True)
class CaseView:
    """What the rules read about one case at one step."""

    case: Case
    limits: CaseLimits
    alerts: AlertsConfig
    readings: CaseReadings
    objects: ObjectAssessment
    #: Per sensor, its latest reading's time (every sensor, the silent ones included).
    last_seen_s: Mapping[str, float]
    #: Per sensor, when it counts as silent where it differs from ``sensor_silent_after``.
    silent_after_s: Mapping[str, float]
    #: The case's incident of a key (``rule`` or ``rule:subject``), if it has one.
    incident: Callable[[str], Incident | None]
    #: Whether the objects were assessed at this step.
    objects_assessed: bool = False
    #: The forecast rule's input: the case diagnosed against its room.
    diagnosis: Diagnosis | None = None
    #: The collector-health rule's input.
    health: CollectorReport | None = None
    #: The light rules' inputs (collector/alerts/rules/light.py): the case's light, if any
    #: sensor of it reads light, the museum's light limits and opening hours.
    light: LightState | None = None
    light_config: LightConfig = field(default_factory=LightConfig)
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    #: The partner-silence rule's input.
    partners: PartnerBeats | None = None


class Rule(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def repeats(self) -> bool: ...

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]: ...
