"""Case limits with hysteresis and a minimum duration: ``rh_high`` and ``rh_low``.

The worst fresh sensor decides: the highest (lowest) value among the case's sensors heard
within ``sensor_silent_after``, against the case's limit. Default limits come from the
objects' materials (``museum.description.limits``: the lowest ``rh_risk_pct`` of any material
in the case, the highest too-dry limit of any organic part); ``[[alerts.rules]]`` can set
them per case. An alert opens after the case's ``min_duration`` and resolves only once the
value is back inside by ``hysteresis_pct``, so RH wandering around the limit does not flap.

One incident per case and cause: objects at risk because the air is too damp (too dry) are
this alert's, which lists them and is critical when one of them is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView
from museum.description.config import AlertsConfig
from museum.description.limits import CaseLimits


@dataclass(frozen=True)
class Threshold:
    name: str
    #: The reading compared: a field of :class:`collector.alerts.readings.Latest`.
    quantity: str
    #: True: the alert is for values above the limit (the highest fresh value decides);
    #: False: below it (the lowest decides).
    above: bool
    #: The case's limit (None: none), its source and the material it comes from.
    limit: Callable[[CaseLimits], tuple[float | None, str, str]]
    #: How far back inside the limit the value must come to resolve the alert.
    hysteresis: Callable[[AlertsConfig], float]
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        fresh = view.readings.fresh(now_s, view.alerts.sensor_silent_after_s)
        values: list[float] = [v for latest in fresh if (v := getattr(latest, self.quantity)) is not None]
        limit, source, material = self.limit(view.limits)
        if not values or limit is None:
            return []
        value, band = (max(values) if self.above else min(values)), self.hysteresis(view.alerts)
        objects, severity = view.objects.at_risk_through(view.case, self.name)
        return [
            Condition(
                self.name,
                active=value > limit if self.above else value < limit,
                clear=value <= limit - band if self.above else value >= limit + band,
                value=value,
                threshold=limit,
                source=source,
                min_duration_s=view.limits.min_duration_s,
                material=material,
                detail=objects,
                severity=severity,
            )
        ]


RH_HIGH = Threshold(
    "rh_high",
    "rh_pct",
    above=True,
    limit=lambda limits: (limits.rh_max_pct, limits.rh_max_source, limits.rh_max_material),
    hysteresis=lambda alerts: alerts.hysteresis_pct,
)
RH_LOW = Threshold(
    "rh_low",
    "rh_pct",
    above=False,
    limit=lambda limits: (limits.rh_min_pct, limits.rh_min_source, limits.rh_min_material),
    hysteresis=lambda alerts: alerts.hysteresis_pct,
)
