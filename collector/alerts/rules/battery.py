"""``battery_low``: a sensor's battery below ``battery_low_pct``, one incident per sensor;
resolves 5 % above, so a battery read about the limit does not flap."""

from __future__ import annotations

from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView

#: How far above the limit a battery must read to resolve its alert.
HYSTERESIS_PCT = 5.0


@dataclass(frozen=True)
class BatteryLow:
    name: str = "battery_low"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        limit_pct = view.alerts.battery_low_pct
        return [
            Condition(
                self.name,
                active=latest.battery_pct < limit_pct,
                clear=latest.battery_pct >= limit_pct + HYSTERESIS_PCT,
                value=latest.battery_pct,
                threshold=limit_pct,
                source="alerts.battery_low_pct",
                subject=sensor,
                detail=sensor,
            )
            for sensor, latest in view.readings.latest.items()
            if latest.battery_pct is not None
        ]
