"""Case diagnostics on the dashboard (docs/diagnostics.md): a case's tightness against its
gallery and its forecast on the case page, "cases to look after" on the overview, and a
case-performance table on the Reports page.

Not a page of its own: the case page, the overview and the Reports page each call one
function here. The
diagnosis looks at the last two weeks and is cached for a quarter of an hour: a case's
half-time does not change from one minute to the next.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import safe_text
from museum.assessment.diagnose import (
    DEFAULT_WINDOW,
    Diagnosis,
    crossing_date,
    describe,
    diagnose,
    hourly_climate,
    quality_text,
)
from museum.description.config import Case, MuseumConfig
from museum.language.i18n import Translator
from museum.storage.store import StoreError
from museum.storage.stores import open_store

#: The overview lists cases forecast to pass their limit within this many days.
LOOK_AFTER_DAYS = 90.0


def _window() -> tuple[datetime, datetime]:
    # Whole hours, so the cache is shared by every request within the hour.
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - DEFAULT_WINDOW, end


@st.cache_data(ttl=900, show_spinner=False)
def _diagnoses(
    _config: MuseumConfig, config_key: str, case_ids: tuple[str, ...], start: datetime, end: datetime
) -> list[Diagnosis]:
    store = open_store(_config.influxdb, timeout_s=10)
    try:
        return diagnose(_config, store, list(case_ids), start, end)
    finally:
        store.close()


@st.cache_data(ttl=900, show_spinner=False)
def _hourly(
    _config: MuseumConfig, config_key: str, case_id: str, start: datetime, end: datetime
) -> pd.DataFrame:
    store = open_store(_config.influxdb, timeout_s=10)
    try:
        return hourly_climate(store, case_id, start, end)
    finally:
        store.close()


def _days(t: Translator, days: float) -> str:
    return t.number(days, 0) if math.isfinite(days) else "—"


def forecast_kind(t: Translator, actionable: bool) -> str:
    """Whether a forecast can be acted on, in a word."""
    return t("diagnose.forecast_kind_sure") if actionable else t("diagnose.forecast_kind_uncertain")


def _key(config: MuseumConfig) -> str:
    return f"{config.path}:{config.influxdb.url}:{config.influxdb.database}"


def case_tightness(config: MuseumConfig, t: Translator, case: Case) -> None:
    """The case's tightness against its gallery, a plot of case vs room, and its forecast."""
    reference = config.reference_for(case.id)
    if case.is_room:
        return
    st.subheader(t("diagnose.section"))
    if reference is None:
        st.caption(t("diagnose.no_reference_hint", gallery=safe_text.line(t.name(case.gallery))))
        return
    start, end = _window()
    try:
        (diagnosis,) = _diagnoses(config, _key(config), (case.id,), start, end)
        mine = _hourly(config, _key(config), case.id, start, end)
        room = _hourly(config, _key(config), reference.id, start, end)
    except StoreError as error:
        st.error(t("overview.database_error", url=config.influxdb.url, error=error))
        return
    st.caption(t("diagnose.section_help", reference=reference.id, days=DEFAULT_WINDOW.days))
    st.markdown("  \n".join(describe(diagnosis, t)))
    series = []
    for label, frame in (
        (f"{case.id} ({t('diagnose.label_case')})", mine),
        (f"{reference.id} ({t('diagnose.label_room')})", room),
    ):
        if not frame.empty:
            local = frame.index.tz_convert(config.zone).tz_localize(None)
            series.append(pd.DataFrame({"time": local, "rh_pct": frame["rh_pct"].to_numpy(), "air": label}))
    if not series:
        return
    data = pd.concat(series, ignore_index=True)
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X(
                "time:T",
                title=t("label.time_in", zone=t.zone(config.museum.timezone)),
                axis=alt.Axis(format=t.chart_time_format("day")),
            ),
            y=alt.Y("rh_pct:Q", title=t("case.chart_rh"), scale=alt.Scale(zero=False)),
            color=alt.Color("air:N", title=""),
            tooltip=[
                alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format()),
                alt.Tooltip("air:N", title=""),
                alt.Tooltip("rh_pct:Q", title=t("case.chart_rh"), format=t.axis_format(1)),
            ],
        )
        .properties(height=240)
    )
    if diagnosis.limit_rh_pct is not None:
        limit = pd.DataFrame({"rh_pct": [diagnosis.limit_rh_pct]})
        chart = chart + alt.Chart(limit).mark_rule(strokeDash=[6, 4], color="#c0392b").encode(y="rh_pct:Q")
    st.altair_chart(chart.configure(locale=t.chart_locale()), width="stretch")


def cases_to_look_after(config: MuseumConfig, t: Translator) -> None:
    """The cases forecast to pass their RH limit soonest (nothing without a room sensor)."""
    if not any(case.is_room for case in config.cases) and not any(c.facts.reference for c in config.cases):
        return
    start, end = _window()
    try:
        diagnoses = _diagnoses(config, _key(config), (), start, end)
    except StoreError as error:
        st.error(t("overview.database_error", url=config.influxdb.url, error=error))
        return
    # Err early: a case is listed when its crossing has one chance in four within the
    # period, uncertain forecasts too (said so), soonest first.
    soon = sorted(
        (d for d in diagnoses if d.forecast is not None and d.forecast.early_days <= LOOK_AFTER_DAYS),
        key=lambda d: d.forecast.early_days if d.forecast is not None else math.inf,
    )
    st.subheader(t("diagnose.look_after"))
    if not soon:
        st.caption(t("diagnose.look_after_none", days=int(LOOK_AFTER_DAYS)))
        return
    st.caption(t("diagnose.look_after_help_season", days=DEFAULT_WINDOW.days))
    n = t.number
    rows = []
    for d in soon:
        assert d.forecast is not None
        fit = d.tightness
        rows.append(
            {
                t("diagnose.col_case"): f"{d.case.id} · {t.name(d.case.name)}",
                t("diagnose.col_act_by"): crossing_date(d, t, d.forecast.early_days),
                t("diagnose.col_date"): crossing_date(d, t),
                t("diagnose.col_days"): _days(t, d.forecast.days),
                t("diagnose.col_forecast"): forecast_kind(t, d.forecast.actionable),
                t("diagnose.col_limit"): t.quantity(d.limit_rh_pct, "%", 0),
                t("diagnose.col_now"): t.quantity(d.rh_now_pct, "%"),
                t("diagnose.col_half_time"): n(fit.half_time_days, 1) if fit is not None else "—",
                t("diagnose.col_check"): t("diagnose.check_gel")
                if fit is not None and fit.buffered
                else t("diagnose.check_seals"),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def case_performance(
    config: MuseumConfig, t: Translator, case_ids: tuple[str, ...], start: datetime, end: datetime
) -> None:
    """A table of the cases' performance over the report's period — tightness, trend and
    forecast — that a conservator hands to facilities (nothing without a reference room)."""
    chosen = tuple(c for c in case_ids if not config.case(c).is_room and config.reference_for(c) is not None)
    if not chosen:
        return
    try:
        diagnoses = _diagnoses(config, _key(config), chosen, start, end)
    except StoreError as error:
        st.error(t("overview.database_error", url=config.influxdb.url, error=error))
        return
    n = t.number
    rows = []
    for d in diagnoses:
        fit = d.tightness
        usable = fit is not None and d.quality not in ("room_steady", "insufficient_data")
        forecast = d.forecast
        rows.append(
            {
                t("diagnose.col_case"): f"{d.case.id} · {t.name(d.case.name)}",
                t("diagnose.col_reference"): d.reference.id if d.reference else "—",
                t("diagnose.col_half_time"): n(fit.half_time_days, 2) if usable and fit else "—",
                t("diagnose.col_air_exchange"): n(fit.air_exchange_per_day, 2)
                if usable and fit and fit.air_exchange_per_day is not None
                else "—",
                t("diagnose.col_buffered"): (t("diagnose.yes") if fit.buffered else t("diagnose.no"))
                if usable and fit
                else "—",
                t("diagnose.col_trend"): n(d.trend_rh_pct_per_day, 2),
                t("diagnose.col_limit"): t.quantity(d.limit_rh_pct, "%", 0),
                t("diagnose.col_days_early"): _days(t, forecast.early_days) if forecast is not None else "—",
                t("diagnose.col_days"): _days(t, forecast.days) if forecast is not None else "—",
                t("diagnose.col_forecast"): forecast_kind(t, forecast.actionable)
                if forecast is not None
                else "—",
                t("diagnose.col_quality"): quality_text(t, d.quality),
            }
        )
    st.subheader(t("diagnose.performance"))
    st.caption(t("diagnose.performance_help_season"))
    st.dataframe(pd.DataFrame(rows), hide_index=True)
