"""Cases placed on the floor plans with the mouse (issue 29, docs/dashboard-at-scale.md).

An admin's click on a gallery's plan is a point of ``case_positions`` in the retention
policy ``patina_forever`` (kept for ever, like the calibration log): the gallery and the
case as tags, the position and who placed it as fields, the moment as its time. Nothing is
overwritten: the last point of a case is where it stands, the earlier ones say where it
stood and who moved it. A case's last placing overrides its position in the config's
``[[galleries]]`` as long as the case still stands in that gallery.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from museum.description.config_galleries import CasePosition, Gallery
from museum.storage.hourly import HOURLY_POLICY
from museum.storage.influxql import quote_identifier
from museum.storage.lineprotocol import decode_text
from museum.storage.schema import CASE_POSITIONS, case_position_line

if TYPE_CHECKING:
    from museum.storage.store import InfluxStore

POSITIONS_TARGET = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(CASE_POSITIONS)}"


@dataclass(frozen=True)
class Placing:
    """A case placed on a gallery's plan by ``user`` at ``time``."""

    gallery_id: str
    case_id: str
    x: float
    y: float
    user: str
    time: pd.Timestamp


def positions_query() -> str:
    """The last placing of each case (a handful of points per case and year)."""
    return (
        f"SELECT x, y, {quote_identifier('user')} FROM {POSITIONS_TARGET} "
        "GROUP BY gallery_id, case_id ORDER BY time DESC LIMIT 1"
    )


def placings_from(log: pd.DataFrame) -> dict[str, Placing]:
    """Each case's last placing, from the frame :func:`positions_query` reads; a case placed
    on two galleries' plans keeps the later."""
    if log.empty or "case_id" not in log:
        return {}
    placed: dict[str, Placing] = {}
    for row in log.sort_values("time", kind="stable").itertuples(index=False):
        user = row.user if isinstance(row.user, str) else ""
        if not (math.isfinite(row.x) and math.isfinite(row.y)):
            continue
        placed[str(row.case_id)] = Placing(
            str(row.gallery_id),
            str(row.case_id),
            float(row.x),
            float(row.y),
            str(decode_text(user)),
            row.time,
        )
    return placed


def read_placings(store: InfluxStore) -> dict[str, Placing]:
    """Every case's last placing; none before the first (no policy kept for ever yet)."""
    from museum.storage.store import DatabaseMissing, StoreError

    try:
        return placings_from(store.frame(positions_query()))
    except StoreError as error:
        if isinstance(error, DatabaseMissing) or "retention policy not found" in str(error):
            return {}
        raise


def place_case(store: InfluxStore, gallery_id: str, case_id: str, x: float, y: float, user: str) -> Placing:
    """Record that ``user`` placed ``case_id`` at (``x``, ``y``) on ``gallery_id``'s plan."""
    now_ns = time.time_ns()
    line = case_position_line(now_ns, gallery_id=gallery_id, case_id=case_id, x=x, y=y, user=user)
    store.ensure_forever()
    store.write_lines([line], policy=HOURLY_POLICY)
    return Placing(gallery_id, case_id, x, y, user, pd.Timestamp(now_ns, unit="ns", tz="UTC"))


def with_placings(gallery: Gallery, cases: set[str], placed: dict[str, Placing]) -> Gallery:
    """The gallery's plan with its cases where the admins last placed them (``cases``: the
    cases standing in the gallery now); the config's positions stand for the others."""
    mine = {p.case_id: p for p in placed.values() if p.gallery_id == gallery.id and p.case_id in cases}
    kept = tuple(position for position in gallery.positions if position.case not in mine)
    moved = tuple(CasePosition(p.case_id, p.x, p.y) for p in mine.values())
    return replace(gallery, positions=kept + moved)


def toml_lines(gallery: Gallery, folder: Path | None = None) -> str:
    """The gallery's ``[[galleries]]`` entry with every position, to paste into museum.toml;
    its plan relative to ``folder`` (the config's) when it lies under it."""
    lines = [
        "[[galleries]]",
        f"id = {_toml_text(gallery.id)}",
        f"gallery = {_toml_text(str(gallery.gallery))}",
    ]
    if gallery.plan is not None:
        plan = gallery.plan
        if folder is not None and plan.is_relative_to(folder):
            plan = plan.relative_to(folder)
        lines.append(f"plan = {_toml_text(plan.as_posix())}")
    lines.append("cases = [")
    lines.extend(
        f"  {{ case = {_toml_text(p.case)}, x = {p.x:.3f}, y = {p.y:.3f} }}," for p in gallery.positions
    )
    lines.append("]")
    return "\n".join(lines)


def _toml_text(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for these characters)."""
    import json

    return json.dumps(text, ensure_ascii=False)
