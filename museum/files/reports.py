"""Printable climate reports for a case or a gallery over a period (HTML and PDF): charts,
statistics, IPI ratings, the artefacts' time at each risk level, the alerts, and, when the
user gives the bands of a loan agreement, the share of time the case complied. This is the
document a lender asks for.

The figures come from hourly means of each case's sensors (InfluxDB aggregates them), so a
year costs 8,760 rows per case; hours whose aggregate missed readings come from the raw
readings (:meth:`museum.storage.store.InfluxStore.hourly_series`). Minimum, maximum and the daily
range are exact, from each hour's minimum and maximum over the raw readings. Every period
states its coverage: readings present against expected, and the gaps.
The page is laid out by Jinja2 templates (museum/files/templates/, one macro per section);
charts are drawn by Matplotlib as PNG inside the HTML; WeasyPrint turns the same HTML into
PDF, so both say exactly the same thing.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from analysis.light import light_summary
from analysis.metrics import LoanBands, loan_compliance
from analysis.report import climate_report
from analysis.risk import LEVELS, assess
from museum.assessment.diagnose import DEFAULT_WINDOW, Diagnosis, describe, diagnose_case, hourly_climate
from museum.assessment.light import HOURLY_GAP_H, CaseLight, assess_case_light, light_sentences
from museum.description.config import Case, MuseumConfig
from museum.language.figures import coverage_text, period_sentences, statistics_rows
from museum.language.i18n import Translator
from museum.storage.calibration import CalibrationRecord, corrections_from, reference_kind_text, unit_text
from museum.storage.store import InfluxStore

LEVEL_COLOURS = {"good": "#2e7d32", "watch": "#1565c0", "risk": "#ef6c00", "critical": "#c62828"}


@dataclass
class CasePeriod:
    """What a report (and the case page) says about one case over one period."""

    case: Case
    start: datetime
    end: datetime
    #: Hourly means over the case's sensors: temperature_c, rh_pct, on a UTC index.
    hourly: pd.DataFrame
    #: Exact extremes: min/max of temperature_c and rh_pct (None without data).
    extremes: dict[str, float | None]
    #: :func:`analysis.report.climate_report` of the hourly means, or None without data.
    figures: dict[str, Any] | None
    #: Per artefact id: share of the period (%) at each level.
    artefact_levels: dict[str, dict[str, float]] = field(default_factory=dict)
    #: The case's alerts opened in the period (one row each, latest state).
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    compliance: dict[str, float | None] | None = None
    #: What the figures rest on (see :func:`coverage`).
    coverage: dict[str, Any] = field(default_factory=dict)
    #: How tight the case is against its room and when it passes its limit, from the last
    #: two weeks of the period (museum.assessment.diagnose); None for a room or a case without one.
    diagnosis: Diagnosis | None = None
    #: The calibration checks that correct the period's readings (docs/calibration.md).
    calibrations: list[CalibrationRecord] = field(default_factory=list)
    #: The case's light, its year up to the period's end (museum.assessment.light); None
    #: when no sensor of it reads light.
    light: CaseLight | None = None


def coverage(
    series: pd.DataFrame, sensors: tuple[str, ...], start: datetime, end: datetime
) -> dict[str, Any]:
    """How much data a period's figures rest on, from the hourly series per sensor.

    ``readings``: RH readings present. ``expected``: each sensor's usual readings per hour
    (the median over its hours with data) times the hours of the period up to now, summed
    over the case's sensors (a sensor never heard from adds nothing it could be measured
    by; ``silent_sensors`` names it). ``hours``/``hours_with_data``: whole hours of the
    period and those with at least one reading. ``gaps``: runs of hours without any
    reading, (start, end) in UTC, longest first."""
    start_hour = pd.Timestamp(start).tz_convert("UTC").floor("1h")
    stop = min(pd.Timestamp(end).tz_convert("UTC"), pd.Timestamp.now(tz="UTC"))
    hours = pd.date_range(start_hour, stop, freq="1h", inclusive="left")
    result: dict[str, Any] = {
        "readings": 0,
        "expected": 0,
        "pct": None,
        "hours": len(hours),
        "hours_with_data": 0,
        "gaps": [],
        "silent_sensors": list(sensors),
    }
    if series.empty or not len(hours):
        if len(hours):
            result["gaps"] = [(hours[0].to_pydatetime(), (hours[-1] + pd.Timedelta(hours=1)).to_pydatetime())]
        return result
    counts = series.groupby("sensor_id")["readings"]
    per_hour = counts.median()
    result["readings"] = int(series["readings"].sum())
    result["expected"] = round(float(per_hour.sum()) * len(hours))
    result["pct"] = 100.0 * result["readings"] / result["expected"] if result["expected"] else None
    result["silent_sensors"] = [s for s in sensors if s not in per_hour.index]
    present = pd.DatetimeIndex(series["time"].unique())
    result["hours_with_data"] = int(hours.isin(present).sum())
    missing = hours[~hours.isin(present)]
    runs: list[list[pd.Timestamp]] = []
    for hour in missing:
        if runs and hour - runs[-1][1] == pd.Timedelta(hours=1):
            runs[-1][1] = hour
        else:
            runs.append([hour, hour])
    gaps = [(a.to_pydatetime(), (b + pd.Timedelta(hours=1)).to_pydatetime()) for a, b in runs]
    result["gaps"] = sorted(gaps, key=lambda gap: gap[0] - gap[1])
    return result


def daily_range(series: pd.DataFrame) -> dict[str, float]:
    """Mean over the (UTC) days of the day's maximum minus minimum, of temperature and RH,
    exact: from each hour's minimum and maximum over all the case's sensors."""
    by_hour = (
        series.groupby("time")
        .agg(
            temperature_c_min=("temperature_c_min", "min"),
            temperature_c_max=("temperature_c_max", "max"),
            rh_pct_min=("rh_pct_min", "min"),
            rh_pct_max=("rh_pct_max", "max"),
        )
        .astype(float)
    )
    days = by_hour.resample("1D")
    return {
        column: float((days[f"{column}_max"].max() - days[f"{column}_min"].min()).mean())
        for column in ("temperature_c", "rh_pct")
    }


def case_period(
    store: InfluxStore,
    case: Case,
    start: datetime,
    end: datetime,
    bands: LoanBands | None = None,
    hourly_by_sensor: pd.DataFrame | None = None,
    config: MuseumConfig | None = None,
) -> CasePeriod:
    """Gather the figures of one case between ``start`` and ``end`` (aware datetimes).
    ``hourly_by_sensor`` is :meth:`InfluxStore.hourly_series` when the caller has it.
    With ``config``, a case with a reference room is also diagnosed (its half-time and
    forecast) over the last two weeks of the period, the window the estimators were
    validated on (docs/diagnostics.md)."""
    series = store.hourly_series(case.id, start, end) if hourly_by_sensor is None else hourly_by_sensor
    hourly = pd.DataFrame(columns=["temperature_c", "rh_pct"])
    extremes: dict[str, float | None] = dict.fromkeys(
        ("temperature_c_min", "temperature_c_max", "rh_pct_min", "rh_pct_max")
    )
    if not series.empty:
        hourly = series.groupby("time")[["temperature_c", "rh_pct"]].mean().astype(float).dropna()
        for key in extremes:
            values = series[key].astype(float)
            extremes[key] = float(values.min() if key.endswith("_min") else values.max())
    period = CasePeriod(
        case=case,
        start=start,
        end=end,
        hourly=hourly,
        extremes=extremes,
        figures=None,
        coverage=coverage(series, case.sensors, start, end),
        calibrations=corrections_from(store.calibration_log()).applied(case.sensors, end),
    )
    if len(hourly) >= 2:
        period.figures = climate_report(hourly)
        # From the hours' exact extremes, not from the hourly means (which flatten the day).
        period.figures["statistics"]["daily_range"] = daily_range(series.set_index("time"))
        for artefact_id, hours in artefact_hours(hourly, case).items():
            total = sum(hours.values()) or 1.0
            period.artefact_levels[artefact_id] = {level: 100 * hours[level] / total for level in LEVELS}
        if bands is not None:
            period.compliance = loan_compliance(hourly["temperature_c"], hourly["rh_pct"], bands)
    events = store.alert_events(within=datetime.now(UTC) - start + timedelta(days=1))
    if not events.empty:
        alerts = alert_summaries(events[events["case_id"] == case.id])
        opened = alerts["opened"]
        period.alerts = alerts[(opened >= pd.Timestamp(start)) & (opened < pd.Timestamp(end))].reset_index(
            drop=True
        )
    reference = config.reference_for(case.id) if config is not None and not case.is_room else None
    if config is not None and reference is not None and len(hourly) >= 2:
        window_start = max(start, end - DEFAULT_WINDOW)
        period.diagnosis = diagnose_case(
            config,
            case,
            hourly_climate(store, case.id, window_start, end),
            hourly_climate(store, reference.id, window_start, end),
            window_start,
            end,
        )
    if config is not None:
        light = assess_case_light(store, config, case, min(end, datetime.now(UTC)))
        period.light = light if light.measured else None
    return period


def artefact_hours(hourly: pd.DataFrame, case: Case) -> dict[str, dict[str, float]]:
    """Hours each of the case's objects spent at each risk level (:data:`LEVELS`), from the
    case's hourly means (:func:`analysis.risk.assess`): the time at each level the case
    page, the printed report and the weekly digest (museum/files/digest.py) all show."""
    return {
        artefact.id: assess(hourly, artefact.materials).summary["hours_per_level"]
        for artefact in case.artefacts
    }


#: The states an alert goes through, in the order they supersede each other: a later
#: ``notified`` event does not make an acknowledged alert unacknowledged again.
_LIFECYCLE = ("opened", "escalated", "acknowledged", "resolved")


def alert_summaries(events: pd.DataFrame) -> pd.DataFrame:
    """One row per alert from its event log (oldest first): alert_id, rule, severity (the
    highest reached), state (the furthest in :data:`_LIFECYCLE` reached), opened, value,
    threshold and detail (from the opening event: the value is written there, not on the
    events that follow it), and notes: every acknowledgement as (time, user, note)."""
    columns = ["alert_id", "rule", "severity", "state", "opened", "value", "threshold", "detail", "notes"]
    rows = []
    for alert_id, log in events.groupby("alert_id", sort=False):
        opening = log[log["state"] == "opened"]
        first = opening.iloc[0] if not opening.empty else log.iloc[0]
        reached = [state for state in _LIFECYCLE if (log["state"] == state).any()]
        acks = log[log["state"] == "acknowledged"]
        rows.append(
            {
                "alert_id": alert_id,
                "rule": str(first["rule"]),
                "severity": "critical"
                if (log["severity"] == "critical").any()
                else str(log["severity"].iloc[-1]),
                "state": reached[-1] if reached else str(log["state"].iloc[-1]),
                "opened": log["time"].min(),
                "value": _number(first.get("value")),
                "threshold": _number(first.get("threshold")),
                "detail": str(first.get("message") or "") if pd.notna(first.get("message")) else "",
                "notes": [
                    (row["time"], str(row.get("user") or ""), str(row.get("note") or ""))
                    for row in acks.to_dict("records")
                ],
            }
        )
    return pd.DataFrame(rows, columns=columns).sort_values("opened", ignore_index=True)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- rendering -----------------------------------------------------------------------------------
#
# The page is laid out by the Jinja2 templates in museum/files/templates/: report.html.j2 is the
# page, sections.html.j2 holds one macro per section. Each section's macro is fed by one object
# built below: what the section needs, in the reader's language, numbers already formatted. The
# templates call the translator (``t``) only for fixed texts: headings and column names.
# A new section is a dataclass and its builder here, a macro in sections.html.j2, and one line
# where the page (or a digest built from the same macros) places it.


@dataclass(frozen=True)
class Heading:
    """The top of the report: its subject, its period in words, the museum, the time zone
    (named as at the period's end), and when the report was made."""

    subject: str
    period: str
    museum: str
    zone: str
    generated: str


@dataclass(frozen=True)
class LoanSection:
    """The share of time each case spent inside a loan agreement's bands (%)."""

    #: Column headers after "Case": the RH band, the temperature band, the 24 h change limit,
    #: all of them at once ("—" for a band the agreement does not set).
    bands: list[str]
    #: One row per case: its id, then its shares in the order of ``bands``.
    rows: list[list[str]]


@dataclass(frozen=True)
class Performance:
    """How tight a case is against its room and when it passes its limit: the lines of
    ``patina diagnose`` (museum.assessment.diagnose.describe)."""

    reference: str
    lines: list[str]


@dataclass(frozen=True)
class ArtefactRow:
    """One object of a case and the share of the period (%) it spent at each risk level."""

    id: str
    name: str
    #: The link its name carries (the dashboard's copy on screen), or None.
    href: str | None
    materials: str
    #: Per level of :data:`analysis.risk.LEVELS`.
    shares: dict[str, str]


@dataclass(frozen=True)
class AlertRow:
    """An alert opened in the period: when, which rule, what it measured against its limit,
    how far it went, and each acknowledgement."""

    opened: str
    rule: str
    value: str
    state: str
    acknowledgements: list[str]


@dataclass(frozen=True)
class LightSection:
    """The case's light (docs/light.md): the period's dose in words, then each light-sensitive
    object's year against its budget."""

    period: str
    #: (the object's inventory number and name, its sentences).
    objects: list[tuple[str, list[str]]]
    #: Hours lit while the museum was closed in the last week, in words (None: not known).
    night: str | None = None


@dataclass(frozen=True)
class CaseSection:
    """Everything the report says about one case; the parts after ``coverage`` are empty
    when the period has no figures (``chart`` is then None)."""

    case_id: str
    name: str
    gallery: str
    #: What the figures rest on and the gaps, or None when there is nothing to say.
    coverage: str | None
    #: The calibration corrections applied to the readings, or None without any.
    calibration: str | None = None
    #: The temperature and RH chart, a PNG as base64.
    chart: str | None = None
    #: One row per quantity: its label with its unit, then minimum, mean and maximum.
    statistics: list[list[str]] = field(default_factory=list)
    #: The period in sentences: daily range, time of wetness, IPI ratings.
    sentences: list[str] = field(default_factory=list)
    performance: Performance | None = None
    artefacts: list[ArtefactRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    light: LightSection | None = None


#: The loan compliance figures, in the order of :attr:`LoanSection.bands`.
_COMPLIANCE = ("rh_pct", "temperature_pct", "change_24h_pct", "all_pct")


def _moments(t: Translator, zone: Any) -> Callable[[datetime], str]:
    """How the report prints a moment: in the museum's zone, medium length."""
    return lambda moment: t.moment(moment.astimezone(zone), "medium")


def heading_section(
    periods: list[CasePeriod], config: MuseumConfig, t: Translator, subject: str, generated: datetime
) -> Heading:
    """The report's heading; the period is the first case's (every case shares it)."""
    zone = config.zone
    when = _moments(t, zone)
    start, end = periods[0].start, periods[0].end
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.time() == local_end.time() == time(0) and local_end > local_start:
        # Whole days (the report page's periods): "du 24 au 30 novembre 2026 inclus".
        period = t.period(local_start.date(), (local_end - timedelta(days=1)).date())
    else:
        period = t("print.period", start=when(start), end=when(end))
    return Heading(
        subject=subject,
        period=period,
        museum=t.name(config.museum.name),
        zone=t.zone(config.museum.timezone, end),
        generated=when(generated),
    )


def loan_section(periods: list[CasePeriod], bands: LoanBands | None, t: Translator) -> LoanSection | None:
    """Each case's compliance with the loan's bands; None without a loan agreement."""
    if bands is None:
        return None
    n = t.number
    temperature = (
        t(
            "print.loan_temperature",
            target=n(bands.temperature_target_c, 0),
            tolerance=n(bands.temperature_tolerance_c, 0),
        )
        if bands.temperature_target_c is not None
        else "—"
    )
    change = (
        t("print.loan_change", limit=n(bands.max_rh_change_24h_pct, 0))
        if bands.max_rh_change_24h_pct is not None
        else "—"
    )
    return LoanSection(
        bands=[
            t("print.loan_rh", target=n(bands.rh_target_pct, 0), tolerance=n(bands.rh_tolerance_pct, 0)),
            temperature,
            change,
            t("print.loan_all"),
        ],
        rows=[
            [period.case.id, *(n((period.compliance or {}).get(key), 1) for key in _COMPLIANCE)]
            for period in periods
        ],
    )


def performance_section(diagnosis: Diagnosis | None, t: Translator) -> Performance | None:
    """The same lines as `patina diagnose`: what facilities get with the report."""
    if diagnosis is None or diagnosis.reference is None:
        return None
    return Performance(reference=diagnosis.reference.id, lines=describe(diagnosis, t))


def artefact_rows(
    period: CasePeriod, t: Translator, artefact_href: Callable[[str], str] | None = None
) -> list[ArtefactRow]:
    """The case's objects, each with its share of the period at each risk level."""
    rows = []
    for artefact in period.case.artefacts:
        shares = period.artefact_levels.get(artefact.id, {})
        rows.append(
            ArtefactRow(
                id=artefact.id,
                name=t.name(artefact.name),
                href=None if artefact_href is None else artefact_href(artefact.id),
                materials=", ".join(t.material(m) for m in artefact.materials),
                shares={level: t.number(shares.get(level), 1) for level in LEVELS},
            )
        )
    return rows


def alert_rows(alerts: pd.DataFrame, t: Translator, zone: Any) -> list[AlertRow]:
    """The rows of :func:`alert_summaries` for a reader."""
    rows = []
    for alert in alerts.itertuples():
        # Alerts recorded before values were written have no value column at all.
        value, threshold = getattr(alert, "value", None), getattr(alert, "threshold", None)
        rows.append(
            AlertRow(
                opened=t.moment(alert.opened.to_pydatetime(warn=False).astimezone(zone)),
                rule=t(f"rule.{alert.rule}"),
                value=alert_value(alert.rule, value, threshold, getattr(alert, "detail", ""), t),
                state=t(f"state.{alert.state}"),
                acknowledgements=[
                    acknowledgement(moment, user, note, t, zone) for moment, user, note in alert.notes
                ],
            )
        )
    return rows


def light_section(period: CasePeriod, config: MuseumConfig, t: Translator) -> LightSection | None:
    """The light part of a case's report, or None when no sensor of the case reads light."""
    light = period.light
    if light is None:
        return None
    moment = pd.Timestamp(period.start)
    within = light.hourly[(light.hourly.index >= moment) & (light.hourly.index < pd.Timestamp(period.end))]
    try:
        summary = light_summary(within, config.light.lit_threshold_lux, max_gap_h=HOURLY_GAP_H)
        mean = summary["lux_mean_when_lit"]
        text = t(
            "light.period",
            dose=t.number(summary["lux_hours"], 0),
            hours=t.number(summary["hours_lit"], 0),
            mean="—" if mean is None else t.number(mean, 0),
        )
    except ValueError:  # fewer than two hours of light in the period
        text = t("light.period_none")
    end = min(period.end, datetime.now(UTC))
    objects = [
        (f"{item.artefact.id} {t.name(item.artefact.name)}", light_sentences(t, item, end, config.zone))
        for item in light.objects
        if item.year.budget_lux_hours is not None
    ]
    night = None
    if light.hours_lit_closed:
        night = t("light.night", hours=t.number(light.hours_lit_closed, 1))
    return LightSection(period=text, objects=objects, night=night)


def case_section(
    period: CasePeriod,
    config: MuseumConfig,
    t: Translator,
    bands: LoanBands | None,
    artefact_href: Callable[[str], str] | None = None,
) -> CaseSection:
    """One case's part of the report; without figures, only its heading and coverage."""
    case = period.case
    section = CaseSection(
        case_id=case.id,
        name=t.name(case.name),
        gallery=t.name(case.gallery),
        coverage=coverage_text(period.coverage, t, _moments(t, config.zone)),
        calibration=calibration_note(period.calibrations, t, config.zone),
        light=light_section(period, config, t),
    )
    if period.figures is None:
        return section
    sentences = period_sentences(period.figures, t)
    return replace(
        section,
        chart=chart_png(period, t, config.museum.timezone, bands),
        statistics=[
            [f"{row.label} ({row.unit})", *(t.number(value) for value in row.values)]
            for row in statistics_rows(period.figures, t, extremes=period.extremes)
        ],
        sentences=[sentences.daily_range, sentences.time_of_wetness, sentences.ipi],
        performance=performance_section(period.diagnosis, t),
        artefacts=artefact_rows(period, t, artefact_href),
        alerts=alert_rows(period.alerts, t, config.zone),
    )


def calibration_note(records: list[CalibrationRecord], t: Translator, zone: Any) -> str | None:
    """Which calibration corrections a case's figures carry, in one sentence (None: none)."""
    if not records:
        return None
    items = [
        t(
            "calibration.applied_item",
            sensor=r.sensor_id,
            quantity=t(f"calibration.quantity.{r.quantity}"),
            error=("+" if r.error > 0 else "") + t.number(r.error, 2),
            unit=unit_text(r.quantity, t),
            date=t.date(r.time.tz_convert(zone).date(), "medium"),
            source=reference_kind_text(r.reference_kind, t),
            id=r.record_id,
        )
        for r in records
    ]
    return t("calibration.applied", items="; ".join(items))


def chart_png(period: CasePeriod, t: Translator, zone: Any, bands: LoanBands | None) -> str:
    """Temperature and RH over the period as a PNG (base64), with the loan bands shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    # Every hour of the period, empty where there is no reading: the lines break at gaps.
    hours = pd.date_range(
        pd.Timestamp(period.start).tz_convert("UTC").floor("1h"),
        pd.Timestamp(period.end).tz_convert("UTC"),
        freq="1h",
        inclusive="left",
    )
    local = period.hourly.reindex(period.hourly.index.union(hours))
    local.index = local.index.tz_convert(zone).tz_localize(None)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.2, 3.6), sharex=True, dpi=100)
    try:
        bottom.plot(local.index, local["rh_pct"], color="#1565c0", linewidth=0.9)
        top.plot(local.index, local["temperature_c"], color="#c62828", linewidth=0.9)
        if bands is not None:
            bottom.axhspan(
                bands.rh_target_pct - bands.rh_tolerance_pct,
                bands.rh_target_pct + bands.rh_tolerance_pct,
                color="#2e7d32",
                alpha=0.12,
                linewidth=0,
            )
            if bands.temperature_target_c is not None and bands.temperature_tolerance_c is not None:
                top.axhspan(
                    bands.temperature_target_c - bands.temperature_tolerance_c,
                    bands.temperature_target_c + bands.temperature_tolerance_c,
                    color="#2e7d32",
                    alpha=0.12,
                    linewidth=0,
                )
        top.set_ylabel(f"{t('label.temperature_short')} (°C)", fontsize=8)
        bottom.set_ylabel(f"{t('label.rh_short')} (%)", fontsize=8)
        bottom.set_xlabel(t("label.time_in", zone=t.zone(str(zone), period.end)), fontsize=8)
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m %H:%M"))
        bottom.set_xlim(local.index[0], local.index[-1])
        for axis in (top, bottom):
            axis.tick_params(labelsize=7)
            axis.grid(alpha=0.3, linewidth=0.5)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
    finally:
        plt.close(figure)
    # PNG rather than SVG: WeasyPrint ignores Matplotlib's SVG styles and would fill lines.
    return base64.b64encode(buffer.getvalue()).decode()


def alert_value(rule: str, value: float | None, threshold: float | None, detail: str, t: Translator) -> str:
    """What an alert measured against its limit, in the words of its notification
    ("Measured: 72.0 % RH; limit: 60.0 % RH."); a dash for events written before values were."""
    if value is None or pd.isna(value):
        return "—"
    try:
        return t(
            f"alert.body.value.{rule}", value=t.number(value), threshold=t.number(threshold), detail=detail
        )
    except KeyError:  # a rule newer than this catalogue
        return t.number(value)


def acknowledgement(moment: pd.Timestamp, user: str, note: str, t: Translator, zone: Any) -> str:
    """Who acknowledged an alert, when, and what they wrote."""
    when = t.moment(moment.to_pydatetime(warn=False).astimezone(zone))
    if note.strip():
        return t("print.acknowledged_note", user=user or "—", moment=when, note=note.strip())
    return t("print.acknowledged", user=user or "—", moment=when)


def _escaped(value: object) -> Markup:
    """What a template prints, escaped as the reports always were, by :func:`html.escape`
    (an apostrophe becomes ``&#x27;``, where MarkupSafe would write ``&#39;``). Jinja runs
    this before its own autoescape, which then leaves the result alone; what a macro made is
    markup already and passes as it is."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


@cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("museum.files", "templates"),
        autoescape=True,
        finalize=_escaped,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails, rather than print nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(levels=LEVELS, level_colours=LEVEL_COLOURS)
    return environment


def render_template(name: str, t: Translator, **sections: Any) -> str:
    """The page ``name`` of museum/files/templates/, given its sections and the reader's
    translator (the templates' ``t``)."""
    return _templates().get_template(name).render(t=t, **sections)


def render_html(
    periods: list[CasePeriod],
    config: MuseumConfig,
    t: Translator,
    subject: str,
    bands: LoanBands | None,
    generated: datetime,
    artefact_href: Callable[[str], str] | None = None,
) -> str:
    """The report as one self-contained HTML page (print-ready, A4). ``artefact_href``
    gives each object's name a link (the dashboard's copy on screen links the artefact
    page; a downloaded or printed report has nothing to link to)."""
    return render_template(
        "report.html.j2",
        t,
        heading=heading_section(periods, config, t, subject, generated),
        loan=loan_section(periods, bands, t),
        cases=[case_section(period, config, t, bands, artefact_href) for period in periods],
    )


def render_pdf(page: str) -> bytes:
    """The same page as PDF (WeasyPrint): the HTML report, printed."""
    from weasyprint import HTML

    return HTML(string=page).write_pdf()
