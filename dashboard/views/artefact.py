"""Artefact page: an object's materials and limits, where it has been, the climate and risk
it lived in across moves, the alerts that concerned it, and its passport
(docs/passport.md). Open an object with ``?artefact=ID``."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from analysis.history import historic_band, materials_range, suitable_band
from analysis.materials import profile
from analysis.risk import LEVELS
from dashboard import safe_text
from dashboard.context import museum_config, translator, written_config
from dashboard.light import show_artefact_light
from museum.description.config import MuseumConfig
from museum.description.secrets import redact_url
from museum.files.reports import alert_summaries
from museum.loans.moves import artefact_info, history, history_risk, locations, move_events, timeline
from museum.loans.passport import PassportError, export_passport
from museum.storage.store import StoreError
from museum.storage.stores import open_store

# museum.loans.moves tells this museum's objects from those that arrived by passport by the
# config as written; the placed config only adds the arrivals' names.
config = written_config()
placed = museum_config()
t = translator()
RANGES = {"30d": timedelta(days=30), "1y": timedelta(days=395)}


@st.cache_data(ttl=60, show_spinner=False)
def passport_bytes(
    _config: MuseumConfig, config_key: str, artefact_id: str, start: datetime, end: datetime
) -> bytes:
    """The passport zip for the period on screen (``config_key`` keys the cache)."""
    store = open_store(_config.influxdb, timeout_s=30)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "passport.zip"
            export_passport(_config, store, artefact_id, path, start, end)
            return path.read_bytes()
    finally:
        store.close()


def label(kind: str, value: str) -> str:
    """A rule's or state's name in the reader's language; a name from a newer part of
    Patina without a translation yet, as it is."""
    try:
        return t(f"{kind}.{value}")
    except KeyError:
        return safe_text.line(value)


def museum_name(name: str) -> str:
    """A museum as the move log records it; this museum in the reader's language."""
    return t.name(config.museum.name) if name == config.museum.name else name


store = open_store(config.influxdb, timeout_s=10)
try:
    places_now = locations(config, store)
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()
if not places_now:
    st.info(t("artefact.none"))
    st.stop()
ids = sorted(places_now)
names = {a.id: a.name for cfg in (placed, config) for c in cfg.cases for a in c.artefacts}
requested = st.query_params.get("artefact")
artefact_id = st.sidebar.selectbox(
    t("artefact.select"),
    ids,
    index=ids.index(requested) if requested in ids else 0,
    format_func=lambda aid: f"{aid} · {t.name(names.get(aid, ''))}".rstrip(" ·"),
)
st.query_params["artefact"] = artefact_id
info = artefact_info(config, store, artefact_id)
place = places_now[artefact_id]

st.title(t("artefact.title", id=safe_text.line(info.id), name=safe_text.line(t.name(info.name))))
caption = [", ".join(t.material(m) for m in info.materials)]
if info.lending_museum and info.lending_museum != config.museum.name:
    caption.append(t("artefact.on_loan_from", museum=safe_text.line(info.lending_museum)))
st.caption(" · ".join(caption))
if place.kind == "departure":
    # Lent: recorded by `patina passport export --departs` (docs/passport.md).
    since = t.moment(place.since.tz_convert(config.zone).to_pydatetime(warn=False))
    st.markdown(t("artefact.on_loan_to", museum=safe_text.line(museum_name(place.museum)), since=since))
else:
    # This museum's sites by their names; another museum's as its passport wrote them.
    sites = {s.id: t.name(s.name) for s in config.sites} if place.museum == config.museum.name else {}
    where = {
        "case": safe_text.line(place.case_id),
        "site": safe_text.line(sites.get(place.site, place.site)),
        "museum": safe_text.line(museum_name(place.museum)),
    }
    if place.since.year <= 1900:  # in its config case, never moved: no date to give ("since —")
        st.markdown(t("artefact.now_from_config", **where))
    else:
        since = t.moment(place.since.tz_convert(config.zone).to_pydatetime(warn=False))
        st.markdown(t("artefact.now", since=since, **where))

range_key = (
    st.segmented_control(
        t("case.range"), list(RANGES), default="30d", format_func=lambda key: t(f"artefact.range_{key}")
    )
    or "30d"
)
end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
start = end - RANGES[range_key]
try:
    hours = history(config, store, artefact_id, start, end)
    events = move_events(store, artefact_id)
    alerts = store.alert_events(within=end - start + timedelta(days=1))
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()
finally:
    store.close()

# --- limits: materials, history, the band that suits both -------------------------------------
st.subheader(t("artefact.limits"))
rows = []
for material in info.materials:
    spec = profile(material)
    rows.append(
        {
            t("artefact.material"): t.material(material),
            t("artefact.safe_below"): t.quantity(spec.rh_safe_pct, "%", 0),
            t("artefact.risk_from"): t.quantity(spec.rh_risk_pct, "%", 0),
            t("artefact.critical_from"): t.quantity(spec.rh_critical_pct, "%", 0),
            t("artefact.too_dry_below"): t.quantity(spec.rh_too_dry_pct, "%", 0),
        }
    )
if rows:
    st.table(pd.DataFrame(rows), hide_index=True)
band = historic_band(hours.set_index("time")["rh_pct_mean"].astype(float)) if not hours.empty else None
suit = suitable_band(band, info.materials)
low, high = materials_range(info.materials)
cols = st.columns(3)
cols[0].metric(t("artefact.materials_range"), f"{t.number(low, 0)}–{t.number(high, 0)} %")
cols[1].metric(
    t("artefact.historic_band"),
    "—" if band is None else f"{t.number(band.lower_pct, 0)}–{t.number(band.upper_pct, 0)} %",
    help=t("artefact.historic_help"),
)
cols[2].metric(
    t("artefact.suitable_band"),
    f"{t.number(suit.lower_pct, 0)}–{t.number(suit.upper_pct, 0)} %",
    help=t(f"passport.basis.{suit.basis}"),
)

# --- where it has been -------------------------------------------------------------------------
st.subheader(t("artefact.where"))
places, transits = timeline(config, store, artefact_id, events)
notes = {(row.time, row.museum): row for row in events.itertuples(index=False)} if not events.empty else {}
moves_rows = []
for item in places + [p for _, _, p in transits]:
    event = notes.get((item.since, item.museum))
    moves_rows.append(
        {
            t("artefact.from"): "—"
            if item.since.year <= 1900
            else t.moment(item.since.tz_convert(config.zone).to_pydatetime(warn=False)),
            # An arrival at the museum that lent the object is its return.
            t("artefact.kind"): t("artefact.kind_return")
            if item.kind == "arrival" and item.museum == info.lending_museum
            else t(f"artefact.kind_{item.kind}"),
            t("artefact.museum"): museum_name(item.museum),
            t("alerts.case"): "—" if item.kind == "departure" else item.case_id,
            t("artefact.user"): "" if event is None else event.user,
            t("artefact.note"): "" if event is None else event.note,
        }
    )
table = pd.DataFrame(moves_rows)
for column in table.columns:
    table[column] = safe_text.column(table[column].astype(str))
st.table(table, hide_index=True)

# --- climate across moves ----------------------------------------------------------------------
st.subheader(t("artefact.climate"))
if hours.empty:
    st.info(t("artefact.no_climate"))
else:
    data = hours.copy()
    data["time"] = data["time"].dt.tz_convert(config.zone).dt.tz_localize(None)
    # This museum's cases by their ids, another museum's with its name (legends are narrow).
    data["place"] = data["case_id"].where(
        data["museum"] == config.museum.name, data["case_id"] + " · " + data["museum"]
    )
    # One line per stay: a case left and found again later is not joined across the months
    # between, and neither is a gap in the readings.
    new_stay = (data["place"] != data["place"].shift()) | (data["time"].diff() > pd.Timedelta(hours=1))
    data["stay"] = new_stay.cumsum()
    for column in ("rh_pct_mean", "rh_pct_min", "rh_pct_max", "temperature_c_mean"):
        data[column] = data[column].astype(float)
    # Dates, numbers and month names in the reader's language (docs/languages.md).
    locale = t.chart_locale()
    zone_name = t.zone(config.museum.timezone)
    time_axis = alt.X(
        "time:T",
        title=zone_name[:1].upper() + zone_name[1:],
        axis=alt.Axis(
            format=t.chart_time_format("day" if range_key == "30d" else "month"),
            labelAngle=0,
            labelOverlap=True,
        ),
    )
    when = alt.Tooltip("time:T", title=t("label.time"), format=t.chart_time_format())
    where_tip = alt.Tooltip("place:N", title=t("artefact.place"))
    rh_title = t("label.with_unit", label=t("label.rh"), unit="%")
    base = alt.Chart(data).encode(
        x=time_axis,
        detail="stay:N",
        color=alt.Color("place:N", title=t("artefact.place"), legend=alt.Legend(labelLimit=260)),
    )
    rh = base.mark_area(opacity=0.25).encode(
        y=alt.Y("rh_pct_min:Q", title=rh_title, axis=alt.Axis(format=t.axis_format(0))),
        y2="rh_pct_max:Q",
        tooltip=[
            when,
            where_tip,
            alt.Tooltip("rh_pct_min:Q", title=t("artefact.rh_min"), format=t.axis_format(1)),
            alt.Tooltip("rh_pct_max:Q", title=t("artefact.rh_max"), format=t.axis_format(1)),
        ],
    ) + base.mark_line().encode(
        y="rh_pct_mean:Q",
        tooltip=[
            when,
            where_tip,
            alt.Tooltip("rh_pct_mean:Q", title=t("artefact.rh_mean"), format=t.axis_format(1)),
        ],
    )
    band_rule = (
        alt.Chart(pd.DataFrame({"y": [suit.lower_pct, suit.upper_pct]}))
        .mark_rule(strokeDash=[4, 4], color="gray")
        .encode(
            y="y:Q", tooltip=[alt.Tooltip("y:Q", title=t("artefact.suitable_band"), format=t.axis_format(1))]
        )
    )
    st.altair_chart((rh + band_rule).properties(height=280).configure(locale=locale), width="stretch")
    temperature_title = t("label.with_unit", label=t("label.temperature"), unit="°C")
    temperature = base.mark_line().encode(
        y=alt.Y(
            "temperature_c_mean:Q",
            title=temperature_title,
            scale=alt.Scale(zero=False),
            axis=alt.Axis(format=t.axis_format(1)),
        ),
        tooltip=[
            when,
            where_tip,
            alt.Tooltip("temperature_c_mean:Q", title=temperature_title, format=t.axis_format(1)),
        ],
    )
    st.altair_chart(temperature.properties(height=200).configure(locale=locale), width="stretch")
    risk = history_risk(hours, info.materials)
    per_level = risk["hours_per_level"]
    cols = st.columns(len(LEVELS))
    for col, level in zip(cols, LEVELS, strict=True):
        col.metric(t(f"level.{level}"), t("artefact.hours", n=t.number(per_level.get(level, 0.0), 0)))
    for metal, dose in risk["corrosion_dose"].items():
        st.caption(t("artefact.dose", material=t.material(metal), dose=t.number(dose, 0)))

# --- light this year, in its case (docs/light.md) -----------------------------------------------
here = place.kind != "departure" and place.museum == config.museum.name
show_artefact_light(t, placed, place.case_id if here else None, artefact_id)

# --- alerts of the cases it was in, while it was there -----------------------------------------
st.subheader(t("artefact.alerts"))
own = hours[hours["museum"] == config.museum.name] if not hours.empty else hours
if alerts.empty or own.empty:
    st.info(t("artefact.no_alerts"))
else:
    stays = own.groupby("case_id")["time"].agg(["min", "max"])
    mask = pd.Series(False, index=alerts.index)
    for case_id, (first, last) in stays.iterrows():
        mask |= (
            (alerts["case_id"] == case_id)
            & (alerts["time"] >= first)
            & (alerts["time"] < last + pd.Timedelta(hours=1))
        )
    concerned = alerts[mask]
    if concerned.empty:
        st.info(t("artefact.no_alerts"))
    else:
        # One row per alert (its furthest state), not one per event of its log.
        case_of = dict(zip(concerned["alert_id"], concerned["case_id"], strict=False))
        summary = alert_summaries(concerned)
        shown = pd.DataFrame(
            {
                t("artefact.from"): [
                    t.moment(moment.tz_convert(config.zone).to_pydatetime(warn=False))
                    for moment in summary["opened"]
                ],
                t("alerts.case"): safe_text.column(summary["alert_id"].map(case_of)),
                t("alerts.rule"): [label("rule", rule) for rule in summary["rule"]],
                t("alerts.state"): [label("state", state) for state in summary["state"]],
            }
        )
        st.table(shown, hide_index=True)

# --- passport ----------------------------------------------------------------------------------
st.subheader(t("artefact.passport"))
st.caption(t("artefact.passport_help"))
try:
    package = passport_bytes(config, str(config.path), artefact_id, start, end)
    st.download_button(
        t("artefact.passport_download"),
        package,
        file_name=f"{artefact_id}-passport.zip",
        mime="application/zip",
    )
except (PassportError, StoreError) as error:
    st.error(safe_text.line(str(error)))
