"""The galleries' floor plans in ``museum.toml``: ``[[galleries]]``, each an image of the
gallery's plan and the place of its cases on it, declared once
(:mod:`museum.description.schema`) with the objects they become. The dashboard's floor plan
page (dashboard/views/floorplan.py, docs/dashboard-at-scale.md) draws them.

A position is a fraction of the image, ``x`` from its left edge and ``y`` from its top, so
the plan may be redrawn at another size without moving a case. A gallery marked
``outdoor = true`` holds the sensors in the outside air (its cases of kind ``room``): the
comparison page sets a case against it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from museum.description.schema import (
    REQUIRED,
    Boolean,
    Key,
    Name,
    Number,
    Place,
    Table,
    TableList,
    Text,
    Values,
)


@dataclass(frozen=True)
class CasePosition:
    """Where a case stands on its gallery's plan, as fractions of the image (0 to 1)."""

    case: str
    x: float
    y: float


@dataclass(frozen=True)
class Gallery:
    """A gallery's floor plan: ``gallery`` is its name as the cases give it (any of its
    languages), ``plan`` the image (absolute, resolved against the config's folder)."""

    id: str
    gallery: str
    plan: Path | None
    positions: tuple[CasePosition, ...] = ()
    outdoor: bool = False

    def position(self, case_id: str) -> CasePosition | None:
        return next((p for p in self.positions if p.case == case_id), None)


def _position(v: Values) -> CasePosition:
    return CasePosition(case=v["case"], x=v["x"], y=v["y"])


def _gallery(v: Values) -> Gallery:
    cases = v.reading.sections.get("cases") or ()
    known = {case.id: case for case in cases}
    wanted = str(v["gallery"]) if v["gallery"] is not None else v["id"]
    # The gallery's name in any of its languages names the same gallery.
    names = {case.gallery for case in cases if wanted in (str(case.gallery), *case.gallery.names.values())}
    if cases and not names:
        galleries = ", ".join(sorted(dict.fromkeys(str(case.gallery) for case in cases)))
        raise v.fail("gallery", f"no case stands in gallery {wanted!r}; galleries: {galleries}")
    gallery = next(iter(names)) if names else wanted
    for n, position in enumerate(v["cases"]):
        if cases and position.case not in known:
            raise v.at.key("cases").item(n).key("case").fail(f"unknown case {position.case!r}")
        if cases and known[position.case].gallery != gallery:
            raise (
                v.at.key("cases")
                .item(n)
                .key("case")
                .fail(f"case {position.case!r} stands in {str(known[position.case].gallery)!r}, not here")
            )
    plan = None
    if v["plan"]:
        plan = Path(v["plan"])
        if not plan.is_absolute() and v.reading.file is not None:
            plan = v.reading.file.parent / plan
    return Gallery(id=v["id"], gallery=gallery, plan=plan, positions=v["cases"], outdoor=v["outdoor"])


def _galleries(galleries: list[Gallery], at: Place) -> tuple[Gallery, ...]:
    seen: dict[str, int] = {}
    placed: dict[str, str] = {}
    for n, gallery in enumerate(galleries):
        if gallery.id in seen:
            raise at.item(n).key("id").fail(f"{gallery.id!r} is already galleries[{seen[gallery.id]}]")
        seen[gallery.id] = n
        for m, position in enumerate(gallery.positions):
            if position.case in placed:
                raise (
                    at.item(n)
                    .key("cases")
                    .item(m)
                    .key("case")
                    .fail(f"case {position.case!r} is already placed on {placed[position.case]!r}")
                )
            placed[position.case] = gallery.id
    return tuple(galleries)


FRACTION = Number(minimum=0, maximum=1, compact=True)

POSITION = Table(
    Key("case", Text(), "The case's id.", default=REQUIRED),
    Key("x", FRACTION, "From the plan's left edge, as a fraction of its width (0 to 1).", default=REQUIRED),
    Key("y", FRACTION, "From the plan's top edge, as a fraction of its height (0 to 1).", default=REQUIRED),
    build=_position,
)

GALLERIES = TableList(
    Table(
        Key(
            "id",
            Text(
                pattern=r"[A-Za-z0-9_.-]+",
                mismatch="{value} is not an id: letters, digits, `_`, `.` and `-`",
                about="letters, digits, `_`, `.`, `-`",
            ),
            "A short id for the gallery's plan (its page's address).",
            default=REQUIRED,
        ),
        Key(
            "gallery",
            Name(),
            "The gallery as its cases name it (in any of its languages).",
            default_doc="the id",
        ),
        Key(
            "plan",
            Text(),
            "The plan's image (PNG, JPEG or SVG), relative to the config file's folder.",
            default_doc="none: the cases are listed, not placed",
        ),
        Key(
            "outdoor",
            Boolean(),
            "This gallery is the outside air: its rooms' sensors are the outdoor air to compare with.",
            default=False,
        ),
        Key("cases", TableList(POSITION, doc="Where each case stands on the plan.")),
        build=_gallery,
    ),
    build=_galleries,
    doc="Floor plans of the galleries, with the place of each case (docs/dashboard-at-scale.md).",
)
