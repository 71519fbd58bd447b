"""What the alert engine remembers of a case's light (issue 32): each light sensor's latest
reading and the dose of the year so far, added up reading by reading (the trapezoid of
:func:`analysis.light.cumulative_lux_hours`, one step at a time), on top of what the store
held when the collector started. Rules read it (collector/alerts/rules/light.py); only
:meth:`LightState.add` and :meth:`LightState.seed` change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from analysis.light import uv_uw_per_lm

#: A step between two light readings of a sensor longer than this is a gap: it adds neither
#: dose nor observed hours (sensors report every few minutes; an hour without is a silence).
LIVE_GAP_S = 3600.0


class LightReading(NamedTuple):
    """A sensor's light at a moment; UV per lumen as sent, or from the UV irradiance."""

    time_s: float
    illuminance_lux: float | None
    uv_uw_per_lm: float | None


def uv_per_lumen(
    illuminance_lux: float | None, uv_mw_m2: float | None, uv_uw_per_lm_sent: float | None
) -> float | None:
    """The UV per lumen of a reading: as the device sent it, else its UV irradiance over its
    illuminance (:func:`analysis.light.uv_uw_per_lm`); None in the dark or without UV."""
    if uv_uw_per_lm_sent is not None:
        return uv_uw_per_lm_sent
    if uv_mw_m2 is None or illuminance_lux is None or illuminance_lux <= 0:
        return None
    return float(uv_uw_per_lm(uv_mw_m2, illuminance_lux))


@dataclass
class SensorYear:
    """One sensor's dose since the accumulation began (or since the year turned)."""

    lux_hours: float = 0.0
    hours_observed: float = 0.0


@dataclass
class LightState:
    """A case's light as the rules need it. ``zone``: the museum's, whose calendar year the
    budgets count."""

    zone: ZoneInfo
    latest: dict[str, LightReading] = field(default_factory=dict)
    year: int | None = None
    sensors: dict[str, SensorYear] = field(default_factory=dict)
    #: The year's dose and observed hours read from the store at start, up to ``seeded_until_s``.
    seeded_lux_hours: float = 0.0
    seeded_hours: float = 0.0
    seeded_until_s: float = 0.0

    def seed(self, year: int, lux_hours: float, hours_observed: float, until_s: float) -> None:
        """The year so far as the store holds it: live readings add to it from ``until_s``."""
        if self.year not in (None, year):
            return
        self.year = year
        self.seeded_lux_hours, self.seeded_hours, self.seeded_until_s = lux_hours, hours_observed, until_s

    def add(
        self,
        sensor_id: str,
        time_s: float,
        illuminance_lux: float | None,
        uv_mw_m2: float | None,
        uv_uw_per_lm_sent: float | None,
    ) -> bool:
        """Remember a light reading; False for one older than the sensor's latest."""
        previous = self.latest.get(sensor_id)
        if previous is not None and previous.time_s > time_s:
            return False
        year = datetime.fromtimestamp(time_s, self.zone).year
        if self.year is not None and year != self.year:  # a new year: a new budget
            self.sensors.clear()
            self.seeded_lux_hours = self.seeded_hours = 0.0
            previous = None
        self.year = year
        self.latest[sensor_id] = LightReading(
            time_s, illuminance_lux, uv_per_lumen(illuminance_lux, uv_mw_m2, uv_uw_per_lm_sent)
        )
        if (
            previous is not None
            and previous.illuminance_lux is not None
            and illuminance_lux is not None
            and previous.time_s >= self.seeded_until_s
            and 0 < time_s - previous.time_s <= LIVE_GAP_S
        ):
            step_h = (time_s - previous.time_s) / 3600.0
            sums = self.sensors.setdefault(sensor_id, SensorYear())
            sums.lux_hours += 0.5 * (previous.illuminance_lux + illuminance_lux) * step_h
            sums.hours_observed += step_h
        return True

    def year_so_far(self) -> tuple[float, float]:
        """The year's dose (lx·h) and observed hours: the store's, then the brightest sensor's
        since (the objects nearest the lamp are the ones to protect)."""
        live = max(self.sensors.values(), key=lambda s: s.lux_hours, default=SensorYear())
        return self.seeded_lux_hours + live.lux_hours, self.seeded_hours + live.hours_observed

    def fresh(self, now_s: float, fresh_for_s: float) -> list[LightReading]:
        return [reading for reading in self.latest.values() if now_s - reading.time_s < fresh_for_s]
