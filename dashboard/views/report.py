"""Reports: a printable climate report for a case or a gallery over a period, in HTML and
PDF, with the share of time inside a loan agreement's bands when the user gives them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from analysis.metrics import LoanBands
from dashboard import safe_text
from dashboard.context import museum_config, translator, written_config
from dashboard.data import artefact_loan_bands, printable_report
from dashboard.inputs import number_field, period_input
from dashboard.views.diagnosis import case_performance
from museum.description.secrets import redact_url
from museum.loans.moves import MoveError
from museum.storage.store import StoreError

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
        format_func=lambda cid: f"{cid} · {t.name(config.case(cid).name)}",
    )
    case_ids = (case_id,)
    subject = f"{case_id} · {t.name(config.case(case_id).name)}"
else:
    gallery = st.selectbox(t("label.gallery"), list(config.galleries), format_func=t.name)
    case_ids = tuple(c.id for c in config.cases if c.gallery == gallery)
    subject = t.name(gallery)

# Typed in the reader's format: Streamlit's date picker names months in English.
first, last = period_input(t, "report_period", datetime.now(config.zone).date(), days=30)
start = datetime.combine(first, time.min, tzinfo=config.zone).astimezone(UTC)
end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=config.zone).astimezone(UTC)

bands = None
if st.toggle(t("print.loan_toggle"), help=t("print.loan_help")):
    # The RH band typed in, or the band that suits an object's history and materials
    # (docs/passport.md), as `patina report --bands-from` takes it.
    objects = {a.id: a for c in config.cases for a in c.artefacts}
    source = st.selectbox(
        t("print.bands_from"),
        [None, *sorted(objects)],
        format_func=lambda aid: (
            t("print.bands_typed") if aid is None else f"{t.name(objects[aid].name)} ({aid})"
        ),
        help=t("print.bands_from_help"),
    )
    rh_default = (45.0, 5.0)
    if source is not None:
        try:
            # The config as written: museum.loans.moves tells arrivals by passport from its own objects.
            loan, suitable = artefact_loan_bands(written_config(), source, start)
        except (MoveError, StoreError) as error:
            st.error(safe_text.line(str(error)))
            st.stop()
        rh_default = (loan.rh_target_pct, loan.rh_tolerance_pct)
        st.caption(
            t(
                "print.bands_from_result",
                name=safe_text.line(t.name(objects[source].name)),
                lower=t.number(suitable.lower_pct),
                upper=t.number(suitable.upper_pct),
                basis=t(f"passport.basis.{suitable.basis}"),
            )
        )
    columns = st.columns(5)
    # Typed with the reader's decimal sign: Streamlit's number input writes "45.00".
    with columns[0]:
        # From an object's band: fixed, and under a key of their own (a typed value is not kept over it).
        rh_target = number_field(
            t,
            t("print.rh_target"),
            rh_default[0],
            f"loan_rh_target_{source or ''}",
            0.0,
            100.0,
            0,
            disabled=source is not None,
        )
    with columns[1]:
        rh_tolerance = number_field(
            t,
            t("print.rh_tolerance"),
            rh_default[1],
            f"loan_rh_tolerance_{source or ''}",
            0.0,
            50.0,
            disabled=source is not None,
        )
    with columns[2]:
        t_target = number_field(t, t("print.temperature_target"), 20.0, "loan_t_target", -10.0, 40.0)
    with columns[3]:
        t_tolerance = number_field(t, t("print.temperature_tolerance"), 2.0, "loan_t_tolerance", 0.0, 20.0)
    with columns[4]:
        change = number_field(t, t("print.max_change"), 5.0, "loan_max_change", 0.0, 50.0)
    bands = LoanBands(rh_target, rh_tolerance, t_target, t_tolerance, change)

# What the report is made of: a report made for other choices is not shown as if it were theirs.
choices = (case_ids, start, end, bands, t.language, subject)
if st.button(t("print.make"), type="primary", icon=":material/description:"):
    try:
        with st.spinner(t("print.making")):
            page, pdf, on_screen = printable_report(config, case_ids, start, end, bands, t.language, subject)
    except StoreError as error:
        st.error(t("overview.database_error", url=redact_url(config.influxdb.url), error=error))
        st.stop()
    # Kept in the session: a download button reruns the page, which would otherwise lose
    # the preview the moment the PDF is saved.
    st.session_state["report"] = {"choices": choices, "page": page, "pdf": pdf, "on_screen": on_screen}
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
        st.html(made["on_screen"])  # with links to the objects' pages; the files have none

case_performance(config, t, case_ids, start, end)  # docs/diagnostics.md
