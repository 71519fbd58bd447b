"""What `patina analyse` says of a logger file beyond its climate figures, in the reader's
language: what the reader noticed (remarks, readings kept at 100 % RH, a logger's clock set
back), the light and UV the file holds, and why an EN 15757 band is missing.

Functions take the plain data of the report (:func:`museum.files.loggers.report.sensor_report`)
and a :class:`~museum.language.i18n.Translator`, and return lines of text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from museum.language.i18n import Translator

#: Prints an ISO 8601 moment in the report's zone and language.
When = Callable[[str], str]


def quantity_word(quantity: str, t: Translator) -> str:
    """A quantity a logger reads, named in the reader's language."""
    words = {
        "temperature": t("analyse.quantity.temperature"),
        "rh": t("analyse.quantity.rh"),
        "illuminance": t("analyse.quantity.illuminance"),
        "uv": t("analyse.quantity.uv"),
    }
    return words.get(quantity, quantity)


def _remark(remark: Mapping[str, str], t: Translator) -> str:
    fields = {k: v for k, v in remark.items() if k != "code"}
    texts: dict[str, Callable[[], str]] = {
        "unnamed_time_column": lambda: t("analyse.remark.unnamed_time_column", **fields),
        "cumulative_not_read": lambda: t("analyse.remark.cumulative_not_read", **fields),
        "unit_not_recognised": lambda: t("analyse.remark.unit_not_recognised", **fields),
        "uv_unit_assumed": lambda: t("analyse.remark.uv_unit_assumed", **fields),
        "written_once": lambda: t("analyse.remark.written_once", **fields),
    }
    return texts[remark["code"]]() if remark.get("code") in texts else ", ".join(remark.values())


def reading_lines(info: Mapping[str, Any], t: Translator, when: When) -> list[str]:
    """Lines added to "How the file was read": remarks, date orders set aside, readings
    kept at 100 % RH, a logger's clock set back."""
    n = t.number
    lines = [_remark(remark, t) for remark in info.get("remarks", [])]
    lines += [
        t("analyse.date_set_aside", order=_order(other["order"], t), pct=n(other["backwards_pct"], 1))
        for other in info.get("date_orders_set_aside", [])
    ]
    if info.get("rh_saturated"):
        tolerance = info["rh_saturation_tolerance_pct"]
        lines.append(
            t(
                "analyse.rh_saturated",
                count=n(info["rh_saturated"], 0),
                limit=n(100 + tolerance, 0),
                tolerance=n(tolerance, 0),
            )
        )
    for reset in info.get("clock_resets", []):
        key = "analyse.clock_reset_set_aside" if reset["set_aside"] else "analyse.clock_back_sorted_in"
        lines.append(
            t(
                key,
                row=reset["row"],
                before=when(reset["before"]),
                after=when(reset["after"]),
                rows=n(reset["rows"], 0),
            )
        )
    if info.get("quantities") and not {"temperature", "rh"} <= set(info["quantities"]):
        what = ", ".join(quantity_word(q, t) for q in info["quantities"])
        lines.append(t("analyse.climate_unavailable", quantities=what))
    return ["  " + line for line in lines]


def _order(order: str, t: Translator) -> str:
    names = {
        "day-month-year": t("analyse.order.dmy"),
        "month-day-year": t("analyse.order.mdy"),
        "year-month-day": t("analyse.order.ymd"),
    }
    return names.get(order, order)


def en15757_unavailable(report: Mapping[str, Any], t: Translator) -> str:
    """Why the report has no EN 15757 band: too short, or too sparse for its 30-day mean."""
    why = report.get("en15757_unavailable") or {}
    if why.get("reason") == "sparse":
        return t("report.en15757_sparse", needed=t.number(why["needed"], 0), found=t.number(why["found"], 0))
    return t("report.en15757_short")


def light_lines(report: Mapping[str, Any], t: Translator, when: When) -> list[str]:
    """The light section of a report (docs/light.md): dose, hours lit, UV per lumen, and
    the year at this rate against CIE 157's annual limits."""
    light = report.get("light")
    if not light:
        return []
    n = t.number
    columns = light.get("columns", {})
    lines = [
        t("light.title"),
        "  "
        + t(
            "light.columns",
            illuminance=columns.get("illuminance", "—"),
            uv=columns.get("uv", "—"),
        ),
        "  "
        + t(
            "light.dose",
            lux_hours=n(light["lux_hours"], 0),
            start=when(light["start"]),
            end=when(light["end"]),
            hours=n(light["hours_observed"], 1),
            unbridged=n(light["hours_unbridged"], 1),
        ),
    ]
    threshold = n(light["lit_threshold_lux"], 0)
    if light["lux_mean_when_lit"] is None:
        lines.append("  " + t("light.never_lit", threshold=threshold, max=n(light["lux_max"], 1)))
    else:
        lines.append(
            "  "
            + t(
                "light.lit",
                threshold=threshold,
                hours=n(light["hours_lit"], 1),
                mean=n(light["lux_mean_when_lit"], 0),
                max=n(light["lux_max"], 0),
            )
        )
    limit = n(light["uv_limit_uw_per_lm"], 0)
    lines.append(
        "  "
        + (
            t("light.uv", uv=n(light["uv_uw_per_lm_mean"], 0), limit=limit)
            if light["uv_uw_per_lm_mean"] is not None
            else t("light.uv_none", limit=limit)
        )
    )
    if light["annual_lux_hours"] is not None:
        cie = light["cie157"]
        lines.append(
            "  "
            + t(
                "light.annual",
                annual=n(light["annual_lux_hours"], 0),
                high=n(cie["high"]["annual_pct"], 0),
                high_limit=n(cie["high"]["max_annual_lux_hours"], 0),
                medium=n(cie["medium"]["annual_pct"], 0),
                medium_limit=n(cie["medium"]["max_annual_lux_hours"], 0),
                low=n(cie["low"]["annual_pct"], 0),
                low_limit=n(cie["low"]["max_annual_lux_hours"], 0),
            )
        )
    return lines
