"""Light on the dashboard (issue 32): the case page and the artefact page of a case whose
sensor reads light, against real InfluxDB data, with Streamlit's AppTest and a real headless
Chromium in French and Vietnamese (screenshots for the issue's note)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from museum.assessment.light import assess_case_light
from museum.description.config import MuseumConfig
from museum.files.reports import case_period, render_html, render_pdf
from museum.language.i18n import Translator
from museum.storage.schema import Reading, reading_lines
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import REPO_DIR, SMALL_MUSEUM
from tests.helpers import wait_until_drawn
from tests.test_dashboard import CHROMIUM, SCREENSHOTS, launch_chromium, serve

APP = str(REPO_DIR / "dashboard" / "app.py")
HOLSTER_CASE = """
[[cases]]
id = "C7"
site = "hanoi"
gallery = "Gallery 3"
name = "Cavalry"
sensors = ["l1"]

  [[cases.artefacts]]
  id = "H-1"
  name = "Leather holster"
  materials = ["leather", "brass"]
"""


@pytest.fixture
def lit_museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> MuseumConfig:
    """Hourly light in C7 since the start of the year: 55 lx with 25 µW/lm from 09:00 to
    17:00 (Hanoi), dark otherwise; and climate beside it."""
    config = make_config(SMALL_MUSEUM + HOLSTER_CASE)
    store = store_for(config)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = pd.Timestamp(now).tz_convert(config.zone).replace(month=1, day=1, hour=0)
    lines = []
    for moment in pd.date_range(
        start, pd.Timestamp(now).tz_convert(config.zone), freq="1h", inclusive="left"
    ):
        lux = 55.0 if 9 <= moment.hour < 17 else 0.0
        reading = Reading(
            "l1", moment.value, 21.0, 50.0, illuminance_lux=lux, uv_uw_per_lm=25.0 if lux else None
        )
        lines += reading_lines(reading, "hanoi", "C7")
    store.create_database()
    store.write_lines(lines)
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def test_the_case_and_artefact_pages_show_the_holsters_light_year(
    lit_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    expected = assess_case_light(
        store_for(lit_museum),
        lit_museum,
        lit_museum.case("C7"),
        datetime.now(UTC).replace(minute=0, second=0, microsecond=0),
    )
    (holster,) = expected.objects
    # 55 lx for 8 h a day: 440 lx·h a day, 160 600 a year, 107 % of a medium object's budget.
    assert holster.year.projected_lux_hours == pytest.approx(440 * 365, rel=0.01)
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["case"] = "C7"
    app.switch_page("views/case.py").run()
    assert not app.exception, app.exception
    assert "Light" in [str(x.value) for x in app.subheader]
    page = "\n".join(str(x.value) for x in app.markdown)
    used = f"{holster.year.used_pct:.0f} % of its annual light budget (150,000 lx·h, medium responsivity)"
    assert "H-1 Leather holster" in page and used in page, page
    assert f"at this rate {holster.year.projected_pct:.0f} % by the end of the year" in page
    assert "UV per lumen of the light received: 25 µW/lm, above its limit of 10 µW/lm" in page

    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "H-1"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Budget used"] == f"{holster.year.used_pct:.0f} %"
    assert metrics["By the end of the year"] == f"{holster.year.projected_pct:.0f} %"
    page = "\n".join(str(x.value) for x in app.markdown)
    assert used in page


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_case_pages_light_in_french_and_vietnamese(lit_museum: MuseumConfig) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert lit_museum.path is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(lit_museum.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 3400})
        page.goto(f"{url}/case?case=C7")
        expect(page.get_by_role("heading", name="Light")).to_be_visible(timeout=30_000)
        for language, name, heading, text in (
            ("fr", "Français", "Lumière", "de son budget annuel de lumière"),
            ("vi", "Tiếng Việt", "Ánh sáng", "ngân sách ánh sáng hằng năm"),
        ):
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name=name).click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
            expect(page.get_by_text(text)).to_be_visible(timeout=30_000)
            wait_until_drawn(page)
            page.screenshot(path=SCREENSHOTS / f"light-case-{language}.png", full_page=True)
        browser.close()


def test_the_printed_report_gains_a_light_section(
    lit_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    store = store_for(lit_museum)
    # The last seven whole days on the museum's clock: each has its 8 lit hours.
    end = datetime.now(lit_museum.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=7)
    case = lit_museum.case("C7")
    period = case_period(store, case, start, end, config=lit_museum)
    assert period.light is not None
    for language, heading, words in (
        ("en", "Light", "lx·h of light over the period; lit 56 h, at 55 lx on average while lit."),
        ("fr", "Lumière", "de son budget annuel de lumière"),
        ("vi", "Ánh sáng", "ngân sách ánh sáng hằng năm"),
    ):
        page = render_html([period], lit_museum, Translator(language), "C7", None, end)
        assert f"<h3>{heading}</h3>" in page and words in page, language
    # A week of 8 lit hours a day at 55 lx: 7 × 440 lx·h.
    assert "3,080 lx·h of light over the period" in render_html(
        [period], lit_museum, Translator("en"), "C7", None, end
    )
    assert render_pdf(page)[:5] == b"%PDF-"


def test_the_dashboards_printable_report_has_the_light_section_too(lit_museum: MuseumConfig) -> None:
    from dashboard.data import printable_report

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    page, pdf, on_screen = printable_report(
        lit_museum, ("C7",), end - timedelta(days=2), end, None, "fr", "C7"
    )
    for html in (page, on_screen):
        assert "<h3>Lumière</h3>" in html and "de son budget annuel de lumière" in html
    assert pdf[:5] == b"%PDF-"
