"""Reports: a printable climate report for a case or a gallery over a period, in HTML and
PDF, with the share of time inside a loan agreement's bands when the user gives them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from analysis.metrics import LoanBands
from dashboard.context import museum_config, translator
from dashboard.data import printable_report
from dashboard.views.diagnosis import case_performance
from museum.secrets import redact_url
from museum.store import StoreError

config = museum_config()
t = translator()

st.title(t("print.page_title"))
st.caption(t("print.page_help"))
if not config.cases:
    st.info(t("overview.no_cases"))
    st.stop()

kind = st.radio(
    t("print.subject"), ["case", "gallery"], format_func=lambda k: t(f"print.subject_{k}"), horizontal=True
)
if kind == "case":
    case_id = st.selectbox(
        t("label.case"),
        [c.id for c in config.cases],
        format_func=lambda cid: f"{cid} · {config.case(cid).name}",
    )
    case_ids = (case_id,)
    subject = f"{case_id} · {config.case(case_id).name}"
else:
    gallery = st.selectbox(t("label.gallery"), list(config.galleries))
    case_ids = tuple(c.id for c in config.cases if c.gallery == gallery)
    subject = gallery

today = datetime.now(config.zone).date()
chosen = st.date_input(
    t("print.period_input"), value=(today - timedelta(days=30), today), max_value=today, format="DD/MM/YYYY"
)
first, last = chosen if isinstance(chosen, tuple) and len(chosen) == 2 else (today, today)
assert isinstance(first, date) and isinstance(last, date)
start = datetime.combine(first, time.min, tzinfo=config.zone).astimezone(UTC)
end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=config.zone).astimezone(UTC)

bands = None
if st.toggle(t("print.loan_toggle"), help=t("print.loan_help")):
    columns = st.columns(5)
    rh_target = columns[0].number_input(t("print.rh_target"), 0.0, 100.0, 45.0, 1.0)
    rh_tolerance = columns[1].number_input(t("print.rh_tolerance"), 0.0, 50.0, 5.0, 0.5)
    t_target = columns[2].number_input(t("print.temperature_target"), -10.0, 40.0, 20.0, 0.5)
    t_tolerance = columns[3].number_input(t("print.temperature_tolerance"), 0.0, 20.0, 2.0, 0.5)
    change = columns[4].number_input(t("print.max_change"), 0.0, 50.0, 5.0, 0.5)
    bands = LoanBands(rh_target, rh_tolerance, t_target, t_tolerance, change)

# What the report is made of: a report made for other choices is not shown as if it were theirs.
choices = (case_ids, start, end, bands, t.language, subject)
if st.button(t("print.make"), type="primary", icon=":material/description:"):
    try:
        with st.spinner(t("print.making")):
            page, pdf = printable_report(config, case_ids, start, end, bands, t.language, subject)
    except StoreError as error:
        st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
        st.stop()
    # Kept in the session: a download button reruns the page, which would otherwise lose
    # the preview the moment the PDF is saved.
    st.session_state["report"] = {"choices": choices, "page": page, "pdf": pdf}
made = st.session_state.get("report")
if made is not None and made["choices"] == choices:
    stem = f"patina-report-{first.isoformat()}-{last.isoformat()}"
    columns = st.columns(2)
    columns[0].download_button(
        t("print.download_pdf"),
        made["pdf"],
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )
    columns[1].download_button(
        t("print.download_html"),
        made["page"],
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/html:",
        on_click="ignore",
    )
    with st.container(border=True):
        st.html(made["page"])

case_performance(config, t, case_ids, start, end)  # docs/diagnostics.md
