"""Data quality: every sensor with its last reading, battery and coverage; coverage and gaps
hour by hour; the sensors of one case compared; the quarantine with its reasons; the
collectors' health. Data access is in dashboard/data.py; this page only draws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analysis.agreement import ACCURACY_RH_PCT, ACCURACY_TEMPERATURE_C
from dashboard import safe_text
from dashboard.calibration import calibration_records, flagged_sensors
from dashboard.context import museum_config, translator
from dashboard.data import (
    at_once,
    collector_health,
    coverage_period,
    coverage_summary,
    disk_projection,
    hourly_coverage,
    latest_climate,
    message_counts,
    quarantine_view,
    sensor_comparison,
    silent_after,
)
from dashboard.strip import coverage_strip_html
from museum.description.secrets import redact_url
from museum.storage.store import StoreError

config = museum_config()
t = translator()
#: Every sensor of the museum: the latest readings look further back for those silent for a day.
SENSORS = tuple(sensor for case in config.cases for sensor in case.sensors)
CASE_OF = {sensor: case.id for case in config.cases for sensor in case.sensors}
#: The heat strip draws this many sensors at most, those with the least coverage first.
STRIP_SENSORS = 40
#: Up to this many sensors the strip draws them all; above, only those short of readings.
STRIP_EVERY_SENSOR_UP_TO = 12
#: A collector that has not reported for this long is shown as stopped (it reports every 10 s).
COLLECTOR_SILENT_AFTER = timedelta(minutes=5)
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
#: Time axis ticks per range: hours over a day (about 8 ticks), one per day over a week.
#: (Vega fails on an hour interval object, {"interval": "hour", "step": 3}: a count it is.)
TICKS: dict[str, tuple[str, Any]] = {"24h": ("hour", 8), "7d": ("day", {"interval": "day", "step": 1})}


def reason_name(code: str) -> str:
    """Why the collector quarantined a message, in the reader's language."""
    try:
        return t(f"quarantine.reason.{code}")
    except KeyError:  # a reason newer than this catalogue
        return code


st.title(t("quality.title"))
range_key = (
    st.segmented_control(
        t("quality.range"),
        list(RANGES),
        default="7d",
        format_func=lambda key: t(f"case.range_{key}"),
        key="quality_range",
    )
    or "7d"
)
now = datetime.now(UTC)
tick_format, tick_count = TICKS[range_key]
time_axis = alt.Axis(format=t.chart_time_format(tick_format), tickCount=tick_count, labelOverlap=True)
# Whole hours of the clock, up to the last complete one: the hour under way is not a gap.
# The same period as the server's warmer computes for a week (dashboard.data.coverage_warmer).
start, end = coverage_period(now, RANGES[range_key])

try:
    # Side by side, with the queries of the sections below (calibration, disk): one after
    # the other they made most of a first load at 200 cases (docs/dashboard-at-scale.md).
    latest, counts, health, coverage = at_once(
        [
            lambda: latest_climate(config.influxdb, SENSORS),
            lambda: message_counts(config.influxdb),
            lambda: collector_health(config.influxdb),
            lambda: hourly_coverage(config.influxdb, SENSORS, start, end),
        ],
        warm=[lambda: calibration_records(config.influxdb), lambda: disk_projection(config.influxdb)],
    )
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()

# --- sensors ----------------------------------------------------------------------------------
last = {} if latest.empty else {row["sensor_id"]: row for row in latest.to_dict("records")}
per_hour = {} if counts.empty else dict(zip(counts["sensor_id"], counts["readings"], strict=True))
summary = {row["sensor_id"]: row for row in coverage_summary(coverage).to_dict("records")}
#: The sensors' table shows this many rows before "show all" (issue 29).
SENSOR_ROWS = 25


def needs_a_look(sensor: str) -> tuple[int, float]:
    """Sort key: silent sensors first, then the least coverage over the period."""
    row = last.get(sensor)
    silent = row is None or (now - row["time"]).total_seconds() > silent_after(config).total_seconds()
    coverage = summary.get(sensor, {}).get("pct")
    return (0 if silent else 1, coverage if coverage is not None and pd.notna(coverage) else -1.0)


def sensor_row(sensor: str) -> dict[str, str]:
    """One sensor's line of the table, in the reader's words and numbers."""
    row = last.get(sensor)
    age = (now - row["time"]).total_seconds() if row else None
    cover = summary.get(sensor, {})
    return {
        t("label.sensor"): safe_text.line(sensor),
        t("alerts.case"): safe_text.line(CASE_OF[sensor]),
        t("label.last_reading"): t.age(age) if age is not None else t("overview.no_data"),
        t("quality.status"): t("quality.silent")
        if age is None or age > silent_after(config).total_seconds()
        else t("quality.ok"),
        f"{t('label.battery')} (%)": t.number(row["battery_pct"], 0)
        if row and pd.notna(row["battery_pct"])
        else "—",
        t("quality.per_hour"): t.number(int(per_hour.get(sensor, 0)), 0),
        f"{t('quality.coverage')} (%)": t.number(cover.get("pct"), 0),
        t("quality.gaps"): t.number(cover.get("gaps", 0), 0),
        t("quality.longest_gap"): t.duration(3600 * cover["longest_gap_h"])
        if cover.get("longest_gap_h")
        else "—",
    }


sensors_shown = list(CASE_OF)
st.subheader(t("quality.sensors"))
if len(sensors_shown) > SENSOR_ROWS:
    # Paged, those needing a look first (silent, then the least coverage): a table of 200
    # rows took the browser a second to draw, and their words and numbers a quarter of a
    # second to write (benchmarks/bench_dashboard_scale.py); only the rows shown are written.
    sensors_shown.sort(key=needs_a_look)
    if not st.toggle(t("glance.show_all", n=t.number(len(sensors_shown), 0)), key="quality_all_sensors"):
        st.caption(
            t("glance.sensors_first", shown=t.number(SENSOR_ROWS, 0), total=t.number(len(sensors_shown), 0))
        )
        sensors_shown = sensors_shown[:SENSOR_ROWS]
rows = [sensor_row(sensor) for sensor in sensors_shown]
st.table(pd.DataFrame(rows), hide_index=True)

# --- coverage hour by hour --------------------------------------------------------------------
st.subheader(t("quality.coverage_title"))
st.caption(t("quality.coverage_help", timezone=t.zone(config.museum.timezone, now)))
order: list[str] = []
shown: list[str] = []
if coverage.empty:
    st.info(t("overview.no_data"))
else:
    order = sorted(summary, key=lambda s: (summary[s]["pct"] if summary[s]["pct"] is not None else -1, s))
    if len(order) > STRIP_EVERY_SENSOR_UP_TO:
        # A row with every hour covered says nothing, and 40 rows of a week's hours cost the
        # browser a second (benchmarks/bench_dashboard_scale.py): only the sensors short of
        # readings are drawn.
        short = [s for s in order if summary[s]["pct"] is None or summary[s]["pct"] < 100]
        complete, order = len(order) - len(short), short
        st.caption(t("glance.strip_complete", n=t.number(complete, 0)))
    shown = order[:STRIP_SENSORS]
    strip = coverage[coverage["sensor_id"].isin(shown)].copy()
if shown:
    # One HTML block, not a chart: the page's only chart made a new tab load the browser's
    # whole chart library (dashboard/strip.py).
    st.html(
        coverage_strip_html(
            strip, shown, lambda s: f"{CASE_OF.get(s, '')} · {s}", t, config.zone, daily=range_key == "7d"
        )
    )
if len(order) > len(shown):
    st.caption(t("quality.strip_limited", shown=len(shown), total=len(order)))

# --- the sensors of one case compared -------------------------------------------------------------
st.subheader(t("quality.compare_title"))
st.caption(
    t(
        "quality.compare_help",
        temperature=t.number(ACCURACY_TEMPERATURE_C),
        rh=t.number(ACCURACY_RH_PCT, 0),
    )
)
paired = [case for case in config.cases if len(case.sensors) >= 2]
if not paired:
    st.info(t("quality.compare_none"))
else:
    comparisons: dict[str, tuple[str, pd.DataFrame]] = {}
    table = []
    for case in paired:
        try:
            pairs = sensor_comparison(config.influxdb, case, start, end)
        except StoreError as error:
            st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
            st.stop()
        for pair, diff in pairs.items():
            if diff.empty:
                continue
            comparisons[f"{case.id} · {pair}"] = (case.id, diff)
            disagree = int(diff["disagree"].sum())
            table.append(
                {
                    t("label.case"): safe_text.line(case.id),
                    t("quality.pair"): safe_text.line(pair),
                    t("quality.hours_compared"): t.number(len(diff), 0),
                    t("quality.hours_disagree"): t.number(disagree, 0),
                    f"{t('quality.max_diff_temperature')} (°C)": t.number(
                        diff["temperature_diff_c"].abs().max()
                    ),
                    f"{t('quality.max_diff_rh')} (%)": t.number(diff["rh_diff_pct"].abs().max()),
                    t("quality.verdict"): t("quality.disagree") if disagree else t("quality.agree"),
                }
            )
    if not table:
        st.info(t("overview.no_data"))
    else:
        st.table(pd.DataFrame(table), hide_index=True)
        worst = max(comparisons, key=lambda key: int(comparisons[key][1]["disagree"].sum()))
        names = list(comparisons)
        chosen = st.selectbox(t("quality.pair_chart"), names, index=names.index(worst))
        diff = comparisons[chosen][1].reset_index()
        hours_off = int(diff["disagree"].sum())
        if hours_off:
            st.warning(
                t.plural("quality.disagree_hours", hours_off, pair=safe_text.line(chosen), total=len(diff)),
                icon=":material/compare_arrows:",
            )
        diff["time"] = diff["time"].dt.tz_convert(config.zone).dt.tz_localize(None)
        columns = st.columns(2)
        for column, (field, title, limit) in zip(
            columns,
            (
                ("temperature_diff_c", f"{t('quality.diff_temperature')} (°C)", 2 * ACCURACY_TEMPERATURE_C),
                ("rh_diff_pct", f"{t('quality.diff_rh')} (%)", 2 * ACCURACY_RH_PCT),
            ),
            strict=True,
        ):
            line = (
                alt.Chart(diff)
                .mark_line(point=alt.OverlayMarkDef(size=12))
                .encode(
                    x=alt.X("time:T", title=None, axis=time_axis),
                    y=alt.Y(f"{field}:Q", title=title),
                    tooltip=[
                        alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format()),
                        alt.Tooltip(f"{field}:Q", title=title, format=t.axis_format(1)),
                    ],
                )
            )
            band = (
                alt.Chart(pd.DataFrame({"limit": [-limit, limit]}))
                .mark_rule(strokeDash=[6, 4], color="#c0392b")
                .encode(y="limit:Q")
            )
            column.altair_chart((line + band).configure(locale=t.chart_locale()), width="stretch")

# --- quarantine -------------------------------------------------------------------------------
st.subheader(t("quality.quarantine_title"))
view = quarantine_view(str(config.collector.spool_path))
if view is None:
    st.info(t("quality.quarantine_elsewhere", path=safe_text.line(config.collector.spool_path)))
elif not view.total:
    st.success(t("quality.quarantine_empty"), icon=":material/check_circle:")
else:
    st.caption(t.plural("quality.quarantine_count", view.total))

    st.table(
        pd.DataFrame(
            {
                t("quality.reason"): [reason_name(code) for code in view.counts],
                t("quality.count"): [t.number(n, 0) for n in view.counts.values()],
            }
        ),
        hide_index=True,
    )
    if view.dropped:
        st.warning(t.plural("quality.quarantine_dropped", view.dropped))
    # st.dataframe shows text as text: a hostile topic or payload stays inert.
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("quality.received_at"): t.moment(message.received.astimezone(config.zone)),
                    t("quality.reason"): reason_name(message.reason),
                    t("quality.topic"): message.topic,
                    t("quality.detail"): message.detail,
                    t("quality.payload"): message.preview,
                    f"{t('quality.size')} (B)": message.payload_size,
                }
                for message in view.newest
            ]
        ),
        hide_index=True,
    )
    st.caption(t("quality.quarantine_replay"))

# --- collectors -------------------------------------------------------------------------------
st.subheader(t("quality.collectors"))
if health.empty:
    st.info(t("quality.no_collector"))
else:
    records = sorted(health.to_dict("records"), key=lambda r: r["time"], reverse=True)
    silent = [now - r["time"].to_pydatetime(warn=False) > COLLECTOR_SILENT_AFTER for r in records]
    running = [r for r, off in zip(records, silent, strict=True) if not off]
    stopped = [r for r, off in zip(records, silent, strict=True) if off]

    def collector_block(record: dict[str, Any]) -> None:
        reported = record["time"].tz_convert(config.zone).to_pydatetime(warn=False)
        host = record.get("host")
        where = t("quality.on_host", host=safe_text.line(host)) if isinstance(host, str) and host else ""
        name = safe_text.line(record["instance"])
        st.markdown(f"**{name}** {where} · {t('quality.last_report', moment=t.moment(reported, 'medium'))}")
        cols = st.columns(5)
        for col, (key, label) in zip(
            cols,
            (
                ("received", "quality.received"),
                ("written", "quality.written"),
                ("spool_depth", "quality.spool"),
                ("quarantined", "quality.quarantined"),
                ("broker_dropped", "quality.dropped"),
            ),
            strict=True,
        ):
            value = record.get(key)
            col.metric(t(label), "—" if value is None or pd.isna(value) else t.number(value, 0))
        reasons = {
            k.removeprefix("quarantined_"): int(v)
            for k, v in record.items()
            if k.startswith("quarantined_") and pd.notna(v) and v
        }
        if reasons:
            st.caption(
                t(
                    "quality.quarantined_since_start",
                    reasons="; ".join(
                        f"{reason_name(code)}: {t.number(n, 0)}" for code, n in reasons.items()
                    ),
                )
            )

    for record in running:
        collector_block(record)
    if not running:
        st.warning(t("quality.no_collector_running"), icon=":material/warning:")
    if stopped:
        with st.expander(t.plural("quality.stopped_collectors", len(stopped))):
            for record in stopped:
                collector_block(record)

flagged_sensors(config, t)  # docs/calibration.md

# --- the database on disk ---------------------------------------------------------------------
st.subheader(t("disk.title"))
try:
    disk_now, disk_later, disk_policies = disk_projection(config.influxdb)
except StoreError as error:
    st.info(t("disk.unavailable", error=safe_text.line(str(error))))
else:
    st.markdown(t("disk.summary", now=t.number(disk_now / 1e6, 1), later=t.number(disk_later / 1e6, 1)))
    st.table(
        pd.DataFrame(
            [
                {
                    t("disk.policy"): safe_text.line(policy.policy),
                    f"{t('disk.size')} (MB)": t.number(policy.bytes / 1e6, 1),
                    f"{t('disk.in_a_year')} (MB)": t.number(policy.in_a_year(now) / 1e6, 1),
                    t("disk.kept"): t.duration(policy.retention.total_seconds())
                    if policy.retention
                    else t("disk.forever"),
                    t("disk.since"): t.moment(policy.first.astimezone(config.zone)) if policy.first else "—",
                }
                for policy in disk_policies
            ]
        ),
        hide_index=True,
    )
    st.caption(t("disk.note"))
