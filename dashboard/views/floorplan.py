"""Floor plan: a gallery's plan (``[[galleries]]`` in the config) with each case where it
stands, in the colour of its worst object's level; a click on a case opens its page. Cases
of the gallery without a place on the plan are listed beside it."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import safe_text
from dashboard.context import current_user, museum_config, translator
from dashboard.data import case_placings, case_statuses, overview_inputs, silent_after, with_risk_and_alerts
from dashboard.glance import case_list_html, legend_html, plan_data_uri, plan_html
from dashboard.placing import PLACING_ROLES, placing_controls
from museum.description.secrets import redact_url
from museum.storage.positions import with_placings
from museum.storage.store import StoreError

config = museum_config()
t = translator()
SENSORS = tuple(sensor for case in config.cases for sensor in case.sensors)

st.title(t("floorplan.title"))
plans = [gallery for gallery in config.floorplans if not gallery.outdoor]
if not plans:
    st.info(t("floorplan.none"))
    st.stop()

ids = [gallery.id for gallery in plans]
requested = st.query_params.get("gallery")
chosen = st.segmented_control(
    t("floorplan.gallery"),
    ids,
    default=requested if requested in ids else ids[0],
    format_func=lambda gid: safe_text.line(t.name(next(g.gallery for g in plans if g.id == gid))),
    key="floorplan_gallery",
)
gallery = next(g for g in plans if g.id == (chosen or ids[0]))
st.query_params["gallery"] = gallery.id

try:
    inputs = overview_inputs(config.influxdb, SENSORS)
    placings = case_placings(config.influxdb)
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()
now = datetime.now(UTC)
cases = tuple(case for case in config.cases if case.gallery == gallery.gallery)
# Where an admin placed a case with the mouse wins over the config (museum.storage.positions).
gallery = with_placings(gallery, {case.id for case in cases}, placings)
statuses = {
    status.case.id: status
    for status in with_risk_and_alerts(
        case_statuses(cases, inputs.latest, now, silent_after(config)), inputs.risk, inputs.alerts
    )
}
names = {case.id: t.name(case.name) for case in cases}

plan_column, side = st.columns([4, 1])
with plan_column:
    st.html(legend_html(t))
    image = plan_data_uri(gallery.plan) if gallery.plan is not None else None
    if image is None:
        st.warning(
            t("floorplan.no_image", path=safe_text.line(str(gallery.plan) if gallery.plan else "—")),
            icon=":material/warning:",
        )
    else:
        st.html(plan_html(gallery, image, statuses, t, names))
with side:
    unplaced = [case for case in cases if gallery.position(case.id) is None or image is None]
    st.subheader(t("floorplan.unplaced"))
    if not unplaced:
        st.caption(t("floorplan.all_placed"))
    if unplaced:
        st.html(case_list_html(unplaced, statuses, t))
st.caption(t("floorplan.help"))

user = current_user()
if user is not None and user[1] in PLACING_ROLES:
    placing_controls(config, gallery, cases, statuses, image, t, user[0])
