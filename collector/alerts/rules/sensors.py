"""The sensors themselves: ``sensor_silent`` and ``sensor_stuck``, one incident per sensor.

``sensor_silent``
    No reading from a sensor for ``sensor_silent_after`` (or for its own interval's worth,
    in event time). Judged at every tick, not at readings: time alone opens it, when no
    message ever arrives again.
``sensor_stuck``
    A sensor repeating exactly the same temperature and RH for ``stuck_after``: real
    sensors' noise moves the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView


def held_too_long(
    rule: str, sensor: str, held_s: float, limit_s: float, unit_s: float, source: str
) -> Condition:
    """A sensor's condition that holds once it has lasted ``limit_s``; value and threshold
    in units of ``unit_s`` (minutes, hours), as the notification says them."""
    return Condition(
        rule,
        active=held_s >= limit_s,
        clear=held_s < limit_s,
        value=held_s / unit_s,
        threshold=limit_s / unit_s,
        source=source,
        subject=sensor,
        detail=sensor,
    )


@dataclass(frozen=True)
class SensorSilent:
    name: str = "sensor_silent"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        return [
            held_too_long(
                self.name,
                sensor,
                now_s - view.last_seen_s.get(sensor, now_s),
                view.silent_after_s.get(sensor, view.alerts.sensor_silent_after_s),
                60.0,
                "alerts.sensor_silent_after",
            )
            for sensor in view.case.sensors
        ]


@dataclass(frozen=True)
class SensorStuck:
    name: str = "sensor_stuck"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        latest = view.readings.latest
        return [
            held_too_long(
                self.name,
                sensor,
                latest[sensor].time_s - since_s,
                view.alerts.stuck_after_s,
                3600.0,
                "alerts.stuck_after",
            )
            for sensor, (_, since_s) in view.readings.unchanged_since.items()
        ]
