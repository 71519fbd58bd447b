"""Replaying a logger export as a live sensor: ``patina replay FILE --sensor ID``.

A museum's own history (HOBO, Hanwell, semicolon CSV, XLSX: whatever ``patina analyse``
reads, through :func:`museum.files.loggers.read_logger_file`) is published reading by reading,
each with its own time, in any device format, so Patina can be tried on the museum's real
climate. With ``--speed`` the readings keep their spacing, compressed; by default they go as
fast as the broker takes them. Values go out exactly as the file holds them (after any
unit conversion the reader says it made), never rounded.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from paho.mqtt.client import topic_matches_sub

from museum.description.config import MuseumConfig
from museum.files.loggers import FileReading, LoggerFileError, read_logger_file
from sensors_sim.formats import ENCODERS
from sensors_sim.publisher import SimulationPlan

#: What a replay publishes of a file's readings, under the native payload's names.
REPLAYED = ("temperature_c", "rh_pct", "illuminance_lux", "uv_mw_m2")


class ReplayFeed:
    """The messages of one sensor replaying a table of readings (index: UTC times)."""

    def __init__(
        self, readings: pd.DataFrame, sensor_id: str, site: str, device_format: str, zone: ZoneInfo
    ) -> None:
        if device_format not in ENCODERS:
            raise ValueError(f"unknown format {device_format!r}; known: {', '.join(ENCODERS)}")
        self.readings = readings
        self.sensor_id = sensor_id
        self.site = site
        self.encode = ENCODERS[device_format]
        self.zone = zone
        self.times = tuple(float(t) for t in readings.index.as_unit("ns").asi8 / 1e9)

    def messages(self, first_tick: int, count: int) -> list[list[tuple[str, bytes]]]:
        rows = self.readings.iloc[first_tick : first_tick + count]
        # The file's climate and, where it read them, its light (docs/light.md): as the
        # native payload names them; a column the file lacks is sent as nothing.
        names = [name for name in REPLAYED if name in rows]
        columns = [rows[name].to_numpy(float) for name in names]
        ticks = []
        for k, stamp in enumerate(self.times[first_tick : first_tick + count]):
            # The file's values exactly (floats print their shortest exact form in JSON).
            values: dict[str, float | None] = {"temperature_c": None, "rh_pct": None}
            for name, column in zip(names, columns, strict=True):
                value = column[k]
                values[name] = None if np.isnan(value) else float(value)
            if all(value is None for value in values.values()):
                ticks.append([])  # a row of nothing the payload carries: no message, the tick kept
                continue
            ticks.append(self.encode(self.sensor_id, self.site, stamp, values, self.zone))
        return ticks


def load_replay(
    path: Path,
    sensor_id: str,
    site: str,
    device_format: str,
    timezone_name: str,
    file_sensor: str | None = None,
    sheet: str | None = None,
) -> tuple[ReplayFeed, FileReading]:
    """A feed for one sensor of a logger file (``file_sensor``: needed when the file holds
    several); raises :class:`museum.files.loggers.LoggerFileError` naming why a file cannot be read."""
    reading = read_logger_file(path, timezone_name, sheet)
    names = list(reading.sensors)
    if file_sensor is None and len(names) > 1:
        raise LoggerFileError(
            f"{path}: the file holds {len(names)} sensors ({', '.join(names)}); choose one with --file-sensor"
        )
    name = file_sensor if file_sensor is not None else names[0]
    if name not in reading.sensors:
        raise LoggerFileError(f"{path}: no sensor {name!r}; sensors: {', '.join(names)}")
    if not {"temperature", "rh"} & set(reading.sensors[name].quantities) and device_format != "patina":
        # Patina's own payload carries light alone; the device formats carry temperature and RH.
        raise LoggerFileError(
            f"{path}: sensor {name!r} holds light only: replay it in the patina format, which carries light"
        )
    feed = ReplayFeed(reading.sensors[name].readings, sensor_id, site, device_format, ZoneInfo(timezone_name))
    return feed, reading


def replay_topic(config: MuseumConfig, sensor_id: str, device_format: str) -> str:
    """The topic the sensor's messages go to in ``device_format`` (its case's site, or
    ``unknown`` for a sensor in no case)."""
    case = config.case_for_sensor(sensor_id)
    site = case.site if case else "unknown"
    values = {"temperature_c": 20.0, "rh_pct": 50.0}
    return ENCODERS[device_format](sensor_id, site, 0.0, values, ZoneInfo("UTC"))[0][0]


def is_received(config: MuseumConfig, device_format: str, topic: str) -> bool:
    """Whether a ``[[sources]]`` entry of the config reads ``topic`` in ``device_format``:
    the collector drops messages no source receives."""
    return any(
        topic_matches_sub(source.topic, topic) and source.format == device_format for source in config.sources
    )


def replay_plan(feed: ReplayFeed, speed: float | None = None) -> SimulationPlan:
    """Ticks at the file's own times; ``speed`` simulated seconds per wall-clock second, by
    default as fast as the broker takes them."""
    return SimulationPlan(start_epoch_s=feed.times[0], interval_s=60.0, speed=speed or 1e9, times=feed.times)
