"""What the alert engine remembers of a case's readings: each sensor's latest, the last day
for the risk assessment, the last hour of RH for the rate of change, how long each sensor
has repeated itself, and hourly sums for the forecast. Rules read it; only
:meth:`CaseReadings.add` changes it.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

#: Readings kept per case for the risk assessment.
RISK_WINDOW_S = 24 * 3600
#: The span of RH the rate of change looks back over.
RATE_WINDOW_S = 3600.0
#: Versions of histories, unique across cases: equal versions, equal histories.
_HISTORY_VERSIONS = itertools.count()


class Latest(NamedTuple):
    """A sensor's latest reading."""

    time_s: float
    temperature_c: float | None
    rh_pct: float | None
    battery_pct: float | None


@dataclass
class CaseReadings:
    latest: dict[str, Latest] = field(default_factory=dict)
    #: (time, temperature, RH, sensor) over the last ``RISK_WINDOW_S``.
    history: deque[tuple[float, float, float, str]] = field(default_factory=deque)
    #: Per sensor: its (time, RH) over the last hour, for the rate of change.
    rh_last_hour: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    #: Per sensor: the last (T, RH) pair and since when it has not changed.
    unchanged_since: dict[str, tuple[tuple[float | None, float | None], float]] = field(default_factory=dict)
    #: Per (hour start, sensor): [sum of T, sum of RH, readings], the last two weeks, for
    #: the forecast rule's diagnosis.
    hourly: dict[tuple[float, str], list[float]] = field(default_factory=dict)
    #: Hourly means read from the store at start (the weeks before this process ran).
    seeded: pd.DataFrame | None = None
    #: Changes whenever ``history`` does: what was assessed on a version holds for it.
    history_version: int = field(default_factory=lambda: next(_HISTORY_VERSIONS))

    def add(
        self,
        sensor_id: str,
        time_s: float,
        temperature_c: float | None,
        rh_pct: float | None,
        battery_pct: float | None,
        *,
        hourly: bool,
    ) -> bool:
        """Remember a reading (its hourly sums too if ``hourly``); False for one older than
        the sensor's latest (a replay, a redelivery), which does not change the present."""
        previous = self.latest.get(sensor_id)
        if previous is not None and previous.time_s > time_s:
            return False
        self.latest[sensor_id] = Latest(time_s, temperature_c, rh_pct, battery_pct)
        values = (temperature_c, rh_pct)
        previous_values = self.unchanged_since.get(sensor_id)
        if previous_values is None or previous_values[0] != values:
            self.unchanged_since[sensor_id] = (values, time_s)
        if rh_pct is not None:
            recent = self.rh_last_hour.setdefault(sensor_id, deque())
            recent.append((time_s, rh_pct))
            while recent[0][0] < time_s - RATE_WINDOW_S:
                recent.popleft()
        if temperature_c is not None and rh_pct is not None:
            self.history.append((time_s, temperature_c, rh_pct, sensor_id))
            while self.history and self.history[0][0] < time_s - RISK_WINDOW_S:
                self.history.popleft()
            self.history_version = next(_HISTORY_VERSIONS)
            if hourly:
                sums = self.hourly.setdefault((time_s - time_s % 3600.0, sensor_id), [0.0, 0.0, 0.0])
                sums[0] += temperature_c
                sums[1] += rh_pct
                sums[2] += 1.0
        return True

    def fresh(self, now_s: float, fresh_for_s: float) -> list[Latest]:
        """The latest readings of the sensors heard within ``fresh_for_s``."""
        return [latest for latest in self.latest.values() if now_s - latest.time_s < fresh_for_s]

    def hourly_means(self) -> pd.DataFrame:
        """Hourly means over the last two weeks: the mean of the sensors' hourly means (as
        ``museum.assessment.diagnose.hourly_climate`` reads them from the store), the hours
        seen live over those read at start."""
        rows = [(hour, sums[0] / sums[2], sums[1] / sums[2]) for (hour, _), sums in self.hourly.items()]
        live = pd.DataFrame(rows, columns=["time", "temperature_c", "rh_pct"]).groupby("time").mean()
        live.index = pd.to_datetime(live.index, unit="s", utc=True)
        if self.seeded is None or self.seeded.empty:
            return live
        seeded = self.seeded[~self.seeded.index.isin(live.index)][["temperature_c", "rh_pct"]]
        return pd.concat([seeded, live]).sort_index()

    def forget_hours_before(self, start_s: float) -> None:
        for key in [k for k in self.hourly if k[0] < start_s]:
            del self.hourly[key]
