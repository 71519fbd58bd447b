"""The dashboard works on a museum network without internet: a real Chromium records every
request a page makes, and none may leave this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.test_dashboard import CHROMIUM, launch_chromium, seed_readings, serve

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_no_page_asks_anything_of_the_internet(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    config = make_config()
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    outside: list[str] = []
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()

        def note(request: object) -> None:
            address = str(getattr(request, "url", ""))
            parts = urlsplit(address)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
                outside.append(address)

        page.on("request", note)
        page.goto(url)
        expect(page.get_by_role("heading", name="Display cases")).to_be_visible(timeout=30_000)
        page.get_by_role("link", name="Open case C1").click()
        expect(page.locator("canvas, svg.marks").first).to_be_visible(timeout=30_000)
        icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
        browser.close()
    assert outside == []
    # The page icon is Patina's own file, served by the dashboard itself.
    assert icon and urlsplit(icon).hostname in (None, *LOCAL_HOSTS), icon
