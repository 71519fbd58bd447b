"""Case page: a case's climate over a period, its sensors and its artefacts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analysis.materials import profile, target_band
from analysis.risk import LEVELS
from dashboard import safe_text
from dashboard.calibration import case_calibrations
from dashboard.context import museum_config, translator
from dashboard.data import (
    ATTENTION_LEVEL,
    aggregation_for,
    case_notes,
    case_series,
    export_xlsx,
    export_zip,
    latest_climate,
    latest_risk,
    object_reason,
    object_statuses,
    period_summary,
)
from dashboard.inputs import period_input
from dashboard.light import show_case_light
from dashboard.links import artefact_link
from dashboard.views.diagnosis import case_tightness
from museum.description.secrets import redact_url
from museum.files.reports import calibration_note
from museum.language.figures import coverage_text, period_sentences, statistics_rows
from museum.language.sources import level_source
from museum.storage.store import StoreError

config = museum_config()
t = translator()
#: Every sensor of the museum: the latest readings look further back for those silent for a day.
SENSORS = tuple(sensor for case in config.cases for sensor in case.sensors)
RANGES = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}

if not config.cases:
    st.info(t("overview.no_cases"))
    st.stop()
case_ids = [case.id for case in config.cases]
requested = st.query_params.get("case")
case_id = st.sidebar.selectbox(
    t("case.select"),
    case_ids,
    index=case_ids.index(requested) if requested in case_ids else 0,
    format_func=lambda cid: f"{cid} · {t.name(config.case(cid).name)}",
)
st.query_params["case"] = case_id
case = config.case(case_id)

st.title(t("case.title", case=safe_text.line(case.id), name=safe_text.line(t.name(case.name))))
zone_name = t.zone(config.museum.timezone)
st.caption(f"{safe_text.line(t.name(case.gallery))} · {t('case.times_in', timezone=zone_name)}")
# A link may name the period (`case?case=G1-01&range=30d`), as it names the case.
asked_range = st.query_params.get("range")
range_key = (
    st.segmented_control(
        t("case.range"),
        [*RANGES, "custom"],
        default=asked_range if asked_range in RANGES else "24h",
        format_func=lambda key: t(f"case.range_{key}"),
    )
    or "24h"
)
if range_key == "custom":
    # Typed in the reader's format: Streamlit's date picker names months in English.
    first, last = period_input(t, "case_period", datetime.now(config.zone).date(), days=7)
    start = datetime.combine(first, time.min, tzinfo=config.zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=config.zone).astimezone(UTC)
    span = end - start
else:
    span = RANGES[range_key]
    end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - span

try:
    series = case_series(config.influxdb, case.id, start, end)
    latest = latest_climate(config.influxdb, SENSORS)
    notes = case_notes(config.influxdb, case.id, start, end)
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()

limits = []
for name in sorted({m for artefact in case.artefacts for m in artefact.materials}):
    material = profile(name)
    limits.append(
        {
            "rh_pct": material.rh_risk_pct,
            "label": t("case.limit_label", material=t.material(name), limit=t("case.limit_risk")),
        }
    )
    if material.rh_too_dry_pct is not None:
        limits.append(
            {
                "rh_pct": material.rh_too_dry_pct,
                "label": t("case.limit_label", material=t.material(name), limit=t("case.limit_dry")),
            }
        )

if series.empty:
    st.info(t("case.no_data"))
else:
    minutes = int(aggregation_for(span).total_seconds() // 60)
    st.caption(t("case.aggregated", minutes=minutes))

    def naive_local(moments: pd.Series) -> pd.Series:
        return moments.dt.tz_convert(config.zone).dt.tz_localize(None)

    local = series.assign(time=naive_local(series["time"]))
    # The whole requested range, whatever the data cover: a gap at either end stays visible.
    domain = [
        pd.Timestamp(moment).tz_convert(config.zone).tz_localize(None).isoformat() for moment in (start, end)
    ]
    # 24-hour clock with day/month on every tick: how fr and vi readers (and conservators)
    # write times, and a tick alone says which day it is.
    time_axis = alt.X(
        "time:T",
        title=t("label.time_in", zone=zone_name),
        axis=alt.Axis(format="%d/%m %H:%M", labelAngle=0, labelOverlap=True),
        scale=alt.Scale(domain=domain),
    )
    events = (
        notes.assign(
            time=naive_local(notes["time"]),
            label=[
                f"{t(f'state.{state}')} · {t(f'rule.{rule}')}" + (f" · {user}: {note}" if note else "")
                for state, rule, user, note in notes[["state", "rule", "user", "note"]].itertuples(
                    index=False
                )
            ],
        )
        if not notes.empty
        else pd.DataFrame()
    )
    # Temperature and dew point share one chart: both °C, the gap between the lines is the
    # margin to condensation (the condensation rule's, docs/risk-model.md).
    degrees = local.melt(
        id_vars=["time", "sensor_id"],
        value_vars=["temperature_c", "dew_point_c"],
        var_name="quantity",
        value_name="value_c",
    ).assign(
        quantity=lambda frame: frame["quantity"].map(
            {"temperature_c": t("label.temperature"), "dew_point_c": t("label.dew_point")}
        )
    )
    for data, column, title in (
        (degrees, "value_c", t("case.chart_temperature_dew_point")),
        (local, "rh_pct", t("case.chart_rh")),
    ):
        encoding: dict[str, Any] = {}
        if column == "value_c":
            encoding["strokeDash"] = alt.StrokeDash(
                "quantity:N",
                title="",
                sort=[t("label.temperature"), t("label.dew_point")],
            )
        chart = (
            alt.Chart(data)
            # Empty rows (with_gaps) break the line: a gap is drawn as a gap.
            .mark_line(invalid="break-paths-show-domains")
            .encode(
                x=time_axis,
                y=alt.Y(f"{column}:Q", title=title, scale=alt.Scale(zero=False)),
                color=alt.Color("sensor_id:N", title=t("label.sensor")),
                tooltip=[
                    alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format()),
                    alt.Tooltip("sensor_id:N", title=t("label.sensor")),
                    *([alt.Tooltip("quantity:N", title="")] if column == "value_c" else []),
                    alt.Tooltip(f"{column}:Q", title=title, format=t.axis_format(1)),
                ],
                **encoding,
            )
            .properties(height=220)
        )
        if column == "rh_pct" and limits:
            # Each material's risk limit (and organic parts' too-dry limit), as published.
            rules = pd.DataFrame(limits)
            chart = chart + alt.Chart(rules).mark_rule(strokeDash=[6, 4]).encode(
                y="rh_pct:Q",
                color=alt.value("#c0392b"),
                tooltip=[
                    alt.Tooltip("label:N", title=t("label.materials")),
                    alt.Tooltip("rh_pct:Q", title=t("case.limit"), format=t.axis_format(0)),
                ],
            )
        if not events.empty:
            # Alert openings, acknowledgements (with their notes) and resolutions.
            chart = chart + alt.Chart(events).mark_rule(color="#7b1fa2", strokeWidth=1.5).encode(
                x=alt.X("time:T"),
                tooltip=[
                    alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format()),
                    alt.Tooltip("label:N", title=t("case.event")),
                ],
            )
        # Decimal comma, month and weekday names in the reader's language (docs/languages.md).
        st.altair_chart(chart.configure(locale=t.chart_locale()), width="stretch")
    if not events.empty:
        st.caption(t.plural("case.events_help", len(events)))

if not series.empty:
    # The climate as a cloud of (temperature, RH) points over the materials' safe zones.
    zones = []
    for name in sorted({m for artefact in case.artefacts for m in artefact.materials}):
        material = profile(name)
        zones.append(
            {
                "material": t.material(name),
                "low": material.rh_too_dry_pct or 0.0,
                "high": material.rh_safe_pct,
            }
        )
    points = (
        alt.Chart(local)
        .mark_circle(size=14, opacity=0.5)
        .encode(
            x=alt.X(
                "temperature_c:Q",
                title=t("case.chart_temperature"),
                scale=alt.Scale(zero=False),
                # Whole or half degrees, never a tick every 0.2 °C written "19,20".
                axis=alt.Axis(format=t.axis_format(1), tickMinStep=0.5, labelOverlap=True),
            ),
            y=alt.Y("rh_pct:Q", title=t("case.chart_rh"), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("sensor_id:N", title=t("label.sensor")),
            tooltip=[
                alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format()),
                alt.Tooltip("temperature_c:Q", format=t.axis_format(1), title=t("case.chart_temperature")),
                alt.Tooltip("rh_pct:Q", format=t.axis_format(1), title=t("case.chart_rh")),
            ],
        )
    )
    scatter = points
    if zones:
        scatter = (
            alt.Chart(pd.DataFrame(zones))
            .mark_rect(opacity=0.12)
            .encode(
                y="low:Q",
                y2="high:Q",
                color=alt.Color("material:N", title=t("case.safe_zone"), scale=alt.Scale(scheme="set2")),
                tooltip=[
                    alt.Tooltip("material:N", title=t("case.safe_zone")),
                    alt.Tooltip("low:Q", title=t("case.zone_from"), format=t.axis_format(0)),
                    alt.Tooltip("high:Q", title=t("case.zone_to"), format=t.axis_format(0)),
                ],
            )
            + points
        )
    st.subheader(t("case.scatter"))
    st.caption(t("case.scatter_help"))
    cloud = scatter.resolve_scale(color="independent").properties(height=320)
    st.altair_chart(cloud.configure(locale=t.chart_locale()), width="stretch")

    st.subheader(t("case.period_statistics"))
    try:
        period = period_summary(config.influxdb, case, start, end)
    except StoreError as error:
        st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
        st.stop()
    if period.figures is None:
        st.caption(t("case.too_short"))
    else:
        table = [
            {
                "": row.label,
                **{
                    t(f"print.{column}"): t.quantity(value, row.unit)
                    for column, value in zip(("min", "mean", "max"), row.values, strict=True)
                },
            }
            for row in statistics_rows(period.figures, t, extremes=period.extremes)
        ]
        st.table(pd.DataFrame(table), hide_index=True)
        coverage = coverage_text(
            period.coverage, t, lambda moment: t.moment(moment.astimezone(config.zone)), max_gaps=3
        )
        if coverage:
            st.caption(coverage)
        calibrated = calibration_note(period.calibrations, t, config.zone)
        if calibrated:
            st.info(calibrated)
        sentences = period_sentences(period.figures, t)
        st.markdown(sentences.daily_range)
        st.markdown(sentences.time_of_wetness)
        st.markdown(sentences.ipi)
        ipi = period.figures["ipi"]
        # IPI rates the air for metals in general; an object's level uses its own material's
        # limits. Say why when they disagree, so neither looks wrong.
        try:
            assessed_now = object_statuses((case,), latest_risk(config.influxdb))
        except StoreError:
            assessed_now = []
        at_risk = [o for o in assessed_now if o.level >= ATTENTION_LEVEL]
        if at_risk and ipi["metal_corrosion"] != "risk":
            st.info(
                t(
                    "case.ipi_differs",
                    rating=t(f"rating.{ipi['metal_corrosion']}"),
                    objects=", ".join(
                        f"{artefact_link(o.artefact.id, o.artefact.name, t)} ({t.material(o.material)})"
                        for o in at_risk
                    ),
                ),
                icon=":material/info:",
            )
        elif assessed_now and not at_risk and ipi["metal_corrosion"] == "risk":
            st.info(t("case.ipi_stricter"), icon=":material/info:")
        if period.artefact_levels:
            st.markdown(f"**{t('print.artefact_levels')}**")
            st.table(
                pd.DataFrame(
                    [
                        {
                            t("label.inventory_number"): safe_text.line(artefact.id),
                            t("label.name"): artefact_link(artefact.id, artefact.name, t),
                            **{
                                t(f"level.{level}"): t.quantity(
                                    period.artefact_levels[artefact.id][level], "%"
                                )
                                for level in LEVELS
                            },
                        }
                        for artefact in case.artefacts
                        if artefact.id in period.artefact_levels
                    ]
                ),
                hide_index=True,
            )
        st.caption(t("print.method"))

# A day's export is small and made with the page; a longer one only when asked for, so that
# viewing a year does not export a year.
if (
    not series.empty
    and config.path is not None
    and (span <= timedelta(days=1) or st.button(t("case.prepare_download"), icon=":material/download:"))
):
    from museum.files.export import ExportError

    # The formats `patina export` writes for a spreadsheet: CSV with its metadata, or XLSX.
    format_names = {"csv": t("case.download_format_csv"), "xlsx": t("case.download_format_xlsx")}
    export_format = (
        st.segmented_control(
            t("case.download_format"),
            list(format_names),
            default="csv",
            format_func=format_names.__getitem__,
            key="export_format",
        )
        or "csv"
    )
    try:
        if export_format == "xlsx":
            st.download_button(
                t("case.download_xlsx"),
                export_xlsx(str(config.path), (case.id,), start, end),
                file_name=f"patina-{case.id}-{range_key}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                icon=":material/download:",
                on_click="ignore",
            )
        else:
            st.download_button(
                t("case.download"),
                export_zip(str(config.path), (case.id,), start, end),
                file_name=f"patina-{case.id}-{range_key}.zip",
                mime="application/zip",
                icon=":material/download:",
                on_click="ignore",
            )
    except ExportError as error:
        st.caption(safe_text.text(str(error)))

st.subheader(t("case.sensors"))
sensor_rows = []
for sensor in case.sensors:
    row = latest[latest["sensor_id"] == sensor] if not latest.empty else pd.DataFrame()
    last = row.iloc[0] if not row.empty else None
    sensor_rows.append(
        {
            t("label.sensor"): safe_text.line(sensor),
            t("label.last_reading"): t.moment(last["time"].tz_convert(config.zone).to_pydatetime(warn=False))
            if last is not None
            else "—",
            # Units in the headers, numbers in the reader's format (decimal comma in fr and vi).
            t("label.with_unit", label=t("label.temperature"), unit="°C"): t.number(last["temperature_c"])
            if last is not None
            else "—",
            t("label.with_unit", label=t("label.rh"), unit="%"): t.number(last["rh_pct"])
            if last is not None
            else "—",
            t("label.with_unit", label=t("label.battery"), unit="%"): t.number(last["battery_pct"], 0)
            if last is not None and pd.notna(last["battery_pct"])
            else "—",
        }
    )
st.table(pd.DataFrame(sensor_rows), hide_index=True)

st.subheader(t("label.artefacts"))
try:
    risk = latest_risk(config.influxdb)
except StoreError:
    risk = pd.DataFrame()
now = datetime.now(UTC)
assessed = {o.artefact.id: o for o in object_statuses((case,), risk)}
rows = []
for artefact in case.artefacts:
    found = assessed.get(artefact.id)
    level = LEVELS[found.level] if found else None
    rows.append(
        {
            t("label.inventory_number"): safe_text.line(artefact.id),
            t("label.name"): artefact_link(artefact.id, artefact.name, t),
            t("label.materials"): ", ".join(t.material(m) for m in artefact.materials),
            t("label.level"): t(f"level.{level}") if level else "—",
            t("label.driver"): object_reason(found, t, now) if found else "—",
            t("label.source"): level_source(t, profile(found.material), found.driver, level)
            if found and found.level > 0
            else "—",
            t("case.since"): t.moment(found.since.astimezone(config.zone))
            if found and found.since and found.level > 0
            else "—",
        }
    )
st.table(pd.DataFrame(rows), hide_index=True)

# What to do: the band that suits every material of the case, then advice for what drives
# the objects that are not good.
st.subheader(t("case.what_to_do"))
materials = sorted({m for artefact in case.artefacts for m in artefact.materials})
band = target_band(materials)
if band["high_pct"] is not None and band["conflict"]:
    st.warning(
        t(
            "case.band_conflict",
            high=t.number(band["high_pct"], 0),
            high_material=t.material(band["high_material"]),
            low=t.number(band["low_pct"], 0),
            low_material=t.material(band["low_material"]),
        ),
        icon=":material/warning:",
    )
elif band["high_pct"] is not None and not band["low_pct"]:
    st.markdown(
        t(
            "case.band_below",
            high=t.number(band["high_pct"], 0),
            high_material=t.material(band["high_material"]),
        )
    )
elif band["high_pct"] is not None:
    st.markdown(
        t(
            "case.band",
            low=t.number(band["low_pct"], 0),
            high=t.number(band["high_pct"], 0),
            high_material=t.material(band["high_material"]),
        )
    )
needing = [o for o in assessed.values() if o.level >= 1]
if not needing:
    st.caption(t("case.no_advice"))
for driver in dict.fromkeys(o.driver for o in needing):
    names = ", ".join(artefact_link(o.artefact.id, o.artefact.name, t) for o in needing if o.driver == driver)
    st.markdown(
        t(
            "case.advice_driver",
            driver=t(f"driver.{driver}"),
            objects=names,
            advice=t(f"advice.driver.{driver}"),
        )
    )
for material in dict.fromkeys(o.material for o in needing):
    st.markdown(
        t("case.advice_material", material=t.material(material), advice=t(f"advice.material.{material}"))
    )

show_case_light(t, config, case.id)  # docs/light.md
case_tightness(config, t, case)  # docs/diagnostics.md
case_calibrations(config, case, t)  # docs/calibration.md
