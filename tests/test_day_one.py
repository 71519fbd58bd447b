"""What a museum meets on its first day (issue 16): a quiet first start, reports that say
everything they hold, a data quality page that shows the gaps, and a phone-sized overview."""

from __future__ import annotations

import io
import logging
import os
import re
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.psychrometrics import dew_point
from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.lineprotocol import encode_point
from museum.storage.schema import COLLECTOR_STATS, AlertEvent, Reading, alert_event_line, climate_line
from museum.storage.store import DatabaseMissing, InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, wait_for
from tests.test_collector import native
from tests.test_dashboard import (  # noqa: F401  (museum: the dashboard tests' fixture)
    APP,
    CHROMIUM,
    launch_chromium,
    museum,
    serve,
)


def test_a_first_start_on_a_fresh_influxdb_logs_no_warning(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A database of its own, which nobody has created; the forecast rule on, as in the example
    # museum (its start reads the stored hourly means: there are none yet).
    with_forecast = SMALL_MUSEUM.replace("[[sources]]", "[alerts]\nforecast_days = 14\n\n[[sources]]", 1)
    config = make_config(with_forecast)
    assert config.alerts.forecast_days == 14
    with pytest.raises(DatabaseMissing):
        store_for(config).execute("SELECT * FROM climate")
    caplog.set_level(logging.INFO)
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        now_ns = time.time_ns()
        readings = [native("s1", now_ns - k * 60_000_000_000, 21.0, 50.0, 90.0) for k in range(5)]
        publish_all(mosquitto, readings)
        wait_for(lambda: collector.stats().written >= 5)
    finally:
        collector.stop()
    loud = [
        f"{r.name} {r.levelname}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING
    ]
    assert loud == []
    # The first start is said, once, at INFO.
    assert any("does not exist yet (first start)" in r.getMessage() for r in caplog.records)


# --- reports ---------------------------------------------------------------------------------

#: 19:44:00.123456789: an alert time with nanoseconds, as the collector writes them.
NANOSECONDS = 123_456_789


def seed_alert(store: InfluxStore, opened_ns: int) -> None:
    """An RH alert on C2 as the collector logs it: the value on the opening event only,
    a notification, then an acknowledgement with a note."""
    common = {
        "site": "hanoi",
        "case_id": "C2",
        "alert_id": "C2-rh",
        "rule": "rh_high",
        "rule_key": "rh_high",
        "severity": "warning",
    }
    store.write_lines(
        [
            alert_event_line(
                AlertEvent(opened_ns, **common, state="opened", message="Rifle", value=70.0, threshold=60.0)
            ),
            alert_event_line(
                AlertEvent(opened_ns + 1000, **common, state="notified", message="opened: email")
            ),
            alert_event_line(
                AlertEvent(
                    opened_ns + 600 * 10**9,
                    **common,
                    state="acknowledged",
                    user="Lan",
                    note="Silica gel changed",
                )
            ),
        ]
    )


@pytest.fixture
def reported(
    museum: MuseumConfig,  # noqa: F811 (the dashboard tests' fixture, imported above)
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> MuseumConfig:
    """The dashboard tests' museum with an acknowledged alert on C2 two hours ago."""
    seed_alert(store_for(museum), (time.time_ns() // 10**9 - 7200) * 10**9 + NANOSECONDS)
    return museum


def test_a_report_shows_alert_values_notes_coverage_and_units_in_headers(
    reported: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from museum.files.reports import case_period, render_html
    from museum.language.i18n import Translator

    now = datetime.now(UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a first report is quiet (pandas included)
        period = case_period(store_for(reported), reported.case("C2"), now - timedelta(days=2), now)
        page = render_html([period], reported, Translator("en"), "C2 · Rifles", None, now)
        french = render_html([period], reported, Translator("fr"), "C2 · Rifles", None, now)
    # The value is stored on the opening event; the report shows it, with the limit.
    assert "Measured: 70.0 % RH; limit: 60.0 % RH." in page
    assert "<td>acknowledged</td>" in page  # not the later "notified"
    assert re.search(r"Lan, \d{4}-\d\d-\d\d \d\d:\d\d: Silica gel changed", page)
    assert "Acknowledgements and notes" in page
    assert "These figures rest on 264 readings of" in page  # s3: every 5 minutes for 22 hours
    assert "Period: from " in page
    # Numbers alone in their cells, units in the headers: no cell wraps into "0.0 / %".
    assert "<th class='num'>critical (%)</th>" in page and "<td>Temperature (°C)</td>" in page
    numbers = re.findall(r"<td class='num'>(?:<span[^>]*>)?([^<]*)<", page)
    assert numbers and all(re.fullmatch(r"-?[\d,]+\.\d|—", cell) for cell in numbers), numbers
    assert "Mesuré : 70,0 % HR ; limite : 60,0 % HR." in french
    assert "<td>acquittée</td>" in french and "Période : du " in french
    assert re.search(r"Lan, \d\d/\d\d/\d{4} \d\d:\d\d : Silica gel changed", french)


def test_the_report_page_keeps_its_report_when_a_download_reruns_it(reported: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/report.py").run()
    next(box for box in app.selectbox if box.label == "Case").select_index(1).run()  # C2
    app.button[0].click().run()
    assert not app.exception

    def preview() -> str:
        return "".join(str(h.proto.body) for h in app.get("html"))

    assert "Climate report: C2 · Rifles" in preview() and "Silica gel changed" in preview()
    assert len(app.get("download_button")) == 2
    app.run()  # what a click on "Download PDF" does to the page
    assert "Climate report: C2 · Rifles" in preview() and len(app.get("download_button")) == 2
    # Other choices: the report made for the former ones is no longer shown as theirs.
    next(box for box in app.selectbox if box.label == "Case").select_index(0).run()
    assert "Climate report" not in preview() and not app.get("download_button")


def test_the_case_page_offers_xlsx_as_the_command_line_does(reported: MuseumConfig) -> None:
    from openpyxl import load_workbook

    from dashboard.data import export_xlsx

    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["case"] = "C2"
    app.switch_page("views/case.py").run()
    assert [d.proto.label for d in app.get("download_button")] == ["Download these data (CSV and metadata)"]
    app.segmented_control(key="export_format").set_value("xlsx").run()
    assert not app.exception
    assert [d.proto.label for d in app.get("download_button")] == ["Download these data (XLSX)"]
    now = datetime.now(UTC)
    assert reported.path is not None
    book = load_workbook(io.BytesIO(export_xlsx(str(reported.path), ("C2",), now - timedelta(days=1), now)))
    rows = list(book["climate"].values)
    dew = rows[0].index("dew_point_c")
    assert len(rows) == 1 + 22 * 12
    # 25.0 °C and 70 % RH: the dew point to two decimals, not sixteen.
    assert {row[dew] for row in rows[1:]} == {round(float(dew_point(25.0, 70.0)), 2)} == {19.15}


# --- data quality ----------------------------------------------------------------------------


def seed_quality(config: MuseumConfig, store: InfluxStore) -> None:
    """A day and a bit of readings every 5 minutes: s1 and s2 of C1 agree (58 and 60 %)
    until s2 reads 8 % higher for the last 6 hours; s3 of C2 falls silent for 3 hours in
    the middle. Two collectors reported: one now, one (an earlier run) two days ago."""
    now_ns = time.time_ns()
    hour_ns = 3600 * 10**9
    lines = []
    for k in range(26 * 12):
        time_ns = now_ns - k * 300 * 10**9 - 10**9
        lines.append(climate_line(Reading("s1", time_ns, 21.0, 58.0, 80.0), "hanoi", "C1"))
        rh = 66.0 if time_ns > now_ns - 6 * hour_ns else 60.0
        lines.append(climate_line(Reading("s2", time_ns, 21.1, rh, 80.0), "hanoi", "C1"))
        if not now_ns - 14 * hour_ns < time_ns < now_ns - 11 * hour_ns:
            lines.append(climate_line(Reading("s3", time_ns, 25.0, 50.0, 70.0), "hanoi", "C2"))
    lines.append(
        encode_point(
            COLLECTOR_STATS,
            {"instance": "Museum server"},
            {
                "host": "museum-host",
                "received": 937,
                "written": 936,
                "quarantined": 2,
                "quarantined_invalid_json": 2,
                "spool_depth": 1,
            },
            now_ns - 5 * 10**9,
        )
    )
    lines.append(
        encode_point(
            COLLECTOR_STATS,
            {"instance": "3f9a1c0d2b7e-4242"},
            {"received": 10, "written": 10},
            now_ns - 48 * hour_ns,
        )
    )
    store.create_database()
    store.write_lines(lines)


@pytest.fixture
def quality_museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> MuseumConfig:
    from collector.spool import QuarantineRecord, Spool

    config = make_config()
    seed_quality(config, store_for(config))
    spool = Spool(config.collector.spool_path)
    received_ns = (time.time_ns() // 10**9 - 600) * 10**9
    spool.commit(
        [],
        [
            QuarantineRecord(
                received_ns,
                "patina/hanoi/s9/climate",
                b"{temperature: 21",
                "invalid_json",
                "Expecting property name enclosed in double quotes",
            ),
            QuarantineRecord(
                received_ns + 10**9,
                "patina/hanoi/s9/climate",
                b"<b>hi</b>",
                "invalid_json",
                "Expecting value",
            ),
        ],
    )
    spool.close()
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def test_the_data_quality_page_shows_gaps_disagreement_quarantine_and_collectors(
    quality_museum: MuseumConfig,
) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/quality.py").run()
    assert not app.exception
    app.segmented_control(key="quality_range").set_value("24h").run()
    assert not app.exception
    sensors = app.table[0].value.set_index("Sensor")
    # s3 was silent for 3 hours: one gap, in the 24 complete hours of the strip.
    assert sensors.loc["s3", "Gaps"] == "1" and sensors.loc["s3", "Longest gap"] in ("2 h", "3 h", "4 h")
    assert sensors.loc["s1", "Gaps"] == "0" and sensors.loc["s1", "Coverage (%)"] == "100"
    assert sensors.loc["s3", "Battery (%)"] == "70"
    # The heat strip (one HTML block: s3's three silent hours in red) and the two difference charts.
    strip = "\n".join(
        str(element.proto.body) for element in app.get("html") if "patina-strip" in element.proto.body
    )
    assert '<i style="background:rgb(215,48,39);grid-column:span ' in strip and 'data-sensor="s3"' in strip
    assert len(app.get("vega_lite_chart")) == 2
    compared = app.table[1].value
    row = compared.iloc[0]
    assert row["Case"] == "C1" and row["Sensors"] == "s1 / s2"
    assert row["Verdict"] == "disagree beyond their accuracy" and 5 <= int(row["Hours in disagreement"]) <= 6
    assert row["Largest RH difference (%)"] == "8.0"
    assert any("s1 / s2: the sensors disagree beyond their accuracy in" in w for w in texts(app, "warning"))
    # The quarantine, with its reasons in words and times in the reader's format.
    reasons = app.table[2].value
    assert reasons.iloc[0].tolist() == ["not valid JSON", "2"]
    messages = app.dataframe[0].value
    assert messages.iloc[0]["MQTT topic"] == "patina/hanoi/s9/climate"
    assert messages.iloc[0]["Message (start)"] == "<b>hi</b>"  # shown as text, not as markup
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", messages.iloc[0]["Received"])
    # The collector by its name and host; an earlier run apart.
    page = "\n".join(texts(app, "markdown"))
    assert "**Museum server** on museum-host · last report" in page
    assert [e.label for e in app.expander] == ["1 collector stopped or restarted under another name"]
    assert "Quarantined since it started: not valid JSON: 2." in texts(app, "caption")

    app.selectbox(key="language_picker").select("fr").run()
    assert not app.exception
    assert app.table[2].value.iloc[0].tolist() == ["JSON invalide", "2"]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", app.dataframe[0].value.iloc[0]["Reçu"])
    assert "divergent au-delà de leur précision" in app.table[1].value.iloc[0].tolist()


def test_the_days_before_monitoring_began_are_not_gaps(quality_museum: MuseumConfig) -> None:
    """A new installation (26 h of readings) seen over 7 days: coverage is counted from the
    first reading, so a sensor that never missed one has no gap; s3's silence still is one."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/quality.py").run()
    app.segmented_control(key="quality_range").set_value("7d").run()
    assert not app.exception
    sensors = app.table[0].value.set_index("Sensor")
    assert sensors.loc["s1", "Gaps"] == "0" and sensors.loc["s1", "Coverage (%)"] == "100"
    assert sensors.loc["s3", "Gaps"] == "1"


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(element.value) for element in getattr(app, kind)]


def test_every_quarantine_reason_is_said_in_words() -> None:
    from collector.payloads import REJECTION_REASONS
    from museum.language.i18n import LANGUAGES, catalog

    for language in LANGUAGES:
        missing = [code for code in REJECTION_REASONS if f"quarantine.reason.{code}" not in catalog(language)]
        assert not missing, (language, missing)


def test_a_collector_is_named_after_its_config_or_its_machine(
    make_config: Callable[..., MuseumConfig],
) -> None:
    import socket

    from collector.service import collector_name

    assert collector_name(make_config()) == socket.gethostname()
    named = make_config(SMALL_MUSEUM.replace("[collector]\n", '[collector]\nname = "Basement server"\n'))
    assert collector_name(named) == "Basement server"


def test_two_sensors_disagree_only_beyond_twice_their_accuracy() -> None:
    import pandas as pd

    from analysis.agreement import disagreement

    hours = pd.date_range("2026-12-01", periods=4, freq="1h", tz="UTC")
    first = pd.DataFrame(
        {"temperature_c": [20.0, 20.0, 20.0, 20.0], "rh_pct": [50.0, 50.0, 50.0, 50.0]}, index=hours
    )
    # Within ±0.3 °C and ±2 % each: up to 0.6 °C and 4 % apart is still agreement.
    second = pd.DataFrame(
        {"temperature_c": [20.6, 20.7, 20.0, 20.0], "rh_pct": [54.0, 50.0, 45.9, 50.0]}, index=hours
    )
    result = disagreement(first, second.iloc[:3])
    assert result["disagree"].tolist() == [False, True, True]  # the fourth hour: s2 has none
    assert result["rh_diff_pct"].round(1).tolist() == [-4.0, 0.0, 4.1]


# --- phones ----------------------------------------------------------------------------------

PHONE_SHOT = Path(os.environ.get("PATINA_PHONE_SHOT", "/work/wt/shots/phone-overview.png"))


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_overview_on_a_phone_is_worst_first_without_sideways_scrolling(
    museum: MuseumConfig,  # noqa: F811 (the dashboard tests' fixture, imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert museum.path is not None
    with serve(museum.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        # A phone's browser: its user agent, touch, and the 390 × 844 screen of an iPhone 13.
        phone = {k: v for k, v in playwright.devices["iPhone 13"].items() if k != "default_browser_type"}
        phone["viewport"] = {"width": 390, "height": 844}
        assert "Mobile" in phone["user_agent"]
        page = browser.new_context(**phone).new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Display cases")).to_be_visible(timeout=30_000)
        first = page.get_by_text("Excavated iron", exact=False).first
        second = page.get_by_text("Rifles", exact=False).first
        expect(first).to_be_visible(timeout=30_000)
        expect(second).to_be_visible()
        # The filters are folded away; their summary is there to open them.
        expect(page.get_by_text("Filters and order")).to_be_visible()
        expect(page.get_by_text("Galleries", exact=True)).to_be_hidden()
        # Worst first in one list, each tile naming its gallery, not gallery by gallery.
        expect(page.get_by_role("heading", name="Gallery 1")).to_have_count(0)
        tiles = page.locator("[data-testid='stMarkdownContainer']")  # not the list above them
        expect(tiles.get_by_text("Gallery 2", exact=True)).to_be_visible()
        # C1 (an object at risk) above C2 (silent).
        first_box, second_box = first.bounding_box(), second.bounding_box()
        assert first_box is not None and second_box is not None
        assert first_box["y"] < second_box["y"]
        # Nothing wider than the screen: neither the page nor Streamlit's scrolling main area.
        widths = page.evaluate(
            """() => {
                const main = document.querySelector('[data-testid="stMain"]');
                return {document: document.documentElement.scrollWidth,
                        main: main ? main.scrollWidth : 0, mainClient: main ? main.clientWidth : 0};
            }"""
        )
        assert widths["document"] <= 390 + 2, widths
        assert widths["main"] <= widths["mainClient"] + 2, widths
        PHONE_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(PHONE_SHOT))
        browser.close()
