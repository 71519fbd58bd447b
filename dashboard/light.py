"""Light on the case and artefact pages (issue 32, docs/light.md): each object's dose this
year against its budget, the year at this rate, when to dim or rotate, UV, light at night.
The figures are :mod:`museum.assessment.light`'s; this module reads them once a few minutes
(cached) and lays them out."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import safe_text
from museum.assessment.light import CaseLight, assess_case_light, light_sentences
from museum.description.config import MuseumConfig
from museum.language.i18n import Translator
from museum.storage.store import StoreError
from museum.storage.stores import open_store


@st.cache_data(ttl=300, show_spinner=False)
def case_light_year(_config: MuseumConfig, config_key: str, case_id: str, hour: datetime) -> CaseLight | None:
    """The case's light this year up to ``hour`` (the cache's key with ``config_key``);
    None when the database cannot be read."""
    store = open_store(_config.influxdb, timeout_s=30)
    try:
        return assess_case_light(store, _config, _config.case(case_id), hour)
    except StoreError:
        return None
    finally:
        store.close()


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _cumulative_chart(t: Translator, config: MuseumConfig, light: CaseLight) -> alt.TopLevelMixin | None:
    """The dose so far this year, day by day, with each budget of the case's objects."""
    daily = light.hourly["illuminance_lux"].astype(float)
    if daily.empty:
        return None
    # Hourly means, one hour each: the day's lux hours are their sum.
    days = daily.tz_convert(config.zone).resample("1D").sum().cumsum()
    frame = pd.DataFrame({"day": days.index.tz_localize(None), "dose": days.to_numpy()})
    dose_title = t("light.chart_dose")
    line = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format=t.chart_time_format("day"), labelAngle=0)),
            y=alt.Y("dose:Q", title=dose_title, axis=alt.Axis(format=t.axis_format(0))),
            tooltip=[
                alt.Tooltip("day:T", title=t("label.time"), format=t.chart_time_format("day")),
                alt.Tooltip("dose:Q", title=dose_title, format=t.axis_format(0)),
            ],
        )
    )
    if light.objects:
        # Where the year leads at this rate: the same line for every object of the case.
        year = light.objects[0].year
        end_day = (frame["day"].iloc[-1] + pd.Timedelta(hours=year.hours_remaining)).normalize()
        ahead = pd.DataFrame(
            {
                "day": [frame["day"].iloc[-1], end_day],
                "dose": [frame["dose"].iloc[-1], year.projected_lux_hours],
            }
        )
        projected_title = t("light.projected_pct")
        line = line + alt.Chart(ahead).mark_line(strokeDash=[2, 3], color="gray").encode(
            x="day:T",
            y="dose:Q",
            tooltip=[
                alt.Tooltip("day:T", title=projected_title, format=t.chart_time_format("day")),
                alt.Tooltip("dose:Q", title=dose_title, format=t.axis_format(0)),
            ],
        )
    budgets = pd.DataFrame(
        [
            {
                "budget": item.year.budget_lux_hours,
                "object": f"{item.artefact.id} {t.name(item.artefact.name)}",
            }
            for item in light.objects
            if item.year.budget_lux_hours is not None
        ]
    )
    if budgets.empty:
        return line
    rules = (
        alt.Chart(budgets)
        .mark_rule(strokeDash=[4, 4], color="firebrick")
        .encode(
            y="budget:Q",
            tooltip=[
                alt.Tooltip("object:N", title=t("label.name")),
                alt.Tooltip("budget:Q", title=t("light.budget"), format=t.axis_format(0)),
            ],
        )
    )
    return (line + rules).properties(height=240).configure(locale=t.chart_locale())


def show_case_light(t: Translator, config: MuseumConfig, case_id: str) -> None:
    """The case page's light section: the dose this year against each budget, and a line
    per object that light harms."""
    st.subheader(t("light.heading"))
    light = case_light_year(config, str(config.path), case_id, this_hour())
    if light is None or not light.measured:
        st.caption(t("light.none"))
        return
    chart = _cumulative_chart(t, config, light)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    if light.hours_lit_closed:
        st.warning(t("light.night", hours=t.number(light.hours_lit_closed, 1)), icon=":material/light_off:")
    now = this_hour()
    for item in light.objects:
        if item.year.budget_lux_hours is None:
            continue
        name = f"{safe_text.line(item.artefact.id)} {safe_text.line(t.name(item.artefact.name))}"
        st.markdown(f"**{name}** — " + " ".join(light_sentences(t, item, now, config.zone)))


def show_artefact_light(t: Translator, config: MuseumConfig, case_id: str | None, artefact_id: str) -> None:
    """The artefact page's light section: the object's year in its present case."""
    if case_id is None or case_id not in {case.id for case in config.cases}:
        return
    light = case_light_year(config, str(config.path), case_id, this_hour())
    item = next((o for o in light.objects if o.artefact.id == artefact_id), None) if light else None
    if light is None or item is None:
        return
    st.subheader(t("light.heading"))
    if not light.measured:
        st.caption(t("light.none"))
        return
    year = item.year
    cols = st.columns(3)
    cols[0].metric(t("light.dose_so_far"), t.quantity(year.lux_hours, "lx·h", 0))
    cols[1].metric(t("light.used_pct"), "—" if year.used_pct is None else t.quantity(year.used_pct, "%", 0))
    cols[2].metric(
        t("light.projected_pct"),
        "—" if year.projected_pct is None else t.quantity(year.projected_pct, "%", 0),
    )
    for line in light_sentences(t, item, this_hour(), config.zone):
        st.markdown(line)
