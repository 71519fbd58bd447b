"""On loan: the case each of this museum's objects is in at a partner museum, live, as the
partner's bridge shares it (issue 27, docs/partners.md): marked "on loan at …", its air
over the last days against this museum's own limits for the object's materials."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import safe_text
from dashboard.context import museum_config, translator
from museum.description.config import Artefact, Case, MuseumConfig, Partner
from museum.description.limits import case_limits
from museum.description.secrets import redact_url
from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.store import DatabaseMissing, StoreError
from museum.storage.stores import open_store

#: The measurement the collector stores partners' readings in (collector/partners.py).
PARTNER_CLIMATE = "partner_climate"

config = museum_config()
t = translator()


@st.cache_data(ttl=30, show_spinner=False)
def partner_readings(
    _config: MuseumConfig, config_key: str, partner_id: str, case_id: str, start: datetime
) -> pd.DataFrame:
    """The readings ``partner_id`` shared of its case ``case_id`` since ``start``."""
    store = open_store(_config.influxdb, timeout_s=10)
    try:
        return store.frame(
            f"SELECT temperature_c, rh_pct, sensor_id FROM {quote_identifier(PARTNER_CLIMATE)} "
            f"WHERE partner = {quote_literal(partner_id)} AND case_id = {quote_literal(case_id)} "
            f"AND time >= {time_literal(start)}"
        )
    except DatabaseMissing:
        return pd.DataFrame()
    finally:
        store.close()


def artefact(artefact_id: str) -> Artefact | None:
    return next((a for c in config.cases for a in c.artefacts if a.id == artefact_id), None)


def show(partner: Partner, artefact_id: str, case_id: str) -> None:
    partner_name = partner.name.get(t.language)
    st.subheader(t("partner.on_loan_at", partner=safe_text.line(partner_name), case=safe_text.line(case_id)))
    thing = artefact(artefact_id)
    if thing is not None:
        st.write(f"**{safe_text.line(thing.id)}** — {safe_text.line(t.name(thing.name))}")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2)
    try:
        data = partner_readings(config, str(config.path), partner.id, case_id, start)
    except StoreError as error:
        st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
        return
    if data.empty:
        st.info(t("partner.none", partner=safe_text.line(partner_name)))
        return
    latest = data.iloc[-1]
    since = pd.Timestamp(latest["time"]).tz_convert(config.zone).to_pydatetime()
    st.caption(
        t("partner.live_caption", partner=safe_text.line(partner_name), since=t.moment(since, "medium"))
    )
    # This museum's limits for the object, whatever the borrower's own are.
    limits = case_limits(
        config, replace(Case(case_id, "-", "-", case_id, ()), artefacts=(thing,) if thing else ())
    )
    left, right = st.columns(2)
    left.metric(t("partner.rh_now"), f"{t.number(float(latest['rh_pct']))} %")
    right.metric(t("partner.temperature_now"), f"{t.number(float(latest['temperature_c']))} °C")
    if limits.rh_max_pct is not None:
        st.caption(t("partner.own_limit", limit=t.number(limits.rh_max_pct, 0)))
    chart = (
        # The museum's wall clock, as the caption gives it.
        alt.Chart(
            data.assign(time=pd.to_datetime(data["time"]).dt.tz_convert(config.zone).dt.tz_localize(None))
        )
        .mark_line()
        .encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%d/%m %H:%M")),
            y=alt.Y("rh_pct:Q", title=t("case.chart_rh"), axis=alt.Axis(format=t.axis_format(0))),
            color=alt.Color("sensor_id:N", title=None),
        )
    )
    if limits.rh_max_pct is not None:
        rule = (
            alt.Chart(pd.DataFrame({"limit": [limits.rh_max_pct]})).mark_rule(color="red").encode(y="limit:Q")
        )
        chart = chart + rule
    st.altair_chart(chart, use_container_width=True)


st.title(t("nav.loans"))
lent = [(p, o.artefact_id, o.case_id) for p in config.partners for o in p.objects]
if not lent:
    st.info(t("partner.no_loans"))
    st.stop()
for partner, artefact_id, case_id in lent:
    show(partner, artefact_id, case_id)
