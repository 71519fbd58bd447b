"""Data access for the pages: cached queries through museum's store, and the figures
derived from them. Pages never build queries themselves."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analysis.history import SuitableBand
from analysis.metrics import LoanBands
from analysis.psychrometrics import dew_point
from analysis.risk import LEVELS
from dashboard.links import artefact_link
from museum.description.config import Artefact, Case, InfluxConfig, MuseumConfig
from museum.files.reports import CasePeriod, case_period
from museum.language.i18n import Translator
from museum.storage.disk import PolicyDisk, disk_use, projection
from museum.storage.positions import Placing, read_placings
from museum.storage.quarantine import QuarantineView, read_quarantine
from museum.storage.store import InfluxStore, StoreError
from museum.storage.stores import open_store

#: Points a chart receives at most per sensor: InfluxDB aggregates above that.
MAX_POINTS_PER_SENSOR = 720


def _store(influx: InfluxConfig) -> InfluxStore:
    return open_store(influx, timeout_s=10)


def at_once(calls: Sequence[Callable[[], Any]], warm: Sequence[Callable[[], Any]] = ()) -> list[Any]:
    """The results of ``calls``, run side by side (InfluxDB answers several queries at once;
    a page's first load waited for each in turn: docs/dashboard-at-scale.md), the first error
    raised. ``warm`` run alongside only to fill their caches for the page's later sections,
    which report their own errors (their errors here are dropped)."""
    from concurrent.futures import ThreadPoolExecutor

    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    context = get_script_run_ctx()

    def attach() -> None:
        # Streamlit's caches and messages belong to the page's session: each worker joins it.
        add_script_run_ctx(ctx=context)

    def quietly(call: Callable[[], Any]) -> None:
        with contextlib.suppress(StoreError):
            call()

    with ThreadPoolExecutor(max_workers=len(calls) + len(warm), initializer=attach) as pool:
        futures = [pool.submit(call) for call in calls]
        for call in warm:
            pool.submit(quietly, call)
        return [future.result() for future in futures]


@st.cache_data(ttl=10, show_spinner=False)
def latest_risk(influx: InfluxConfig) -> pd.DataFrame:
    """The last assessed risk of every artefact (written by the collector)."""
    return _store(influx).latest_risk()


@st.cache_data(ttl=30, show_spinner=False)
def case_placings(influx: InfluxConfig) -> dict[str, Placing]:
    """Where the admins last placed each case on its plan (museum.storage.positions)."""
    return read_placings(_store(influx))


@st.cache_data(ttl=10, show_spinner=False)
def alerts_table(influx: InfluxConfig) -> pd.DataFrame:
    """One row per alert (its latest event), newest first."""
    return _store(influx).alerts()


@st.cache_data(ttl=10, show_spinner=False)
def incidents_table(influx: InfluxConfig) -> pd.DataFrame:
    """One row per incident (see :func:`incidents`), newest first."""
    return incidents(_store(influx).alert_events())


def incidents(events: pd.DataFrame) -> pd.DataFrame:
    """One row per alert from its event log: alert_id, case_id, rule, severity (the
    highest it reached), state (the latest), opened, ended (resolution time or NaT),
    value and threshold (at opening), objects (the opening's message: the objects it puts
    at risk, or the sensor), user and note (of the last acknowledgement)."""
    columns = [
        "alert_id",
        "case_id",
        "rule",
        "severity",
        "state",
        "opened",
        "ended",
        "value",
        "threshold",
        "objects",
        "user",
        "note",
        "due_s",
        "early_s",
    ]
    if events.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for alert_id, log in events.groupby("alert_id", sort=False):
        first, last = log.iloc[0], log.iloc[-1]
        acks = log[log["state"] == "acknowledged"]
        ack = acks.iloc[-1] if not acks.empty else None
        opened = log[log["state"] == "opened"]
        opening = opened.iloc[0] if not opened.empty else first
        rows.append(
            {
                "alert_id": alert_id,
                "case_id": first["case_id"],
                "rule": first["rule"],
                "severity": "critical" if (log["severity"] == "critical").any() else str(last["severity"]),
                "state": last["state"],
                "opened": first["time"],
                "ended": last["time"] if last["state"] == "resolved" else pd.NaT,
                "value": opening.get("value"),
                "threshold": opening.get("threshold"),
                "objects": opening.get("message") or "",
                "user": ack.get("user") if ack is not None else "",
                "note": ack.get("note") if ack is not None else "",
                # The forecast rule's dates as it opened (absent from other rules' events).
                "due_s": opening.get("due_s"),
                "early_s": opening.get("early_s"),
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values("opened", ascending=False, ignore_index=True)


def forecast_dates(row: dict[str, Any], t: Translator, zone: tzinfo | None) -> str:
    """A forecast alert's act-by day (the forecast's lower quartile) and central day, as it
    opened, in the museum's zone ("likely by 12 August 2026, around 15 August 2026"); empty
    when its events carry none (written before they did)."""
    due, early = row.get("due_s"), row.get("early_s")
    if zone is None or due is None or early is None or pd.isna(due) or pd.isna(early):
        return ""

    def day(seconds: float) -> str:
        return t.date(datetime.fromtimestamp(float(seconds), zone).date())

    return t("forecast_alert.dates", early=day(min(float(early), float(due))), date=day(float(due)))


def incident_title(
    row: dict[str, Any],
    t: Translator,
    now: datetime,
    names: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> str:
    """What an incident is, in one line: severity, case, cause, the measured value against
    its limit, the objects (``names``: artefact id → config name, to name them in the
    reader's language), a forecast's act-by and central days (in ``zone``), and how long it
    has lasted."""
    value = None if pd.isna(row.get("value")) else float(row["value"])
    threshold = None if pd.isna(row.get("threshold")) else float(row["threshold"])
    objects = t.objects_at_risk(str(row.get("objects") or ""), names or {})
    rule, severity = str(row["rule"]), str(row["severity"])
    measured = t(
        f"alert.body.value.{rule}", value=t.number(value), threshold=t.number(threshold), detail=objects
    )
    ended = row.get("ended")
    lasted = ((ended if ended is not None and not pd.isna(ended) else now) - row["opened"]).total_seconds()
    parts = [f"{t('severity.' + severity)} · {row['case_id']} · {t('rule.' + rule)}"]
    if value is not None:  # events written before values were recorded have none
        parts.append(measured)
    if objects and rule in ("rh_high", "rh_low", "condensation"):
        parts.append(t("alerts.objects", objects=objects))
    dates = forecast_dates(row, t, zone)
    if rule == "forecast" and dates:
        parts.append(dates)
    parts.append(t("alerts.lasted", duration=t.duration(lasted)))
    return " — ".join(parts)


def incident_objects(row: dict[str, Any], known: dict[str, Artefact]) -> list[Artefact]:
    """The objects an incident names (the collector writes them as "id name (level)"
    joined by "; ", collector.alerts), those this museum knows, in that order."""
    found = []
    for part in str(row.get("objects") or "").split("; "):
        artefact = known.get(part.split(" ", 1)[0])
        if artefact is not None and artefact not in found:
            found.append(artefact)
    return found


@st.cache_data(ttl=5, show_spinner=False)
def alert_log(influx: InfluxConfig, alert_id: str) -> pd.DataFrame:
    """Every event of one alert, oldest first."""
    return _store(influx).alert_events(alert_id)


def acknowledge(influx: InfluxConfig, alert_id: str, user: str, note: str) -> None:
    """Record an acknowledgement (the dashboard's only write) and refresh the cached views."""
    _store(influx).acknowledge_alert(alert_id, user, note)
    alerts_table.clear()
    incidents_table.clear()
    alert_log.clear()
    overview_inputs.clear()
    case_notes.clear()


@st.cache_data(ttl=30, show_spinner=False)
def message_counts(influx: InfluxConfig) -> pd.DataFrame:
    """Readings per sensor in the last hour."""
    return _store(influx).message_counts()


@st.cache_data(ttl=10, show_spinner=False)
def collector_health(influx: InfluxConfig) -> pd.DataFrame:
    """The last collector_stats point of every collector instance."""
    return _store(influx).latest_collector_stats()


#: From this many sensors the server keeps the data-quality page's week of coverage computed
#: ahead: the count behind it takes 0.3–1.9 s at 200 sensors (milliseconds for a dozen), and
#: it was most of the page's first load (docs/dashboard-at-scale.md).
WARM_COVERAGE_FROM_SENSORS = 40
#: The period kept warm: the data-quality page's default one.
WARM_COVERAGE_SPAN = timedelta(days=7)
#: hourly_coverage's cache lifetime, which the warmer follows.
COVERAGE_TTL_S = 300


# Five minutes: the hours it counts are past (a raw count of a week of 200 sensors takes
# seconds), and a spool drained after an outage shows within that.
@st.cache_data(ttl=COVERAGE_TTL_S, show_spinner=False, max_entries=10)
def hourly_coverage(
    influx: InfluxConfig, sensors: tuple[str, ...], start: datetime, end: datetime
) -> pd.DataFrame:
    """Each sensor's readings per hour against what it usually sends: time (UTC hour),
    sensor_id, readings, expected (the sensor's median over its hours with readings) and
    pct (readings / expected, at most 100). Every hour of the period and every sensor of
    ``sensors`` has a row: a sensor never heard from has 0 everywhere (expected unknown).
    A period that begins before the museum's first reading (a new installation) begins
    with that reading: the days before monitoring began are not gaps. Readings in the 30
    days before the period mean monitoring ran, so an outage at its start stays a gap."""
    store = _store(influx)
    counts = store.readings_per_hour(start, end)
    began = store.first_reading_time(start - timedelta(days=30), end)
    if began is not None and began > start:
        # From the first whole hour: the hour it began in was watched only in part.
        start = pd.Timestamp(began).ceil("1h").to_pydatetime()
    hours = pd.date_range(
        pd.Timestamp(start).tz_convert("UTC").floor("1h"),
        min(pd.Timestamp(end), pd.Timestamp.now(tz="UTC")),
        freq="1h",
        inclusive="left",
    )
    grid = pd.MultiIndex.from_product([sensors, hours], names=["sensor_id", "time"])
    per_hour = (
        counts.groupby(["sensor_id", "time"])["readings"].sum()
        if not counts.empty
        else pd.Series(dtype="int64")
    )
    data = per_hour.reindex(grid, fill_value=0).rename("readings").reset_index()
    usual = data[data["readings"] > 0].groupby("sensor_id")["readings"].median()
    data["expected"] = data["sensor_id"].map(usual)
    data["pct"] = (100 * data["readings"] / data["expected"]).clip(upper=100).fillna(0.0)
    return data


def coverage_period(now: datetime, span: timedelta) -> tuple[datetime, datetime]:
    """The coverage's period ending at ``now``'s whole hour (the hour under way is not a gap)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - span, end


@st.cache_resource(show_spinner=False)
def coverage_warmer(influx: InfluxConfig, sensors: tuple[str, ...]) -> threading.Thread | None:
    """Once per server and museum of at least WARM_COVERAGE_FROM_SENSORS sensors: a thread
    that computes :func:`hourly_coverage` over the last week as soon as the server serves a
    page, again as its cache entry expires and at each new hour, so that a reader opening the
    data-quality page finds it computed. The figures are those the page would compute."""
    if len(sensors) < WARM_COVERAGE_FROM_SENSORS:
        return None
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    context = get_script_run_ctx()

    def keep_warm() -> None:
        # Streamlit's caches are reached through a page's session: the first one lends its own.
        add_script_run_ctx(ctx=context)
        while True:
            start, end = coverage_period(datetime.now(UTC), WARM_COVERAGE_SPAN)
            with contextlib.suppress(StoreError):  # InfluxDB away: the page reports it
                hourly_coverage(influx, sensors, start, end)
            next_hour_s = (end + timedelta(hours=1)).timestamp() + 5
            time.sleep(max(1.0, min(time.time() + COVERAGE_TTL_S + 1, next_hour_s) - time.time()))

    thread = threading.Thread(target=keep_warm, name="patina-coverage-warmer", daemon=True)
    thread.start()
    return thread


def coverage_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per sensor from :func:`hourly_coverage`: pct (readings against expected over the
    period), hours_with_data, hours, gaps (runs of hours without a reading) and
    longest_gap_h."""
    import numpy as np

    rows = []
    for sensor, hours in coverage.groupby("sensor_id", sort=False):
        readings = hours["readings"].to_numpy()
        empty = readings == 0
        # The runs of empty hours, from where the padded series steps in and out of them
        # (a loop over each hour of 200 sensors took a fifth of the page's time).
        steps = np.diff(np.concatenate(([0], empty.astype(np.int8), [0])))
        lengths = np.flatnonzero(steps == -1) - np.flatnonzero(steps == 1)
        expected = float(hours["expected"].fillna(0).sum())
        rows.append(
            {
                "sensor_id": sensor,
                "pct": 100 * float(readings.sum()) / expected if expected else None,
                "hours_with_data": int((~empty).sum()),
                "hours": len(hours),
                "gaps": len(lengths),
                "longest_gap_h": int(lengths.max()) if len(lengths) else 0,
            }
        )
    columns = ["sensor_id", "pct", "hours_with_data", "hours", "gaps", "longest_gap_h"]
    return pd.DataFrame(rows, columns=columns)


@st.cache_data(ttl=60, show_spinner=False, max_entries=20)
def sensor_comparison(
    influx: InfluxConfig, case: Case, start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    """For a case with several sensors: each other sensor against the first, hour by hour
    (:func:`analysis.agreement.disagreement`), keyed "first / other"."""
    from analysis.agreement import disagreement

    if len(case.sensors) < 2:
        return {}
    hourly = hourly_series(influx, case.id, start, end)
    if hourly.empty:
        return {}
    by_sensor = {sensor: rows.set_index("time") for sensor, rows in hourly.groupby("sensor_id")}
    first = case.sensors[0]
    return {
        f"{first} / {other}": disagreement(by_sensor[first], by_sensor[other])
        for other in case.sensors[1:]
        if first in by_sensor and other in by_sensor
    }


@st.cache_data(ttl=600, show_spinner=False)
def disk_projection(influx: InfluxConfig) -> tuple[int, int, list[PolicyDisk]]:
    """The database's bytes on disk now and in a year, and each retention policy's share
    (museum.storage.disk; needs an InfluxDB administrator's account)."""
    policies = disk_use(_store(influx))
    now_bytes, later_bytes = projection(policies, datetime.now(UTC))
    return now_bytes, later_bytes, policies


@st.cache_data(ttl=30, show_spinner=False)
def quarantine_view(spool_path: str, limit: int = 200) -> QuarantineView | None:
    """The collector's quarantine (museum.storage.quarantine), or None when its spool is not on
    this machine."""
    return read_quarantine(Path(spool_path), limit)


@st.cache_data(ttl=10, show_spinner=False)
def latest_climate(influx: InfluxConfig, sensors: tuple[str, ...] = ()) -> pd.DataFrame:
    """The last reading of every sensor (``sensors`` silent for over a day included), with
    its dew point."""
    data = _store(influx).latest_climate(expected=sensors)
    if not data.empty:
        data["dew_point_c"] = dew_point(data["temperature_c"].astype(float), data["rh_pct"].astype(float))
    return data


def aggregation_for(span: timedelta) -> timedelta:
    """The interval InfluxDB averages over so a chart gets at most MAX_POINTS_PER_SENSOR points."""
    minutes = max(1, math.ceil(span.total_seconds() / MAX_POINTS_PER_SENSOR / 60))
    return timedelta(minutes=minutes)


#: From this span on, the charts are drawn from the hourly series the statistics need, so a
#: long range costs one pass over the raw readings instead of two.
HOURLY_FROM = timedelta(days=7)


@st.cache_data(ttl=60, show_spinner=False, max_entries=50)
def hourly_series(influx: InfluxConfig, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Hourly mean, min and max per sensor (see InfluxStore.hourly_series)."""
    return _store(influx).hourly_series(case_id, start, end)


@st.cache_data(ttl=30, show_spinner=False)
def case_series(influx: InfluxConfig, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """A case's readings between start and end, averaged per :func:`aggregation_for`
    interval, with dew point computed from the means."""
    every = aggregation_for(end - start)
    if end - start >= HOURLY_FROM:
        hourly = hourly_series(influx, case_id, start, end)
        data = (
            hourly.set_index("time")
            .groupby("sensor_id")[["temperature_c", "rh_pct"]]
            .resample(every)
            .mean()
            .dropna()
            .reset_index()
            if not hourly.empty
            else pd.DataFrame(columns=["time", "sensor_id", "temperature_c", "rh_pct"])
        )
    else:
        data = _store(influx).climate_series(case_id, start, end, every)
    if not data.empty:
        data["dew_point_c"] = dew_point(data["temperature_c"].astype(float), data["rh_pct"].astype(float))
        data = with_gaps(data, every)
    return data


def with_gaps(data: pd.DataFrame, every: timedelta) -> pd.DataFrame:
    """Each sensor's series with an empty row inside every gap, so that a chart breaks its
    line there instead of drawing a straight line across. A gap is a pause longer than
    twice the sensor's usual interval (or twice ``every``, the chart's aggregation)."""
    frames = []
    for _, rows in data.groupby("sensor_id", sort=False):
        rows = rows.sort_values("time")
        pauses = rows["time"].diff()
        usual = pauses.median() if len(rows) > 2 else pd.Timedelta(every)
        tolerance = 2 * max(pd.Timedelta(every), usual if pd.notna(usual) else pd.Timedelta(every))
        after = rows.loc[(pauses > tolerance).to_numpy(), ["time", "sensor_id"]]
        # The empty row sits just before the reading that ends the gap.
        breaks = after.assign(time=after["time"] - pd.Timedelta(seconds=1))
        frames.append(pd.concat([rows, breaks], ignore_index=True).sort_values("time"))
    return pd.concat(frames, ignore_index=True) if frames else data


@st.cache_data(ttl=30, show_spinner=False)
def case_notes(influx: InfluxConfig, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Alert events of a case between start and end that carry a note (acknowledgements),
    and every opening and resolution: the events drawn on the case's charts."""
    events = _store(influx).alert_events(within=datetime.now(UTC) - start + timedelta(hours=1))
    columns = ["time", "state", "rule", "user", "note", "alert_id"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    mine = events[
        (events["case_id"] == case_id)
        & (events["time"] >= pd.Timestamp(start))
        & (events["time"] < pd.Timestamp(end))
    ]
    mine = mine[mine["state"].isin(["opened", "acknowledged", "resolved"])]
    return mine.reindex(columns=columns).fillna({"user": "", "note": ""}).reset_index(drop=True)


#: Longer ranges are exported at the charts' resolution, not raw, from the dashboard.
RAW_EXPORT_LIMIT = timedelta(days=31)


@st.cache_data(ttl=60, show_spinner=False, max_entries=20)
def export_zip(config_path: str, case_ids: tuple[str, ...], start: datetime, end: datetime) -> bytes:
    """The same export as `patina export` (CSV and its datapackage.json), zipped for a
    download button. Raw up to a month, at the charts' interval beyond."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    from museum.description.config import load_config
    from museum.files.export import ExportRequest, export

    config = load_config(config_path)
    every = None if end - start <= RAW_EXPORT_LIMIT else aggregation_for(end - start)
    with tempfile.TemporaryDirectory() as folder:
        result = export(
            config,
            ExportRequest(start=start, end=end, case_ids=case_ids, every=every),
            Path(folder) / "climate.csv",
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in result.files:
                # Alone in its archive, the package takes the conventional name.
                name = "datapackage.json" if path.name.endswith(".datapackage.json") else path.name
                archive.write(path, name)
    return buffer.getvalue()


@st.cache_data(ttl=60, show_spinner=False, max_entries=20)
def export_xlsx(config_path: str, case_ids: tuple[str, ...], start: datetime, end: datetime) -> bytes:
    """The same export as `patina export --format xlsx` (a climate sheet and a metadata
    sheet), for a download button. Raw up to a month, at the charts' interval beyond."""
    import tempfile

    from museum.description.config import load_config
    from museum.files.export import ExportRequest, export

    config = load_config(config_path)
    every = None if end - start <= RAW_EXPORT_LIMIT else aggregation_for(end - start)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "climate.xlsx"
        request = ExportRequest(start=start, end=end, case_ids=case_ids, every=every, format="xlsx")
        export(config, request, out)
        return out.read_bytes()


@dataclass(frozen=True)
class OverviewInputs:
    latest: pd.DataFrame
    risk: pd.DataFrame
    alerts: pd.DataFrame
    trends: dict[str, float]


@st.cache_data(ttl=10, show_spinner=False)
def overview_inputs(influx: InfluxConfig, sensors: tuple[str, ...]) -> OverviewInputs:
    """Everything the overview reads, queried in parallel: with 200 cases the four queries
    take about a second one after the other (benchmarks/bench_dashboard.py). Only the
    latest readings are required; risk, alerts and trends are shown when they can be read."""
    from concurrent.futures import ThreadPoolExecutor

    # One store (one HTTP session) per thread.
    with ThreadPoolExecutor(max_workers=4) as pool:
        latest = pool.submit(lambda: _store(influx).latest_climate(expected=sensors))
        risk = pool.submit(lambda: _store(influx).latest_risk())
        alerts = pool.submit(lambda: _store(influx).alerts())
        trends = pool.submit(lambda: _store(influx).recent_trend())

        def optional(future: Any, empty: Any) -> Any:
            try:
                return future.result()
            except StoreError:
                return empty

        data = latest.result()
        if not data.empty:
            data["dew_point_c"] = dew_point(data["temperature_c"].astype(float), data["rh_pct"].astype(float))
        return OverviewInputs(
            data,
            optional(risk, pd.DataFrame()),
            optional(alerts, pd.DataFrame()),
            rh_trend_changes(optional(trends, pd.DataFrame())),
        )


def rh_trend_changes(data: pd.DataFrame) -> dict[str, float]:
    """Per case: RH now minus RH at the start of :meth:`InfluxStore.recent_trend`'s window."""
    if data.empty:
        return {}
    trends = {}
    for case_id, rows in data.dropna(subset=["rh_pct"]).sort_values("time").groupby("case_id"):
        if len(rows) >= 2:
            trends[str(case_id)] = float(rows["rh_pct"].iloc[-1] - rows["rh_pct"].iloc[0])
    return trends


@st.cache_data(ttl=60, show_spinner=False, max_entries=50)
def period_summary(
    influx: InfluxConfig, case: Case, start: datetime, end: datetime, bands: LoanBands | None = None
) -> CasePeriod:
    """Statistics, IPI ratings, time per level and alerts of a case over a period."""
    return case_period(_store(influx), case, start, end, bands, hourly_series(influx, case.id, start, end))


@st.cache_data(ttl=60, show_spinner=False, max_entries=20)
def printable_report(
    config: MuseumConfig,
    case_ids: tuple[str, ...],
    start: datetime,
    end: datetime,
    bands: LoanBands | None,
    language: str,
    subject: str,
) -> tuple[str, bytes, str]:
    """A report's HTML and PDF (see museum.files.reports), and the HTML shown on the page, whose
    object names link to their artefact pages."""
    from dashboard.links import artefact_url
    from museum.assessment.light import assess_case_light
    from museum.files.reports import render_html, render_pdf
    from museum.language.i18n import Translator

    periods = [
        period_summary(config.influxdb, config.case(case_id), start, end, bands) for case_id in case_ids
    ]
    # Each case's light, its year up to the period's end, as `patina report` gives it (docs/light.md).
    for period in periods:
        light = assess_case_light(_store(config.influxdb), config, period.case, min(end, datetime.now(UTC)))
        period.light = light if light.measured else None
    t, generated = Translator(language), datetime.now(start.tzinfo)
    page = render_html(periods, config, t, subject, bands, generated)
    on_screen = render_html(
        periods,
        config,
        t,
        subject,
        bands,
        generated,
        artefact_href=lambda artefact_id: artefact_url(artefact_id, language),
    )
    return page, render_pdf(page), on_screen


@st.cache_data(ttl=60, show_spinner=False, max_entries=20)
def artefact_loan_bands(
    config: MuseumConfig, artefact_id: str, until: datetime
) -> tuple[LoanBands, SuitableBand]:
    """The loan's RH band from an object's history and materials (museum.loans.moves.loan_bands_for,
    as ``patina report --bands-from``)."""
    from museum.loans.moves import loan_bands_for

    store = open_store(config.influxdb, timeout_s=30)
    try:
        return loan_bands_for(config, store, artefact_id, until)
    finally:
        store.close()


@dataclass(frozen=True)
class CaseStatus:
    """What the overview shows for one case, from its sensors' last readings, its
    artefacts' last assessed risk and its open alerts."""

    case: Case
    sensors_reporting: int
    temperature_c: float | None
    rh_pct: float | None
    dew_point_c: float | None
    last_reading: datetime | None
    stale: bool
    #: The worst level among the case's artefacts (0 good … 3 critical), None if unknown.
    worst_level: int | None = None
    open_alerts: int = 0


def with_risk_and_alerts(
    statuses: list[CaseStatus], risk: pd.DataFrame, alerts: pd.DataFrame
) -> list[CaseStatus]:
    """Add each case's worst artefact level and number of open alerts."""
    from dataclasses import replace

    worst = {} if risk.empty else risk.groupby("case_id")["level"].max().astype(int).to_dict()
    open_counts = {} if alerts.empty else open_incidents(alerts).groupby("case_id").size().to_dict()
    return [
        replace(s, worst_level=worst.get(s.case.id), open_alerts=int(open_counts.get(s.case.id, 0)))
        for s in statuses
    ]


def open_incidents(alerts: pd.DataFrame) -> pd.DataFrame:
    """Alerts still waiting for someone: neither resolved nor acknowledged (an acknowledged
    incident is being dealt with and is counted apart)."""
    if alerts.empty:
        return alerts
    return alerts[~alerts["state"].isin(["resolved", "acknowledged"])]


@dataclass(frozen=True)
class ObjectStatus:
    """An object's current level as the collector last assessed it (the ``risk`` points):
    the one source the overview, the case page and the alerts page all read."""

    case: Case
    artefact: Artefact
    level: int
    driver: str
    material: str
    score: float
    #: The case's worst sensor at the assessment, and the driving material's limit.
    rh_pct: float | None
    limit_pct: float | None
    since: datetime | None
    assessed: datetime


def object_statuses(cases: tuple[Case, ...], risk: pd.DataFrame) -> list[ObjectStatus]:
    """Every assessed object, worst first (level, then score)."""
    if risk.empty:
        return []
    by_id = {row["artefact_id"]: row for row in risk.to_dict("records")}

    def number(row: dict[str, Any], key: str) -> float | None:
        value = row.get(key)
        return None if value is None or pd.isna(value) else float(value)

    found = []
    for case in cases:
        for artefact in case.artefacts:
            row = by_id.get(artefact.id)
            if row is None or pd.isna(row.get("level")):
                continue
            since = number(row, "since_s")
            found.append(
                ObjectStatus(
                    case=case,
                    artefact=artefact,
                    level=int(row["level"]),
                    driver=str(row["driver"]),
                    material=str(row["material"]),
                    score=float(row["score"]),
                    rh_pct=number(row, "rh_pct"),
                    limit_pct=number(row, "limit_pct"),
                    since=datetime.fromtimestamp(since, UTC) if since is not None else None,
                    assessed=pd.Timestamp(row["time"]).to_pydatetime(warn=False),
                )
            )
    return sorted(found, key=lambda o: (-o.level, -o.score))


#: How far back the collector assesses an object (collector.alerts.RISK_WINDOW_S).
ASSESSED_WINDOW_S = 24 * 3600.0
#: From this level on (risk, critical) an object needs attention.
ATTENTION_LEVEL = 2


def object_reason(status: ObjectStatus, t: Translator, now: datetime) -> str:
    """One line saying why an object is at its level: the measured value against the limit
    of its material, the driver in words and since when."""
    material = t.material(status.material)
    held_s = (now - status.since).total_seconds() if status.since else None
    duration = "—" if held_s is None else t.duration(held_s)
    if held_s is not None and held_s >= ASSESSED_WINDOW_S - 1800:
        # The collector looks back a day: a level held all along may be older than that.
        duration = t("duration.at_least", duration=duration)
    if status.level == 0:
        return t("object.within_limits")
    if status.rh_pct is not None and status.limit_pct is not None and status.driver in ("rh_high", "too_dry"):
        back = (
            status.rh_pct <= status.limit_pct
            if status.driver == "rh_high"
            else status.rh_pct >= status.limit_pct
        )
        if back:
            # The level is held by hysteresis (analysis.risk): the air is already back, and
            # the page must not read as if it were still over the limit.
            return t(
                "object.reason_held",
                value=t.number(status.rh_pct, 0),
                limit=t.number(status.limit_pct, 0),
                material=material,
                duration=duration,
            )
        return t(
            f"object.reason_{status.driver}",
            value=t.number(status.rh_pct, 0),
            limit=t.number(status.limit_pct, 0),
            material=material,
            duration=duration,
        )
    return t("object.reason_other", driver=t(f"driver.{status.driver}"), material=material, duration=duration)


def headline(
    objects: list[ObjectStatus], t: Translator, now: datetime, cases: int, linked: bool = False
) -> tuple[str, int]:
    """The overview's first sentence: how many cases need attention and the worst object,
    with its value, limit and duration; and the worst level (0–3) it speaks of. ``linked``:
    the object's name links to its artefact page (the sentence is then Markdown)."""
    attention = [o for o in objects if o.level >= ATTENTION_LEVEL]
    if not attention:
        return t.plural("overview.headline_calm", cases), max((o.level for o in objects), default=0)
    worst = attention[0]
    n_cases = len({o.case.id for o in attention})
    name = artefact_link(worst.artefact.id, worst.artefact.name, t) if linked else t.name(worst.artefact.name)
    return (
        t(
            "overview.headline",
            n=n_cases,
            case=worst.case.id,
            object=f"{name} ({worst.artefact.id})",
            level=t(f"level.{LEVELS[worst.level]}"),
            reason=object_reason(worst, t, now),
        ),
        worst.level,
    )


def silent_after(config: MuseumConfig) -> timedelta:
    """How long without a reading makes a sensor silent: the config's
    ``[alerts] sensor_silent_after``, the limit the "sensor silent" alert uses."""
    return timedelta(seconds=config.alerts.sensor_silent_after_s)


def case_statuses(
    cases: tuple[Case, ...], latest: pd.DataFrame, now: datetime, silent_limit: timedelta
) -> list[CaseStatus]:
    """Summarise each case: means over its sensors that are not stale; ``stale`` when any
    sensor of the case is silent for longer than ``silent_limit`` (or never reported).

    ``silent_limit`` is the museum's ``[alerts] sensor_silent_after`` (see :func:`silent_after`),
    so a sensor shown as silent is one the alert rule calls silent, never shown as calm."""
    # One pass over the readings, then plain Python per case: filtering the frame once per
    # case took 0.74 s for 200 cases (benchmarks/bench_dashboard.py).
    by_sensor = {} if latest.empty else {row["sensor_id"]: row for row in latest.to_dict("records")}
    statuses = []
    for case in cases:
        rows = [by_sensor[sensor] for sensor in case.sensors if sensor in by_sensor]
        fresh = [row for row in rows if row["time"] >= now - silent_limit]

        def mean(column: str, rows: list[dict[str, Any]] = fresh) -> float | None:
            values = [
                float(row[column]) for row in rows if row[column] is not None and not pd.isna(row[column])
            ]
            return sum(values) / len(values) if values else None

        temperature, rh = mean("temperature_c"), mean("rh_pct")
        statuses.append(
            CaseStatus(
                case=case,
                sensors_reporting=len(fresh),
                temperature_c=temperature,
                rh_pct=rh,
                dew_point_c=dew_point(temperature, rh) if temperature is not None and rh else None,
                last_reading=max(row["time"] for row in rows).to_pydatetime(warn=False) if rows else None,
                stale=len(fresh) < len(case.sensors),
            )
        )
    return statuses
