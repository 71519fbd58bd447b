"""Each object's risk, from the last day of its case's readings: the level of
:func:`analysis.risk.assess` (with the model's hysteresis) over the case's worst sensor
(:func:`worst_sensor_series`), kept per object and written as ``risk`` points, which the
overview and the case page read. The rules read the levels: the case rules list the objects
they put at risk, and ``artefact_risk`` covers the other causes.

An object is assessed at most every ``RISK_EVERY_S`` (every ``RISK_GOOD_EVERY_S`` while it is
good), and at once when the latest reading moves it into another RH band.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.materials import MaterialProfile, profile
from analysis.risk import LEVELS, LatestRisk, latest_risk
from collector.alerts.readings import CaseReadings
from museum.description.config import Artefact, Case
from museum.storage.schema import RiskPoint

#: Risk points are written at most this often per artefact (and at once when the current
#: reading moves an artefact into another RH band), so that the overview, the case page
#: (which read these points) and the alerts agree within a minute.
RISK_EVERY_S = 60.0
#: An object that is good, and whose RH band has not changed, is assessed this often only:
#: a change of band (the way up) is assessed at once anyway, and one assessment costs
#: 15–50 ms (benchmarks/bench_demo_day.py).
RISK_GOOD_EVERY_S = 900.0
#: The object-level drivers that a case rule already reports: their incident is that rule's.
CASE_RULE_OF_DRIVER = {"rh_high": "rh_high", "too_dry": "rh_low", "condensation": "condensation"}


def worst_sensor_series(
    history: Iterable[tuple[float, float, float, str]], fresh_for_s: float
) -> pd.DataFrame:
    """A case's climate as its worst sensor sees it: at each reading's time, the highest RH
    (and the highest temperature) among the latest values of the sensors still reporting.

    Two sensors in a case report in turns; assessing their readings as one series would
    make the case's level flip with each turn. This series moves only when the worst of
    them does. A sensor's value counts for ``fresh_for_s`` after its reading (as
    ``sensor_silent_after`` does for the rules).
    """
    index, temperature_c, rh_pct = worst_sensor_arrays(history, fresh_for_s)
    return pd.DataFrame({"temperature_c": temperature_c, "rh_pct": rh_pct}, index=index)


def worst_sensor_arrays(
    history: Iterable[tuple[float, float, float, str]], fresh_for_s: float
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """:func:`worst_sensor_series` as its times, temperatures (°C) and RH (%)."""
    entries = list(history)
    times = np.array([e[0] for e in entries], dtype=float)
    sensors = np.array([e[3] for e in entries], dtype=object)
    values = {
        "temperature_c": np.array([e[1] for e in entries], dtype=float),
        "rh_pct": np.array([e[2] for e in entries], dtype=float),
    }
    moments = np.unique(times)
    worst = {name: np.full(len(moments), -np.inf) for name in values}
    for sensor in set(sensors.tolist()):
        mine = np.flatnonzero(sensors == sensor)
        mine = mine[np.argsort(times[mine], kind="stable")]
        # The sensor's latest reading at or before each moment, if it is fresh enough.
        latest = np.searchsorted(times[mine], moments, side="right") - 1
        seen = latest >= 0
        fresh = seen & (moments - times[mine][np.maximum(latest, 0)] < fresh_for_s)
        for name, series in values.items():
            candidate = np.where(fresh, series[mine][np.maximum(latest, 0)], -np.inf)
            worst[name] = np.maximum(worst[name], candidate)
    kept = np.isfinite(worst["temperature_c"]) & np.isfinite(worst["rh_pct"])
    index = pd.to_datetime(moments[kept], unit="s", utc=True)
    return index, worst["temperature_c"][kept], worst["rh_pct"][kept]


def level_limit(material: MaterialProfile, driver: str, level: str) -> float | None:
    """The RH limit (%) that puts a material at ``level`` through ``driver``: for damp air
    the limit crossed (safe, risk or critical), for dry air the too-dry limit; None for
    other drivers."""
    if driver == "rh_high":
        key = {
            "good": "rh_safe_pct",
            "watch": "rh_safe_pct",
            "risk": "rh_risk_pct",
            "critical": "rh_critical_pct",
        }[level]
        return float(getattr(material, key))
    if driver == "too_dry":
        return material.rh_too_dry_pct
    return None


def rh_band(materials: Iterable[str], rh_pct: float) -> str:
    """The level RH alone puts the most sensitive of ``materials`` at (its safe, risk and
    critical limits): a cheap check of whether an object needs assessing now."""
    ranks = []
    for name in materials:
        p = profile(name)
        ranks.append(sum(rh_pct >= edge for edge in (p.rh_safe_pct, p.rh_risk_pct, p.rh_critical_pct)))
    return LEVELS[max(ranks)]


@dataclass
class ObjectAssessment:
    """The latest assessment of each object of one case."""

    last_risk_s: dict[str, float] = field(default_factory=dict)
    last_level: dict[str, str] = field(default_factory=dict)
    #: Per artefact: the driver of its last assessed level.
    last_driver: dict[str, str] = field(default_factory=dict)
    last_score: dict[str, float] = field(default_factory=dict)
    #: Per artefact: the RH band of the latest reading, to assess at once when it changes.
    last_band: dict[str, str] = field(default_factory=dict)

    #: Per artefact: what its last assessment was made of (:meth:`_made_of`) and its point.
    _assessed: dict[str, tuple[tuple[object, ...], RiskPoint]] = field(default_factory=dict)

    def assess(self, case: Case, readings: CaseReadings, fresh_for_s: float, now_s: float) -> list[RiskPoint]:
        """Assess the objects of ``case`` that are due; their risk points (none: none was).

        An assessment depends on the case's history only (not on the clock): an object due
        again before a new reading gets its last point again, without the cost of assessing
        the same day twice (the replays' clock ticks every simulated minute)."""
        if not readings.history or not case.artefacts:
            return []
        todo = self._due(case, readings, fresh_for_s, now_s)
        if not todo:
            return []
        air: tuple[pd.DatetimeIndex, np.ndarray, np.ndarray] | None = None
        # Objects of the same materials in a case share one assessment.
        latest: dict[tuple[str, ...], LatestRisk | None] = {}
        points = []
        for artefact in todo:
            made_of = self._made_of(case, artefact, readings, fresh_for_s)
            known = self._assessed.get(artefact.id)
            if known is not None and known[0] == made_of:
                self.last_risk_s[artefact.id] = now_s
                points.append(known[1])
                continue
            if air is None:
                air = worst_sensor_arrays(readings.history, fresh_for_s)
            materials = tuple(artefact.materials)
            if materials not in latest:
                latest[materials] = latest_risk(*air, materials)
            risk = latest[materials]
            if risk is None:
                return points
            point = self._record(case, artefact, risk, air, now_s)
            self._assessed[artefact.id] = (made_of, point)
            points.append(point)
        return points

    @staticmethod
    def _made_of(
        case: Case, artefact: Artefact, readings: CaseReadings, fresh_for_s: float
    ) -> tuple[object, ...]:
        """Everything an object's assessment depends on: equal, the same point."""
        return (readings.history_version, fresh_for_s, case.id, case.site, tuple(artefact.materials))

    def all_assessed(self, case: Case) -> bool:
        return all(artefact.id in self.last_level for artefact in case.artefacts)

    def at_risk_through(self, case: Case, rule: str) -> tuple[str, str]:
        """The case's objects at risk or worse through the drivers of ``rule``, as
        "id name (level)" joined by "; ", and the incident's severity."""
        found = [
            (LEVELS.index(self.last_level[a.id]), a)
            for a in case.artefacts
            if LEVELS.index(self.last_level.get(a.id, "good")) >= 2
            and CASE_RULE_OF_DRIVER.get(self.last_driver.get(a.id, "")) == rule
        ]
        found.sort(key=lambda pair: -pair[0])
        detail = "; ".join(f"{a.id} {a.name} ({LEVELS[rank]})" for rank, a in found)
        return detail, "critical" if found and found[0][0] == 3 else "warning"

    def _due(self, case: Case, readings: CaseReadings, fresh_for_s: float, now_s: float) -> list[Artefact]:
        """The objects whose assessment is due, or whose RH band the latest reading changed."""
        due = [
            a
            for a in case.artefacts
            if now_s - self.last_risk_s.get(a.id, -1e18)
            >= (RISK_EVERY_S if self.last_level.get(a.id, "watch") != "good" else RISK_GOOD_EVERY_S)
        ]
        # The worst fresh sensor decides the band, as it decides rh_high: with two sensors in
        # a case, the band must not flip with each sensor's turn to report.
        fresh = [
            latest.rh_pct
            for latest in readings.fresh(now_s, fresh_for_s)
            if latest.temperature_c is not None and latest.rh_pct is not None
        ]
        latest_rh = max(fresh) if fresh else readings.history[-1][2]
        changed = []
        for artefact in case.artefacts:
            band_now = rh_band(artefact.materials, latest_rh)
            if band_now != self.last_band.get(artefact.id):
                self.last_band[artefact.id] = band_now
                changed.append(artefact)
        return list({a.id: a for a in due + changed}.values())

    def _record(
        self,
        case: Case,
        artefact: Artefact,
        risk: LatestRisk,
        air: tuple[pd.DatetimeIndex, np.ndarray, np.ndarray],
        now_s: float,
    ) -> RiskPoint:
        """Keep an object's new level and make its risk point."""
        self.last_risk_s[artefact.id] = now_s
        self.last_level[artefact.id] = risk.level
        self.last_driver[artefact.id] = risk.driver
        self.last_score[artefact.id] = risk.score
        index, temperature_c, rh_pct = air
        limit = level_limit(profile(risk.material), risk.driver, risk.level)
        return RiskPoint(
            time_ns=int(index[-1].timestamp() * 1e9),
            site=case.site,
            case_id=case.id,
            artefact_id=artefact.id,
            material=risk.material,
            score=risk.score,
            level=LEVELS.index(risk.level),
            driver=risk.driver,
            components={
                **{f"component_{c}": score for c, score in risk.components.items()},
                # What the pages say beside the level: since when, and the air against the
                # limit of the material that drives it.
                "since_s": risk.since.timestamp(),
                "rh_pct": float(rh_pct[-1]),
                "temperature_c": float(temperature_c[-1]),
                **({"limit_pct": limit} if limit is not None else {}),
            },
        )
