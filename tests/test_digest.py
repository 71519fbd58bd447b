"""The weekly digest: its schedule in the museum's zone across clock changes, its config,
and the digest itself sent through a real SMTP server (aiosmtpd) to readers of two
languages, its figures checked against the alert log and the readings stored in a private
InfluxDB (each computed here on its own), and the collector's worker that sends it on its
schedule, retrying a mail server that is away without ever stopping the collector."""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
import math
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

import collector.digest as digest_worker
from analysis.risk import LEVELS, assess
from collector.digest import DigestWorker, digest_state_path, send_digest
from collector.service import Collector
from museum.description.config import ConfigError, MuseumConfig, parse_config
from museum.description.config_digest import DigestConfig
from museum.files.digest import week_bounds
from museum.files.reports import render_pdf
from museum.language.i18n import Translator
from museum.storage.influxql import time_literal
from museum.storage.schema import AlertEvent, Reading, alert_event_line, climate_line
from museum.storage.store import InfluxStore
from patina.cli import main
from patina.services import free_port
from tests.conftest import SMALL_MUSEUM
from tests.helpers import wait_for

PARIS = ZoneInfo("Europe/Paris")

# --- the schedule ---------------------------------------------------------------------------------


def test_the_digest_keeps_its_wall_clock_time_across_the_clock_changes() -> None:
    monday = DigestConfig(weekday="monday", at="08:00")
    # Paris goes from UTC+1 to UTC+2 on Sunday 29 March 2026 and back on Sunday 25 October.
    sent = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris, winter time
    following = monday.next_send(sent, PARIS)
    assert following == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 summer time
    assert following - sent == timedelta(hours=167)
    assert following.astimezone(PARIS).strftime("%A %H:%M") == "Monday 08:00"
    autumn = monday.next_send(datetime(2026, 10, 19, 6, 0, tzinfo=UTC), PARIS)
    assert autumn == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # 169 hours later
    # Just before its time it is still to come that day; at its time, it is the last one sent.
    assert monday.next_send(sent - timedelta(seconds=1), PARIS) == sent
    assert monday.previous_send(sent, PARIS) == sent
    assert monday.previous_send(sent - timedelta(seconds=1), PARIS) == datetime(2026, 3, 16, 7, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_or_repeat_is_sent_once_at_a_real_moment() -> None:
    night = DigestConfig(weekday="sunday", at="02:30")
    # 02:30 does not exist in Paris on 29 March 2026: the clock jumps from 02:00 to 03:00.
    skipped = night.next_send(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), PARIS)
    assert skipped == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(PARIS).strftime("%H:%M") == "03:30"
    # 02:30 happens twice on 25 October 2026: the first one counts, and only one.
    repeated = night.next_send(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), PARIS)
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert night.next_send(repeated, PARIS) == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)


def test_a_week_is_seven_whole_days_in_the_museums_zone() -> None:
    start, end = week_bounds(date(2026, 3, 29), PARIS)
    assert (start, end) == (
        datetime(2026, 3, 22, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    )
    assert end - start == timedelta(hours=167)
    autumn_start, autumn_end = week_bounds(date(2026, 10, 25), PARIS)
    assert autumn_end - autumn_start == timedelta(hours=169)


# --- the config -----------------------------------------------------------------------------------


def museum(**sections: Any) -> dict[str, Any]:
    return {
        "museum": {"name": "Test", "timezone": "Europe/Paris", "language": "fr"},
        "mqtt": {"url": "mqtt://127.0.0.1:1"},
        "influxdb": {"url": "http://127.0.0.1:1"},
        "sites": [{"id": "paris", "name": "Paris"}],
        "cases": [],
        **sections,
    }


def test_the_digests_readers_are_its_own_or_those_of_the_alerts_each_in_their_language() -> None:
    email_section = {
        "smtp_url": "smtp://127.0.0.1:25",
        "to": ["regie@musee.test", {"address": "an@museum.test", "language": "vi"}],
    }
    alerts_readers = parse_config(
        museum(notify={"email": email_section}, digest={"enabled": True}), environ={}
    )
    assert alerts_readers.digest.readers == (("regie@musee.test", "fr"), ("an@museum.test", "vi"))
    own = parse_config(
        museum(
            notify={"email": email_section},
            digest={
                "enabled": True,
                "to": ["chef@musee.test", {"address": "lan@museum.test", "language": "en"}],
            },
        ),
        environ={},
    )
    assert own.digest.readers == (("chef@musee.test", "fr"), ("lan@museum.test", "en"))
    assert parse_config(museum(), environ={}).digest == DigestConfig()


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"digest": {"enabled": True, "to": ["a@b.test"]}}, "digest.enabled: the digest goes by e-mail"),
        (
            {"notify": {"email": {"smtp_url": "smtp://127.0.0.1:25"}}, "digest": {"enabled": True}},
            "digest.to: nobody to send the digest to",
        ),
        ({"digest": {"at": "8h"}}, "digest.at: '8h' is not a time of day such as 08:00"),
        ({"digest": {"at": "24:00"}}, "digest.at: '24:00' is not a time of day"),
        ({"digest": {"weekday": "lundi"}}, "digest.weekday: 'lundi' is not one of monday"),
        ({"digest": {"to": [{"address": "a@b.test", "language": "de"}]}}, "digest.to[0].language"),
    ],
)
def test_a_wrong_digest_section_is_refused_naming_its_key(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(museum(**sections), origin="museum.toml", environ={})


# --- the digest, sent -------------------------------------------------------------------------------

DIGEST_MUSEUM = (
    SMALL_MUSEUM.replace(
        'gallery = "Gallery 1"', 'gallery = {{ en = "Gallery 1", fr = "Salle 1", vi = "Phòng 1" }}'
    )
    + """
[[cases]]
id = "R1"
site = "hanoi"
gallery = {{ en = "Gallery 1", fr = "Salle 1", vi = "Phòng 1" }}
kind = "room"
sensors = ["r1"]

[[alerts.rules]]
case = "C1"
rh_max_pct = 60

[notify.email]
smtp_url = "smtp://127.0.0.1:SMTP_PORT"
from = "patina@museum.test"
to = ["conservator@museum.test"]

[digest]
enabled = true
weekday = "WEEKDAY"
at = "AT"
to = [
  {{ address = "conservatrice@musee.test", language = "fr" }},
  {{ address = "baotang@museum.test", language = "vi" }},
]
"""
)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
STEP_S = 600
LEVEL_MATERIALS = {"DBP-1": ("archaeological_iron",), "R-1": ("iron_steel", "wood")}


def digest_museum(smtp_port: int, weekday: str = "monday", at: str = "08:00") -> str:
    return DIGEST_MUSEUM.replace("SMTP_PORT", str(smtp_port)).replace("WEEKDAY", weekday).replace("AT", at)


class Mailbox:
    """What an SMTP server received, each message parsed as the standard library's
    :class:`~email.message.EmailMessage` (its MIME parts and attachments)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def write_fortnight(store: InfluxStore, start: datetime, end: datetime) -> None:
    """Two weeks of readings up to ``end`` and a day past it: the room R1 swings daily
    around 70 % RH; C1 leaks towards it (a time constant of ten days, from 15 % RH), so it
    is forecast to pass its 60 % limit; C2 holds 50 % with a wet day and a dry spell. s2
    falls silent two days before the end; s3's battery is low."""
    first = end - timedelta(days=14)
    stamps = np.arange(first.timestamp(), (end + timedelta(days=1)).timestamp(), STEP_S)
    days = (stamps - stamps[0]) / 86400.0
    room_rh = 70.0 + 5.0 * np.sin(2 * math.pi * days)
    case_rh = np.empty_like(room_rh)
    case_rh[0] = 15.0
    for k in range(1, len(stamps)):
        case_rh[k] = case_rh[k - 1] + STEP_S / (10 * 86400.0) * (room_rh[k - 1] - case_rh[k - 1])
    rifles = np.full_like(room_rh, 50.0)
    rifles[(days >= 9) & (days < 10)] = 78.0
    rifles[(days >= 11.5) & (days < 13)] = 22.0
    rifles[days >= 14] = 95.0  # after the week: must not count
    case_rh[days >= 14] = 95.0
    silent_from = (end - timedelta(days=2)).timestamp()
    lines = []
    for k, stamp in enumerate(stamps.tolist()):
        ns = int(stamp * 1e9)
        for sensor, case_id, rh, battery in (
            ("s1", "C1", case_rh[k], 80.0),
            ("s2", "C1", case_rh[k], 80.0),
            ("s3", "C2", rifles[k], 9.0),
            ("r1", "R1", room_rh[k], 90.0),
        ):
            if sensor == "s2" and stamp >= silent_from:
                continue
            lines.append(climate_line(Reading(sensor, ns, 26.0, float(rh), battery), "hanoi", case_id))
    for chunk in range(0, len(lines), 5000):
        store.write_lines(lines[chunk : chunk + 5000])


def write_alert_log(store: InfluxStore, start: datetime, end: datetime) -> None:
    """Alerts around the week: one opened, acknowledged with a note and resolved inside it;
    one opened inside and still open (acknowledged again after the week); one opened before
    and resolved inside; one over before the week; one opened after it."""

    def event(at: datetime, alert: str, case: str, rule: str, state: str, **fields: Any) -> str:
        return alert_event_line(
            AlertEvent(
                int(at.timestamp() * 1e9),
                "hanoi",
                case,
                alert,
                rule,
                fields.pop("severity", "warning"),
                state,
                **fields,
            )
        )

    day = timedelta(days=1)
    hour = timedelta(hours=1)
    lines = [
        event(start + day + 10 * hour, "C1.rh_high.a", "C1", "rh_high", "opened", value=72.4, threshold=60.0),
        event(
            start + day + 10 * hour + timedelta(seconds=1),
            "C1.rh_high.a",
            "C1",
            "rh_high",
            "notified",
            message="opened: email",
        ),
        event(
            start + day + 11 * hour,
            "C1.rh_high.a",
            "C1",
            "rh_high",
            "acknowledged",
            user="lan",
            note="Joint de porte vérifié; gel remplacé",
        ),
        event(start + day + 16 * hour, "C1.rh_high.a", "C1", "rh_high", "resolved"),
        event(
            start + 5 * day,
            "C2.rh_high.b",
            "C2",
            "rh_high",
            "opened",
            value=78.0,
            threshold=65.0,
            severity="critical",
        ),
        event(
            start + 5 * day + 2 * hour,
            "C2.rh_high.b",
            "C2",
            "rh_high",
            "acknowledged",
            user="minh",
            note="Đã báo kỹ thuật",
            severity="critical",
        ),
        event(
            end + 3 * hour,
            "C2.rh_high.b",
            "C2",
            "rh_high",
            "acknowledged",
            user="an",
            note="after the week",
            severity="critical",
        ),
        event(start - 3 * day, "C2.battery_low.c", "C2", "battery_low", "opened", value=9.0, threshold=15.0),
        event(start + 2 * day, "C2.battery_low.c", "C2", "battery_low", "resolved"),
        event(
            start - 5 * day, "C1.sensor_silent.d", "C1", "sensor_silent", "opened", value=30.0, threshold=15.0
        ),
        event(start - 4 * day, "C1.sensor_silent.d", "C1", "sensor_silent", "resolved"),
        event(end + hour, "C1.rh_high.e", "C1", "rh_high", "opened", value=95.0, threshold=60.0),
    ]
    store.write_lines(lines)


class Tables(HTMLParser):
    """The cells of each table of a page, by the table's class: rows of texts."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def pdf_text(pdf: bytes) -> str:
    """The text WeasyPrint drew in a PDF: its content streams' glyphs mapped to characters
    through the fonts' ToUnicode maps; runs joined by spaces. Fails if two fonts disagree
    on a glyph, which would make the mapping unsafe."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    glyphs: dict[str, str] = {}
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                char = bytes.fromhex(text.decode()).decode("utf-16-be")
                assert glyphs.setdefault(code.decode().lower(), char) == char, "fonts disagree on a glyph"
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
            for low, high, text in re.findall(
                rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
            ):
                first = int.from_bytes(bytes.fromhex(text.decode()), "big")
                for n, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    glyphs[f"{code:04x}"] = chr(first + n)
    runs = []
    for stream in streams:
        for array in re.findall(rb"\[(.*?)\]\s*TJ", stream, re.S):
            hexes = b"".join(re.findall(rb"<([0-9a-fA-F]*)>", array)).decode().lower()
            runs.append("".join(glyphs.get(hexes[i : i + 4], "\ufffd") for i in range(0, len(hexes), 4)))
    return " ".join(" ".join(runs).split())


def levels_from_readings(
    store: InfluxStore, config: MuseumConfig, start: datetime, end: datetime
) -> dict[str, dict[str, float]]:
    """Each gallery's object-hours at each level, from the raw readings: hourly means per
    sensor, their mean over the case's sensors, the risk model per object, summed."""
    raw = store.frame(
        f"SELECT temperature_c, rh_pct FROM climate WHERE time >= {time_literal(start)} "
        f"AND time < {time_literal(end)} GROUP BY case_id, sensor_id"
    )
    galleries: dict[str, dict[str, float]] = {}
    for case in config.cases:
        if not case.artefacts:
            continue
        rows = raw[raw["case_id"] == case.id]
        per_sensor = rows.groupby([rows["time"].dt.floor("1h"), "sensor_id"])[
            ["temperature_c", "rh_pct"]
        ].mean()
        hourly = per_sensor.groupby(level=0).mean().dropna()
        totals = galleries.setdefault(str(case.gallery), dict.fromkeys(LEVELS, 0.0))
        for artefact in case.artefacts:
            assert artefact.materials == LEVEL_MATERIALS[artefact.id]
            hours = assess(hourly, artefact.materials).summary["hours_per_level"]
            for level in LEVELS:
                totals[level] += hours[level]
    return galleries


def incidents_from_log(store: InfluxStore, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The alerts open at some moment of the week, from the alert log as stored."""
    log = store.log_frame("alert_events")  # a log kept for ever (museum.storage.logs)
    found = []
    for alert_id, events in log.groupby("alert_id"):
        events = events[events["time"] < pd.Timestamp(end)]
        if events.empty:
            continue
        opened = events.loc[events["state"] == "opened", "time"].min()
        resolved = events.loc[events["state"] == "resolved", "time"]
        if not resolved.empty and resolved.min() < pd.Timestamp(start):
            continue
        acks = events[events["state"] == "acknowledged"]
        found.append(
            {
                "alert_id": alert_id,
                "case_id": events["case_id"].iloc[0],
                "opened": opened.to_pydatetime(),
                "resolved": None if resolved.empty else resolved.min().to_pydatetime(),
                "acks": [(row.time.to_pydatetime(), row.user, row.note) for row in acks.itertuples()],
            }
        )
    return sorted(found, key=lambda incident: incident["opened"])


def message_parts(message: email.message.EmailMessage) -> tuple[str, str, bytes, str]:
    """The text body, the HTML body, the PDF attached and its file name."""
    text = message.get_body(("plain",))
    page = message.get_body(("html",))
    assert text is not None and page is not None
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
    return (
        text.get_content(),
        page.get_content(),
        attachments[0].get_payload(decode=True),
        attachments[0].get_filename() or "",
    )


@pytest.fixture
def stored_week(
    make_config: Callable[..., MuseumConfig],
    mailbox: tuple[Mailbox, int],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> tuple[MuseumConfig, InfluxStore, date, datetime, datetime]:
    """A museum whose last whole week ended three days ago, its readings and alert log stored."""
    config = make_config(digest_museum(mailbox[1]))
    store = store_for(config)
    store.create_database()
    last_day = datetime.now(HANOI).date() - timedelta(days=3)
    start, end = week_bounds(last_day, HANOI)
    write_fortnight(store, start, end)
    write_alert_log(store, start, end)
    return config, store, last_day, start, end


def test_the_digest_goes_to_each_reader_in_their_language_with_the_weeks_figures(
    stored_week: tuple[MuseumConfig, InfluxStore, date, datetime, datetime], mailbox: tuple[Mailbox, int]
) -> None:
    config, store, last_day, start, end = stored_week
    box, _ = mailbox
    failures = send_digest(config, last_day, config.digest.readers)
    assert failures == {}
    assert len(box.messages) == 2
    by_reader = {message["To"]: message for message in box.messages}
    assert set(by_reader) == {"conservatrice@musee.test", "baotang@museum.test"}

    incidents = incidents_from_log(store, start, end)
    assert [i["alert_id"] for i in incidents] == ["C2.battery_low.c", "C1.rh_high.a", "C2.rh_high.b"]
    galleries = levels_from_readings(store, config, start, end)
    assert sum(1 for hours in galleries.values() for level in LEVELS if hours[level] > 0) >= 3
    assert all(sum(hours.values()) == pytest.approx(24 * 7, abs=1.0) for hours in galleries.values())

    for address, language, title, other_title in (
        ("conservatrice@musee.test", "fr", "Bilan hebdomadaire", "Bản tin tuần"),
        ("baotang@museum.test", "vi", "Bản tin tuần", "Bilan hebdomadaire"),
    ):
        t = Translator(language)
        message = by_reader[address]
        subject = str(message["Subject"])
        assert subject == t(
            "digest.subject", museum="Test museum", period=t.period(last_day - timedelta(days=6), last_day)
        )
        text, page, pdf, filename = message_parts(message)
        assert filename == f"patina-digest-{last_day.isoformat()}.pdf"
        assert title in text and title in page and other_title not in page
        tables = Tables(page).tables

        # The alert log: every alert open during the week, how it stood at the week's end.
        rows = tables["incidents"][1:]
        assert len(rows) == len(incidents)
        for row, incident in zip(rows, incidents, strict=True):
            assert row[0].startswith(f"{incident['case_id']} · ")
            assert row[2] == t.moment(incident["opened"].astimezone(HANOI))
            acks = [
                t("print.acknowledged_note", user=user, moment=t.moment(moment.astimezone(HANOI)), note=note)
                for moment, user, note in incident["acks"]
            ]
            assert row[4] == ("\n".join(acks) if acks else "—")
            if incident["resolved"] is None:
                expected = t(
                    "digest.still_open", duration=t.duration((end - incident["opened"]).total_seconds())
                )
            else:
                expected = t(
                    "digest.resolved",
                    moment=t.moment(incident["resolved"].astimezone(HANOI)),
                    duration=t.duration((incident["resolved"] - incident["opened"]).total_seconds()),
                )
            assert row[5] == expected
        assert "after the week" not in page and "C1.rh_high.e" not in page

        # Time at each level per gallery, as computed here from the stored readings.
        level_rows = {row[0]: row[1:] for row in tables["levels"][1:]}
        gallery_names = {
            "Gallery 1": {"fr": "Salle 1", "vi": "Phòng 1"},
            "Gallery 2": {"fr": "Gallery 2", "vi": "Gallery 2"},
        }
        assert set(level_rows) == {names[language] for names in gallery_names.values()}
        for gallery, hours in galleries.items():
            total = sum(hours.values())
            expected_cells = ["1", *(t.number(100 * hours[level] / total, 1) for level in LEVELS)]
            assert level_rows[gallery_names[gallery][language]] == expected_cells

        # Sensors: s2 silent since its last reading, s3 low on battery.
        sensors = {row[0]: row for row in tables["sensors"][1:]}
        assert set(sensors) == {"s2", "s3"}
        last_s2 = end - timedelta(days=2)
        last_s2 = datetime.fromtimestamp(
            (math.ceil(last_s2.timestamp() / STEP_S) - 1) * STEP_S, UTC
        )  # the last ten-minute stamp before it fell silent
        assert sensors["s2"][2] == t.moment(last_s2.astimezone(HANOI))
        assert sensors["s3"][3] == t.quantity(9.0, "%", 0)

        # Cases to look after: C1 leaks towards its room; C2 has no room to be compared with.
        outlook = page.split(t("digest.outlook"), 1)[1].split(t("digest.sensors"), 1)[0]
        assert "C1 · Excavated iron" in outlook and "C2 ·" not in outlook

        # The PDF is this page printed, and says the same things.
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        assert render_pdf(page) == pdf
        printed = pdf_text(pdf)
        assert title in printed and other_title not in printed
        for note in ("Joint de porte vérifié; gel remplacé", "Đã báo kỹ thuật"):
            assert note in printed
        for cells in level_rows.values():
            assert " ".join(cells[1:]) in printed


def test_patina_digest_previews_and_sends_the_week(
    stored_week: tuple[MuseumConfig, InfluxStore, date, datetime, datetime],
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
) -> None:
    config, _store, last_day, _start, _end = stored_week
    box, _ = mailbox
    assert config.path is not None
    runner = CliRunner()
    environ = {"PATINA_INFLUX_URL": config.influxdb.url, "PATINA_MQTT_URL": config.mqtt.url}
    out = tmp_path / "digest.html"
    week = ["--config", str(config.path), "--week-ending", last_day.isoformat()]
    preview = runner.invoke(main, ["digest", *week, "--out", str(out), "--language", "vi"], env=environ)
    assert preview.exit_code == 0, preview.output
    assert "Bản tin tuần" in out.read_text(encoding="utf-8") and not box.messages
    again = runner.invoke(main, ["digest", *week, "--out", str(out)], env=environ)
    assert again.exit_code != 0 and "--force" in again.output
    both = runner.invoke(main, ["digest", *week, "--out", str(out), "--send"], env=environ)
    assert both.exit_code != 0 and "give --send or --out" in both.output
    wrong_day = runner.invoke(
        main, ["digest", "--config", str(config.path), "--week-ending", "29/02/2026", "--send"], env=environ
    )
    assert wrong_day.exit_code != 0 and "--week-ending" in wrong_day.output
    sent = runner.invoke(main, ["digest", *week, "--send"], env=environ)
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == [
        "sent to conservatrice@musee.test (fr)",
        "sent to baotang@museum.test (vi)",
    ]
    assert sorted(message["To"] for message in box.messages) == [
        "baotang@museum.test",
        "conservatrice@musee.test",
    ]


# --- the collector's worker -----------------------------------------------------------------------


def due_a_minute_ago() -> tuple[str, str]:
    """A weekday and time of day that passed a little while ago in Hanoi: the collector,
    starting now, sends the digest it missed."""
    moment = datetime.now(HANOI) - timedelta(minutes=2)
    return moment.strftime("%A").lower(), moment.strftime("%H:%M")


def test_the_collector_sends_the_digest_retrying_a_mail_server_that_is_away(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(digest_worker, "RETRY_DELAYS_S", (1.0,) * 60)
    caplog.set_level(logging.WARNING, logger="patina.digest")
    port = free_port()  # nothing listens there yet
    weekday, at = due_a_minute_ago()
    config = make_config(digest_museum(port, weekday, at))
    store_for(config).create_database()
    collector = Collector(config)
    collector.start()
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    try:
        wait_for(lambda: any("trying again" in r.getMessage() for r in caplog.records), timeout_s=60)
        assert not collector.failed
        controller.start()  # the mail server comes back
        wait_for(lambda: len(box.messages) == 2, timeout_s=60)
    finally:
        collector.stop()
        controller.stop()
    assert not collector.failed
    assert collector.digest is not None and not collector.digest.alive()
    warning = next(r.getMessage() for r in caplog.records if "trying again" in r.getMessage())
    assert "ConnectionRefusedError" in warning or "Connection refused" in warning
    # Both readers had it, as kept beside the spool: a collector restarted now would not
    # send it again, but wait for next week.
    restarted = DigestWorker(
        config, threading.Event(), lambda *_: None, digest_state_path(collector.spool.path)
    )
    now = datetime.now(UTC)
    assert restarted.due(now) == config.digest.next_send(now, config.zone)


def test_a_digest_that_cannot_be_sent_is_given_up_with_an_error_and_the_collector_runs_on(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(digest_worker, "RETRY_DELAYS_S", (0.2, 0.2))
    caplog.set_level(logging.WARNING, logger="patina.digest")
    weekday, at = due_a_minute_ago()
    config = make_config(digest_museum(free_port(), weekday, at))
    store_for(config).create_database()
    collector = Collector(config)
    collector.start()
    try:
        wait_for(lambda: any("after 3 tries" in r.getMessage() for r in caplog.records), timeout_s=60)
        assert not collector.failed and collector.digest is not None and collector.digest.alive()
    finally:
        collector.stop()
    assert not collector.failed and not collector.digest.alive()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "conservatrice@musee.test" in errors[0].getMessage()
    # Given up for this run: the worker waits for next week rather than trying again at once;
    # nobody had it, so a collector restarted now would try again.
    now = datetime.now(UTC)
    assert collector.digest.due(now) == config.digest.next_send(now, config.zone)
    restarted = DigestWorker(
        config, threading.Event(), lambda *_: None, digest_state_path(collector.spool.path)
    )
    assert restarted.due(now) == config.digest.previous_send(now, config.zone)
