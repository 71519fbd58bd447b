"""The dashboard against real InfluxDB data: Streamlit's AppTest for each page, and a
real headless Chromium for what a conservator sees."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data import export_zip
from museum.description.config import MuseumConfig
from museum.storage.lineprotocol import encode_point
from museum.storage.schema import AlertEvent, Reading, RiskPoint, alert_event_line, climate_line, risk_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer, free_port, port_open
from tests.conftest import REPO_DIR, SMALL_MUSEUM
from tests.helpers import sign_in, wait_for, wait_until_drawn

APP = str(REPO_DIR / "dashboard" / "app.py")
SCREENSHOTS = Path(os.environ.get("PATINA_SCREENSHOT_DIR", REPO_DIR / "test-artifacts"))


def seed_readings(config: MuseumConfig, store: InfluxStore) -> None:
    """A day of readings for s1 and s2 (fresh), s3 silent for two hours, one stray sensor."""
    now_ns = time.time_ns()
    lines = []
    for minute in range(0, 24 * 60, 5):
        time_ns = now_ns - (24 * 60 - minute) * 60_000_000_000 + 60_000_000_000
        for sensor, rh in (("s1", 58.0), ("s2", 60.0)):
            reading = Reading(sensor, time_ns, 27.0 + minute / 1440, rh, 90.0)
            lines.append(climate_line(reading, "hanoi", "C1"))
        if minute < 22 * 60:
            lines.append(climate_line(Reading("s3", time_ns, 25.0, 70.0, 15.0), "hanoi", "C2"))
    lines.append(climate_line(Reading("stray-7", now_ns, 30.0, 80.0), "hanoi", "unassigned"))
    # What the collector's evaluator writes: the excavated bayonet at risk (30 % > 25 %).
    lines.append(
        risk_line(
            RiskPoint(
                now_ns,
                site="hanoi",
                case_id="C1",
                artefact_id="DBP-1",
                material="archaeological_iron",
                score=62.0,
                level=2,
                driver="rh_high",
                components={
                    "component_rh_high": 62.0,
                    "since_s": now_ns / 1e9 - 3 * 3600,
                    "rh_pct": 30.0,
                    "limit_pct": 25.0,
                },
            )
        )
    )
    store.create_database()
    store.write_lines(lines)


def seed_alerts(store: InfluxStore, notified_by: str = "email") -> None:
    """C1's alert log as the collector writes it: an open RH alert notified by
    ``notified_by`` ("email, mqtt"), one resolved a day ago, and a collector's health report."""
    now_ns = time.time_ns()
    common = {
        "site": "hanoi",
        "case_id": "C1",
        "rule": "rh_high",
        "rule_key": "rh_high",
        "severity": "warning",
    }
    store.write_lines(
        [
            alert_event_line(
                AlertEvent(
                    now_ns - 3600 * 10**9,
                    alert_id="C1.rh_high.A",
                    state="opened",
                    value=30.0,
                    threshold=25.0,
                    **common,
                )
            ),
            alert_event_line(
                AlertEvent(
                    now_ns - 3599 * 10**9,
                    alert_id="C1.rh_high.A",
                    state="notified",
                    message=f"opened: {notified_by}",
                    **common,
                )
            ),
            alert_event_line(
                AlertEvent(now_ns - 90000 * 10**9, alert_id="C1.rh_high.OLD", state="opened", **common)
            ),
            alert_event_line(
                AlertEvent(now_ns - 80000 * 10**9, alert_id="C1.rh_high.OLD", state="resolved", **common)
            ),
            encode_point(
                "collector_stats",
                {"instance": "server-1"},
                {
                    "received": 1000,
                    "written": 990,
                    "spool_depth": 10,
                    "quarantined": 3,
                    "quarantined_invalid_json": 2,
                    "quarantined_rh_out_of_range": 1,
                    "broker_dropped": 0,
                },
                now_ns,
            ),
        ]
    )


@pytest.fixture
def museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> MuseumConfig:
    config = make_config()
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(element.value) for element in getattr(app, kind)]


def test_overview_shows_every_case_with_latest_climate_and_flags_silence(museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert texts(app, "title") == ["Display cases"]
    assert "Gallery 1" in texts(app, "subheader") and "Gallery 2" in texts(app, "subheader")
    page = "\n".join(
        texts(app, "markdown") + texts(app, "caption") + [str(h.proto.body) for h in app.get("html")]
    )
    assert "**C1** · Excavated iron" in page
    # C1: the means of s1 (58 %) and s2 (60 %) at their last readings.
    assert "59.0 %" in page and "28.0 °C" in page
    assert "Sensors reporting: 2 of 2" in page
    # C2's only sensor has been silent for two hours: shown as silent, not calm.
    assert any(w.startswith("Silent: last reading 2 h ago") for w in texts(app, "warning"))
    assert "Sensors reporting: 0 of 1" in page
    assert "Sensors not in any case" in texts(app, "subheader")
    # st.badge draws Streamlit's badge markdown: C1's worst artefact is at risk, C2 has no current data.
    assert ":orange-badge[at risk]" in page and ":gray-badge[:material/sensors_off: no current data]" in page
    # The headline names the worst object, its value against its limit, and for how long.
    assert texts(app, "warning")[0] == (
        "Cases needing attention: 1. Worst: C1, [Excavated bayonet](artefact?artefact=DBP-1&lang=en) "
        "(DBP-1), at risk: 30 % RH against its limit of 25 % (Archaeological iron (chlorides)), for 3 h."
    )
    # … and the tile says which object (a link to its page) and why.
    assert "[Excavated bayonet](artefact?artefact=DBP-1&lang=en): 30 % RH against its limit of 25 %" in page


def test_the_overview_calls_silent_what_the_configs_sensor_silent_after_says(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # s3 has been silent for two hours: with the default (15 min) it is silent, with 3 h it is not.
    config = make_config(SMALL_MUSEUM + '\n[alerts]\nsensor_silent_after = "3h"\n')
    assert config.alerts.sensor_silent_after_s == 3 * 3600
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    page = "\n".join(texts(app, "markdown") + texts(app, "caption"))
    assert "Sensors reporting: 1 of 1" in page and "Sensors reporting: 0 of 1" not in page
    assert not any(w.startswith("Silent:") for w in texts(app, "warning"))
    quality = AppTest.from_file(APP, default_timeout=30)
    quality.switch_page("views/quality.py").run()
    assert not quality.exception
    assert list(quality.table[0].value["Status"]) == ["reporting", "reporting", "reporting"]


def test_case_page_draws_the_case_and_its_artefacts(museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["case"] = "C2"
    app.switch_page("views/case.py").run()
    assert not app.exception
    assert texts(app, "title") == ["Case C2: Rifles"]
    # Temperature with dew point, RH, and the climate cloud.
    specs = [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert [
        spec["layer"][0]["encoding"]["y"]["title"] if "layer" in spec else spec["encoding"]["y"]["title"]
        for spec in specs[:2]
    ] == ["Temp. and dew point (°C)", "Relative humidity (%)"]
    assert len(specs) == 3
    artefacts = app.table[-1].value
    assert artefacts.iloc[0].tolist()[:4] == [
        "R-1",
        "[Rifle](artefact?artefact=R-1&lang=en)",
        "Iron and steel, Wood",
        "—",
    ]
    # The period in figures: s3 read 25.0 °C and 70 % for 22 hours.
    statistics = app.table[0].value.set_index("")
    assert statistics.loc["Temperature", "Minimum"] == "25.0 °C" == statistics.loc["Temperature", "Maximum"]
    assert statistics.loc["Relative humidity", "Mean"] == "70.0 %"
    page = "\n".join(texts(app, "markdown"))
    assert "IPI ratings — metal corrosion: at risk" in page and "Time of wetness (ISO 9223): 0 h" in page
    levels = app.table[1].value
    assert levels.iloc[0]["critical"] == "100.0 %"  # iron and steel at 70 % RH: critical all along
    # What the figures rest on: s3 read every 5 minutes for 22 of the range's hours.
    captions = "\n".join(texts(app, "caption"))
    assert "These figures rest on 264 readings of" in captions and "Gaps (1)" in captions
    # The band that suits both the rifle's steel (safe below 35 %) and its wooden stock.
    assert "Keep this case between 30 and 35 % RH" in "\n".join(texts(app, "markdown"))
    sensors = app.table[-2].value
    assert sensors.iloc[0]["Sensor"] == "s3" and sensors.iloc[0]["Battery (%)"] == "15"
    downloads = app.get("download_button")
    assert len(downloads) == 1 and "Download these data" in downloads[0].proto.label
    now = datetime.now(UTC)
    archive = zipfile.ZipFile(io.BytesIO(export_zip(str(museum.path), ("C2",), now - timedelta(days=1), now)))
    assert sorted(archive.namelist()) == ["climate.csv", "datapackage.json"]
    assert archive.read("climate.csv").decode().count("\n") == 1 + 22 * 12  # header + s3's readings


def test_case_page_figures_equal_pandas_on_the_raw_readings_with_partial_aggregates(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo's first minutes: the hourly aggregation ran while the day was still arriving.
    Every figure of "the period in figures" must still be pandas' on the raw readings."""
    import numpy as np
    import pandas as pd

    from analysis.report import climate_report
    from analysis.risk import LEVELS, assess
    from museum.language.i18n import Translator

    config = make_config()
    store = store_for(config)
    store.create_database()
    store.ensure_downsampling(timedelta(days=400))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    times = pd.date_range(now - timedelta(hours=23, minutes=59), now, freq="1min")
    minutes = np.arange(len(times))
    rows = []
    for sensor, offset in (("s1", 0.0), ("s2", 1.0)):
        rh = (np.where(minutes < 600, 42.0, 58.0) + 4 * np.sin(minutes / 41) + offset).round(1)
        temperature = (np.where(minutes < 600, 19.0, 23.0) + np.sin(minutes / 67)).round(2)
        rows += list(zip(times, [sensor] * len(times), temperature, rh, strict=True))
    raw = pd.DataFrame(rows, columns=["time", "sensor_id", "temperature_c", "rh_pct"])
    lines = [
        climate_line(
            Reading(r.sensor_id, r.time.value, float(r.temperature_c), float(r.rh_pct), 90.0), "hanoi", "C1"
        )
        for r in raw.itertuples()
    ]
    early = (raw["time"] < times[0] + timedelta(minutes=630)).to_numpy()
    store.write_lines([line for line, first in zip(lines, early, strict=True) if first])
    store.backfill_hourly(times[0] - timedelta(hours=1), now)  # three-quarters of the day still to come
    store.write_lines([line for line, first in zip(lines, early, strict=True) if not first])
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)

    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["case"] = "C1"
    app.switch_page("views/case.py").run()
    assert not app.exception
    statistics = app.table[0].value.set_index("")
    hourly = raw.set_index("time").groupby("sensor_id")[["temperature_c", "rh_pct"]].resample("1h").mean()
    truth = climate_report(hourly.groupby(level="time").mean())["statistics"]
    t = Translator("en")
    for label, column, unit in (("Temperature", "temperature_c", "°C"), ("Relative humidity", "rh_pct", "%")):
        assert statistics.loc[label, "Minimum"] == t.quantity(raw[column].min(), unit)
        assert statistics.loc[label, "Mean"] == t.quantity(truth[column]["mean"], unit)
        assert statistics.loc[label, "Maximum"] == t.quantity(raw[column].max(), unit)
    by_day = raw.set_index("time")[["temperature_c", "rh_pct"]].resample("1D")
    daily = {c: float((by_day[c].max() - by_day[c].min()).mean()) for c in ("temperature_c", "rh_pct")}
    page = "\n".join(texts(app, "markdown"))
    temperature_range, rh_range = t.number(daily["temperature_c"]), t.number(daily["rh_pct"])
    assert f"Mean daily range: {temperature_range} °C, {rh_range} % RH" in page
    captions = "\n".join(texts(app, "caption"))
    assert f"These figures rest on {t.number(len(raw), 0)} readings of" in captions
    # The figures made from the hourly means: dew point, time of wetness, IPI ratings, and each
    # object's time at each level (a half-aggregated day would move every one of them).
    report = climate_report(hourly.groupby(level="time").mean())
    dew = report["statistics"]["dew_point_c"]
    assert list(statistics.loc["Dew point", ["Minimum", "Mean", "Maximum"]]) == [
        t.quantity(dew[key], "°C") for key in ("min", "mean", "max")
    ]
    wet, ipi = report["time_of_wetness"], report["ipi"]
    assert t("report.tow", hours=t.number(wet["hours"], 0), pct=t.number(wet["pct"])) in page
    ratings = {
        key: t(f"rating.{ipi[key]}")
        for key in ("metal_corrosion", "mechanical_damage", "natural_aging", "mould")
    }
    assert (
        t(
            "report.ipi",
            metal=ratings["metal_corrosion"],
            mechanical=ratings["mechanical_damage"],
            aging=ratings["natural_aging"],
            twpi=t.number(ipi["twpi_years"], 0),
            mould=ratings["mould"],
        )
        in page
    )
    hours = assess(hourly.groupby(level="time").mean(), ("archaeological_iron",)).summary["hours_per_level"]
    total = sum(hours.values())
    assert total == raw["time"].dt.floor("1h").nunique()  # every hour, not the few the aggregates held
    levels = app.table[1].value.set_index("Inventory number").loc["DBP-1"]
    for level in LEVELS:
        assert levels[t(f"level.{level}")] == f"{t.number(100 * hours[level] / total)} %"


def test_overview_filters_by_level_and_gallery(museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.multiselect[1].select("risk").run()
    page = "\n".join(texts(app, "markdown") + texts(app, "caption"))
    assert "**C1** · Excavated iron" in page and "**C2** · Rifles" not in page
    assert "Showing 1 of 2 cases" in page
    app.multiselect[1].unselect("risk").select("unknown").run()
    page = "\n".join(texts(app, "markdown"))
    assert "**C2** · Rifles" in page and "**C1** · Excavated iron" not in page
    app.multiselect[1].unselect("unknown")
    app.multiselect[0].select("Gallery 1").run()
    galleries = [s for s in texts(app, "subheader") if s.startswith("Gallery")]
    assert galleries == ["Gallery 1"]


def test_the_report_page_makes_a_report_with_loan_compliance(museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/report.py").run()
    assert not app.exception
    next(box for box in app.selectbox if box.label == "Case").select_index(1).run()  # C2
    app.toggle[0].set_value(True).run()
    app.button[0].click().run()
    assert not app.exception
    assert len(app.get("download_button")) == 2
    page = "".join(str(h.proto.body) for h in app.get("html"))
    assert "Climate report: C2 · Rifles" in page
    assert "Loan agreement: share of the time inside the bands" in page
    # 70 % RH all along: never inside 45 ± 5 %.
    assert "<td>C2</td><td class='num'>0.0</td>" in page  # the unit is in the header
    assert "<img class='chart'" in page


def test_a_printable_report_in_french_as_html_and_pdf(
    museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from analysis.metrics import LoanBands
    from museum.files.reports import case_period, render_html, render_pdf
    from museum.language.i18n import Translator

    now = datetime.now(UTC)
    bands = LoanBands(70.0, 5.0, 25.0, 2.0, 5.0)
    period = case_period(store_for(museum), museum.case("C2"), now - timedelta(days=2), now, bands)
    assert period.compliance == {
        "rh_pct": 100.0,
        "temperature_pct": 100.0,
        "change_24h_pct": 100.0,
        "all_pct": 100.0,
    }
    assert period.extremes["rh_pct_max"] == 70.0
    page = render_html([period], museum, Translator("fr"), "C2 · Rifles", bands, now)
    assert "Rapport climatique : C2 · Rifles" in page and "<td class='num'>100,0</td>" in page
    pdf = render_pdf(page)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000
    from weasyprint import HTML

    assert len(HTML(string=page).render().pages) >= 1


def test_patina_report_writes_pdf_and_html(museum: MuseumConfig, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    base = [
        sys.executable,
        "-m",
        "patina",
        "report",
        "--config",
        str(museum.path),
        "--case",
        "C2",
        "--start",
        (now - timedelta(days=2)).isoformat(),
        "--end",
        now.isoformat(),
    ]
    pdf = subprocess.run(
        [*base, "--rh", "70±5", "--out", str(tmp_path / "r.pdf")], capture_output=True, timeout=120
    )
    assert pdf.returncode == 0, pdf.stderr.decode()
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    page = subprocess.run(
        [*base, "--language", "vi", "--out", str(tmp_path / "r.html")], capture_output=True, timeout=120
    )
    assert page.returncode == 0, page.stderr.decode()
    assert "Báo cáo vi khí hậu: C2 · Rifles" in (tmp_path / "r.html").read_text()
    wrong = subprocess.run(
        [*base, "--rh", "seventy", "--out", str(tmp_path / "x.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2 and "'seventy' is not a band such as 45±5" in wrong.stderr


def test_the_language_switch_translates_and_survives_a_page_change(museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.selectbox(key="language_picker").select("vi").run()
    assert texts(app, "title") == ["Tủ trưng bày"]
    app.query_params["case"] = "C1"
    app.switch_page("views/case.py").run()
    assert texts(app, "title") == ["Tủ C1: Excavated iron"]
    row = app.table[-1].value.iloc[0].tolist()
    assert row[:5] == [
        "DBP-1",
        "[Excavated bayonet](artefact?artefact=DBP-1&lang=vi)",
        "Sắt khảo cổ (nhiễm clorua)",
        "có nguy cơ",
        "30 % độ ẩm so với giới hạn 25 % (Sắt khảo cổ (nhiễm clorua)), đã 3 giờ",
    ]
    assert row[5].startswith("Watkinson & Lewis 2005")


def test_a_link_names_its_language(museum: MuseumConfig) -> None:
    """A notification's link carries the language it was written in (`?lang=fr`)."""
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["case"] = "C1"
    app.query_params["lang"] = "fr"
    app.switch_page("views/case.py").run()
    assert texts(app, "title") == ["Vitrine C1 : Excavated iron"]
    app.query_params["lang"] = "xx"  # not a language: the reader's choice stands
    app.run()
    assert texts(app, "title") == ["Vitrine C1 : Excavated iron"]


def test_an_unreachable_database_is_said_with_its_url(
    museum: MuseumConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("PATINA_INFLUX_URL", dead)
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert any(f"Cannot read the database at {dead}" in e for e in texts(app, "error"))


# --- a real browser ----------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def serve(config_path: Path) -> Iterator[str]:
    """`patina dashboard` on a free port, as a museum runs it; yields its URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "patina", "dashboard", "--config", str(config_path), "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: port_open("127.0.0.1", port), timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(15)


#: The flags this closed network and this sandbox need.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, each new page in a new, empty profile."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


@pytest.fixture
def served_dashboard(museum: MuseumConfig) -> Iterator[str]:
    assert museum.path is not None
    with serve(museum.path) as url:
        yield url


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_conservator_browses_the_dashboard_in_three_languages(served_dashboard: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(served_dashboard)
        expect(page.get_by_role("heading", name="Display cases")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Sensors reporting: 2 of 2")).to_be_visible()
        expect(page.get_by_text("Silent: last reading 2 h ago")).to_be_visible()
        expect(page.get_by_text("59.0 %")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("link", name="Open case C2")).to_be_visible()
        # The headline names the worst object, its value against its limit and for how long.
        headline = "Worst: C1, Excavated bayonet (DBP-1), at risk: 30 % RH against its limit of 25 %"
        expect(page.get_by_text(headline, exact=False)).to_be_visible()
        wait_until_drawn(page)
        page.screenshot(path=SCREENSHOTS / "overview-en.png", full_page=True)

        page.get_by_role("link", name="Open case C1").click()
        expect(page.get_by_role("heading", name="Case C1: Excavated iron")).to_be_visible(timeout=30_000)
        expect(page.locator("canvas, svg.marks").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Excavated bayonet").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("These figures rest on")).to_be_visible()
        wait_until_drawn(page)
        page.screenshot(path=SCREENSHOTS / "case-en.png", full_page=True)

        for language, name, heading in (
            ("vi", "Tiếng Việt", "Tủ C1: Excavated iron"),
            ("fr", "Français", "Vitrine C1 : Excavated iron"),
        ):
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name=name).click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
            wait_until_drawn(page)
            page.screenshot(path=SCREENSHOTS / f"case-{language}.png", full_page=True)
        expect(page.get_by_text("Fer archéologique (chlorures)").first).to_be_visible()

        # The printable report, in French, with a loan agreement's bands.
        page.get_by_role("link", name="Rapports").click()
        expect(page.get_by_role("heading", name="Rapport imprimable")).to_be_visible(timeout=30_000)
        page.get_by_text("Vérifier une convention de prêt").click()
        page.get_by_role("button", name="Générer le rapport").click()
        expect(page.get_by_text("Rapport climatique : C1 · Excavated iron")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="Télécharger le PDF")).to_be_visible()
        wait_until_drawn(page)
        page.screenshot(path=SCREENSHOTS / "report-fr.png", full_page=True)
        browser.close()


# --- alerts, acknowledgement with login, data quality --------------------------------------------
def museum_with_users(anonymous: bool = True) -> str:
    from museum.description.users import hash_password

    return (
        SMALL_MUSEUM
        + f"""
[dashboard]
anonymous_viewing = {"true" if anonymous else "false"}

[[dashboard.users]]
name = "lan"
role = "conservator"
password_hash = "{hash_password("gel bạc 2026")}"

[[dashboard.users]]
name = "visitor"
role = "viewer"
password_hash = "{hash_password("look only")}"
"""
    )


@pytest.fixture
def museum_alerts(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[MuseumConfig, InfluxStore]:
    config = make_config(museum_with_users())
    store = store_for(config)
    seed_readings(config, store)
    seed_alerts(store)
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config, store


def test_alerts_page_lists_open_first_and_a_conservator_acknowledges(
    museum_alerts: tuple[MuseumConfig, InfluxStore],
) -> None:
    _, store = museum_alerts
    overview = AppTest.from_file(APP, default_timeout=30).run()
    assert "1 open alert" in "\n".join(texts(overview, "markdown"))
    app = AppTest.from_file(APP, default_timeout=30)
    app.switch_page("views/alerts.py").run()
    assert not app.exception
    # The same assessment as the overview's headline: the alerts page never looks calmer.
    assert texts(app, "warning")[0].startswith(
        "Cases needing attention: 1. Worst: C1, [Excavated bayonet](artefact?artefact=DBP-1&lang=en)"
    )
    assert "Open alerts: 1" in texts(app, "subheader")
    # A title a person can read: severity, case, cause, value against limit, duration.
    titles = [m for m in texts(app, "markdown") if "C1 · RH above the case limit" in m]
    assert titles == [
        ":orange[**warning · C1 · RH above the case limit — Measured: 30.0 % RH; "
        "limit: 25.0 % RH. — for 60 min**]"
    ]
    history = app.table[0].value
    assert list(history["State"]) == ["resolved"]
    assert any("Sign in as a conservator" in i for i in texts(app, "info"))
    # Signing in itself is driven through the real form in the browser test below; here the
    # session carries the signed-in user. A viewer may look but not acknowledge.
    app.session_state["user"] = ("visitor", "viewer")
    app.run()
    assert any("Sign in as a conservator" in i for i in texts(app, "info"))
    app.session_state["user"] = ("lan", "conservator")
    app.run()
    # Acknowledged from the incident's own row; the page redraws at once.
    app.text_area(key="ack_note_C1.rh_high.A").input("Silica gel replaced, door gasket checked")
    next(b for b in app.button if b.label == "Acknowledge").click().run()
    assert not app.exception
    assert any("acknowledged by lan" in s for s in texts(app, "success"))
    assert "Open alerts: 0" in texts(app, "subheader")
    assert "Acknowledged, being dealt with: 1" in texts(app, "subheader")
    events = store.alert_events("C1.rh_high.A")
    assert list(events["state"]) == ["opened", "notified", "acknowledged"]
    assert (events.iloc[-1]["user"], events.iloc[-1]["note"]) == (
        "lan",
        "Silica gel replaced, door gasket checked",
    )
    # Acknowledged is being dealt with: the overview no longer counts it as open.
    overview = AppTest.from_file(APP, default_timeout=30).run()
    assert "open alert" not in "\n".join(texts(overview, "markdown"))


def test_passwords_are_checked_against_scrypt_hashes() -> None:
    from museum.description.users import hash_password, verify_password

    stored = hash_password("gel bạc 2026")
    assert stored.startswith("scrypt$") and "gel" not in stored
    assert verify_password("gel bạc 2026", stored)
    assert not verify_password("gel bac 2026", stored)
    assert not verify_password("anything", "plain-text-password")


def test_data_quality_page_shows_sensors_quarantine_and_collector_health(
    museum_alerts: tuple[MuseumConfig, InfluxStore],
) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.switch_page("views/quality.py").run()
    assert not app.exception
    sensors = app.table[0].value
    assert list(sensors["Sensor"]) == ["s1", "s2", "s3"]
    assert list(sensors["Status"]) == ["reporting", "reporting", "silent"]
    assert list(sensors["Battery (%)"]) == ["90", "90", "15"]  # the unit in the header
    # The collector's quarantine counts since it started, the reasons in words.
    assert "Quarantined since it started: not valid JSON: 2; relative humidity out of range: 1." in texts(
        app, "caption"
    )
    assert [m.value for m in app.metric][:2] == ["1,000", "990"]
    # The database on disk and its projection (issue 28), policy by policy.
    disk = app.table[-1].value
    assert "autogen" in set(disk["Retention policy"]) and "Kept" in disk
    assert any("MB** on disk now; about" in text for text in texts(app, "markdown"))


def test_without_anonymous_viewing_the_museum_asks_for_a_login(
    make_config: Callable[..., MuseumConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(museum_with_users(anonymous=False))
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert texts(app, "info") == ["Sign in to see the museum's climate."]
    assert texts(app, "title") == []


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_signed_in_conservator_acknowledges_an_alert_in_the_browser(
    museum_alerts: tuple[MuseumConfig, InfluxStore],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    config, store = museum_alerts
    assert config.path is not None
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/alerts")
        expect(page.get_by_role("heading", name="Open alerts: 1")).to_be_visible(timeout=30_000)
        sign_in(page, "lan", "gel bạc 2026", "conservator")
        page.locator('textarea[aria-label="Note"]').fill("Dehumidifier emptied at 07:40")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("C1.rh_high.A acknowledged by lan.")).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "alerts-acknowledged.png", full_page=True)
        browser.close()
    events = store.alert_events("C1.rh_high.A")
    assert (events.iloc[-1]["state"], events.iloc[-1]["user"], events.iloc[-1]["note"]) == (
        "acknowledged",
        "lan",
        "Dehumidifier emptied at 07:40",
    )
