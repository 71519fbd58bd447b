"""Light and UV on a case's objects (issue 32, docs/light.md "Live light"):

- ``light_budget``: an object's dose this year, at this rate, passes its annual budget
  (CIE 157:2004's limit for its category, or its own); one incident per object, told once;
  resolves when the projection falls back under 95 %.
- ``uv_high``: the UV per lumen of the light on the case above the strictest limit of its
  light-sensitive objects (75 µW/lm, 10 µW/lm for the medium and high categories).
- ``light_at_night``: the case lit while the museum is closed (``[opening_hours]``): lights
  left on, dose spent on nobody.

Only cases holding an object that light harms (not irresponsive) are judged: light on iron
and brass alone is nobody's concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from analysis.light import YearDose, closed
from analysis.light_limits import UV_LIMIT_SENSITIVE_UW_PER_LM, UV_LIMIT_UW_PER_LM
from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView
from museum.description.config import Artefact

#: The projection must cover this many observed hours, a whole week of opening days and
#: closed days: a morning's rate, or a weekday's, says nothing of a year.
MIN_OBSERVED_H = 7 * 24.0
#: ``light_budget`` resolves when the year at this rate is back under this share of the budget.
BUDGET_CLEAR_PCT = 95.0
#: ``uv_high`` and ``light_at_night`` must hold this long: a lamp warming up, the cleaners' round.
UV_MIN_DURATION_S = 15 * 60.0
NIGHT_MIN_DURATION_S = 30 * 60.0
#: Where the thresholds come from, as the alert shows them (translated as ``source.light.*``).
CIE157_SOURCE = "CIE 157:2004: the annual exposure limit of the object's responsivity category"
OWN_BUDGET_SOURCE = "museum override (config)"
#: The config's section, shown as it is written (a name, not a sentence to translate).
NIGHT_SOURCE = "[opening_hours]"
UV_SOURCES = {
    UV_LIMIT_UW_PER_LM: "Thomson 1986 (The Museum Environment): UV at most 75 µW/lm",
    UV_LIMIT_SENSITIVE_UW_PER_LM: (
        "CCI (Michalski; CCI Notes 2/1): UV at most 10 µW/lm for light-sensitive objects"
    ),
}


def responsive(view: CaseView) -> list[Artefact]:
    """The objects of the case that light harms."""
    return [a for a in view.case.artefacts if a.light.category_for(a.materials).name != "irresponsive"]


def year_bounds_s(zone: ZoneInfo, now_s: float) -> tuple[float, float]:
    """The museum's calendar year holding ``now_s``, in epoch seconds."""
    local = datetime.fromtimestamp(now_s, zone)
    start = datetime(local.year, 1, 1, tzinfo=zone)
    end = datetime(local.year + 1, 1, 1, tzinfo=zone)
    return start.timestamp(), end.timestamp()


@dataclass(frozen=True)
class LightBudget:
    name: str = "light_budget"
    repeats: bool = False

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        if view.light is None:
            return []
        lux_hours, observed_h = view.light.year_so_far()
        if observed_h < MIN_OBSERVED_H:
            return []
        start_s, end_s = year_bounds_s(view.light.zone, now_s)
        remaining_h = max(0.0, (end_s - now_s) / 3600.0)
        conditions = []
        for artefact in responsive(view):
            budget = artefact.light.budget_for(artefact.materials)
            if budget is None:
                continue
            dose = YearDose(
                lux_hours=lux_hours,
                budget_lux_hours=budget,
                hours_elapsed=(now_s - start_s) / 3600.0,
                hours_observed=observed_h,
                hours_remaining=remaining_h,
                projected_lux_hours=lux_hours + lux_hours / observed_h * remaining_h,
            )
            projected = dose.projected_pct or 0.0
            conditions.append(
                Condition(
                    self.name,
                    active=projected > 100.0,
                    clear=projected < BUDGET_CLEAR_PCT,
                    value=projected,
                    threshold=100.0,
                    source=OWN_BUDGET_SOURCE if artefact.light.annual_lux_hours else CIE157_SOURCE,
                    subject=artefact.id,
                    # The inventory number alone: the notification names the case's objects
                    # in the reader's language.
                    detail=artefact.id,
                )
            )
        return conditions


def _uv_limit(view: CaseView, artefacts: list[Artefact]) -> float:
    return min(a.light.uv_limit_for(a.materials, view.light_config) for a in artefacts)


@dataclass(frozen=True)
class UvHigh:
    name: str = "uv_high"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        artefacts = responsive(view)
        if view.light is None or not artefacts:
            return []
        threshold = view.light_config.lit_threshold_lux
        lit = [
            reading.uv_uw_per_lm
            for reading in view.light.fresh(now_s, view.alerts.sensor_silent_after_s)
            if reading.uv_uw_per_lm is not None
            and reading.illuminance_lux is not None
            and reading.illuminance_lux > threshold
        ]
        if not lit:
            return []  # in the dark the ratio says nothing: the incident keeps its state
        limit = _uv_limit(view, artefacts)
        worst = max(lit)
        return [
            Condition(
                self.name,
                active=worst > limit,
                clear=worst <= 0.9 * limit,
                value=worst,
                threshold=limit,
                source=UV_SOURCES.get(limit, OWN_BUDGET_SOURCE),
                min_duration_s=UV_MIN_DURATION_S,
                detail=", ".join(a.id for a in artefacts),
            )
        ]


@dataclass(frozen=True)
class LightAtNight:
    name: str = "light_at_night"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        if view.light is None or not view.opening_hours.given or not responsive(view):
            return []
        fresh = [
            reading.illuminance_lux
            for reading in view.light.fresh(now_s, view.alerts.sensor_silent_after_s)
            if reading.illuminance_lux is not None
        ]
        if not fresh:
            return []
        moment = pd.DatetimeIndex([datetime.fromtimestamp(now_s, UTC)])
        is_closed = bool(closed(moment, view.opening_hours.as_mapping(), str(view.light.zone))[0])
        brightest = max(fresh)
        threshold = view.light_config.lit_threshold_lux
        return [
            Condition(
                self.name,
                active=is_closed and brightest > threshold,
                clear=not is_closed or brightest <= threshold,
                value=brightest,
                threshold=threshold,
                source=NIGHT_SOURCE,
                min_duration_s=NIGHT_MIN_DURATION_S,
            )
        ]
