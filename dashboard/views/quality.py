"""Data quality: every sensor with its last reading, battery and message rate; messages
in quarantine by reason; the collectors' health."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.context import museum_config, translator
from dashboard.data import collector_health, latest_climate, message_counts, silent_after
from museum.secrets import redact_url
from museum.store import StoreError

config = museum_config()
t = translator()
#: Every sensor of the museum: the latest readings look further back for those silent for a day.
SENSORS = tuple(sensor for case in config.cases for sensor in case.sensors)
st.title(t("quality.title"))

try:
    latest = latest_climate(config.influxdb, SENSORS)
    counts = message_counts(config.influxdb)
    health = collector_health(config.influxdb)
except StoreError as error:
    st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
    st.stop()

now = datetime.now(UTC)
last = {} if latest.empty else {row["sensor_id"]: row for row in latest.to_dict("records")}
per_hour = {} if counts.empty else dict(zip(counts["sensor_id"], counts["readings"], strict=True))
rows = []
for case in config.cases:
    for sensor in case.sensors:
        row = last.get(sensor)
        age = (now - row["time"]).total_seconds() if row else None
        rows.append(
            {
                t("label.sensor"): safe_text.line(sensor),
                t("alerts.case"): safe_text.line(case.id),
                t("label.last_reading"): t.age(age) if age is not None else t("overview.no_data"),
                t("quality.status"): t("quality.silent")
                if age is None or age > silent_after(config).total_seconds()
                else t("quality.ok"),
                t("label.battery"): t.quantity(row["battery_pct"], "%", 0)
                if row and pd.notna(row["battery_pct"])
                else "—",
                t("quality.per_hour"): int(per_hour.get(sensor, 0)),
            }
        )
st.subheader(t("quality.sensors"))
st.table(pd.DataFrame(rows), hide_index=True)

st.subheader(t("quality.collectors"))
if health.empty:
    st.info(t("quality.no_collector"))
else:
    for record in health.to_dict("records"):
        reported = record["time"].tz_convert(config.zone).to_pydatetime(warn=False)
        st.markdown(f"**{safe_text.line(record['instance'])}** · {t.moment(reported, 'medium')}")
        cols = st.columns(5)
        for col, (key, label) in zip(
            cols,
            (
                ("received", "quality.received"),
                ("written", "quality.written"),
                ("spool_depth", "quality.spool"),
                ("quarantined", "quality.quarantined"),
                ("broker_dropped", "quality.dropped"),
            ),
            strict=True,
        ):
            value = record.get(key)
            col.metric(t(label), "—" if value is None or pd.isna(value) else t.number(value, 0))
        reasons = {
            k.removeprefix("quarantined_"): v
            for k, v in record.items()
            if k.startswith("quarantined_") and pd.notna(v) and v
        }
        if reasons:
            st.table(
                pd.DataFrame(
                    {
                        t("quality.reason"): list(reasons),
                        t("quality.count"): [int(v) for v in reasons.values()],
                    }
                ),
                hide_index=True,
            )
