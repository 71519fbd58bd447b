"""Each object's light this year, from the stored readings of its case (docs/light.md, "Live
light"): the dose so far against its annual budget, the year at this rate, when the budget
is spent, how far to dim, its UV per lumen against its limit, and the hours its case was lit
while the museum was closed.

The science is :mod:`analysis.light`; this module reads a case's hourly light
(:func:`museum.storage.light.case_light`), takes the year on the museum's clock and each
object's sensitivity from its record (:class:`museum.description.config_light.ArtefactLight`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from analysis.light import (
    YearDose,
    cumulative_lux_hours,
    hours_lit_while_closed,
    uv_per_lumen_of_dose,
    year_dose,
)
from analysis.light_limits import LightCategory, years_to_jnf
from museum.description.config import Artefact, Case, MuseumConfig
from museum.language.i18n import Translator
from museum.storage.light import Queries, case_light

#: Hourly means: a step longer than this is a gap (the hours of a sensor that was silent).
HOURLY_GAP_H = 1.5
#: How far back the hours lit while closed are counted.
NIGHT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ObjectLight:
    """One object's light this year."""

    artefact: Artefact
    case_id: str
    category: LightCategory
    uv_limit_uw_per_lm: float
    year: YearDose
    #: UV per lumen of the light received this year, µW/lm (None: no UV read, or never lit).
    uv_uw_per_lm: float | None
    #: When the budget is spent at this rate (None: not this year, or no budget).
    budget_spent_at: datetime | None
    #: Years to a just noticeable fade at this year's rate (None: no blue wool class given).
    years_to_fade: float | None

    @property
    def uv_over_limit(self) -> bool:
        return self.uv_uw_per_lm is not None and self.uv_uw_per_lm > self.uv_limit_uw_per_lm


@dataclass(frozen=True)
class CaseLight:
    """A case's light this year and each of its objects' share of it."""

    case: Case
    #: Hourly light (illuminance_lux, uv_mw_m2) from the start of the year to now.
    hourly: pd.DataFrame
    objects: tuple[ObjectLight, ...]
    #: Hours lit while the museum was closed over the last week (None: no opening hours).
    hours_lit_closed: float | None

    @property
    def measured(self) -> bool:
        return not self.hourly.empty


def year_bounds(config: MuseumConfig, now: datetime) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar year holding ``now`` on the museum's clock, as UTC instants."""
    local = pd.Timestamp(now).tz_convert(config.zone)
    start = pd.Timestamp(year=local.year, month=1, day=1, tz=config.zone)
    end = pd.Timestamp(year=local.year + 1, month=1, day=1, tz=config.zone)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def object_light(
    config: MuseumConfig, case: Case, artefact: Artefact, hourly: pd.DataFrame, now: datetime
) -> ObjectLight:
    """An object's year from its case's hourly light (pure: no store)."""
    start, end = year_bounds(config, now)
    sensitivity = artefact.light
    category = sensitivity.category_for(artefact.materials)
    budget = sensitivity.budget_for(artefact.materials)
    times = pd.DatetimeIndex(hourly.index)
    lux = hourly["illuminance_lux"].to_numpy(float) if not hourly.empty else []
    moment = pd.Timestamp(now).tz_convert("UTC")
    dose = year_dose(times, lux, start, end, moment, budget, max_gap_h=HOURLY_GAP_H)
    uv = math.nan
    if len(times) >= 2 and "uv_mw_m2" in hourly:
        uv = uv_per_lumen_of_dose(
            times,
            hourly["uv_mw_m2"].to_numpy(float),
            lux,
            config.light.lit_threshold_lux,
            max_gap_h=HOURLY_GAP_H,
        )
    annual = dose.projected_lux_hours
    spent_at = _budget_spent_at(dose, times, lux, start, moment)
    return ObjectLight(
        artefact=artefact,
        case_id=case.id,
        category=category,
        uv_limit_uw_per_lm=sensitivity.uv_limit_for(artefact.materials, config.light),
        year=dose,
        uv_uw_per_lm=None if math.isnan(uv) else uv,
        budget_spent_at=spent_at,
        years_to_fade=(
            years_to_jnf(sensitivity.blue_wool, annual) if sensitivity.blue_wool and annual > 0 else None
        ),
    )


def _budget_spent_at(
    dose: YearDose, times: pd.DatetimeIndex, lux: object, start: pd.Timestamp, now: pd.Timestamp
) -> datetime | None:
    """When the budget is (or was) spent: ahead at this rate, or the hour the dose so far
    passed it; None without a budget or if it lasts the year."""
    hours = dose.hours_to_budget
    if hours is None or dose.budget_lux_hours is None:
        return None
    if hours > 0:
        return (now + pd.Timedelta(hours=hours)).floor("s").to_pydatetime()
    inside = (times >= start) & (times <= now)
    cumulative = cumulative_lux_hours(times[inside], np.asarray(lux, dtype=float)[inside], HOURLY_GAP_H)
    first = int(np.searchsorted(cumulative, dose.budget_lux_hours))
    return times[inside][min(first, len(cumulative) - 1)].to_pydatetime()


def assess_case_light(store: Queries, config: MuseumConfig, case: Case, now: datetime) -> CaseLight:
    """A case's light this year (hourly means from the store) and its objects'."""
    start, _ = year_bounds(config, now)
    hourly = case_light(store, case.id, start.to_pydatetime(), now)
    objects = tuple(object_light(config, case, artefact, hourly, now) for artefact in case.artefacts)
    closed_hours = None
    if config.opening_hours.given and len(hourly) >= 2:
        recent = hourly[hourly.index >= pd.Timestamp(now - NIGHT_WINDOW)]
        if len(recent) >= 2:
            closed_hours = hours_lit_while_closed(
                pd.DatetimeIndex(recent.index),
                recent["illuminance_lux"].to_numpy(float),
                config.opening_hours.as_mapping(),
                config.museum.timezone,
                config.light.lit_threshold_lux,
                max_gap_h=HOURLY_GAP_H,
            )
    return CaseLight(case=case, hourly=hourly, objects=objects, hours_lit_closed=closed_hours)


# --- in words -----------------------------------------------------------------------------------


def light_sentences(t: Translator, item: ObjectLight, now: datetime, zone: ZoneInfo) -> list[str]:
    """What a conservator reads of an object's light this year, in ``t``'s language: the budget
    used and the year at this rate, when it is spent and how far to dim, its UV, the years to
    a just noticeable fade (keys ``light.*``)."""
    year = item.year
    today = now.astimezone(zone).date()
    category = t(f"light.category.{item.category.name}")
    if year.budget_lux_hours is None:
        return [t("light.no_budget", category=category, dose=t.number(year.lux_hours, 0))]
    lines = [
        t(
            "light.used",
            used=t.number(year.used_pct, 0),
            budget=t.number(year.budget_lux_hours, 0),
            category=category,
            date=t.date(today),
            projected=t.number(year.projected_pct, 0),
        )
    ]
    if item.budget_spent_at is not None and year.hours_to_budget == 0:
        lines.append(t("light.spent", date=t.date(item.budget_spent_at.astimezone(zone).date())))
    elif year.dim_to_pct is not None:
        spent = item.budget_spent_at
        lines.append(
            t(
                "light.spend_on",
                date=t.date(spent.astimezone(zone).date()) if spent else "—",
                dim=t.number(year.dim_to_pct, 0),
            )
        )
    else:
        lines.append(t("light.within"))
    if item.uv_uw_per_lm is not None:
        key = "light.uv_over" if item.uv_over_limit else "light.uv"
        lines.append(t(key, uv=t.number(item.uv_uw_per_lm, 0), limit=t.number(item.uv_limit_uw_per_lm, 0)))
    if item.years_to_fade is not None and item.artefact.light.blue_wool is not None:
        lines.append(
            t(
                "light.fade",
                blue_wool=item.artefact.light.blue_wool,
                years=t.number(item.years_to_fade, 0 if item.years_to_fade >= 10 else 1),
            )
        )
    return lines
