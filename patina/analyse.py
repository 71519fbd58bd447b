"""`patina analyse FILE…`: the climate report of a logger export, as text or JSON.

One report per sensor: a file holding several sensors (long format, or several
temperature/RH pairs) is never merged into one series.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from analysis.materials import MATERIAL_NAMES
from museum.language.figures import period_sentences, statistics_rows
from museum.language.i18n import LANGUAGES, Translator
from museum.language.loggers import en15757_unavailable, light_lines, reading_lines
from patina.options import EXAMPLE_CONFIG, config_option, load, one_line, zone_option

if TYPE_CHECKING:
    from museum.files.loggers import FileReading

log = logging.getLogger("patina")


def display_zone(reading: FileReading, timezone_name: str | None) -> tzinfo:
    """The zone times are printed in and days begin in: the one asked for, else the fixed
    offset a header states, else UTC."""
    if timezone_name:
        return ZoneInfo(timezone_name)
    if reading.timezone_origin == "header" and reading.timezone.startswith("UTC"):
        text = reading.timezone[3:]
        sign = -1 if text.startswith("-") else 1
        hours, minutes = text[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return ZoneInfo("UTC")


def analyse_files(
    paths: Sequence[Path],
    materials: list[str],
    timezone_name: str | None = None,
    sheet: str | None = None,
    sensor: str | None = None,
    museum_timezone: str | None = None,
) -> dict[str, Any]:
    """The report as plain data: :func:`analysis.report.climate_report` plus ``file`` (what
    was read and every assumption made, see :meth:`FileReading.assumptions`). With several
    sensors and no ``sensor``: ``{"sensors": {name: report}}``. Times written without an
    offset are read in ``timezone_name``, else in ``museum_timezone`` (the museum's, as
    ``patina replay`` reads them), else in UTC; the report says which."""
    # Imported here, not at the top: they load pandas, and every `patina` command loads this module.
    from museum.files.loggers import LoggerFileError, read_logger_files
    from museum.files.loggers.report import sensor_report

    reading = read_logger_files(paths, timezone_name or museum_timezone, sheet)
    if timezone_name is None and museum_timezone and reading.timezone_origin == "option":
        reading.timezone_origin = "museum"
    timezone_name = timezone_name or museum_timezone
    names = list(reading.sensors)
    if sensor is not None:
        if sensor not in reading.sensors:
            raise LoggerFileError(f"no sensor {sensor!r} in the file; sensors: {', '.join(names)}")
        names = [sensor]
    zone = display_zone(reading, timezone_name)
    reports = {}
    for name in names:
        report = sensor_report(reading, name, materials, zone)
        report["file"]["display_timezone"] = str(zone)
        reports[name] = report
    return reports[names[0]] if len(names) == 1 else {"sensors": reports}


_SEPARATORS = {";": "semicolon", ",": "comma", "\t": "tab"}
#: Layouts named by what they are rather than by a maker: translated. Makers' names
#: (HOBOware, Hanwell, Rotronic …) are printed as they are.
_LAYOUT_NAMES = {
    "semicolon": "semicolon",
    "plain": "plain",
    "workbook": "workbook",
    "tab-separated": "tab",
    "patina-export": "patina_export",
}
_ORDERS = {
    "day-month-year": "dmy",
    "month-day-year": "mdy",
    "year-month-day": "ymd",
    "year-month-day (ISO 8601)": "iso",
    "Excel serial day": "excel",
}


def _assumptions(info: dict[str, Any], t: Translator) -> list[str]:
    """How the file was read (``info`` is :meth:`FileReading.assumptions`): a heading, then
    one assumption a line, indented under it."""
    lines = [
        *_layout_assumptions(info, t),
        *_date_assumptions(info, t),
        *_value_assumptions(info, t),
        *_clock_assumptions(info, t),
    ]
    return [t("analyse.read_as"), *("  " + line for line in lines)]


def _layout_assumptions(info: dict[str, Any], t: Translator) -> list[str]:
    """The layout, encoding and separator; the files joined, the sheet, the columns and
    each column's decimal mark."""
    layout = " + ".join(
        t(f"analyse.layout_name.{_LAYOUT_NAMES[name]}") if name in _LAYOUT_NAMES else name
        for name in info["layout"].split(" + ")
    )
    separator = t("analyse.separator." + _SEPARATORS.get(info["separator"], "none"))
    lines = [t("analyse.layout", layout=layout, encoding=info["encoding"], separator=separator)]
    if info.get("files_joined", 1) > 1:
        lines.append(t("analyse.joined", count=t.number(info["files_joined"], 0)))
    if info["encoding"] == "xlsx":
        lines.append(
            t("analyse.sheet", sheet=info["sheet"], others=", ".join(info["other_sheets"]))
            if info["other_sheets"]
            else t("analyse.sheet_only", sheet=info["sheet"])
        )
    columns = info["columns"]
    lines.append(
        t(
            "analyse.columns",
            time=columns.get("time", "—"),
            temperature=columns.get("temperature", "—"),
            rh=columns.get("rh", "—"),
        )
    )
    marks = "; ".join(
        f"{header}: {t('analyse.mark.' + {'.': 'point', ',': 'comma'}.get(mark, 'none'))}"
        for header, mark in info["decimal_marks"].items()
    )
    lines.append(t("analyse.decimal", marks=marks))
    return lines


def _date_assumptions(info: dict[str, Any], t: Translator) -> list[str]:
    """The date format and order (and the other orders every date also reads in), and the
    time zone with where it came from."""
    order = _ORDERS.get(info["date_order"])
    lines = [
        t(
            "analyse.dates",
            format=info["date_format"],
            order=t(f"analyse.order.{order}") if order else info["date_order"],
        )
    ]
    if info.get("date_order_alternatives"):
        others = ", ".join(
            t(f"analyse.order.{_ORDERS[o]}") if o in _ORDERS else o for o in info["date_order_alternatives"]
        )
        lines.append(t("analyse.date_ambiguous", others=others))
    lines.append(
        t("analyse.zone", zone=info["timezone"], origin=t(f"analyse.origin.{info['timezone_origin']}"))
    )
    return lines


def _value_assumptions(info: dict[str, Any], t: Translator) -> list[str]:
    """The units converted, the rows read, left out and rejected, and why."""
    n = t.number
    lines = [
        t("analyse.units_converted", conversions="; ".join(info["conversions"]))
        if info["conversions"]
        else t("analyse.units_as_written"),
        t(
            "analyse.rows",
            read=n(info["rows_read"], 0),
            without=n(info["rows_without_values"], 0),
            rejected=n(info["rejected"], 0),
            duplicated=n(info["duplicated_times"], 0),
        ),
    ]
    if info["rejected"]:
        reasons = "; ".join(
            f"{t('analyse.reason.' + code)} ({n(count, 0)})"
            for code, count in info["rejected_reasons"].items()
        )
        rows = ", ".join(str(r) for r in info["first_rejected_rows"])
        lines.append(t("analyse.rejected", reasons=reasons, rows=rows))
    return lines


def _clock_assumptions(info: dict[str, Any], t: Translator) -> list[str]:
    """What the clock changes did to local times: years left on standard time, local times
    repeated (autumn) or missing (spring)."""
    lines = []
    if info.get("standard_time_years"):
        years = ", ".join(str(y) for y in info["standard_time_years"])
        lines.append(t("analyse.standard_years", years=years))
    if info["repeated_local_times"] or info["nonexistent_local_times"]:
        lines.append(
            t(
                "analyse.local_times",
                repeated=t.number(info["repeated_local_times"], 0),
                nonexistent=t.number(info["nonexistent_local_times"], 0),
            )
        )
    return lines


def render_text(report: dict[str, Any], t: Translator, timezone_name: str | None = None) -> str:
    """The report for a person, in the translator's language; times in the zone the file
    was read in (:func:`display_zone`), each printed with its zone."""
    if "sensors" in report:
        return _sensors_text(report["sensors"], t, timezone_name)
    info = report["file"]
    zone: tzinfo = ZoneInfo(timezone_name) if timezone_name else _zone_from(info["display_timezone"])
    when = _moments(t, zone)
    lines = [t("report.title", file=info["path"])]
    if len(info["sensors_in_file"]) > 1:
        others = ", ".join(s for s in info["sensors_in_file"] if s != info["sensor"])
        lines.append(t("analyse.sensor_of", sensor=info["sensor"], others=others))
    lines += _assumptions(info, t) + reading_lines(info, t, when)
    if "statistics" in report:
        lines += ["", *_coverage_lines(report, t, when)]
        lines += ["", *_climate_lines(report, t)]
        for material, risk in report["risk"].items():
            lines += ["", *_risk_lines(material, risk, t, when)]
    if "light" in report:
        lines += ["", *light_lines(report, t, when)]
    return "\n".join(lines)


def _sensors_text(reports: dict[str, dict[str, Any]], t: Translator, timezone_name: str | None) -> str:
    """The reports of a file's several sensors, one after the other under a rule."""
    names = list(reports)
    parts = [t("analyse.sensors", count=t.number(len(names), 0), names=", ".join(names))]
    for index, name in enumerate(names, start=1):
        parts += [
            "",
            "=" * 72,
            t("analyse.sensor", sensor=name, index=index, count=len(names)),
            render_text(reports[name], t, timezone_name),
        ]
    return "\n".join(parts)


def _moments(t: Translator, zone: tzinfo) -> Callable[[str], str]:
    """How the text prints an ISO 8601 moment: in ``zone``, followed by the zone's name."""

    def when(iso: str) -> str:
        moment = datetime.fromisoformat(iso).astimezone(zone)
        return f"{t.moment(moment, 'medium')} {moment.strftime('%Z') or str(zone)}"

    return when


def _coverage_lines(report: dict[str, Any], t: Translator, when: Callable[[str], str]) -> list[str]:
    """The period, the readings it holds against the logger's interval, and its gaps."""
    n = t.number
    period, coverage, gaps = report["period"], report["coverage"], report["gaps"]
    lines = [
        t.plural(
            "report.period", round(period["days"], 1), start=when(period["start"]), end=when(period["end"])
        ),
        t(
            "report.coverage",
            readings=n(coverage["readings"], 0),
            interval=n(coverage["median_interval_s"] / 60, 1),
            pct=n(coverage["coverage_pct"], 1),
        ),
    ]
    if gaps["count"]:
        lines.append(
            t(
                "report.gaps",
                count=n(gaps["count"], 0),
                hours=n(gaps["total_hours"], 1),
                longest=n(gaps["longest"]["hours"], 1),
                start=when(gaps["longest"]["start"]),
            )
        )
    else:
        lines.append(t("report.no_gaps"))
    return lines


def _climate_lines(report: dict[str, Any], t: Translator) -> list[str]:
    """Statistics, daily range, IPI ratings, time of wetness, mould and the EN 15757 band."""
    n = t.number
    lines = [t("report.statistics")]
    for row in statistics_rows(report, t, columns=("min", "p5", "mean", "p95", "max")):
        lines.append(f"  {row.label} ({row.unit}): " + " · ".join(n(value, 1) for value in row.values))
    sentences = period_sentences(report, t)
    lines += [sentences.daily_range, "", sentences.ipi, sentences.time_of_wetness]
    mould = report["mould"]
    lines.append(
        t(
            "analyse.mould",
            hours=n(mould["hours_possible"], 0),
            factor=n(mould["risk_factor"], 2),
            grade=t(f"rating.{mould['grade']}"),
            spell=n(mould["longest_spell_factor"], 2),
            rating=t(f"rating.{mould['ipi_rating_end']}"),
            vtt_max=n(mould["vtt_index_max"], 2),
            vtt_end=n(mould["vtt_index_end"], 2),
        )
    )
    band = report["en15757"]
    lines.append(
        t(
            "analyse.en15757",
            lower=n(band["lower_offset_pct"], 1),
            upper=n(band["upper_offset_pct"], 1),
            p7=n(band["p7_offset_pct"], 1),
            p93=n(band["p93_offset_pct"], 1),
            inside=n(band["share_inside_pct"], 1),
        )
        if band
        else en15757_unavailable(report, t)
    )
    return lines


def _risk_lines(material: str, risk: dict[str, Any], t: Translator, when: Callable[[str], str]) -> list[str]:
    """One material's time at each level, its worst moment, where it ended, and its dose."""
    n = t.number
    pct = {level: n(value, 1) for level, value in risk["pct_per_level"].items()}
    lines = [t("report.risk", material=t.material(material)), "  " + t("report.levels", **pct)]
    worst, current = risk["worst"], risk["current"]
    if worst is None or current is None:
        return lines
    # Floored, not rounded: a score of 49.6 is still "watch" and must not read "watch (50)".
    lines.append(
        "  "
        + t(
            "report.worst",
            level=t(f"level.{worst['level']}"),
            score=n(math.floor(worst["score"]), 0),
            time=when(worst["time"]),
            driver=t(f"driver.{worst['driver']}"),
        )
    )
    if current["level"] == "good":
        lines.append("  " + t("analyse.current_good", level=t("level.good"), since=when(current["since"])))
    else:
        lines.append(
            "  "
            + t(
                "report.current",
                level=t(f"level.{current['level']}"),
                since=when(current["since"]),
                driver=t(f"driver.{current['driver']}"),
                source=current["source"],
            )
        )
    if risk["corrosion_dose"] is not None:
        lines.append("  " + t("report.dose", dose=n(risk["corrosion_dose"], 0)))
    return lines


def _zone_from(text: str) -> tzinfo:
    try:
        return ZoneInfo(text)
    except (ValueError, KeyError, OSError):
        # A fixed offset, printed by datetime.timezone as "UTC+01:00".
        body = text[3:] if text.startswith("UTC") else text
        if not body:
            return UTC
        sign = -1 if body.startswith("-") else 1
        hours, minutes = body[1:].split(":")[:2]
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


@click.command()
@config_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--material",
    "materials",
    multiple=True,
    type=click.Choice(MATERIAL_NAMES),
    help="A material to assess (repeat for several).",
)
@click.option(
    "--timezone",
    "timezone_name",
    default=None,
    help="IANA time zone of times written without an offset [default: the museum's, from --config, as "
    "`patina replay` reads them; UTC without a config; the report says which].",
)
@click.option("--sheet", default=None, help="Workbook sheet to read [default: the first holding readings].")
@click.option("--sensor", default=None, help="One sensor of a file holding several [default: each alone].")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (keys: docs/loggers.md).")
def analyse(
    config_path: str,
    files: tuple[Path, ...],
    materials: tuple[str, ...],
    timezone_name: str | None,
    sheet: str | None,
    sensor: str | None,
    language: str,
    as_json: bool,
) -> None:
    """Report on logger exports (CSV, text or XLSX): coverage, statistics, IPI ratings, mould,
    time of wetness, EN 15757 band and the risk for each material, and the light dose when a
    file holds light, saying how each file was read. Several FILES are joined on time when
    each holds one quantity (a building-management system's temperature and RH files)."""
    from museum.files.loggers import LoggerFileError

    if timezone_name is not None:
        zone_option(timezone_name)
    # The museum's zone, as `patina replay` uses it; no config at all (the example left out of
    # an installation) leaves UTC, and the report says so.
    museum_zone = (
        load(config_path).museum.timezone
        if config_path != str(EXAMPLE_CONFIG) or EXAMPLE_CONFIG.exists()
        else None
    )
    try:
        report = analyse_files(list(files), list(materials), timezone_name, sheet, sensor, museum_zone)
        # Rendering is inside: values a reader let through (1e308) must not end in a traceback.
        text = (
            json.dumps(report, ensure_ascii=False, indent=2, default=str)
            if as_json
            else render_text(report, Translator(language), timezone_name or museum_zone)
        )
    except (LoggerFileError, ValueError) as error:
        message = one_line(str(error)) or repr(error)
        named = any(file.name in message for file in files)
        where = " + ".join(map(str, files))
        raise click.ClickException(message if named else f"{where}: {message}") from None
    except Exception as error:  # a file no reader foresaw: one line for the user, never a traceback
        log.debug("analyse failed", exc_info=True)
        raise click.ClickException(
            f"{' + '.join(map(str, files))}: could not be analysed ({type(error).__name__}: "
            f"{one_line(str(error))}); please report this file to the Patina maintainers"
        ) from None
    click.echo(text)
