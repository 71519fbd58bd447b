"""Overview: every case, grouped by site and gallery, with its latest climate."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from analysis.risk import LEVELS
from dashboard import safe_text
from dashboard.context import museum_config, translator
from dashboard.data import (
    ATTENTION_LEVEL,
    CaseStatus,
    ObjectStatus,
    case_statuses,
    headline,
    object_reason,
    object_statuses,
    overview_inputs,
    silent_after,
    with_risk_and_alerts,
)
from dashboard.glance import FIRST_ROWS, needs, needs_table
from dashboard.links import artefact_link
from dashboard.views.diagnosis import cases_to_look_after
from museum.description.config import UNASSIGNED_CASE
from museum.description.secrets import redact_url
from museum.storage.store import StoreError

config = museum_config()
t = translator()
#: Every sensor of the museum: the latest readings look further back for those silent for a day.
SENSORS = tuple(sensor for case in config.cases for sensor in case.sensors)
#: Badge colours of the levels: green good, blue watch, orange risk, red critical.
LEVEL_COLOURS = {"good": "green", "watch": "blue", "risk": "orange", "critical": "red"}

st.title(t("overview.title"))
st.caption(
    t(
        "overview.caption",
        museum=safe_text.line(t.name(config.museum.name)),
        timezone=t.zone(config.museum.timezone),
    )
)


def tile_markdown(
    status: CaseStatus,
    trend: float | None,
    now: datetime,
    worst: ObjectStatus | None = None,
    show_gallery: bool = False,
) -> str:
    """One case's tile as a single markdown block: name, level badge with the worst object
    and why, open alerts, the climate, its trend, the age of the last reading and the
    sensors reporting."""
    lines = [f"**{safe_text.line(status.case.id)}** · {safe_text.line(t.name(status.case.name))}"]
    if show_gallery:  # worst first across galleries: say where the case is
        lines[0] += f" · :gray[{safe_text.line(t.name(status.case.gallery))}]"
    if status.stale:
        lines.append(f":gray-badge[:material/sensors_off: {t('overview.no_current_data')}]")
    elif status.worst_level is not None:
        level = LEVELS[status.worst_level]
        badge = f":{LEVEL_COLOURS[level]}-badge[{t(f'level.{level}')}]"
        if worst is not None and worst.level >= 1:
            badge += " " + t(
                "overview.worst_object",
                object=artefact_link(worst.artefact.id, worst.artefact.name, t),
                reason=object_reason(worst, t, now),
            )
        lines.append(badge)
    if status.open_alerts:
        lines.append(f":red[**{t.plural('overview.open_alerts_count', status.open_alerts)}**]")
    lines.append(
        " · ".join(
            f"{label} **{value}**"
            for label, value in (
                (t("label.temperature_short"), t.quantity(status.temperature_c, "°C")),
                (t("label.rh_short"), t.quantity(status.rh_pct, "%")),
                (t("label.dew_point_short"), t.quantity(status.dew_point_c, "°C")),
            )
        )
    )
    notes = []
    if trend is not None and not status.stale:
        arrow = "↑" if trend >= 0.5 else "↓" if trend <= -0.5 else "→"
        notes.append(t("overview.trend", arrow=arrow, change=t.number(trend), hours=3))
    if status.last_reading is not None and not status.stale:
        notes.append(t("overview.updated", age=t.age((now - status.last_reading).total_seconds())))
    notes.append(
        t.plural(
            "overview.sensors_reporting_count",
            status.sensors_reporting,
            total=t.number(len(status.case.sensors), 0),
        )
    )
    lines.append(f":gray[{' · '.join(notes)}]")
    return "  \n".join(lines)


FILTER_LEVELS = ("critical", "risk", "watch", "good", "unknown")


def on_a_phone() -> bool:
    """Whether the browser says it is a phone ("Mobi" in its User-Agent, as every mobile
    browser sends): there the tiles come worst first, not by gallery, since columns stack
    into one long list on a narrow screen."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except (AttributeError, RuntimeError):  # no browser (tests, bare mode)
        return False
    return "Mobi" in agent


# Collapsed: on a phone the filters would otherwise fill the first screen.
with st.expander(t("overview.filters"), icon=":material/filter_list:"):
    filters = st.columns([3, 3, 2])
    chosen_galleries = filters[0].multiselect(
        t("overview.filter_gallery"),
        list(config.galleries),
        format_func=t.name,
        placeholder=t("overview.filter_all_galleries"),
    )
    chosen_levels = filters[1].multiselect(
        t("overview.filter_level"),
        FILTER_LEVELS,
        format_func=lambda level: t(f"overview.level_{level}"),
        placeholder=t("overview.filter_all_levels"),
    )
    alerts_only = filters[2].toggle(t("overview.filter_alerts"))
    worst_first = filters[2].toggle(
        t("overview.worst_first"), value=on_a_phone(), key="worst_first", help=t("overview.worst_first_help")
    )
# Narrow screens: less room around the page and a smaller title, so the first tiles show
# on the first screen.
st.html(
    "<style>@media (max-width: 640px) {"
    " [data-testid='stMainBlockContainer'] { padding: 3.5rem 0.75rem 2rem; }"
    " [data-testid='stMainBlockContainer'] h1 { font-size: 1.75rem; padding-top: 0; }"
    " [data-testid='stHorizontalBlock'] { gap: 0.5rem; }"
    "}</style>"
)


def shown(status: CaseStatus) -> bool:
    """Whether a case passes the filters. A silent case counts as "no current data"."""
    if chosen_galleries and status.case.gallery not in chosen_galleries:
        return False
    if alerts_only and not status.open_alerts:
        return False
    if chosen_levels:
        level = "unknown" if status.stale or status.worst_level is None else LEVELS[status.worst_level]
        return level in chosen_levels
    return True


def severity(status: CaseStatus) -> tuple[float, int, str]:
    """Sort key, worst first; a silent case (its level unknown) right after those needing
    attention."""
    level = -1 if status.worst_level is None else status.worst_level
    return (-(ATTENTION_LEVEL - 0.5 if status.stale else level), -status.open_alerts, status.case.id)


def show_headline(statuses: list[CaseStatus], objects: list[ObjectStatus], now: datetime) -> None:
    """The sentence over the tiles: how the objects are, coloured by the worst of them."""
    if not statuses:
        st.info(t("overview.no_cases"))
    elif objects:
        sentence, level = headline(objects, t, now, len(statuses), linked=True)
        if level >= ATTENTION_LEVEL:
            (st.error if level == 3 else st.warning)(sentence, icon=":material/warning:")
        else:
            st.success(sentence, icon=":material/check_circle:")


def tiles(
    shown_statuses: list[CaseStatus],
    trends: dict[str, float],
    worst_object: dict[str, ObjectStatus],
    now: datetime,
    show_gallery: bool = False,
) -> None:
    """The cases' tiles, four to a row, each with its link to the case page."""
    # Row by row, so that on a phone, where the columns stack, the order stays worst first.
    for row_start in range(0, len(shown_statuses), 4):
        columns = st.columns(4)
        for column, status in zip(columns, shown_statuses[row_start : row_start + 4], strict=False):
            with column.container(border=True):
                # Few elements per tile: with 200 cases, each element costs page time.
                st.markdown(
                    tile_markdown(
                        status,
                        trends.get(status.case.id),
                        now,
                        worst_object.get(status.case.id),
                        show_gallery,
                    )
                )
                if status.stale:
                    message = (
                        t("overview.no_data")
                        if status.last_reading is None
                        else t("overview.stale", age=t.age((now - status.last_reading).total_seconds()))
                    )
                    st.warning(message, icon=":material/warning:")
                st.page_link(
                    "views/case.py",
                    label=t("overview.open_case", case=safe_text.line(status.case.id)),
                    query_params={"case": status.case.id},
                )


def show_unassigned(latest: pd.DataFrame) -> None:
    """Sensors heard from but in no case of the config, as a table."""
    unassigned = latest[latest["case_id"] == UNASSIGNED_CASE] if not latest.empty else latest
    if unassigned.empty:
        return
    st.subheader(t("overview.unassigned"))
    st.caption(t("overview.unassigned_help"))
    site_names = {site.id: t.name(site.name) for site in config.sites}
    # Text cells in the reader's format (a table would write "30.0" and an ISO time).
    st.dataframe(
        pd.DataFrame(
            {
                t("label.sensor"): unassigned["sensor_id"].map(safe_text.line),
                t("label.site"): unassigned["site"].map(lambda s: safe_text.line(site_names.get(s, s))),
                t("label.last_reading"): [
                    t.moment(moment.tz_convert(config.zone).to_pydatetime(warn=False))
                    for moment in unassigned["time"]
                ],
                t("label.with_unit", label=t("label.temperature"), unit="°C"): [
                    t.number(v) for v in unassigned["temperature_c"]
                ],
                t("label.with_unit", label=t("label.rh"), unit="%"): [
                    t.number(v) for v in unassigned["rh_pct"]
                ],
            }
        ),
        hide_index=True,
    )


#: Up to this many cases every gallery shows its tiles; above, the galleries are closed and
#: open one at a time, under the list of what needs the reader first (issue 29).
TILES_OPEN_UP_TO = 24
AT_SCALE = len(config.cases) > TILES_OPEN_UP_TO


def gallery_label(gallery: str, cases: list[CaseStatus]) -> str:
    """A closed gallery's line: its name, its cases, how many need attention or are silent."""
    attention = sum(1 for s in cases if not s.stale and (s.worst_level or 0) >= ATTENTION_LEVEL)
    silent = sum(1 for s in cases if s.stale)
    return safe_text.line(
        t(
            "glance.gallery_label",
            gallery=t.name(gallery),
            cases=t.number(len(cases), 0),
            attention=t.number(attention, 0),
            silent=t.number(silent, 0),
        )
    )


def needs_first(statuses: list[CaseStatus], objects: list[ObjectStatus], now: datetime) -> None:
    """The list of what needs the reader first: one table, worst first, paged."""
    rows = needs(statuses, objects, t, now)
    st.subheader(t("glance.needs_title"))
    if not rows:
        st.caption(t("glance.needs_none"))
        return
    show_all = len(rows) <= FIRST_ROWS or st.toggle(
        t("glance.show_all", n=t.number(len(rows), 0)), key="needs_show_all"
    )
    st.html(needs_table(rows if show_all else rows[:FIRST_ROWS], t, now, config.zone))


@st.fragment(run_every="30s")
def overview() -> None:
    try:
        inputs = overview_inputs(config.influxdb, SENSORS)
    except StoreError as error:
        st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
        return
    latest, risk, alerts, trends = inputs.latest, inputs.risk, inputs.alerts, inputs.trends
    now = datetime.now(UTC)
    statuses = with_risk_and_alerts(
        case_statuses(config.cases, latest, now, silent_after(config)), risk, alerts
    )
    objects = object_statuses(config.cases, risk)
    worst_object: dict[str, ObjectStatus] = {}
    for item in objects:  # worst first: the first seen per case is its worst
        worst_object.setdefault(item.case.id, item)
    show_headline(statuses, objects, now)

    total = len(statuses)
    statuses = [s for s in statuses if shown(s)]
    if total and len(statuses) < total:
        st.caption(t("overview.filtered", shown=len(statuses), total=total))

    shown_ids = {s.case.id for s in statuses}
    needs_first(statuses, [o for o in objects if o.case.id in shown_ids], now)
    if worst_first:
        ranked = sorted(statuses, key=severity)
        # At scale a phone gets the worst tiles only: the list above holds every case in need.
        tiles(ranked if not AT_SCALE else ranked[:TILES_OPEN_UP_TO], trends, worst_object, now, True)
    sites = {} if worst_first else {site.id: t.name(site.name) for site in config.sites}
    for site_id, site_name in sites.items():
        if len(sites) > 1:
            st.header(safe_text.line(site_name))
        for number, gallery in enumerate(
            dict.fromkeys(s.case.gallery for s in statuses if s.case.site == site_id)
        ):
            cases = [s for s in statuses if s.case.site == site_id and s.case.gallery == gallery]
            if not AT_SCALE:
                st.subheader(safe_text.line(t.name(gallery)))
                tiles(sorted(cases, key=severity), trends, worst_object, now)
                continue
            # Lazy: a closed gallery draws nothing, so 200 cases cost a line per gallery.
            box = st.expander(
                gallery_label(gallery, cases),
                expanded=gallery in chosen_galleries,
                key=f"gallery_{site_id}_{number}",
                on_change="rerun",
            )
            if box.open:
                with box:
                    tiles(sorted(cases, key=severity), trends, worst_object, now)
    show_unassigned(latest)


cases_to_look_after(config, t)  # docs/diagnostics.md
overview()
