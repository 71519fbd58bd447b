"""Light in ``museum.toml`` (issue 32, docs/light.md): ``[light]`` (the UV limits and what
counts as lit), ``[opening_hours]`` (when the case lights should be on), and the keys an
artefact gives about its own light sensitivity, declared once
(:mod:`museum.description.schema`) with the objects they become."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from analysis.light_limits import (
    CIE157_CATEGORIES,
    LIT_THRESHOLD_LUX,
    UV_LIMIT_SENSITIVE_UW_PER_LM,
    UV_LIMIT_UW_PER_LM,
    LightCategory,
    category_of_blue_wool,
    category_of_materials,
    uv_limit_uw_per_lm,
)
from museum.description.schema import Integer, Key, Number, Table, Text, Values

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- [light] ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LightConfig:
    """The museum's light policy: its UV limits and the illuminance above which a case is lit."""

    uv_limit_uw_per_lm: float = UV_LIMIT_UW_PER_LM
    uv_limit_sensitive_uw_per_lm: float = UV_LIMIT_SENSITIVE_UW_PER_LM
    lit_threshold_lux: float = LIT_THRESHOLD_LUX


def _light(v: Values) -> LightConfig:
    return LightConfig(**v.fields())


LIGHT = Table(
    Key(
        "uv_limit_uw_per_lm",
        Number(minimum=0, exclusive_minimum=True, compact=True),
        "UV per lumen an object of low responsivity may receive, µW/lm (Thomson, *The Museum Environment*).",
        default=UV_LIMIT_UW_PER_LM,
    ),
    Key(
        "uv_limit_sensitive_uw_per_lm",
        Number(minimum=0, exclusive_minimum=True, compact=True),
        "UV per lumen for objects of medium and high responsivity, µW/lm (CCI: what filters and LEDs reach).",
        default=UV_LIMIT_SENSITIVE_UW_PER_LM,
    ),
    Key(
        "lit_threshold_lux",
        Number(minimum=0, exclusive_minimum=True, compact=True),
        "Illuminance above which a case counts as lit, lux (for the hours lit and light at night).",
        default=LIT_THRESHOLD_LUX,
    ),
    build=_light,
    doc="Light and UV limits (docs/light.md); each object's annual budget follows its sensitivity.",
)


# --- [opening_hours] ---------------------------------------------------------------------------

#: A span "HH:MM-HH:MM" on the 24-hour clock; it may close at 24:00 (midnight).
_SPAN = r"([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)"
_SPANS = re.compile(rf"closed|{_SPAN}(\s*,\s*{_SPAN})*")


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(0, 0) if hours == 24 else time(hours, minutes)


def _spans(text: str) -> tuple[tuple[time, time], ...]:
    if text.strip() == "closed":
        return ()
    spans = []
    for part in text.split(","):
        opening, closing = (piece.strip() for piece in part.split("-"))
        spans.append((_clock(opening), _clock(closing)))
    return tuple(spans)


def _span_problem(text: str) -> str | None:
    for opening, closing in _spans(text):
        if closing != time(0, 0) and closing <= opening:
            return f"{text!r}: a span closes before it opens"
    return None


@dataclass(frozen=True)
class OpeningHours:
    """When the museum is open, on its own clock: weekday (0 Monday … 6 Sunday) → the
    (opening, closing) spans of that day. Empty: not given, and the light-at-night rule is off."""

    days: tuple[tuple[int, tuple[tuple[time, time], ...]], ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.days)

    def as_mapping(self) -> Mapping[int, Sequence[tuple[time, time]]]:
        """As :data:`analysis.light.OpeningHours` takes them."""
        return dict(self.days)


def _opening_hours(v: Values) -> OpeningHours:
    given = [(n, _spans(v[day])) for n, day in enumerate(WEEKDAYS) if v[day] is not None]
    return OpeningHours(tuple(given))


OPENING_HOURS = Table(
    *(
        Key(
            day,
            Text(
                pattern=_SPANS.pattern,
                mismatch=(
                    "{value} is not opening hours such as `09:00-17:00`, "
                    "`09:00-12:00, 14:00-18:00` or `closed`"
                ),
                about="`09:00-17:00`, several spans with commas, or `closed`",
                check=_span_problem,
            ),
            f"When the museum is open on {day.capitalize()}, in its time zone.",
            default_doc="closed, once any day is given",
        )
        for day in WEEKDAYS
    ),
    build=_opening_hours,
    doc="When the museum is open: the case lights should be off outside these hours (docs/light.md).",
)


# --- an artefact's light sensitivity -----------------------------------------------------------


@dataclass(frozen=True)
class ArtefactLight:
    """What an object's record says of its light sensitivity; nothing given: from its
    materials (:func:`analysis.light.category_of_materials`)."""

    #: A CIE 157 category name, or None.
    category: str | None = None
    #: The ISO blue wool class of its most fugitive colour, 1–8, or None.
    blue_wool: int | None = None
    #: Its own annual exposure budget, lx·h, or None (its category's).
    annual_lux_hours: float | None = None

    def category_for(self, materials: Sequence[str]) -> LightCategory:
        """The object's CIE 157 category: as given, else of its blue wool class, else of
        its materials."""
        if self.category is not None:
            return CIE157_CATEGORIES[self.category]
        if self.blue_wool is not None:
            return category_of_blue_wool(self.blue_wool)
        return category_of_materials(materials)

    def budget_for(self, materials: Sequence[str]) -> float | None:
        """Its annual exposure budget, lx·h (None: no limit from light)."""
        if self.annual_lux_hours is not None:
            return self.annual_lux_hours
        return self.category_for(materials).max_annual_lux_hours

    def uv_limit_for(self, materials: Sequence[str], light: LightConfig) -> float:
        """The UV per lumen it may receive, µW/lm: the sensitive limit for the medium and
        high categories (:func:`analysis.light.uv_limit_uw_per_lm`)."""
        strict = uv_limit_uw_per_lm(self.category_for(materials)) < UV_LIMIT_UW_PER_LM
        return light.uv_limit_sensitive_uw_per_lm if strict else light.uv_limit_uw_per_lm


#: The keys of ``[[cases.artefacts]]`` about light, read by :func:`artefact_light`.
ARTEFACT_LIGHT_KEYS = (
    Key(
        "light_sensitivity",
        Text(choices=tuple(CIE157_CATEGORIES)),
        "Its CIE 157:2004 responsivity to light (docs/light.md).",
        default_doc=(
            "the most responsive of its materials: wood low, leather and textile medium, metals irresponsive"
        ),
    ),
    Key(
        "blue_wool",
        Integer(minimum=1, maximum=8),
        (
            "The ISO blue wool class of its most fugitive colour: sets its category and the years "
            "to a just noticeable fade."
        ),
    ),
    Key(
        "annual_lux_hours",
        Number(minimum=0, exclusive_minimum=True, compact=True),
        "Its own annual light budget, lx·h (a lender's condition).",
        default_doc="its category's limit",
    ),
)


def artefact_light(v: Values) -> ArtefactLight:
    return ArtefactLight(
        category=v["light_sensitivity"], blue_wool=v["blue_wool"], annual_lux_hours=v["annual_lux_hours"]
    )


__all__ = [
    "ARTEFACT_LIGHT_KEYS",
    "LIGHT",
    "OPENING_HOURS",
    "ArtefactLight",
    "LightConfig",
    "OpeningHours",
    "artefact_light",
]
