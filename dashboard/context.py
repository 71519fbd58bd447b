"""What every page needs: the museum's config and the reader's language."""

from __future__ import annotations

import math
import os

import streamlit as st

from dashboard import safe_text
from museum.description.config import MuseumConfig, load_config
from museum.description.users import LoginThrottle
from museum.language.i18n import LANGUAGE_NAMES, Translator
from museum.loans.moves import with_locations
from museum.storage.store import StoreError
from museum.storage.stores import open_store


@st.cache_resource
def _config(path: str) -> MuseumConfig:
    return load_config(path)


@st.cache_resource(ttl=10, show_spinner=False)
def _placed(path: str) -> MuseumConfig:
    """The config with every object in the case the move log puts it in (museum.loans.moves):
    a move shows on every page within seconds, without editing the config."""
    config = _config(path)
    try:
        return with_locations(config, open_store(config.influxdb, timeout_s=5))
    except StoreError:
        return config  # the pages say the database is unreachable; the config's places stand


def museum_config() -> MuseumConfig:
    """The config named by PATINA_CONFIG (set by `patina dashboard`), objects where they are."""
    path = os.environ.get("PATINA_CONFIG")
    if not path:
        st.error("PATINA_CONFIG is not set: start the dashboard with `patina dashboard --config FILE`.")
        st.stop()
    return _placed(path)


def written_config() -> MuseumConfig:
    """The config as written, objects in the cases the file gives them: what museum.loans.moves
    needs to tell this museum's own objects from those that arrived by passport (the
    placed config of :func:`museum_config` holds both)."""
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
    # A link may name the language (`?lang=fr`, as in notifications): it wins over the
    # museum's default; the switch then keeps the URL in step with the reader's choice.
    requested = st.query_params.get("lang")
    if requested in LANGUAGE_NAMES:
        st.session_state["language"] = requested
    elif "language" not in st.session_state:
        st.session_state["language"] = config.museum.language
    languages = list(LANGUAGE_NAMES)

    def remember() -> None:
        st.session_state["language"] = st.session_state["language_picker"]
        st.query_params["lang"] = st.session_state["language"]

    st.sidebar.selectbox(
        translator()("app.language"),
        languages,
        key="language_picker",
        index=languages.index(st.session_state["language"]),
        format_func=LANGUAGE_NAMES.__getitem__,
        on_change=remember,
    )


@st.cache_resource
def login_throttle() -> LoginThrottle:
    """One record of failed sign-ins for every session of this dashboard process."""
    return LoginThrottle(lock_s=museum_config().dashboard.sign_in_lock_s)


def current_user() -> tuple[str, str] | None:
    """(name, role) of the signed-in user, or None."""
    return st.session_state.get("user")


def login_box() -> None:
    """Sign in / out in the sidebar, against the config's users (scrypt hashes)."""
    from museum.description.users import authenticate

    config = museum_config()
    t = translator()
    user = current_user()
    if user:
        st.sidebar.caption(t("login.signed_in", name=safe_text.line(user[0]), role=t(f"role.{user[1]}")))
        if st.sidebar.button(t("login.sign_out"), key="sign_out"):
            st.session_state.pop("user", None)
            st.rerun()
        return
    if not config.dashboard.users:
        return
    # Cleared on submit: a password does not stay in the page after its try.
    with st.sidebar.form("login", clear_on_submit=True):
        name = st.text_input(t("login.name"), key="login_name")
        password = st.text_input(t("login.password"), type="password", key="login_password")
        if st.form_submit_button(t("login.sign_in")):
            address = st.context.ip_address or "unknown"
            throttle = login_throttle()
            wait_s = throttle.attempt(name, address)  # counted as failed until it succeeds
            if wait_s > 0:
                st.error(t("login.wait", seconds=math.ceil(wait_s)))
                return
            hashes = {u.name: u.password_hash for u in config.dashboard.users}
            if authenticate(hashes, name, password):
                throttle.succeeded(name, address)
                account = config.dashboard.user(name)
                assert account is not None
                st.session_state["user"] = (account.name, account.role)
                st.rerun()
            else:
                # Each answer says how many tries are left, so a typing user knows a pause is
                # coming, and so each try's answer differs from the last one's.
                left = throttle.tries_left(name, address)
                pause_s = math.ceil(throttle.wait_s(name, address))
                then = t("login.tries_left", count=left) if left else t("login.wait", seconds=pause_s)
                st.error(f"{t('login.failed')} {then}")
