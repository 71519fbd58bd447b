"""The weekly digest: what a conservator reads on Monday morning about the week before.

Four parts, each from the source the rest of Patina uses for the same thing:

* **incidents**: every alert open at some moment of the week, from the alert log
  (:meth:`InfluxStore.alert_events`, read as the printed report reads it:
  :func:`museum.files.reports.alert_summaries`): when it opened, who acknowledged it and
  with which note, when it resolved or that it is still open at the week's end;
* **time at each level per gallery**: each object's hours at each risk level from its
  case's hourly means (:func:`museum.files.reports.artefact_hours`, the case page's and
  the printed report's computation), summed over the gallery's objects;
* **cases to look after**: the diagnostics' forecast (:mod:`museum.assessment.diagnose`,
  the last two weeks) of cases that pass their RH limit within ``[digest] forecast_within``;
* **sensors** silent at the week's end (``[alerts] sensor_silent_after``) or whose last
  battery level is below ``[alerts] battery_low_pct``.

:func:`gather_week` reads them (no language); :func:`render_digest` lays them out in one
reader's language with the report's machinery (Jinja2, ``templates/digest.html.j2``, which
imports the report's section macros); :func:`digest_message` makes the e-mail: the page as
its HTML body, a plain-text summary, the same page printed by WeasyPrint as a PDF attached.
A week is seven whole days in the museum's zone (167 or 169 hours when the clocks change);
its bounds are kept in UTC and written in the museum's zone.
"""

from __future__ import annotations

import email.policy
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from analysis.risk import LEVELS
from museum.assessment.diagnose import DEFAULT_WINDOW, Diagnosis, describe, diagnose_case, hourly_climate
from museum.description.config import MuseumConfig
from museum.files.reports import (
    acknowledgement,
    alert_summaries,
    alert_value,
    artefact_hours,
    render_pdf,
    render_template,
)
from museum.language.i18n import Translator
from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.schema import CLIMATE
from museum.storage.store import InfluxStore

#: An alert still open when the week starts is found if it opened up to this long before.
ALERT_LOOKBACK = timedelta(days=365)
#: A sensor not heard during the week is looked for this far back (it bounds the scan).
SENSOR_LOOKBACK = timedelta(days=400)


def week_bounds(last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The seven whole days ending with ``last_day`` in ``zone``: from the midnight that
    starts the first to the midnight that ends the last, in UTC (Python subtracts two times
    of one zone by their wall clocks: a week of 167 hours would count 168)."""

    def midnight(day: date) -> datetime:
        # A midnight the clocks skip becomes the moment they jump to.
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    return midnight(last_day - timedelta(days=6)), midnight(last_day + timedelta(days=1))


def last_whole_day(moment: datetime, zone: ZoneInfo) -> date:
    """The day before ``moment``'s day in ``zone``: the last day a digest made then covers."""
    return moment.astimezone(zone).date() - timedelta(days=1)


# --- what the week holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """An alert open at some moment of the week, as its log stood at the week's end."""

    alert_id: str
    case_id: str
    rule: str
    severity: str
    opened: datetime
    value: float | None
    threshold: float | None
    detail: str
    #: Each acknowledgement before the week's end: (when, who, the note).
    acknowledgements: tuple[tuple[datetime, str, str], ...]
    #: When it resolved; None: still open at the week's end.
    resolved: datetime | None


@dataclass(frozen=True)
class GalleryLevels:
    """The hours a gallery's objects spent at each risk level, summed over the objects
    (an object measured all week adds 168 hours)."""

    gallery: str
    #: Objects with readings in the week.
    objects: int
    hours: dict[str, float]

    def shares_pct(self) -> dict[str, float | None]:
        total = sum(self.hours.values())
        return {level: 100.0 * self.hours[level] / total if total else None for level in LEVELS}


@dataclass(frozen=True)
class SensorState:
    """A sensor silent at the week's end or low on battery."""

    sensor_id: str
    case_id: str
    #: Its last reading before the week's end; None: none within :data:`SENSOR_LOOKBACK`.
    last_heard: datetime | None
    #: The last battery level it reported in the week, %.
    battery_pct: float | None
    silent: bool
    battery_low: bool


@dataclass(frozen=True)
class Week:
    """What the digest of one week says, in no language yet."""

    #: The last day it covers, in the museum's zone.
    last_day: date
    #: From the midnight starting its first day to the one ending its last, in UTC.
    start: datetime
    end: datetime
    #: The moment the facts are as at: the week's end, or when it was gathered if earlier.
    as_of: datetime
    incidents: list[Incident]
    galleries: list[GalleryLevels]
    #: Diagnoses of the cases forecast to pass their limit soon, soonest first.
    outlook: list[Diagnosis]
    sensors: list[SensorState]


def gather_week(config: MuseumConfig, store: InfluxStore, last_day: date) -> Week:
    """Everything the digest of the week ending with ``last_day`` says, from the store."""
    start, end = week_bounds(last_day, config.zone)
    window_start = min(start, end - DEFAULT_WINDOW)
    hourly = {case.id: hourly_climate(store, case.id, window_start, end) for case in config.cases}
    galleries, outlook = gallery_levels(config, hourly, start, end), []
    for case in config.cases:
        reference = config.reference_for(case.id)
        if case.is_room or reference is None:
            continue
        diagnosis = diagnose_case(config, case, hourly[case.id], hourly[reference.id], window_start, end)
        forecast = diagnosis.forecast
        if forecast is not None and forecast.days <= config.digest.forecast_within_s / 86400.0:
            outlook.append(diagnosis)
    outlook.sort(key=lambda d: d.forecast.days if d.forecast is not None else math.inf)
    as_of = min(end, datetime.now(UTC))
    return Week(
        last_day=last_day,
        start=start,
        end=end,
        as_of=as_of,
        incidents=incidents(store, start, end),
        galleries=galleries,
        outlook=outlook,
        sensors=sensor_states(config, store, start, end, as_of),
    )


def incidents(store: InfluxStore, start: datetime, end: datetime) -> list[Incident]:
    """Alerts open at some moment between ``start`` and ``end``, oldest first, each as its
    log stood at ``end`` (what happened later belongs to the next week)."""
    events = store.alert_events(within=datetime.now(UTC) - start + ALERT_LOOKBACK)
    if events.empty:
        return []
    events = events[events["time"] < pd.Timestamp(end)]
    if events.empty:
        return []
    summaries = alert_summaries(events)
    case_of = events.groupby("alert_id")["case_id"].first()
    resolved_at = events[events["state"] == "resolved"].groupby("alert_id")["time"].min()
    found = []
    for alert in summaries.itertuples():
        resolved = resolved_at.get(alert.alert_id)
        if resolved is not None and resolved < pd.Timestamp(start):
            continue  # over before the week began
        found.append(
            Incident(
                alert_id=str(alert.alert_id),
                case_id=str(case_of[alert.alert_id]),
                rule=alert.rule,
                severity=alert.severity,
                opened=alert.opened.to_pydatetime(),
                value=alert.value,
                threshold=alert.threshold,
                detail=alert.detail,
                acknowledgements=tuple(
                    (moment.to_pydatetime(), user, note) for moment, user, note in alert.notes
                ),
                resolved=None if resolved is None else resolved.to_pydatetime(),
            )
        )
    return found


def gallery_levels(
    config: MuseumConfig, hourly: dict[str, pd.DataFrame], start: datetime, end: datetime
) -> list[GalleryLevels]:
    """Each gallery's object-hours at each level over the week, from ``hourly`` (each case's
    hourly means, :func:`hourly_climate`, covering at least the week). The hours are those
    the printed report counts for the same period: whole hours from the one that holds
    ``start``, those with both temperature and RH."""
    first_hour = pd.Timestamp(start).tz_convert("UTC").floor("1h")
    totals: dict[str, dict[str, float]] = {}
    objects: dict[str, int] = {}
    for case in config.cases:
        if not case.artefacts:
            continue
        gallery = totals.setdefault(case.gallery, dict.fromkeys(LEVELS, 0.0))
        objects.setdefault(case.gallery, 0)
        frame = hourly[case.id]
        if frame.empty:  # no readings: no hours (and an index that holds no times)
            continue
        week = frame[(frame.index >= first_hour) & (frame.index < pd.Timestamp(end))].dropna()
        if len(week) < 2:  # as the report: no figures from fewer than two hours
            continue
        for hours in artefact_hours(week, case).values():
            objects[case.gallery] += 1
            for level in LEVELS:
                gallery[level] += hours[level]
    return [GalleryLevels(gallery, objects[gallery], hours) for gallery, hours in totals.items()]


def sensor_states(
    config: MuseumConfig, store: InfluxStore, start: datetime, end: datetime, as_of: datetime
) -> list[SensorState]:
    """The configured sensors silent at ``as_of`` (the week's end, or now for a week not
    over) or whose last battery level in the week is low, in the config's order."""
    within = f"time >= {time_literal(start)} AND time < {time_literal(end)}"
    heard = _last_per_sensor(store, "rh_pct", within)
    battery = _last_per_sensor(store, "battery_pct", within)
    sensors = [(sensor, case) for case in config.cases for sensor in case.sensors]
    unheard = [sensor for sensor, _ in sensors if sensor not in heard]
    if unheard:
        chosen = " OR ".join(f"sensor_id = {quote_literal(sensor)}" for sensor in unheard)
        before = (
            f"time >= {time_literal(end - SENSOR_LOOKBACK)} AND time < {time_literal(start)} AND ({chosen})"
        )
        heard.update(_last_per_sensor(store, "rh_pct", before))
    alerts = config.alerts
    states = []
    for sensor, case in sensors:
        last = heard.get(sensor)
        level = battery.get(sensor)
        silent = last is None or (as_of - last[0]).total_seconds() >= alerts.sensor_silent_after_s
        low = level is not None and level[1] < alerts.battery_low_pct
        if silent or low:
            states.append(
                SensorState(
                    sensor_id=sensor,
                    case_id=case.id,
                    last_heard=None if last is None else last[0],
                    battery_pct=None if level is None else level[1],
                    silent=silent,
                    battery_low=low,
                )
            )
    return states


def _last_per_sensor(store: InfluxStore, field: str, where: str) -> dict[str, tuple[datetime, float]]:
    """Each sensor's last value of ``field`` under ``where``: (when, the value)."""
    data = store.frame(
        f"SELECT last({quote_identifier(field)}) AS value FROM {quote_identifier(CLIMATE)} "
        f"WHERE {where} GROUP BY sensor_id"
    )
    if data.empty:
        return {}
    return {
        str(row.sensor_id): (row.time.to_pydatetime(), float(row.value))
        for row in data.itertuples()
        if pd.notna(row.value)
    }


# --- the page, in one reader's language ------------------------------------------------------------


@dataclass(frozen=True)
class DigestHeading:
    title: str
    period: str
    zone: str
    generated: str
    #: The week in a few sentences: incidents, cases to look after, sensors.
    summary: list[str]
    #: What the cases to look after are, or that there are none.
    outlook_note: str


@dataclass(frozen=True)
class IncidentRow:
    case: str
    gallery: str
    rule: str
    severity: str
    opened: str
    value: str
    acknowledgements: list[str]
    #: How it ended ("resolved on …, after 3 h") or that it is still open.
    outcome: str
    still_open: bool


@dataclass(frozen=True)
class GalleryRow:
    gallery: str
    objects: str
    #: Per level of :data:`analysis.risk.LEVELS`, % of the objects' hours.
    shares: dict[str, str]


@dataclass(frozen=True)
class OutlookRow:
    case: str
    gallery: str
    #: The lines of ``patina diagnose`` (museum.assessment.diagnose.describe).
    lines: list[str]


@dataclass(frozen=True)
class SensorRow:
    sensor: str
    case: str
    last_heard: str
    battery: str
    problems: list[str]


def _case_words(config: MuseumConfig, case_id: str, t: Translator) -> tuple[str, str]:
    """A case as "C1 · its name" and its gallery; a case no longer in the config by its id."""
    try:
        case = config.case(case_id)
    except KeyError:
        return case_id, "—"
    return f"{case.id} · {t.name(case.name)}", t.name(case.gallery)


def digest_sections(week: Week, config: MuseumConfig, t: Translator, generated: datetime) -> dict[str, Any]:
    """The sections of the digest page, in ``t``'s language."""
    zone = config.zone
    still_open = sum(1 for incident in week.incidents if incident.resolved is None)
    silent = sum(1 for sensor in week.sensors if sensor.silent)
    low = sum(1 for sensor in week.sensors if sensor.battery_low)
    within = t.number(config.digest.forecast_within_s / 86400.0, 0)
    heading = DigestHeading(
        title=t("digest.title", museum=t.name(config.museum.name)),
        period=t.period(week.last_day - timedelta(days=6), week.last_day),
        zone=t.zone(config.museum.timezone, week.end),
        generated=t.moment(generated.astimezone(zone), "medium"),
        summary=[
            t.plural("digest.summary_incidents", len(week.incidents), open=t.number(still_open, 0))
            if week.incidents
            else t("digest.no_incidents"),
            t.plural("digest.summary_outlook", len(week.outlook))
            if week.outlook
            else t("digest.no_outlook", days=within),
            t("digest.summary_sensors", silent=t.number(silent, 0), low=t.number(low, 0)),
        ],
        outlook_note=t("digest.outlook_note", days=within)
        if week.outlook
        else t("digest.no_outlook", days=within),
    )
    return {
        "heading": heading,
        "incidents": [_incident_row(incident, week, config, t) for incident in week.incidents],
        "galleries": [
            GalleryRow(
                gallery=t.name(levels.gallery),
                objects=t.number(levels.objects, 0),
                shares={level: t.number(share, 1) for level, share in levels.shares_pct().items()},
            )
            for levels in week.galleries
        ],
        "outlook": [
            OutlookRow(*_case_words(config, d.case.id, t), lines=describe(d, t)) for d in week.outlook
        ],
        "sensors": [_sensor_row(sensor, week, config, t) for sensor in week.sensors],
    }


def _incident_row(incident: Incident, week: Week, config: MuseumConfig, t: Translator) -> IncidentRow:
    zone = config.zone
    if incident.resolved is not None:
        outcome = t(
            "digest.resolved",
            moment=t.moment(incident.resolved.astimezone(zone)),
            duration=t.duration((incident.resolved - incident.opened).total_seconds()),
        )
    else:
        outcome = t("digest.still_open", duration=t.duration((week.as_of - incident.opened).total_seconds()))
    case, gallery = _case_words(config, incident.case_id, t)
    return IncidentRow(
        case=case,
        gallery=gallery,
        rule=t(f"rule.{incident.rule}"),
        severity=t(f"severity.{incident.severity}"),
        opened=t.moment(incident.opened.astimezone(zone)),
        value=alert_value(incident.rule, incident.value, incident.threshold, incident.detail, t),
        acknowledgements=[
            acknowledgement(pd.Timestamp(moment), user, note, t, zone)
            for moment, user, note in incident.acknowledgements
        ],
        outcome=outcome,
        still_open=incident.resolved is None,
    )


def _sensor_row(sensor: SensorState, week: Week, config: MuseumConfig, t: Translator) -> SensorRow:
    problems = []
    if sensor.silent and sensor.last_heard is not None:
        problems.append(
            t("digest.sensor_silent", duration=t.duration((week.as_of - sensor.last_heard).total_seconds()))
        )
    elif sensor.silent:
        problems.append(t("digest.sensor_never"))
    if sensor.battery_low:
        problems.append(
            t("digest.battery_low", limit=t.number(config.alerts.battery_low_pct, 0)),
        )
    last = (
        t.moment(sensor.last_heard.astimezone(config.zone))
        if sensor.last_heard is not None
        else t("digest.never_heard", days=t.number(SENSOR_LOOKBACK.days, 0))
    )
    return SensorRow(
        sensor=sensor.sensor_id,
        case=_case_words(config, sensor.case_id, t)[0],
        last_heard=last,
        battery=t.quantity(sensor.battery_pct, "%", 0),
        problems=problems,
    )


def render_digest(week: Week, config: MuseumConfig, t: Translator, generated: datetime) -> str:
    """The digest as one self-contained HTML page: the e-mail's body, and printed, its PDF."""
    return render_template("digest.html.j2", t, **digest_sections(week, config, t, generated))


def digest_subject(week: Week, config: MuseumConfig, t: Translator) -> str:
    return t(
        "digest.subject",
        museum=t.name(config.museum.name),
        period=t.period(week.last_day - timedelta(days=6), week.last_day),
    )


#: Headers unfolded (up to RFC 5322's 998 characters a line): Python's folding of a header
#: with encoded words may leave a space doubled where it folds ("1er  décembre"), in one
#: French or Vietnamese subject out of five.
_MAIL_POLICY = email.policy.default.clone(max_line_length=998)


def digest_message(
    week: Week, config: MuseumConfig, language: str, addresses: Iterable[str], generated: datetime
) -> EmailMessage:
    """The digest for readers of ``language``: a plain-text summary, the page as HTML, and
    the same page as a PDF attached."""
    t = Translator(language)
    sections = digest_sections(week, config, t, generated)
    page = render_template("digest.html.j2", t, **sections)
    heading: DigestHeading = sections["heading"]
    message = EmailMessage(policy=_MAIL_POLICY)
    message["Subject"] = digest_subject(week, config, t)
    message["From"] = config.notify.email_from
    message["To"] = ", ".join(addresses)
    text = [heading.title, heading.period, "", *heading.summary, "", t("digest.attached")]
    message.set_content("\n".join(text))
    message.add_alternative(page, subtype="html")
    message.add_attachment(
        render_pdf(page), maintype="application", subtype="pdf", filename=f"patina-digest-{week.last_day}.pdf"
    )
    return message


def readers_by_language(readers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The readers' addresses grouped by language: one message each."""
    groups: dict[str, list[str]] = {}
    for address, language in readers:
        groups.setdefault(language, []).append(address)
    return groups
