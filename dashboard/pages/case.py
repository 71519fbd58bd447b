"""Case page: a case's climate over a period, its sensors and its artefacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.context import museum_config, translator
from dashboard.data import aggregation_for, case_series, export_zip, latest_climate
from museum.store import StoreError

config = museum_config()
t = translator()
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
          "1y": timedelta(days=365)}

if not config.cases:
    st.info(t("overview.no_cases"))
    st.stop()
case_ids = [case.id for case in config.cases]
requested = st.query_params.get("case")
case_id = st.sidebar.selectbox(
    t("case.select"), case_ids,
    index=case_ids.index(requested) if requested in case_ids else 0,
    format_func=lambda cid: f"{cid} · {config.case(cid).name}")
st.query_params["case"] = case_id
case = config.case(case_id)

st.title(t("case.title", case=case.id, name=case.name))
st.caption(f"{case.gallery} · {t('case.times_in', timezone=config.museum.timezone)}")
range_key = st.segmented_control(t("case.range"), list(RANGES), default="24h",
                                 format_func=lambda key: t(f"case.range_{key}")) or "24h"
span = RANGES[range_key]
end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
start = end - span

try:
    series = case_series(config.influxdb, case.id, start, end)
    latest = latest_climate(config.influxdb)
except StoreError as error:
    st.error(t("overview.database_error", url=config.influxdb.url, error=error))
    st.stop()

if series.empty:
    st.info(t("case.no_data"))
else:
    minutes = int(aggregation_for(span).total_seconds() // 60)
    st.caption(t("case.aggregated", minutes=minutes))
    local = series.assign(time=series["time"].dt.tz_convert(config.zone).dt.tz_localize(None))
    # 24-hour clock and day/month: how fr and vi readers (and conservators) write times.
    time_axis = alt.X("time:T", title=f"{t('label.time')} ({config.museum.timezone})",
                      axis=alt.Axis(format="%H:%M" if span <= timedelta(days=1) else "%d/%m"))
    for column, title in (("temperature_c", t("case.chart_temperature")),
                          ("rh_pct", t("case.chart_rh")),
                          ("dew_point_c", t("case.chart_dew_point"))):
        chart = alt.Chart(local).mark_line().encode(
            x=time_axis,
            y=alt.Y(f"{column}:Q", title=title, scale=alt.Scale(zero=False)),
            color=alt.Color("sensor_id:N", title=t("label.sensor")),
            tooltip=[alt.Tooltip("time:T", title=t("label.time"), format="%Y-%m-%d %H:%M"),
                     alt.Tooltip("sensor_id:N", title=t("label.sensor")),
                     alt.Tooltip(f"{column}:Q", title=title, format=".1f")],
        ).properties(height=220)
        st.altair_chart(chart, width="stretch")

if not series.empty and config.path is not None:
    from museum.export import ExportError

    try:
        archive = export_zip(str(config.path), (case.id,), start, end)
        st.download_button(t("case.download"), archive, file_name=f"patina-{case.id}-{range_key}.zip",
                           mime="application/zip", icon=":material/download:")
    except ExportError as error:
        st.caption(str(error))

st.subheader(t("case.sensors"))
sensor_rows = []
for sensor in case.sensors:
    row = latest[latest["sensor_id"] == sensor] if not latest.empty else pd.DataFrame()
    last = row.iloc[0] if not row.empty else None
    sensor_rows.append({
        t("label.sensor"): sensor,
        t("label.last_reading"): t.moment(last["time"].tz_convert(config.zone).to_pydatetime(warn=False))
        if last is not None else "—",
        t("label.temperature"): t.number(last["temperature_c"]) if last is not None else "—",
        t("label.rh"): t.number(last["rh_pct"]) if last is not None else "—",
        t("label.battery"): t.number(last["battery_pct"], 0) if last is not None else "—",
    })
st.table(pd.DataFrame(sensor_rows), hide_index=True)

st.subheader(t("label.artefacts"))
st.table(pd.DataFrame([{
    t("label.inventory_number"): artefact.id,
    t("label.name"): artefact.name,
    t("label.materials"): ", ".join(t.material(m) for m in artefact.materials),
} for artefact in case.artefacts]), hide_index=True)
