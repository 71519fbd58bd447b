"""Entry point of the Streamlit dashboard: `patina dashboard --config museum.toml`."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import safe_text
from dashboard.context import current_user, language_picker, login_box, museum_config, translator
from dashboard.data import coverage_warmer

# Shipped with the app: a ":material/…:" page icon is fetched from a font CDN, which an
# offline museum network cannot reach.
ICON = Path(__file__).resolve().parent / "static" / "patina-icon.png"

st.set_page_config(page_title="Patina", page_icon=str(ICON), layout="wide")
config = museum_config()
language_picker()
t = translator()
st.sidebar.caption(safe_text.line(t.name(config.museum.name)))
login_box()
if not config.dashboard.anonymous_viewing and current_user() is None:
    st.info(t("login.required"))
    st.stop()

page = st.navigation(
    [
        st.Page(
            "views/overview.py",
            title=t("nav.overview"),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
        st.Page("views/case.py", title=t("nav.case"), icon=":material/show_chart:", url_path="case"),
        st.Page("views/floorplan.py", title=t("nav.floorplan"), icon=":material/map:", url_path="floorplan"),
        st.Page(
            "views/compare.py",
            title=t("nav.compare"),
            icon=":material/stacked_line_chart:",
            url_path="compare",
        ),
        st.Page("views/alerts.py", title=t("nav.alerts"), icon=":material/notifications:", url_path="alerts"),
        st.Page("views/quality.py", title=t("nav.quality"), icon=":material/sensors:", url_path="quality"),
        st.Page("views/report.py", title=t("nav.report"), icon=":material/print:", url_path="report"),
        st.Page(
            "views/artefact.py", title=t("nav.artefact"), icon=":material/inventory_2:", url_path="artefact"
        ),
        st.Page("views/loans.py", title=t("nav.loans"), icon=":material/flight_takeoff:", url_path="loans"),
    ]
)
# A large museum's data-quality coverage, computed ahead by the server (docs/dashboard-at-scale.md).
coverage_warmer(config.influxdb, tuple(sensor for case in config.cases for sensor in case.sensors))
page.run()
