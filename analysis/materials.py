"""Material profiles of the objects Patina watches.

Only the names live here so far: the config validates artefact materials against them.
The RH limits of each profile, with their sources, come with the risk model
(SCIENCE.md §2).
"""

from __future__ import annotations

#: Materials an artefact may be made of, metals first, then organic parts of composite objects.
MATERIAL_NAMES: tuple[str, ...] = (
    "archaeological_iron",
    "iron_steel",
    "copper_alloy",
    "brass",
    "lead",
    "aluminium",
    "silver",
    "zinc",
    "tin",
    "wood",
    "leather",
    "textile",
)
