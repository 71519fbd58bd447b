"""Calibration on the dashboard (docs/calibration.md): a case's checks and the form a
conservator records one with (case page), and the sensors whose last check is beyond their
stated accuracy (data-quality page). The log is :mod:`museum.storage.calibration`."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from analysis.calibration import GREENSPAN_1977_PCT, CalibrationError, salt_rh_pct
from dashboard import safe_text
from dashboard.context import current_user
from museum.description.config import Case, InfluxConfig, MuseumConfig
from museum.description.users import CAN_ACKNOWLEDGE
from museum.language.i18n import Translator
from museum.storage.calibration import (
    INSTRUMENT_KIND,
    CalibrationRecord,
    NewCheck,
    flagged,
    record_check,
    records_from,
    reference_kind_text,
    salt_kind,
    unit_text,
    withdraw_check,
)
from museum.storage.store import StoreError
from museum.storage.stores import open_store

#: Who may record a check: those who may acknowledge an alert (conservators, admins).
CAN_CALIBRATE = CAN_ACKNOWLEDGE


@st.cache_data(ttl=10, show_spinner=False)
def calibration_records(influx: InfluxConfig) -> list[CalibrationRecord]:
    """Every check recorded, oldest first, withdrawn ones marked."""
    store = open_store(influx, timeout_s=10)
    try:
        return records_from(store.calibration_log())
    finally:
        store.close()


def records_table(records: list[CalibrationRecord], t: Translator, zone: object) -> pd.DataFrame:
    """The checks as a table for a person: what was checked when, against what, by whom."""
    rows = []
    for r in records:
        rows.append(
            {
                t("calibration.form.sensor"): r.sensor_id,
                t("calibration.form.quantity"): t(f"calibration.quantity.{r.quantity}"),
                t("calibration.table.time"): t.moment(r.time.tz_convert(zone).to_pydatetime(warn=False)),
                t("calibration.table.reference"): f"{t.number(r.reference, 2)} {unit_text(r.quantity, t)}",
                t("calibration.form.measured"): f"{t.number(r.measured, 2)} {unit_text(r.quantity, t)}",
                t("calibration.table.against"): reference_kind_text(r.reference_kind, t),
                t("calibration.table.by"): r.user,
                t("calibration.table.note"): " / ".join(r.note.splitlines()),
                "id": r.record_id + (" ✗" if r.withdrawn is not None else ""),
            }
        )
    return pd.DataFrame(rows)


def case_calibrations(config: MuseumConfig, case: Case, t: Translator) -> None:
    """The case page's part: its sensors' checks, and the form for conservators."""
    try:
        records = [r for r in calibration_records(config.influxdb) if r.sensor_id in case.sensors]
    except StoreError as error:
        st.error(safe_text.text(str(error)))
        return
    with st.expander(t("calibration.checks"), expanded=bool(records)):
        if records:
            st.dataframe(records_table(records, t, config.zone), hide_index=True)
        else:
            st.caption(t("calibration.none"))
        user = current_user()
        if user is None or user[1] not in CAN_CALIBRATE:
            st.caption(t("calibration.form.not_allowed"))
            return
        check_form(config, case, t, user[0])
        withdraw_form(config, case, [r for r in records if r.withdrawn is None], t, user[0])
    if "calibrated" in st.session_state:
        st.success(st.session_state.pop("calibrated"))


def check_form(config: MuseumConfig, case: Case, t: Translator, user: str) -> None:
    """The form recording one check of one of the case's sensors."""
    instrument = t("calibration.form.instrument")
    with st.form(f"calibrate_{case.id}"):
        st.markdown(f"**{t('calibration.form.title')}**")
        sensor_id = st.selectbox(t("calibration.form.sensor"), list(case.sensors), key="calibration_sensor")
        quantity = st.selectbox(
            t("calibration.form.quantity"),
            ["rh", "temperature"],
            format_func=lambda q: t(f"calibration.quantity.{q}"),
            # A key of its own per language: with one key, the browser kept showing the
            # names of the language the form was first drawn in.
            key=f"calibration_quantity_{t.language}",
        )
        now = datetime.now(config.zone)
        day = st.date_input(
            t("calibration.form.day"),
            value=now.date(),
            key="calibration_day",
            format="YYYY-MM-DD" if t.language == "en" else "DD/MM/YYYY",
        )
        moment = st.time_input(t("calibration.form.time"), value=now.time().replace(second=0, microsecond=0))
        source = st.selectbox(
            t("calibration.form.salt"), [instrument, *GREENSPAN_1977_PCT], key="calibration_source"
        )
        salt_temperature_c = st.number_input(
            t("calibration.form.salt_temperature_with"), value=25.0, step=0.5, key="calibration_salt_t"
        )
        reference = st.number_input(
            t("calibration.form.reference_with"), value=0.0, step=0.1, key="calibration_ref"
        )
        measured = st.number_input(
            t("calibration.form.measured"), value=0.0, step=0.1, key="calibration_measured"
        )
        note = st.text_area(t("calibration.form.note"), height=68, key="calibration_note")
        if not st.form_submit_button(t("calibration.form.submit")):
            return
    at = datetime.combine(day, moment, tzinfo=config.zone)
    try:
        if source != instrument:
            reference = salt_rh_pct(str(source), float(salt_temperature_c))
            kind = salt_kind(str(source), float(salt_temperature_c))
        else:
            kind = INSTRUMENT_KIND
        check = NewCheck(
            str(sensor_id), str(quantity), at, float(reference), float(measured), user, note, kind
        )
        store = open_store(config.influxdb, timeout_s=10)
        try:
            record = record_check(store, check, [s for c in config.cases for s in c.sensors])
        finally:
            store.close()
    except (CalibrationError, StoreError) as error:
        st.error(safe_text.text(str(error)))
        return
    st.session_state["calibrated"] = t("calibration.recorded", id=record.record_id)
    st.cache_data.clear()  # every figure of the sensor changes from the check on
    st.rerun()


def withdraw_form(
    config: MuseumConfig, case: Case, active: list[CalibrationRecord], t: Translator, user: str
) -> None:
    """Withdraw a check entered by mistake: a record of its own (who, why); nothing is deleted."""
    if not active:
        return
    with st.form(f"withdraw_{case.id}"):
        st.markdown(f"**{t('calibration.withdraw.title')}**")
        record_id = st.selectbox(
            t("calibration.withdraw.which"),
            [r.record_id for r in active],
            format_func=lambda rid: next(
                f"{r.record_id} · {r.sensor_id} · {r.time:%Y-%m-%d}" for r in active if r.record_id == rid
            ),
            key="withdraw_record",
        )
        why = st.text_area(t("calibration.withdraw.why"), height=68, key="withdraw_note")
        if not st.form_submit_button(t("calibration.withdraw.submit")):
            return
    try:
        store = open_store(config.influxdb, timeout_s=10)
        try:
            record = withdraw_check(store, str(record_id), user, why)
        finally:
            store.close()
    except (CalibrationError, StoreError) as error:
        st.error(safe_text.text(str(error)))
        return
    st.session_state["calibrated"] = t("calibration.withdrawn", id=record.record_id, sensor=record.sensor_id)
    st.cache_data.clear()  # the sensor's figures are as measured again
    st.rerun()


def flagged_sensors(config: MuseumConfig, t: Translator) -> None:
    """The data-quality page's part: sensors whose last check is beyond their stated accuracy."""
    st.subheader(t("calibration.flagged_title"))
    try:
        beyond = flagged(calibration_records(config.influxdb), config.sensors.accuracy_for)
    except StoreError as error:
        st.error(safe_text.text(str(error)))
        return
    if not beyond:
        st.caption(t("calibration.flagged_none"))
        return
    table = records_table(beyond, t, config.zone)
    table[t("calibration.flag")] = [
        f"±{t.number(config.sensors.accuracy_for(r.sensor_id)[r.quantity], 1)} {unit_text(r.quantity, t)}"
        for r in beyond
    ]
    st.warning(t("calibration.flagged_title"), icon=":material/warning:")
    st.dataframe(table, hide_index=True)
