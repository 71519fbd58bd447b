"""Alerts: what is at risk now (the same assessment the overview shows), the open
incidents, each with its title and an acknowledgement right on its row (signed-in
conservators and admins), the acknowledged ones, the history, and each incident's log."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.context import current_user, museum_config, translator
from dashboard.data import (
    ATTENTION_LEVEL,
    acknowledge,
    alert_log,
    headline,
    incident_objects,
    incident_title,
    incidents_table,
    latest_risk,
    object_statuses,
)
from dashboard.glance import pending_alerts, pending_sentence
from dashboard.links import artefact_link
from museum.description.secrets import redact_url
from museum.description.users import CAN_ACKNOWLEDGE
from museum.storage.store import StoreError

config = museum_config()
t = translator()
st.title(t("alerts.title"))
st.caption(t("case.times_in", timezone=t.zone(config.museum.timezone)))
now = datetime.now(UTC)
#: Artefact id → its config name: an incident's objects named in the reader's language.
NAMES = {artefact.id: artefact.name for case in config.cases for artefact in case.artefacts}

try:
    table = incidents_table(config.influxdb)
    objects = object_statuses(config.cases, latest_risk(config.influxdb))
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()

# The objects' levels as the overview shows them: an incident opens only once a cause has
# lasted the minimum duration, but the page never says "all calm" while an object is at risk.
if objects:
    sentence, level = headline(objects, t, now, len(config.cases), linked=True)
    if level >= ATTENTION_LEVEL:
        (st.error if level == 3 else st.warning)(sentence, icon=":material/warning:")
    else:
        st.success(sentence, icon=":material/check_circle:")
# What happens next: an object at a bad level whose alert waits for the rule's duration.
open_cases = set() if table.empty else set(table[table["state"] != "resolved"]["case_id"])
coming = pending_alerts(config, objects, open_cases)
if coming:
    st.subheader(t("glance.pending_title", n=len(coming)))
    # One element for the list: each element costs page time at 200 cases.
    st.markdown("\n".join(f"- {safe_text.line(pending_sentence(item, config, t, now))}" for item in coming))
if table.empty:
    st.info(t("alerts.none"))
    st.stop()

#: The objects the incidents may name: those in this museum's cases now (moves followed).
known_objects = {a.id: a for case in config.cases for a in case.artefacts}
user = current_user()
can_acknowledge = user is not None and user[1] in CAN_ACKNOWLEDGE
open_rows = table[~table["state"].isin(["resolved", "acknowledged"])]
acknowledged_rows = table[table["state"] == "acknowledged"]
st.subheader(t("alerts.open", n=len(open_rows)))
if open_rows.empty:
    st.success(t("alerts.none_open"))
elif not can_acknowledge:
    st.info(t("alerts.sign_in_to_ack"))
for row in open_rows.to_dict("records"):
    with st.container(border=True):
        colour = "red" if row["severity"] == "critical" else "orange"
        st.markdown(f":{colour}[**{safe_text.line(incident_title(row, t, now, NAMES, config.zone))}**]")
        opened = row["opened"].tz_convert(config.zone).to_pydatetime(warn=False)
        st.caption(f"{t('alerts.opened_at', time=t.moment(opened))} · {safe_text.line(row['alert_id'])}")
        concerned = incident_objects(row, known_objects)
        if concerned:
            st.markdown(
                t("alerts.objects", objects=", ".join(artefact_link(a.id, a.name, t) for a in concerned))
            )
        if can_acknowledge:
            assert user is not None
            with st.form(f"ack_{row['alert_id']}", border=False):
                note = st.text_area(t("alerts.note"), key=f"ack_note_{row['alert_id']}", height=68)
                if st.form_submit_button(t("alerts.acknowledge")):
                    if not note.strip():
                        st.error(t("alerts.note_required"))
                    else:
                        try:
                            acknowledge(config.influxdb, row["alert_id"], user[0], note.strip())
                        except StoreError as error:
                            st.error(safe_text.text(str(error)))
                        else:
                            st.session_state["acknowledged"] = t(
                                "alerts.acknowledged",
                                alert_id=safe_text.line(row["alert_id"]),
                                name=safe_text.line(user[0]),
                            )
                            # The page redraws at once: the incident moves to "acknowledged".
                            st.rerun()
if "acknowledged" in st.session_state:
    st.success(st.session_state.pop("acknowledged"))


def shown(frame: pd.DataFrame, with_note: bool = False) -> pd.DataFrame:
    data = {
        t("alerts.alert"): [
            safe_text.line(incident_title(r, t, now, NAMES, config.zone)) for r in frame.to_dict("records")
        ],
        t("alerts.state"): [t(f"state.{s}") for s in frame["state"]],
        t("alerts.opened"): [
            t.moment(o.tz_convert(config.zone).to_pydatetime(warn=False)) for o in frame["opened"]
        ],
    }
    data[t("label.artefacts")] = [
        ", ".join(artefact_link(a.id, a.name, t) for a in incident_objects(r, known_objects))
        for r in frame.to_dict("records")
    ]
    if with_note:
        data[t("alerts.user")] = safe_text.column(frame["user"]).tolist()
        data[t("alerts.note")] = safe_text.column(frame["note"]).tolist()
    return pd.DataFrame(data)


st.subheader(t("alerts.acknowledged_section", n=len(acknowledged_rows)))
if not acknowledged_rows.empty:
    st.table(shown(acknowledged_rows, with_note=True), hide_index=True)
st.subheader(t("alerts.history"))
resolved = table[table["state"] == "resolved"].head(200)
if resolved.empty:  # an empty table would say Streamlit's English "empty"
    st.caption(t("alerts.no_history"))
else:
    st.table(shown(resolved, with_note=True), hide_index=True)

st.subheader(t("alerts.log"))
alert_id = st.selectbox(t("alerts.alert"), list(table["alert_id"]), key="alert_choice")
log = alert_log(config.influxdb, alert_id)
st.table(
    pd.DataFrame(
        {
            t("label.time"): [
                t.moment(x.tz_convert(config.zone).to_pydatetime(warn=False), "medium") for x in log["time"]
            ],
            t("alerts.state"): [t(f"state.{s}") for s in log["state"]],
            t("alerts.user"): safe_text.column(log.get("user", pd.Series([""] * len(log)))),
            t("alerts.note"): safe_text.column(log.get("note", pd.Series([""] * len(log)))),
            # "opened: email, mqtt" as the collector writes it, said in the reader's language.
            # The objects an opening names ("DBP-1 Excavated bayonet (risk)") likewise.
            t("alerts.message"): safe_text.column(
                log.get("message", pd.Series([""] * len(log)))
                .fillna("")
                .astype(str)
                .map(
                    lambda message: t.objects_at_risk(
                        t.event_message(message), {i: a.name for i, a in known_objects.items()}
                    )
                )
            ),
        }
    ),
    hide_index=True,
)
