"""The report of one sensor of a logger file: its climate figures when it holds temperature
and RH (:func:`analysis.report.climate_report`), its light figures when it holds light
(:func:`analysis.light.light_summary`), and how the file was read (``file``).

A file is refused only when it holds nothing either report can use, and the refusal says
what it holds ("this file holds temperature only").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from analysis.light import light_summary
from analysis.report import climate_report
from museum.files.loggers.normalise import FileReading
from museum.files.loggers.source import LoggerFileError


def _holds(quantities: list[str]) -> str:
    names = {"temperature": "temperature", "rh": "RH", "illuminance": "light", "uv": "UV"}
    held = [names[q] for q in quantities] or ["nothing Patina reads"]
    return held[0] + " only" if len(held) == 1 else ", ".join(held[:-1]) + " and " + held[-1]


def sensor_report(
    reading: FileReading, sensor: str, materials: Iterable[str], zone: str | tzinfo
) -> dict[str, Any]:
    """The report of ``sensor`` as plain data: the climate report's keys when it holds
    temperature and RH, ``light`` when it holds illuminance (docs/light.md), and ``file``.
    Without climate figures, ``climate_unavailable`` lists what the sensor holds.
    Raises :class:`LoggerFileError` when it holds neither."""
    record = reading.sensors[sensor]
    readings = record.readings
    quantities = record.quantities
    climate = readings[["temperature_c", "rh_pct"]].dropna()
    has_light = "illuminance" in quantities and readings["illuminance_lux"].count() >= 2
    if climate.empty and not has_light:
        unread = [m for m in reading.remarks if m.get("code") == "unit_not_recognised"]
        because = "".join(f"; column {m['header']!r}: unit {m['unit']!r} not recognised" for m in unread)
        hint = (
            " (for a building-management export give the temperature and the RH file together)"
            if reading.layout.startswith("trend") and len(quantities) == 1
            else ""
        )
        raise LoggerFileError(
            f"{reading.path}: sensor {sensor!r} holds {_holds(quantities)}{because}: Patina's climate report "
            f"needs temperature and RH, its light report illuminance{hint}"
        )
    report: dict[str, Any] = (
        climate_report(readings, list(materials), timezone=zone)
        if not climate.empty
        else {"climate_unavailable": quantities}
    )
    if has_light:
        report["light"] = light_summary(readings)
        report["light"]["columns"] = {
            q: record.columns[q] for q in ("illuminance", "uv") if q in record.columns
        }
    report["file"] = reading.assumptions(sensor)
    return report
