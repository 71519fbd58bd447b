"""Placing cases on a floor plan with the mouse (issue 29, docs/dashboard-at-scale.md): an
admin chooses a case, clicks on the plan, and the case stands there for every reader.

The click comes back through Streamlit's chart selections (``st.altair_chart`` with
``on_select``; Altair is already how every chart of the dashboard is drawn, so no new
dependency): over the plan's image lies a grid of invisible cells, one per 1/50 of each
side, and a click selects the cell under the mouse, whose centre is the position. The
placing is stored by :mod:`museum.storage.positions`; the page also gives the lines to
paste into museum.toml, so the config can catch up."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.data import CaseStatus, case_placings
from dashboard.glance import LEVEL_HEX, UNKNOWN_HEX, level_name
from museum.description.config import Case, MuseumConfig
from museum.description.config_galleries import Gallery
from museum.language.i18n import Translator
from museum.storage.positions import place_case, toml_lines
from museum.storage.store import StoreError
from museum.storage.stores import open_store

#: Cells of the click grid along each side: a click lands within 1 % of the plan's side.
GRID_CELLS = 50
#: The placing chart's width in pixels (its height follows the plan's proportions).
CHART_WIDTH_PX = 900
#: Who may place cases (museum.description.users.ROLES).
PLACING_ROLES = ("admin",)


def plan_aspect(path: Path) -> float:
    """The plan's height over its width: from an SVG's size or view box, or a bitmap's
    pixels; 0.6 when neither can be read."""
    try:
        if path.suffix.lower() == ".svg":
            root = ElementTree.parse(path).getroot()
            box = (root.get("viewBox") or "").replace(",", " ").split()
            if len(box) == 4:
                return float(box[3]) / float(box[2])
            width, height = (float((root.get(k) or "").removesuffix("px")) for k in ("width", "height"))
            return height / width
        from PIL import Image

        with Image.open(path) as image:
            return image.height / image.width
    except (OSError, ValueError, ZeroDivisionError, ElementTree.ParseError):
        return 0.6


def click_grid() -> pd.DataFrame:
    """One cell per grid point (i/50, j/50), spanning half a step either side (clipped to
    the plan): a click selects the cell whose centre is nearest."""
    step = 1 / GRID_CELLS
    points = [n * step for n in range(GRID_CELLS + 1)]
    return pd.DataFrame(
        [
            {
                "px": x,
                "py": y,
                "x0": max(0.0, x - step / 2),
                "x1": min(1.0, x + step / 2),
                "y0": max(0.0, y - step / 2),
                "y1": min(1.0, y + step / 2),
            }
            for x in points
            for y in points
        ]
    )


def placing_chart(
    gallery: Gallery, image: str, statuses: dict[str, CaseStatus], chosen: str, aspect: float
) -> alt.LayerChart:
    """The plan, its placed cases (the chosen one ringed) and the invisible click grid."""
    width, height = CHART_WIDTH_PX, round(CHART_WIDTH_PX * aspect)
    x_scale = alt.Scale(domain=[0, 1], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, 1], nice=False, zero=False, reverse=True)  # y from the top
    plan = (
        alt.Chart(pd.DataFrame({"url": [image], "x": [0.5], "y": [0.5]}))
        .mark_image(width=width, height=height, aspect=False)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None), url="url:N"
        )
    )
    markers = pd.DataFrame(
        [
            {
                "x": p.x,
                "y": p.y,
                "case": p.case,
                "colour": LEVEL_HEX.get(level_name(statuses[p.case]), UNKNOWN_HEX)
                if p.case in statuses
                else UNKNOWN_HEX,
                "ring": 3 if p.case == chosen else 0,
            }
            for p in gallery.positions
        ],
        columns=["x", "y", "case", "colour", "ring"],
    )
    dots = (
        alt.Chart(markers)
        .mark_circle(size=260, opacity=1, stroke="#000")
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            y=alt.Y("y:Q", scale=y_scale),
            color=alt.Color("colour:N", scale=None),
            strokeWidth=alt.StrokeWidth("ring:Q", scale=None),
        )
    )
    labels = dots.mark_text(dy=-16, fontWeight="bold", color="#222").encode(text="case:N")
    spot = alt.selection_point(name="spot", fields=["px", "py"], on="click", clear=False)
    # Nearly transparent, not transparent: a cell must still catch the click.
    grid = (
        alt.Chart(click_grid())
        .mark_rect(opacity=0.001, color="#000", cursor="crosshair")
        .encode(
            x=alt.X("x0:Q", scale=x_scale),
            x2="x1:Q",
            y=alt.Y("y0:Q", scale=y_scale),
            y2="y1:Q",
        )
        .add_params(spot)
    )
    return (
        alt.layer(plan, dots, labels, grid)
        # Every side's padding named: Streamlit adds 20 px under a chart whose bottom padding
        # is not (the plot would no longer fill the canvas, nor a click land where it seems).
        .properties(width=width, height=height, padding={"left": 0, "top": 0, "right": 0, "bottom": 0})
        .configure_view(stroke=None)
    )


def placing_controls(
    config: MuseumConfig,
    gallery: Gallery,
    cases: tuple[Case, ...],
    statuses: dict[str, CaseStatus],
    image: str | None,
    t: Translator,
    user: str,
) -> None:
    """The admin's part of the floor plan page: choose a case, click where it stands."""
    st.subheader(t("floorplan.place_title"))
    done = st.session_state.pop("placed_case", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    if image is None or gallery.plan is None or not cases:
        st.caption(t("floorplan.place_no_image"))
    else:
        st.caption(t("floorplan.place_help"))
        placed = {p.case for p in gallery.positions}
        chosen = st.selectbox(
            t("floorplan.place_case"),
            [case.id for case in cases],
            format_func=lambda cid: (
                f"{cid} · {t.name(next(c.name for c in cases if c.id == cid))} · "
                + (t("floorplan.placed") if cid in placed else t("floorplan.not_placed"))
            ),
            key=f"place_case_{gallery.id}",
        )
        # A new key after each placing: the chart starts again with nothing selected, so
        # the click that placed a case is not taken again at the next rerun.
        round_key = f"placing_round_{gallery.id}"
        rounds = st.session_state.get(round_key, 0)
        chart = placing_chart(gallery, image, statuses, str(chosen), plan_aspect(gallery.plan))
        event = st.altair_chart(
            chart,
            key=f"placing_{gallery.id}_{rounds}",
            on_select="rerun",
            selection_mode="spot",
            theme=None,
            width="content",
        )
        spots = event.selection.get("spot") if event else None
        if spots:
            x, y = float(spots[0]["px"]), float(spots[0]["py"])
            try:
                store = open_store(config.influxdb, timeout_s=10)
                try:
                    place_case(store, gallery.id, str(chosen), x, y, user)
                finally:
                    store.close()
            except StoreError as error:
                st.error(safe_text.text(str(error)))
                return
            case_placings.clear()
            st.session_state[round_key] = rounds + 1
            st.session_state["placed_case"] = t(
                "floorplan.placed_at", case=str(chosen), x=t.number(x, 2), y=t.number(y, 2)
            )
            st.rerun()
    with st.expander(t("floorplan.toml_title")):
        st.caption(t("floorplan.toml_help"))
        folder = config.path.parent if config.path is not None else None
        st.code(toml_lines(gallery, folder), language="toml")
