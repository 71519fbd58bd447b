"""Streamlit's own texts and charts in a real headless Chromium: the settings `patina
dashboard` passes hide Streamlit's English menu, and a Vega-Lite chart given
``Translator.chart_locale()`` writes French numbers and months (docs/languages.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from patina.launch import DASHBOARD_STREAMLIT_OPTIONS
from patina.services import free_port, port_open
from tests.conftest import REPO_DIR
from tests.helpers import wait_for, wait_until_drawn

CHROMIUM = "/usr/bin/chromium"

#: A page drawing two charts the way the dashboard's pages can: French locale, SVG so the
#: test can read the tick labels.
CHART_PAGE = textwrap.dedent("""
    import altair as alt
    import pandas as pd
    import streamlit as st

    from museum.language.i18n import Translator

    t = Translator("fr")
    svg = {"embedOptions": {"renderer": "svg"}}
    rh = pd.DataFrame({"x": [0, 1, 2], "rh_pct": [18.55, 18.6, 18.65]})
    chart = alt.Chart(rh, usermeta=svg).mark_line().encode(
        x=alt.X("x:Q", title="n"),
        y=alt.Y("rh_pct:Q", title="HR", scale=alt.Scale(zero=False), axis=alt.Axis(format=t.axis_format(2))),
    )
    st.altair_chart(chart.configure(locale=t.chart_locale()))
    days = pd.DataFrame({"time": pd.date_range("2026-10-20", "2026-12-31", freq="D"), "v": 1.0})
    timeline = alt.Chart(days, usermeta=svg).mark_line().encode(x=alt.X("time:T", title="t"), y="v:Q")
    st.altair_chart(timeline.configure(locale=t.chart_locale()))
    st.write("page drawn")
""")


@pytest.fixture
def chart_page(tmp_path: Path) -> Iterator[str]:
    app = tmp_path / "charts.py"
    app.write_text(CHART_PAGE)
    port = free_port()
    options = [part for name, value in DASHBOARD_STREAMLIT_OPTIONS for part in (f"--{name}", value)]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            *options,
        ],
        env={**os.environ, "PYTHONPATH": str(REPO_DIR)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: port_open("127.0.0.1", port), timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(15)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_charts_write_french_numbers_and_months_and_the_english_menu_is_gone(chart_page: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(chart_page)
        expect(page.get_by_text("page drawn")).to_be_visible(timeout=60_000)
        expect(page.locator("svg.marks").nth(1)).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        labels = page.locator("svg.marks text").evaluate_all("texts => texts.map(t => t.textContent)")
        # client.toolbarMode = minimal: no main menu (Print, Record a screencast, Settings, About).
        menus = page.locator('[data-testid="stMainMenu"]').count()
        browser.close()
    ticks = [label for label in labels if label.startswith("18")]
    assert ticks and all("," in tick and "." not in tick for tick in ticks), labels
    assert {"novembre", "décembre"} & set(labels) or {"nov.", "déc."} & set(labels), labels
    assert not {"November", "December", "Nov", "Dec"} & set(labels)
    assert menus == 0
