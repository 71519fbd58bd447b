"""Every page of the dashboard in Vietnamese and French, read in a real headless Chromium:
no English word a conservator would stumble on, beyond names and citations (issue #16).

The museum's names are given per language in the config, so an English name on a French
page means a page forgot ``t.name``; the English names are among the words refused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from museum.description.config import MuseumConfig
from museum.language.i18n import Translator
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.test_dashboard import CHROMIUM, SCREENSHOTS, launch_chromium, seed_alerts, seed_readings, serve

#: The small test museum with every name given in the three languages (braces doubled:
#: the text goes through ``str.format``).
MULTILINGUAL_MUSEUM = (
    SMALL_MUSEUM.replace(
        'name = "Test museum"', 'name = {{ en = "Test museum", fr = "Musée d\'essai", vi = "Bảo tàng thử" }}'
    )
    .replace('gallery = "Gallery 1"', 'gallery = {{ en = "Gallery 1", fr = "Salle 1", vi = "Phòng 1" }}')
    .replace('gallery = "Gallery 2"', 'gallery = {{ en = "Gallery 2", fr = "Salle 2", vi = "Phòng 2" }}')
    .replace(
        'name = "Excavated iron"',
        'name = {{ en = "Excavated iron", fr = "Fer de fouille", vi = "Sắt khai quật" }}',
    )
    .replace(
        'name = "Excavated bayonet"',
        'name = {{ en = "Excavated bayonet", fr = "Baïonnette de fouille", vi = "Lưỡi lê khai quật" }}',
    )
    .replace('name = "Rifles"', 'name = {{ en = "Rifles", fr = "Fusils", vi = "Súng trường" }}')
    .replace('name = "Rifle"', 'name = {{ en = "Rifle", fr = "Fusil", vi = "Khẩu súng" }}')
)
ENGLISH_NAMES = (
    "Test museum",
    "Gallery 1",
    "Gallery 2",
    "Excavated iron",
    "Excavated bayonet",
    "Rifles",
    "Rifle",
)

#: Words that must not be read on a French or Vietnamese page (whole words, any case).
ENGLISH_WORDS = (
    "Select all",
    "Clear all",
    "empty",
    "opened",
    "resolved",
    "acknowledged",
    "notified",
    "escalated",
    "Temperature",
    "Humidity",
    "readings",
    "reading",
    "sensor",
    "sensors",
    "alert",
    "alerts",
    "Download",
    "Generate",
    "risk",
    "warning",
    "critical",
    "good",
    "watch",
    "case",
    "cases",
    "gallery",
    "battery",
    "report",
    "Overview",
    "quality",
    "Data",
    "Date range",
    "Past Month",
    "Past Week",
    "ago",
    "hours",
    "minutes",
    "days",
    "reporting",
    "silent",
    "at risk",
    "Open",
    "Sign in",
    "Password",
    "Language",
    "limit",
    "Dew point",
    "Time",
    "Choose an option",
    "Choose options",
    "of",
    "the",
    "and",
    "for",
    "with",
)
#: The collector's own words in an alert's log ("opened: email, mqtt"), matched as written:
#: "MQTT", the protocol's name, may be read; "mqtt", a channel's code, may not.
#: Also refused: "AM"/"PM", the English clock a chart's default time axis writes.
RAW_CODES = (
    "opened:",
    "notified:",
    "mqtt",
    "webhook:",
    "email:",
    "rh_high",
    "None",
    "nan",
    "NaT",
    "AM",
    "PM",
)
#: Only on Vietnamese pages: French writes "HR", Vietnamese "độ ẩm"; "RH" is not Vietnamese.
VIETNAMESE_ONLY = ("RH",)
#: What may stay as it is, stripped from the page before matching: the museum's
#: identifiers (cases, sensors, artefacts, alerts, the collector), and the one text of
#: Streamlit that every page carries and no setting changes, its keyboard link "Skip to
#: main content" (docs/languages.md lists Streamlit's texts). Citations of the limits
#: (authors, titles, standards) and units hold none of the refused words.
ALLOWED = (
    "C1.rh_high.A",
    "C1.rh_high.OLD",
    "C1",
    "C2",
    "DBP-1",
    "R-1",
    "s1",
    "s2",
    "s3",
    "stray-7",
    "server-1",
    "Skip to main content",
)
#: The words a reader sees: the page's text without Material icons, which are drawn from
#: ligature names ("download", "warning") that no one reads.
VISIBLE_TEXT = """() => {
    const selector = '[data-testid="stIconMaterial"], [data-testid="stAlertDynamicIcon"]';
    const icons = [...document.querySelectorAll(selector)];
    const names = icons.map((icon) => icon.textContent);
    icons.forEach((icon) => { icon.textContent = ""; });
    const text = document.body.innerText;
    icons.forEach((icon, i) => { icon.textContent = names[i]; });
    return text;
}"""
#: Every page, by its URL path (the overview is the app's root).
PAGES = {
    "overview": "",
    "case": "case",
    "alerts": "alerts",
    "artefact": "artefact",
    "quality": "quality",
    "report": "report",
    "floorplan": "floorplan",
    "compare": "compare",
}
#: True once Streamlit has drawn the page: the script's run is over (the state Streamlit
#: itself exposes for its browser tests), and no element is still a placeholder (a
#: skeleton, drawn while an element's code loads).
PAGE_DRAWN = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState
        === "notRunning"
    && !document.querySelector('[data-testid="stSkeleton"]')
    && document.querySelectorAll('[data-testid="stMain"] h1').length > 0"""
PAGE_HEIGHT = """document.querySelector('[data-testid="stMain"]').scrollHeight"""


@pytest.fixture
def multilingual_dashboard(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The dashboard served on the test museum's readings, an open alert the collector
    notified by e-mail, a resolved one, and a collector's health report."""
    config = make_config(MULTILINGUAL_MUSEUM)
    store = store_for(config)
    seed_readings(config, store)
    seed_alerts(store, notified_by="email, mqtt")
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    with serve(config.path) as url:
        yield url


def english_left(text: str, language: str) -> list[str]:
    """The refused English words and names found in a page's visible text."""
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    found = [name for name in ENGLISH_NAMES if name in text]
    found += [code for code in RAW_CODES if re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", text)]
    for word in ENGLISH_WORDS + (VIETNAMESE_ONLY if language == "vi" else ()):
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.IGNORECASE):
            found.append(word)
    return found


def open_everything(page: Any, name: str, t: Translator) -> None:
    """What a conservator does on a page beyond looking, so that its inputs and results
    are read too: the case page's own period, the report with a loan agreement's bands."""
    if name == "case":
        page.get_by_text(t("case.range_custom"), exact=True).click()
        expect(page.get_by_role("textbox", name=t("input.period_from"))).to_be_visible()
    elif name == "report":
        page.get_by_text(t("print.loan_toggle")).click()
        expect(page.get_by_role("textbox", name=t("print.rh_target"))).to_have_value(t.input_value(45, 0))
        page.get_by_role("button", name=t("print.make")).click()
        expect(page.get_by_role("button", name=t("print.download_pdf"))).to_be_visible(timeout=60_000)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_every_page_reads_in_vietnamese_and_french(multilingual_dashboard: str) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for language in ("vi", "fr"):
            t = Translator(language)
            for name, path in PAGES.items():
                page.set_viewport_size({"width": 1400, "height": 1000})
                page.goto(f"{multilingual_dashboard}/{path}?lang={language}")
                page.wait_for_function(PAGE_DRAWN, timeout=60_000)
                open_everything(page, name, t)
                page.wait_for_function(PAGE_DRAWN, timeout=60_000)
                text = page.evaluate(VISIBLE_TEXT)
                (SCREENSHOTS / f"lang-{name}-{language}.txt").write_text(text)
                found = english_left(text, language)
                if found:
                    problems[f"{name} ({language})"] = found
                # Streamlit scrolls inside its main block: grow the window to the page's
                # height so that the screenshot holds the whole page.
                height = page.evaluate(PAGE_HEIGHT)
                page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 12_000)})
                page.wait_for_function(PAGE_DRAWN, timeout=60_000)
                page.screenshot(path=SCREENSHOTS / f"lang-{name}-{language}.png", full_page=True)
        browser.close()
    assert not problems, "\n".join(f"{page}: {', '.join(words)}" for page, words in problems.items())
