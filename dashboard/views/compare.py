"""Cases compared: several cases on one chart over a chosen period, or a case against its
gallery's air (its room) and the outdoor air: is it the case or the building?"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.context import museum_config, translator
from dashboard.data import case_series
from dashboard.inputs import period_input
from museum.description.secrets import redact_url
from museum.storage.store import StoreError

config = museum_config()
t = translator()
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
QUANTITIES = {
    "rh_pct": ("label.rh", "%"),
    "temperature_c": ("label.temperature", "°C"),
    "dew_point_c": ("label.dew_point", "°C"),
}
#: The outside air: the rooms of a gallery marked ``outdoor = true`` (config_galleries).
OUTDOOR_GALLERIES = {gallery.gallery for gallery in config.floorplans if gallery.outdoor}
OUTDOOR = [case for case in config.cases if case.is_room and case.gallery in OUTDOOR_GALLERIES]

st.title(t("compare.title"))
st.caption(t("case.times_in", timezone=t.zone(config.museum.timezone)))
if not config.cases:
    st.info(t("overview.no_cases"))
    st.stop()

case_ids = [case.id for case in config.cases if case not in OUTDOOR]
requested = [cid for cid in st.query_params.get_all("case") if cid in case_ids]
chosen = st.multiselect(
    t("compare.cases"),
    case_ids,
    default=requested or case_ids[:1],
    format_func=lambda cid: f"{cid} · {t.name(config.case(cid).name)}",
    max_selections=8,
)
options = st.columns([2, 2, 3])
with_room = options[0].toggle(t("compare.with_room"), value=len(chosen) == 1, key="compare_room")
with_outdoor = options[0].toggle(
    t("compare.with_outdoor"), value=bool(OUTDOOR) and len(chosen) == 1, disabled=not OUTDOOR
)
quantity = (
    options[1].segmented_control(
        t("compare.quantity"), list(QUANTITIES), default="rh_pct", format_func=lambda q: t(QUANTITIES[q][0])
    )
    or "rh_pct"
)
range_key = (
    options[2].segmented_control(
        t("case.range"), [*RANGES, "custom"], default="7d", format_func=lambda key: t(f"case.range_{key}")
    )
    or "7d"
)
if range_key == "custom":
    first, last = period_input(t, "compare_period", datetime.now(config.zone).date(), days=7)
    start = datetime.combine(first, time.min, tzinfo=config.zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=config.zone).astimezone(UTC)
else:
    # To the minute: the cached queries are asked the same question for a minute.
    end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - RANGES[range_key]

series: dict[str, str] = {cid: f"{cid} · {t.name(config.case(cid).name)}" for cid in chosen}
if with_room:
    for cid in chosen:
        room = config.reference_for(cid)
        if room is not None and room.id not in series:
            series[room.id] = t("compare.room_label", case=room.id, name=t.name(room.name))
if with_outdoor:
    for case in OUTDOOR:
        series[case.id] = t("compare.outdoor_label", case=case.id, name=t.name(case.name))
if not series:
    st.info(t("compare.choose"))
    st.stop()

frames = []
try:
    for case_id, label in series.items():
        data = case_series(config.influxdb, case_id, start, end)
        if data.empty:
            continue
        # One line per case: the mean of its sensors at each time.
        mean = data.groupby("time", as_index=False)[quantity].mean()
        frames.append(mean.assign(series=label))
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()
missing = [label for cid, label in series.items() if all(f["series"].iloc[0] != label for f in frames)]
if missing:
    st.caption(t("compare.no_data", cases=", ".join(safe_text.line(m) for m in missing)))
if not frames:
    st.info(t("compare.nothing"))
    st.stop()

table = pd.concat(frames, ignore_index=True)
table["time"] = table["time"].dt.tz_convert(config.zone).dt.tz_localize(None)
label, unit = t(QUANTITIES[quantity][0]), QUANTITIES[quantity][1]
axis_title = t("label.with_unit", label=label, unit=unit)
chart = (
    alt.Chart(table)
    .mark_line(interpolate="monotone")
    .encode(
        x=alt.X("time:T", title=t("label.time")),
        y=alt.Y(f"{quantity}:Q", title=axis_title, scale=alt.Scale(zero=False)),
        color=alt.Color(
            "series:N", title=t("compare.series"), legend=alt.Legend(orient="bottom", labelLimit=400)
        ),
        tooltip=[
            alt.Tooltip("series:N", title=t("compare.series")),
            alt.Tooltip("time:T", title=t("label.time"), format="%Y-%m-%d %H:%M"),
            alt.Tooltip(f"{quantity}:Q", title=axis_title, format=".1f"),
        ],
    )
    .properties(height=420)
)
st.altair_chart(chart, use_container_width=True)
summary = table.groupby("series", sort=False)[quantity].agg(["mean", "min", "max"])
st.table(
    pd.DataFrame(
        {
            t("compare.series"): [safe_text.line(name) for name in summary.index],
            t("compare.mean"): [t.quantity(v, unit) for v in summary["mean"]],
            t("compare.min"): [t.quantity(v, unit) for v in summary["min"]],
            t("compare.max"): [t.quantity(v, unit) for v in summary["max"]],
        }
    ),
    hide_index=True,
)
