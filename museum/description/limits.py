"""The RH limits a case alerts on, in one place: the collector's alert rules and the
diagnosis (``patina diagnose``, the forecast rule, the dashboard) must agree on them.

A case's own ``[[alerts.rules]]`` entry wins; otherwise the limits come from the
artefacts in the case: the lowest ``rh_risk_pct`` of any of their materials (the most
demanding metal or organic part decides) and, for organic parts, the highest too-dry
limit (``rh_too_dry_pct``). Sources of the material limits are in analysis.materials.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.materials import profile
from museum.description.config import Case, MuseumConfig


@dataclass(frozen=True)
class CaseLimits:
    rh_max_pct: float | None
    rh_max_source: str
    rh_min_pct: float | None
    rh_min_source: str
    min_duration_s: float
    #: The materials the limits come from ("" for a museum rule).
    rh_max_material: str = ""
    rh_min_material: str = ""


def case_limits(config: MuseumConfig, case: Case) -> CaseLimits:
    """The RH limits a case alerts on: its own rule, else the most demanding material."""
    materials = sorted({m for artefact in case.artefacts for m in artefact.materials})
    profiles = [profile(m) for m in materials]
    rule = config.alerts.rule_for(case.id)
    rh_max, max_source, rh_min, min_source, max_material, min_material = None, "", None, "", "", ""
    if profiles:
        strictest = min(profiles, key=lambda p: p.rh_risk_pct)
        rh_max, max_material = strictest.rh_risk_pct, strictest.name
        max_source = strictest.sources.get("rh_risk_pct", "")
        organic = [p for p in profiles if p.rh_too_dry_pct is not None]
        if organic:
            driest = max(organic, key=lambda p: p.rh_too_dry_pct or 0.0)
            rh_min, min_material = driest.rh_too_dry_pct, driest.name
            min_source = driest.sources.get("rh_too_dry_pct", "")
    if rule and rule.rh_max_pct is not None:
        rh_max, max_source, max_material = rule.rh_max_pct, "museum rule (config)", ""
    if rule and rule.rh_min_pct is not None:
        rh_min, min_source, min_material = rule.rh_min_pct, "museum rule (config)", ""
    duration = config.alerts.min_duration_s
    if rule and rule.min_duration_s is not None:
        duration = rule.min_duration_s
    return CaseLimits(rh_max, max_source, rh_min, min_source, duration, max_material, min_material)
