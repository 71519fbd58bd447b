"""A whole museum at a glance (issue 29): the list of what needs the reader first, the floor
plans with each case in its worst object's colour, and what the alerts will do next.

Each is one HTML block (``st.html``): a table of 200 rows or a plan with 200 markers is
one Streamlit element, where tiles were several per case (docs/dashboard-at-scale.md).
Every text from the config or the database is HTML-escaped here."""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from analysis.risk import LEVELS
from dashboard.data import ATTENTION_LEVEL, CaseStatus, ObjectStatus, object_reason
from dashboard.links import artefact_url
from museum.description.config import Artefact, Case, MuseumConfig
from museum.description.config_galleries import Gallery
from museum.description.limits import case_limits
from museum.language.i18n import Translator

#: The levels' colours, as the overview's badges show them (green, blue, orange, red), and
#: grey for a case whose level is unknown or whose sensors are silent.
LEVEL_HEX = {"good": "#2e7d32", "watch": "#1565c0", "risk": "#ef6c00", "critical": "#c62828"}
UNKNOWN_HEX = "#757575"
#: Rows of the "needs me first" list shown before "show all".
FIRST_ROWS = 25


def case_url(case_id: str, language: str) -> str:
    """The case page of one case, in ``language`` (relative: works behind a proxy)."""
    return "case?" + urlencode({"case": case_id, "lang": language})


def level_name(status: CaseStatus) -> str:
    """The case's level as a word of :data:`LEVEL_HEX` ("unknown" when silent or unassessed)."""
    if status.stale or status.worst_level is None:
        return "unknown"
    return LEVELS[status.worst_level]


@dataclass(frozen=True)
class Need:
    """One row of the list: a case with a silent sensor, or an object not good."""

    #: Sort rank: the object's level (0–3); a silent case ranks just below "risk".
    rank: float
    level: str
    case: Case
    artefact: Artefact | None
    value: str
    limit: str
    since: datetime | None
    todo: str
    reason: str


def needs(
    statuses: list[CaseStatus], objects: list[ObjectStatus], t: Translator, now: datetime
) -> list[Need]:
    """Every object not good and every case with a silent sensor, worst first."""
    found = []
    for status in statuses:
        if status.stale:
            found.append(
                Need(
                    rank=ATTENTION_LEVEL - 0.5,
                    level="unknown",
                    case=status.case,
                    artefact=None,
                    value="—",
                    limit="—",
                    since=status.last_reading,
                    todo=t("advice.sensor_silent"),
                    reason=t("glance.silent"),
                )
            )
    for item in objects:
        if item.level < 1:
            continue
        found.append(
            Need(
                rank=item.level + min(item.score, 100.0) / 1000,
                level=LEVELS[item.level],
                case=item.case,
                artefact=item.artefact,
                value=t.quantity(item.rh_pct, "%", 0),
                limit=t.quantity(item.limit_pct, "%", 0),
                since=item.since,
                todo=t(f"advice.driver.{item.driver}") if item.driver in DRIVERS else "",
                reason=object_reason(item, t, now),
            )
        )
    return sorted(found, key=lambda need: (-need.rank, need.case.id))


#: The drivers with their own advice (the catalogue's ``advice.driver.*``).
DRIVERS = ("condensation", "fluctuation", "mould", "rh_high", "time_of_wetness", "too_dry")

TABLE_STYLE = (
    "<style>"
    ".patina-needs{border-collapse:collapse;width:100%;font-size:0.9rem}"
    ".patina-needs th{text-align:left;border-bottom:2px solid #ccc;padding:4px 8px}"
    ".patina-needs td{border-bottom:1px solid #e5e5e5;padding:4px 8px;vertical-align:top}"
    ".patina-level{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;white-space:nowrap}"
    ".patina-todo{color:#555;font-size:0.85rem}"
    # Values, limits and moments on one line each ("30 %" split over two lines in French at
    # 200 cases: docs/dashboard-at-scale.md, screenshots).
    ".patina-needs th,.patina-needs td[data-label],.patina-needs small.patina-gallery{white-space:nowrap}"
    # On a phone each row becomes a block of its cells, one under the other: seven columns
    # would be wider than the screen.
    "@media (max-width: 640px){.patina-needs tr:first-child{display:none}"
    ".patina-needs tr{display:block;border-bottom:1px solid #ccc;padding:4px 0}"
    ".patina-needs td{display:block;border:none;padding:2px 4px}"
    ".patina-needs td[data-label]::before{content:attr(data-label) ': ';color:#777}}"
    "</style>"
)


def badge(level: str, t: Translator) -> str:
    text = t(f"level.{level}") if level in LEVEL_HEX else t("overview.no_current_data")
    colour = LEVEL_HEX.get(level, UNKNOWN_HEX)
    return f'<span class="patina-level" style="background:{colour}">{html.escape(text)}</span>'


def with_units_kept(text: str) -> str:
    """A number and its unit kept on one line ("64 min", "15 %"): a no-break space after
    each digit followed by a space."""
    return re.sub(r"(?<=\d) ", "\u00a0", text)


def needs_table(rows: list[Need], t: Translator, now: datetime, zone: object) -> str:
    """The list as one HTML table: level, case (a link to its page), object (a link to its
    page), value, limit, since when, and what to do."""
    e = html.escape
    head = "".join(
        f"<th>{e(t(f'glance.col_{name}'))}</th>"
        for name in ("level", "case", "object", "value", "limit", "since", "todo")
    )
    # On a phone the cells stand one under the other, named (see TABLE_STYLE).
    labels = {name: e(t(f"glance.col_{name}")) for name in ("value", "limit", "since")}
    body = []
    for row in rows:
        case = f'<a href="{e(case_url(row.case.id, t.language))}">{e(row.case.id)}</a>'
        case += f'<br><small class="patina-gallery">{e(t.name(row.case.gallery))}</small>'
        if row.artefact is not None:
            url = artefact_url(row.artefact.id, t.language)
            reason = f"<small>{e(with_units_kept(row.reason))}</small>"
            what = f'<a href="{e(url)}">{e(t.name(row.artefact.name))}</a><br>{reason}'
        else:
            what = e(with_units_kept(row.reason))
        if row.since is not None:
            local = row.since.astimezone(zone)  # type: ignore[arg-type]
            since = (
                f"{e(t.moment(local))}<br><small>{e(t.duration((now - row.since).total_seconds()))}</small>"
            )
        else:
            since = "—"
        body.append(
            f'<tr data-case="{e(row.case.id)}"><td>{badge(row.level, t)}</td><td>{case}</td><td>{what}</td>'
            f'<td data-label="{labels["value"]}">{e(row.value)}</td>'
            f'<td data-label="{labels["limit"]}">{e(row.limit)}</td>'
            f'<td data-label="{labels["since"]}">{since}</td>'
            f'<td class="patina-todo">{e(row.todo)}</td></tr>'
        )
    return f'{TABLE_STYLE}<table class="patina-needs"><tr>{head}</tr>{"".join(body)}</table>'


# --- floor plans ---------------------------------------------------------------------------


def plan_data_uri(path: Path) -> str | None:
    """The plan's image inlined (the browser cannot read the server's files), or None when
    it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def plan_html(
    gallery: Gallery, image: str, statuses: dict[str, CaseStatus], t: Translator, names: dict[str, str]
) -> str:
    """The plan with a marker per placed case: a round link to the case page, in the colour of
    its worst object's level, its id beside it; ``names`` gives each case's title (hover)."""
    e = html.escape
    markers = []
    for position in gallery.positions:
        status = statuses.get(position.case)
        level = level_name(status) if status is not None else "unknown"
        colour = LEVEL_HEX.get(level, UNKNOWN_HEX)
        title = f"{position.case} · {names.get(position.case, '')} · " + (
            t(f"level.{level}") if level in LEVEL_HEX else t("overview.no_current_data")
        )
        markers.append(
            f'<a class="patina-marker" href="{e(case_url(position.case, t.language))}" '
            f'title="{e(title)}" aria-label="{e(title)}" data-case="{e(position.case)}" '
            f'data-level="{level}" style="left:{position.x * 100:.3f}%;top:{position.y * 100:.3f}%;'
            f'background:{colour}">{e(position.case)}</a>'
        )
    style = (
        "<style>"
        ".patina-plan{position:relative;width:100%;max-width:1100px}"
        ".patina-plan img{width:100%;display:block;border:1px solid #ddd}"
        ".patina-marker{position:absolute;transform:translate(-50%,-50%);color:#fff!important;"
        "text-decoration:none!important;font-weight:600;font-size:0.8rem;padding:4px 9px;"
        "border-radius:999px;border:2px solid #fff;box-shadow:0 1px 4px rgba(0,0,0,.45);white-space:nowrap}"
        ".patina-marker:hover{outline:3px solid #000}"
        "</style>"
    )
    alt = e(t("floorplan.plan_of", gallery=t.name(gallery.gallery)))
    return f'{style}<div class="patina-plan"><img src="{image}" alt="{alt}">{"".join(markers)}</div>'


def case_list_html(cases: list[Case], statuses: dict[str, CaseStatus], t: Translator) -> str:
    """Cases not on the plan, one a line: a dot in the level's colour, a link to the case."""
    e = html.escape
    rows = []
    for case in cases:
        status = statuses.get(case.id)
        level = level_name(status) if status is not None else "unknown"
        label = t(f"level.{level}") if level in LEVEL_HEX else t("overview.no_current_data")
        rows.append(
            f'<li data-case="{e(case.id)}" data-level="{level}">'
            f'<span style="color:{LEVEL_HEX.get(level, UNKNOWN_HEX)}">●</span> '
            f'<a href="{e(case_url(case.id, t.language))}">{e(case.id)}</a> · {e(t.name(case.name))} · '
            f"{e(label)}</li>"
        )
    return f"<ul style='list-style:none;padding-left:0'>{''.join(rows)}</ul>"


def legend_html(t: Translator) -> str:
    items = [badge(level, t) for level in LEVEL_HEX] + [badge("unknown", t)]
    return TABLE_STYLE + " ".join(items)


# --- what the alerts will do next ---------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A case at a bad level whose alert has not opened yet."""

    case: Case
    worst: ObjectStatus
    opens_at: datetime | None
    min_duration_s: float


def pending_alerts(config: MuseumConfig, objects: list[ObjectStatus], open_cases: set[str]) -> list[Pending]:
    """Cases with an object at risk or worse and no alert open: the collector opens one once
    the cause has lasted the case's ``min_duration`` (museum.description.limits)."""
    found: dict[str, Pending] = {}
    for item in objects:  # worst first: the first per case is its worst
        if item.level < ATTENTION_LEVEL or item.case.id in open_cases or item.case.id in found:
            continue
        duration_s = case_limits(config, item.case).min_duration_s
        opens = item.since + timedelta(seconds=duration_s) if item.since is not None else None
        found[item.case.id] = Pending(item.case, item, opens, duration_s)
    return list(found.values())


def notified_to(config: MuseumConfig, t: Translator) -> str:
    """Who an opening alert is sent to, in words: the e-mail readers, the webhook, MQTT."""
    ways = []
    if config.notify.smtp_url and config.notify.email_to:
        ways.append(t("glance.by_email", readers=", ".join(config.notify.email_to)))
    if config.notify.webhook_url:
        ways.append(t("glance.by_webhook"))
    if config.notify.mqtt_alerts:
        ways.append(t("glance.by_mqtt"))
    return "; ".join(ways) if ways else t("glance.by_nobody")


def pending_sentence(item: Pending, config: MuseumConfig, t: Translator, now: datetime) -> str:
    """What happens next for one case, as plain text."""
    level = t(f"level.{LEVELS[item.worst.level]}")
    who = notified_to(config, t)
    if item.opens_at is not None and item.opens_at > now:
        local = item.opens_at.astimezone(config.zone)
        return t(
            "glance.pending",
            case=item.case.id,
            object=t.name(item.worst.artefact.name),
            level=level,
            time=t.moment(local),
            wait=t.duration((item.opens_at - now).total_seconds()),
            duration=t.duration(item.min_duration_s),
            who=who,
        )
    return t(
        "glance.pending_due",
        case=item.case.id,
        object=t.name(item.worst.artefact.name),
        level=level,
        duration=t.duration(item.min_duration_s),
        who=who,
    )
