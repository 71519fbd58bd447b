"""The alert rules, one module per family, and when the engine judges them.

To add a rule: write a class with ``name``, ``repeats`` and ``evaluate(view, now_s)``
(``base.Rule``) in a module here, put it in the tuple of the moment it is judged at below,
and give it its texts (``rule.<name>``, ``advice.<name>``, ``alert.body.value.<name>``) in
museum/language/locales/{en,fr,vi}.po. See docs/alerts.md.
"""

from __future__ import annotations

from collector.alerts.rules.base import Rule
from collector.alerts.rules.battery import BatteryLow
from collector.alerts.rules.condensation import Condensation
from collector.alerts.rules.forecast import ForecastRule
from collector.alerts.rules.health import CollectorHealth
from collector.alerts.rules.light import LightAtNight, LightBudget, UvHigh
from collector.alerts.rules.objects import ArtefactRisk
from collector.alerts.rules.partners import PartnerSilent
from collector.alerts.rules.rate import RateOfChange
from collector.alerts.rules.sensors import SensorSilent, SensorStuck
from collector.alerts.rules.thresholds import RH_HIGH, RH_LOW

#: Judged for a case at each of its readings and at every tick, in this order, after its
#: objects are assessed: the case rules list the objects they put at risk, and the rate of
#: change defers to a limit's incident judged before it.
READING_RULES: tuple[Rule, ...] = (
    ArtefactRisk(),
    RH_HIGH,
    RH_LOW,
    RateOfChange(),
    SensorStuck(),
    Condensation(),
    BatteryLow(),
    LightBudget(),
    UvHigh(),
    LightAtNight(),
)
#: Judged at every tick only (``AlertEngine.evaluate``), for every case before the others:
#: what time alone brings, when no message arrives.
TICK_RULES: tuple[Rule, ...] = (SensorSilent(),)
#: Judged every ``FORECAST_EVERY_S`` with each case's diagnosis.
FORECAST_RULES: tuple[Rule, ...] = (ForecastRule(),)
#: Judged when the collector reports its own health, on the first case of each site.
HEALTH_RULES: tuple[Rule, ...] = (CollectorHealth(),)

#: Judged at every tick on the museum's first case, when partner museums are watched.
PARTNER_RULES: tuple[Rule, ...] = (PartnerSilent(),)

ALL_RULES: tuple[Rule, ...] = READING_RULES + TICK_RULES + FORECAST_RULES + HEALTH_RULES + PARTNER_RULES
#: Every rule's name.
RULES: tuple[str, ...] = tuple(rule.name for rule in ALL_RULES)
