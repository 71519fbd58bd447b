"""What a museum meets on its first day (issue 16): a quiet first start, reports that say
everything they hold, a data quality page that shows the gaps, and a phone-sized overview."""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from analysis.psychrometrics import dew_point
from collector.service import Collector
from museum.config import MuseumConfig
from museum.schema import alert_event_line
from museum.store import DatabaseMissing, InfluxStore
from patina.services import MosquittoServer
from tests.helpers import publish_all, wait_for
from tests.test_collector import native
from tests.test_dashboard import APP, museum  # noqa: F401  (the dashboard tests' museum)


def test_a_first_start_on_a_fresh_influxdb_logs_no_warning(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = make_config()  # a database of its own, which nobody has created
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
    loud = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in caplog.records
            if r.levelno >= logging.WARNING]
    assert loud == []
    # The first start is said, once, at INFO.
    assert any("does not exist yet (first start)" in r.getMessage() for r in caplog.records)


# --- reports ---------------------------------------------------------------------------------

#: 19:44:00.123456789: an alert time with nanoseconds, as the collector writes them.
NANOSECONDS = 123_456_789


def seed_alert(store: InfluxStore, opened_ns: int) -> None:
    """An RH alert on C2 as the collector logs it: the value on the opening event only,
    a notification, then an acknowledgement with a note."""
    common = {"site": "hanoi", "case_id": "C2", "alert_id": "C2-rh", "rule": "rh_high", "rule_key": "rh_high",
              "severity": "warning"}
    store.write_lines([
        alert_event_line(opened_ns, **common, state="opened", message="Rifle", value=70.0, threshold=60.0),
        alert_event_line(opened_ns + 1000, **common, state="notified", message="opened: email"),
        alert_event_line(opened_ns + 600 * 10**9, **common, state="acknowledged", user="Lan",
                         note="Silica gel changed"),
    ])


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
    from museum.i18n import Translator
    from museum.reports import case_period, render_html

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
