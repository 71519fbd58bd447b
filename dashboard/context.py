"""What every page needs: the museum's config and the reader's language."""

from __future__ import annotations

import os

import streamlit as st

from museum.config import MuseumConfig, load_config
from museum.i18n import LANGUAGE_NAMES, Translator


@st.cache_resource
def _config(path: str) -> MuseumConfig:
    return load_config(path)


def museum_config() -> MuseumConfig:
    """The config named by PATINA_CONFIG (set by `patina dashboard`)."""
    path = os.environ.get("PATINA_CONFIG")
    if not path:
        st.error("PATINA_CONFIG is not set: start the dashboard with `patina dashboard --config FILE`.")
        st.stop()
    return _config(path)


def translator() -> Translator:
    """The reader's language: chosen in the sidebar, by default the museum's."""
    language = st.session_state.get("language") or museum_config().museum.language
    return Translator(language)


def language_picker() -> None:
    """The language switch in the sidebar. The choice is kept under a key of its own, not
    the widget's, so it survives moving between pages (Streamlit forgets the state of a
    widget that a page does not draw)."""
    config = museum_config()
    if "language" not in st.session_state:
        st.session_state["language"] = config.museum.language
    languages = list(LANGUAGE_NAMES)

    def remember() -> None:
        st.session_state["language"] = st.session_state["language_picker"]

    st.sidebar.selectbox(translator()("app.language"), languages, key="language_picker",
                         index=languages.index(st.session_state["language"]),
                         format_func=LANGUAGE_NAMES.__getitem__, on_change=remember)
