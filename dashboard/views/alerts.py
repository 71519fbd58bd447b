"""Alerts: open alerts first, then history; each alert's full event log; acknowledgement
(signed-in conservators and admins) with a note that the log keeps."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.context import current_user, museum_config, translator
from dashboard.data import acknowledge, alert_log, alerts_table
from museum.secrets import redact_url
from museum.store import StoreError
from museum.users import CAN_ACKNOWLEDGE

config = museum_config()
t = translator()
st.title(t("alerts.title"))
st.caption(t("case.times_in", timezone=config.museum.timezone))

try:
    table = alerts_table(config.influxdb)
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()
if table.empty:
    st.info(t("alerts.none"))
    st.stop()


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("alerts.alert"): safe_text.column(frame["alert_id"]),
            t("alerts.state"): [t(f"state.{s}") for s in frame["state"]],
            t("alerts.case"): safe_text.column(frame["case_id"]),
            t("alerts.rule"): [t(f"rule.{r}") for r in frame["rule"]],
            t("alerts.opened"): [
                t.moment(o.tz_convert(config.zone).to_pydatetime(warn=False)) for o in frame["opened"]
            ],
        }
    )


open_alerts = table[table["state"] != "resolved"]
st.subheader(t("alerts.open", n=len(open_alerts)))
if open_alerts.empty:
    st.success(t("alerts.none_open"))
else:
    st.table(shown(open_alerts), hide_index=True)
st.subheader(t("alerts.history"))
st.table(shown(table[table["state"] == "resolved"].head(200)), hide_index=True)

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
            t("alerts.message"): safe_text.column(log.get("message", pd.Series([""] * len(log)))),
        }
    ),
    hide_index=True,
)

if alert_id in set(open_alerts["alert_id"]):
    user = current_user()
    if user is None or user[1] not in CAN_ACKNOWLEDGE:
        st.info(t("alerts.sign_in_to_ack"))
    else:
        with st.form("acknowledge"):
            note = st.text_area(t("alerts.note"), key="ack_note")
            if st.form_submit_button(t("alerts.acknowledge")):
                if not note.strip():
                    st.error(t("alerts.note_required"))
                else:
                    try:
                        acknowledge(config.influxdb, alert_id, user[0], note.strip())
                    except StoreError as error:
                        st.error(safe_text.text(str(error)))
                    else:
                        st.success(
                            t(
                                "alerts.acknowledged",
                                alert_id=safe_text.line(alert_id),
                                name=safe_text.line(user[0]),
                            )
                        )
