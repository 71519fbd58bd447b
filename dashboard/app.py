"""Entry point of the Streamlit dashboard: `patina dashboard --config museum.toml`."""

from __future__ import annotations

import streamlit as st

from dashboard.context import language_picker, museum_config, translator

st.set_page_config(page_title="Patina", page_icon=":material/shield:", layout="wide")
config = museum_config()
language_picker()
t = translator()
st.sidebar.caption(config.museum.name)

page = st.navigation([
    st.Page("pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", url_path="overview",
            default=True),
    st.Page("pages/case.py", title=t("nav.case"), icon=":material/show_chart:", url_path="case"),
])
page.run()
