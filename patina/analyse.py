"""`patina analyse FILE`: the climate report of a logger export, as text or JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from analysis.loggers import LoggerFileInfo, read_logger_file
from analysis.report import climate_report
from museum.i18n import Translator


def analyse_file(path: Path, materials: list[str], timezone_name: str) -> dict[str, Any]:
    """The report of a file as plain data: :func:`analysis.report.climate_report` plus
    ``file`` (what was read and what was left out, see LoggerFileInfo)."""
    readings, info = read_logger_file(path, timezone_name)
    report = climate_report(readings, materials)
    report["file"] = {"path": str(path), **asdict(info)}
    return report


def render_text(report: dict[str, Any], t: Translator, timezone_name: str) -> str:
    """The report for a person, in the translator's language and the given time zone."""
    zone = ZoneInfo(timezone_name)

    def when(iso: str) -> str:
        return t.moment(datetime.fromisoformat(iso).astimezone(zone), "medium")

    n = t.number
    info = LoggerFileInfo(**{k: v for k, v in report["file"].items() if k != "path"})
    period, coverage, stats = report["period"], report["coverage"], report["statistics"]
    lines = [t("report.title", file=report["file"]["path"]),
             t("report.layout", layout=info.layout, encoding=info.encoding, timezone=info.timezone),
             t("report.period", start=when(period["start"]), end=when(period["end"]),
               days=n(period["days"], 1)),
             t("report.coverage", readings=n(coverage["readings"], 0),
               interval=n(coverage["median_interval_s"] / 60, 1), pct=n(coverage["coverage_pct"], 1)),
             t("report.dropped", no_values=info.rows_without_values, bad_time=info.rows_with_bad_time,
               duplicates=info.duplicate_times, nonexistent=info.nonexistent_local_times)]
    gaps = report["gaps"]
    if gaps["count"]:
        lines.append(t("report.gaps", count=gaps["count"], hours=n(gaps["total_hours"], 1),
                       longest=n(gaps["longest"]["hours"], 1), start=when(gaps["longest"]["start"])))
    else:
        lines.append(t("report.no_gaps"))
    lines += ["", t("report.statistics")]
    for key, label, unit in (("temperature_c", "label.temperature", "°C"), ("rh_pct", "label.rh", "%"),
                             ("dew_point_c", "label.dew_point", "°C")):
        figures = stats[key]
        lines.append(f"  {t(label)} ({unit}): " + " · ".join(
            n(figures[k], 1) for k in ("min", "p5", "mean", "p95", "max")))
    lines.append(t("report.daily_range", temperature=n(stats["daily_range"]["temperature_c"], 1),
                   rh=n(stats["daily_range"]["rh_pct"], 1)))
    ipi = report["ipi"]
    lines += ["", t("report.ipi", metal=t(f"rating.{ipi['metal_corrosion']}"),
                    mechanical=t(f"rating.{ipi['mechanical_damage']}"),
                    aging=t(f"rating.{ipi['natural_aging']}"), twpi=n(ipi["twpi_years"], 0),
                    mould=t(f"rating.{ipi['mould']}")),
              t("report.tow", hours=n(report["time_of_wetness"]["hours"], 0),
                pct=n(report["time_of_wetness"]["pct"], 1))]
    band = report["en15757"]
    lines.append(t("report.en15757", lower=n(band["lower_offset_pct"], 1),
                   upper=n(band["upper_offset_pct"], 1), inside=n(band["share_inside_pct"], 1))
                 if band else t("report.en15757_short"))
    for material, risk in report["risk"].items():
        pct = {level: n(value, 1) for level, value in risk["pct_per_level"].items()}
        worst, current = risk["worst"], risk["current"]
        lines += ["", t("report.risk", material=t.material(material)), "  " + t("report.levels", **pct),
                  "  " + t("report.worst", level=t(f"level.{worst['level']}"), score=n(worst["score"], 0),
                           time=when(worst["time"]), driver=t(f"driver.{worst['driver']}")),
                  "  " + t("report.current", level=t(f"level.{current['level']}"),
                           since=when(current["since"]), driver=t(f"driver.{current['driver']}"),
                           source=current["source"])]
        if risk["corrosion_dose"] is not None:
            lines.append("  " + t("report.dose", dose=n(risk["corrosion_dose"], 0)))
    return "\n".join(lines)
