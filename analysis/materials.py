"""Material profiles: the relative humidity each material tolerates, with the source of
every number (docs/science.md §2, docs/risk-model.md).

A profile gives three RH limits for the damage that humid air does, which become the
level boundaries of :mod:`analysis.risk`:

* below ``rh_safe_pct`` the material is **good**;
* from ``rh_safe_pct`` to ``rh_risk_pct`` it is under **watch**;
* from ``rh_risk_pct`` to ``rh_critical_pct`` it is at **risk**;
* above ``rh_critical_pct`` it is **critical**.

Organic parts of composite objects (wooden stocks, leather slings, webbing) also have a
``rh_too_dry_pct``: drier air than that splits and shrinks them. Each number's source is
kept in ``sources`` (same keys as the fields), so a user can read where it comes from;
numbers marked *(unverified)* were seen only second-hand, and *engineering choice* marks
numbers that are Patina's own where no published figure exists.

References
----------
Watkinson, D. & Lewis, M. (2005). Desiccated storage of chloride-contaminated
archaeological iron objects. *Studies in Conservation* 50(4), 241–252.
Watkinson, D., Rimmer, M. & Emmerson, N. (2019). The influence of relative humidity and
intrinsic chloride on post-excavation corrosion rates of archaeological wrought iron.
*Studies in Conservation* 64(8), 456–471.
Wang, Q. (2007). Effects of relative humidity on the corrosion of iron: an experimental
view. *British Museum Technical Research Bulletin* 1, 65–73.
Western Australian Museum (2017). *Caring for metals*.
Canadian Conservation Institute (2007). CCI Notes 9/2, *Storage of Metals*.
Scott, D. A. (1990). Bronze disease: a review of some chemical problems and the role of
relative humidity. *Journal of the American Institute for Conservation* 29(2), 193–206.
Michalski, S. (1993). Relative humidity: a discussion of correct/incorrect values.
ICOM-CC 10th Triennial Meeting, 624–629.
Padfield, T. Conservation physics (conservationphysics.org).
Hukka, A. & Viitanen, H. (1999). A mathematical model of mould growth on wooden
material. *Wood Science and Technology* 33, 475–485.
Image Permanence Institute. Dew Point Calculator (dpcalc.org).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

METALS = (
    "archaeological_iron",
    "iron_steel",
    "archaeological_copper_alloy",
    "copper_alloy",
    "brass",
    "lead",
    "aluminium",
    "silver",
    "zinc",
    "tin",
)
ORGANICS = ("wood", "leather", "textile")
#: Materials an artefact may be made of, metals first, then organic parts of composite objects.
MATERIAL_NAMES: tuple[str, ...] = METALS + ORGANICS

#: Organic parts are watched from this far above their too-dry limit (see analysis.risk).
TOO_DRY_WATCH_MARGIN_PCT = 5.0
_DAMP = "Michalski 1993 (ICOM-CC); CCI, Agent of deterioration: incorrect relative humidity — above 75 % RH damage of every kind rises sharply"
_STABLE_SAFE = "WA Museum 2017: below 45 % RH for most metals; CCI Note 9/2: 35–55 % for stable metals"
_STABLE_RISK = "CCI Note 9/2: upper end (55 %) of the band for stable metals"


@dataclass(frozen=True)
class MaterialProfile:
    """The RH limits of one material, in % RH, with their sources."""

    name: str
    rh_safe_pct: float
    rh_risk_pct: float
    rh_critical_pct: float
    #: Organic materials only: drier than this splits and shrinks them.
    rh_too_dry_pct: float | None = None
    organic: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.rh_safe_pct <= self.rh_risk_pct <= self.rh_critical_pct <= 100:
            raise ValueError(
                f"{self.name}: RH limits must rise: safe {self.rh_safe_pct} ≤ "
                f"risk {self.rh_risk_pct} ≤ critical {self.rh_critical_pct} ≤ 100"
            )
        if self.rh_too_dry_pct is not None and not 0 <= self.rh_too_dry_pct < self.rh_safe_pct:
            raise ValueError(f"{self.name}: too-dry limit must lie below the safe limit")
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))


def _metal(
    name: str, safe: float, risk: float, critical: float, sources: dict[str, str], notes: str = ""
) -> MaterialProfile:
    return MaterialProfile(name, safe, risk, critical, sources=sources, notes=notes)


def _organic(name: str) -> MaterialProfile:
    return MaterialProfile(
        name,
        rh_safe_pct=65.0,
        rh_risk_pct=75.0,
        rh_critical_pct=80.0,
        rh_too_dry_pct=25.0,
        organic=True,
        sources={
            "rh_safe_pct": "IPI Dew Point Calculator: no mould germination below 65 % RH",
            "rh_risk_pct": _DAMP,
            "rh_critical_pct": "Hukka & Viitanen 1999: critical RH for mould growth on wood, 80 % above 20 °C",
            "rh_too_dry_pct": "Padfield (conservationphysics.org): below 25 % RH, even briefly, splits wood and leather",
        },
        notes="Mechanical damage also rises with RH swings (see the fluctuation component).",
    )


PROFILES: Mapping[str, MaterialProfile] = MappingProxyType(
    {
        "archaeological_iron": _metal(
            "archaeological_iron",
            15.0,
            25.0,
            44.0,
            {
                "rh_safe_pct": "Watkinson & Lewis 2005: akaganéite and FeCl₂·4H₂O drive corrosion from about 15 % RH (12 % recommended long-term)",
                "rh_risk_pct": "Watkinson & Lewis 2005: corrosion appreciable at 25 % RH and above",
                "rh_critical_pct": "Wang 2007: FeCl₂·4H₂O deliquesces between 44 and 54 % RH; Watkinson et al. 2019: fast at 60–70 %",
            },
            notes="Chloride-contaminated (excavated) iron: corrodes at humidities that sound harmless.",
        ),
        "iron_steel": _metal(
            "iron_steel",
            35.0,
            50.0,
            60.0,
            {
                "rh_safe_pct": "WA Museum 2017: below 35 % RH for most iron; CCI Note 9/2: actively corroding metals below 35 %",
                "rh_risk_pct": "WA Museum 2017: corrosion proceeds slowly up to about 50 % RH",
                "rh_critical_pct": "WA Museum 2017: very fast above about 60 % RH",
            },
        ),
        "archaeological_copper_alloy": _metal(
            "archaeological_copper_alloy",
            39.0,
            42.0,
            46.0,
            {
                "rh_safe_pct": "Scott 1990: 39 % RH, the empirical museum rule for bronze disease",
                "rh_risk_pct": "Scott 1990: 42–46 % RH for most excavated bronzes",
                "rh_critical_pct": "Scott 1990: nantokite (CuCl) alone reacts above 46 % RH",
            },
            notes="Chloride-contaminated (excavated) copper alloys: bronze disease, powdery green "
            "spots of copper trihydroxychlorides over nantokite. Scott's limits apply to "
            "these objects only.",
        ),
        **{
            name: _metal(
                name,
                45.0,
                55.0,
                75.0,
                {
                    "rh_safe_pct": "WA Museum 2017: below 45 % RH for most metals (a conservative target; "
                    "no critical RH is published for stable copper alloys)",
                    "rh_risk_pct": "CCI Note 9/2: 35–55 % RH for stable metals; above its upper end is "
                    "Patina's risk level (engineering choice)",
                    "rh_critical_pct": _DAMP,
                },
                notes=notes,
            )
            for name, notes in (
                (
                    "copper_alloy",
                    "Stable (historic, not excavated) bronze and copper: no active chlorides. "
                    "Sulfides and organic acids matter more than RH between 45 and 65 %.",
                ),
                (
                    "brass",
                    "Stable brass (cartridge cases, buttons, fittings): no active chlorides. Season "
                    "cracking is stress corrosion driven by ammonia, not by RH alone; "
                    "bronze-disease limits would raise false alarms.",
                ),
            )
        },
        "lead": _metal(
            "lead",
            45.0,
            55.0,
            75.0,
            {
                "rh_safe_pct": _STABLE_SAFE + " (lead-specific RH limit unverified)",
                "rh_risk_pct": _STABLE_RISK + " (lead-specific RH limit unverified)",
                "rh_critical_pct": _DAMP,
            },
            notes="Organic-acid vapour from wood and board in the case matters more than RH "
            "(ISO 11844-2 uses lead as its indicator); Patina does not measure it.",
        ),
        **{
            name: _metal(
                name,
                45.0,
                55.0,
                75.0,
                {
                    "rh_safe_pct": _STABLE_SAFE
                    + " (unverified for this metal: Historic England 2013 §2.4–2.5)",
                    "rh_risk_pct": _STABLE_RISK + " (unverified for this metal)",
                    "rh_critical_pct": _DAMP,
                },
            )
            for name in ("aluminium", "silver", "zinc", "tin")
        },
        **{name: _organic(name) for name in ORGANICS},
    }
)

_OVERRIDABLE = {f.name for f in fields(MaterialProfile)} - {"name", "organic", "sources", "notes"}


def profile(name: str, overrides: Mapping[str, float] | None = None) -> MaterialProfile:
    """The profile of a material, with single values replaced by ``overrides`` (from the
    config). An overridden value's source becomes "museum override"."""
    if name not in PROFILES:
        raise KeyError(f"unknown material {name!r}; known: {', '.join(MATERIAL_NAMES)}")
    base = PROFILES[name]
    if not overrides:
        return base
    unknown = set(overrides) - _OVERRIDABLE
    if unknown:
        raise ValueError(
            f"{name}: cannot override {', '.join(sorted(unknown))}; "
            f"overridable: {', '.join(sorted(_OVERRIDABLE))}"
        )
    sources = dict(base.sources) | {key: "museum override (config)" for key in overrides}
    changes: dict[str, Any] = {k: float(v) for k, v in overrides.items()}
    return replace(base, **changes, sources=sources)


def target_band(
    names: Iterable[str], overrides: Mapping[str, Mapping[str, float]] | None = None
) -> dict[str, Any]:
    """The RH band (%) that keeps every material of a case good: above the highest
    too-dry limit of its organic parts (plus the 5 % margin inside which
    :func:`analysis.risk.too_dry_score` already watches), below the lowest safe limit.

    Returns ``low_pct`` and ``high_pct``, the materials that set them (``low_material``,
    ``high_material``), and ``conflict``: True when no RH suits all (excavated iron, safe
    below 15 %, with a wooden stock, split below 25 %); the band is then empty and the
    conservator must choose (or separate the parts)."""
    profiles = [profile(name, (overrides or {}).get(name)) for name in dict.fromkeys(names)]
    if not profiles:
        return {"low_pct": None, "high_pct": None, "low_material": "", "high_material": "", "conflict": False}
    high = min(profiles, key=lambda p: p.rh_safe_pct)
    organic = [p for p in profiles if p.rh_too_dry_pct is not None]
    low = max(organic, key=lambda p: p.rh_too_dry_pct or 0.0) if organic else None
    low_pct = (low.rh_too_dry_pct or 0.0) + TOO_DRY_WATCH_MARGIN_PCT if low else 0.0
    return {
        "low_pct": low_pct,
        "high_pct": high.rh_safe_pct,
        "low_material": low.name if low else "",
        "high_material": high.name,
        "conflict": low_pct >= high.rh_safe_pct,
    }
