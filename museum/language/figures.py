"""A period in figures, in words: the statistics rows and the sentences (daily range, time of
wetness, IPI ratings) that the dashboard's case page, the printed report (museum/files/reports.py)
and ``patina analyse`` show for the same :func:`analysis.report.climate_report`. The wording
and the rounding live here once; each caller only lays the result out (a table, HTML, text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from museum.language.i18n import Translator

#: The quantities of the statistics table, in order: the report's key, its label, its unit.
STATISTICS = (
    ("temperature_c", "label.temperature", "°C"),
    ("rh_pct", "label.rh", "%"),
    ("dew_point_c", "label.dew_point", "°C"),
)
#: Where the IPI ratings go in the sentence ``report.ipi``.
IPI_PLACES = (
    ("metal", "metal_corrosion"),
    ("mechanical", "mechanical_damage"),
    ("aging", "natural_aging"),
    ("mould", "mould"),
)


@dataclass(frozen=True)
class StatisticsRow:
    """One quantity of the table: its translated label, its unit, and its value in each
    column asked for (None where there is none)."""

    key: str
    label: str
    unit: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class PeriodSentences:
    """The sentences under the table, translated and rounded."""

    daily_range: str
    time_of_wetness: str
    ipi: str


def statistics_rows(
    figures: Mapping[str, Any],
    t: Translator,
    columns: Sequence[str] = ("min", "mean", "max"),
    extremes: Mapping[str, float | None] | None = None,
) -> list[StatisticsRow]:
    """The rows of temperature, RH and dew point for ``columns`` of the report's statistics
    (``min``, ``p5``, ``mean``, ``p95``, ``max``). ``extremes`` (``temperature_c_min`` …)
    replace the minimum and maximum of temperature and RH when given: the hourly means the
    statistics come from smooth away the extremes of the raw readings."""
    stats = figures["statistics"]
    rows = []
    for key, label, unit in STATISTICS:
        values = []
        for column in columns:
            if extremes is not None and key != "dew_point_c" and column in ("min", "max"):
                values.append(extremes.get(f"{key}_{column}"))
            else:
                values.append(stats[key][column])
        rows.append(StatisticsRow(key, t(label), unit, tuple(values)))
    return rows


def period_sentences(figures: Mapping[str, Any], t: Translator) -> PeriodSentences:
    """The daily range, the time of wetness and the IPI ratings of the period in words."""
    n = t.number
    daily, wet, ipi = figures["statistics"]["daily_range"], figures["time_of_wetness"], figures["ipi"]
    ratings = {place: t(f"rating.{ipi[name]}") for place, name in IPI_PLACES}
    return PeriodSentences(
        daily_range=t("report.daily_range", temperature=n(daily["temperature_c"]), rh=n(daily["rh_pct"])),
        time_of_wetness=t("report.tow", hours=n(wet["hours"], 0), pct=n(wet["pct"])),
        ipi=t("report.ipi", twpi=n(ipi["twpi_years"], 0), **ratings),
    )


def coverage_text(
    cover: Mapping[str, Any], t: Translator, when: Callable[[datetime], str], max_gaps: int = 5
) -> str | None:
    """What a period's figures rest on (readings against those expected, hours with data) and
    its first ``max_gaps`` gaps, in words; ``when`` writes a moment in the reader's zone."""
    if not cover:
        return None
    gaps = ", ".join(f"{when(a)} – {when(b)}" for a, b in cover["gaps"][:max_gaps])
    gap_text = t("case.gaps", n=len(cover["gaps"]), gaps=gaps) if cover["gaps"] else ""
    if not cover["readings"]:
        return gap_text or None
    rested = t(
        "case.coverage",
        readings=t.number(cover["readings"], 0),
        expected=t.number(cover["expected"], 0),
        pct=t.number(cover["pct"], 0),
        hours=cover["hours_with_data"],
        total=cover["hours"],
    )
    return (rested + " " + gap_text).strip()
