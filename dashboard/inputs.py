"""Inputs in the reader's format: Streamlit's date picker writes English month and weekday
names, and its number input always a decimal point ("45.00"). These are text fields
filled and read the way the reader's language writes dates and numbers (docs/languages.md)."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from museum.language.i18n import Translator


def period_input(t: Translator, key: str, today: date, days: int) -> tuple[date, date]:
    """First and last day (inclusive) typed in two fields, "01/12/2026" (fr, vi) or
    "2026-12-01" (en), by default the ``days`` days up to ``today``. A date that is not one,
    in the future, or a start after the end is said in the reader's language, and the
    default period stands meanwhile."""
    default = (today - timedelta(days=days), today)
    columns = st.columns(2)
    fields = (("input.period_from", default[0]), ("input.period_to", default[1]))
    typed = [
        # The format as placeholder, not as help: Streamlit labels a help button "Help for …".
        column.text_input(
            t(label), t.date(value, "short"), key=f"{key}_{i}", placeholder=t("date.input_hint")
        )
        for i, (column, (label, value)) in enumerate(zip(columns, fields, strict=True))
    ]
    try:
        first, last = (t.parse_date(text) for text in typed)
    except ValueError as error:
        st.error(str(error))
        return default
    if last > today:
        st.error(t("input.period_future", today=t.date(today)))
        return default
    if first > last:
        st.error(t("input.period_reversed"))
        return default
    return first, last


def number_field(
    t: Translator,
    label: str,
    value: float,
    key: str,
    low: float,
    high: float,
    decimals: int = 1,
    disabled: bool = False,
) -> float:
    """A number typed with the language's decimal sign ("45,5" in French and Vietnamese),
    between ``low`` and ``high``; ``value`` when what is typed is not such a number (or
    when the field is disabled: the value is then given, not typed)."""
    text = st.text_input(label, t.input_value(value, decimals), key=key, disabled=disabled)
    if disabled:
        return value
    try:
        number = t.parse_number(text)
    except ValueError:
        st.error(t("number.not_a_number", text=text))
        return value
    if not low <= number <= high:
        st.error(t("input.out_of_range", low=t.number(low, decimals), high=t.number(high, decimals)))
        return value
    return number
