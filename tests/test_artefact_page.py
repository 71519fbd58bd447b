"""The artefact page against real InfluxDB data: Streamlit's AppTest, and a real headless
Chromium in French and Vietnamese (screenshots for the issue's note)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from museum.config import MuseumConfig
from museum.moves import record_move
from museum.schema import AlertEvent, Reading, alert_event_line, climate_line
from museum.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import REPO_DIR
from tests.test_dashboard import CHROMIUM, SCREENSHOTS, launch_chromium, serve

APP = str(REPO_DIR / "dashboard" / "app.py")


@pytest.fixture
def moved_museum(make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore],
                 mosquitto: MosquittoServer, influxdb: InfluxServer,
                 monkeypatch: pytest.MonkeyPatch) -> MuseumConfig:
    """Three days of readings in C1 (dry) and C2 (damp); DBP-1 moved to C2 a day ago, where
    an alert opened afterwards."""
    config = make_config()
    store = store_for(config)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    lines = []
    for minute in range(0, 3 * 24 * 60, 10):
        moment = now - timedelta(minutes=3 * 24 * 60 - minute)
        ns = int(moment.timestamp()) * 10**9
        lines.append(climate_line(Reading("s1", ns, 22.0, 18.0 + minute % 30 / 10), "hanoi", "C1"))
        lines.append(climate_line(Reading("s3", ns, 26.0, 48.0 + minute % 50 / 10), "hanoi", "C2"))
    lines.append(alert_event_line(AlertEvent(time.time_ns() - 3600 * 10**9, site="hanoi", case_id="C2",
                                  alert_id="C2.rh_high.1", rule="rh_high", rule_key="rh_high",
                                  severity="warning", state="opened", message="RH high")))
    store.create_database()
    store.write_lines(lines)
    record_move(config, store, "DBP-1", "C2", user="Lan", note="Phòng trưng bày 2 mở cửa lại",
                at=now - timedelta(days=1))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def test_the_artefact_page_shows_moves_climate_alerts_and_the_passport(moved_museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    assert [str(x.value) for x in app.title] == ["DBP-1: Excavated bayonet"]
    page = "\n".join(str(x.value) for x in app.markdown)
    assert "Now in case **C2** (hanoi, Test museum)" in page
    where = app.table[1].value
    assert where["Event"].tolist() == ["first case (config)", "move"]
    assert where["Note"].tolist()[-1] == "Phòng trưng bày 2 mở cửa lại"
    assert len(app.get("vega_lite_chart")) == 2
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Its materials tolerate"] == "0–25 %"
    alerts = app.table[-1].value
    assert alerts.iloc[0].tolist()[1:] == ["C2", "RH above the case limit", "opened"]
    assert app.get("download_button"), "the passport download"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_artefact_page_in_french_and_vietnamese(moved_museum: MuseumConfig) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert moved_museum.path is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(moved_museum.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        # Tall enough for the whole page: Streamlit scrolls inside its own container.
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.goto(f"{url}/artefact?artefact=DBP-1")
        expect(page.get_by_role("heading", name="DBP-1: Excavated bayonet")).to_be_visible(timeout=30_000)
        for language, name, heading, text in (
            ("fr", "Français", "Où il a été", "Télécharger le passeport (zip)"),
            ("vi", "Tiếng Việt", "Những nơi hiện vật đã ở", "Tải hộ chiếu (zip)"),
        ):
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name=name).click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
            expect(page.get_by_text(text)).to_be_visible(timeout=30_000)
            expect(page.locator("canvas, svg.marks").first).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=SCREENSHOTS / f"artefact-{language}.png", full_page=True)
        browser.close()


def test_a_borrowed_object_shows_its_lenders_history(moved_museum: MuseumConfig,
                                                     make_config: Callable[..., MuseumConfig],
                                                     store_for: Callable[[MuseumConfig], InfluxStore],
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from museum.passport import export_passport, import_passport
    from tests.test_passport import BORROWER

    borrower = make_config(BORROWER)
    now = datetime.now(UTC)
    passport = tmp_path / "DBP-1.zip"
    export_passport(moved_museum, store_for(moved_museum), "DBP-1", passport, now - timedelta(days=3), now)
    import_passport(borrower, store_for(borrower), passport, "K1", user="Claire", note="Exposition",
                    at=now + timedelta(minutes=1))
    assert borrower.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(borrower.path))
    monkeypatch.setenv("PATINA_INFLUX_DB", borrower.influxdb.database)
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    assert [str(x.value) for x in app.title] == ["DBP-1 : Excavated bayonet"]  # the borrower reads French
    assert "prêté par Test museum" in str(app.caption[0].value)
    where = app.table[1].value
    assert where["Événement"].tolist() == ["au début du passeport", "déplacement", "arrivée (prêt)"]
    assert where["Musée"].tolist() == ["Test museum", "Test museum", "Musée de l'Armée"]
    assert len(app.get("vega_lite_chart")) == 2, "the lender's hours, drawn at the borrower"


def test_the_case_pages_follow_a_move_without_editing_the_config(moved_museum: MuseumConfig) -> None:
    def inventory(case_id: str) -> set[str]:
        app = AppTest.from_file(APP, default_timeout=60)
        app.query_params["case"] = case_id
        app.switch_page("views/case.py").run()
        assert not app.exception, app.exception
        return {str(value) for table in app.table for column in table.value.columns
                for value in table.value[column].tolist()}

    assert "DBP-1" in {a.id for a in moved_museum.case("C1").artefacts}, "the config still says C1"
    assert "DBP-1" in inventory("C2")
    assert "DBP-1" not in inventory("C1")
