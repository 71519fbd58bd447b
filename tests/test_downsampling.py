"""Hourly aggregates kept for ever (continuous query + backfill) and the raw retention,
against a real InfluxDB 1.x; the dashboard's hourly series reads them back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from museum.description.config import MuseumConfig
from museum.storage.hourly import HOURLY_QUERY, HOURLY_TARGET
from museum.storage.light_hourly import LIGHT_HOURLY_QUERY
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM, service_environment


def write_days(store: InfluxStore, days: int) -> pd.DataFrame:
    """Three sensors' one-minute readings over the last ``days``; returns what was written."""
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    times = pd.date_range(end - timedelta(days=days), end, freq="1min", inclusive="left")
    rows, lines = [], []
    for sensor, case_id, offset in (("s1", "C1", 0.0), ("s2", "C1", 2.0), ("s3", "C2", 5.0)):
        minutes = np.arange(len(times))
        temperature = 24 + np.sin(minutes / 200) + offset / 10
        rh = 50 + 5 * np.sin(minutes / 300) + offset
        for stamp, t, r in zip(times, temperature.round(2), rh.round(1), strict=True):
            lines.append(
                climate_line(Reading(sensor, stamp.value, float(t), float(r), 90.0), "hanoi", case_id)
            )
            rows.append((stamp, sensor, case_id, float(t), float(r)))
    store.create_database()
    for first in range(0, len(lines), 20_000):
        store.write_lines(lines[first : first + 20_000])
    return pd.DataFrame(rows, columns=["time", "sensor_id", "case_id", "temperature_c", "rh_pct"])


def test_hourly_aggregates_are_set_up_once_backfilled_and_read_back(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    written = write_days(store, 3)
    store.ensure_downsampling(timedelta(days=400))
    store.ensure_downsampling(timedelta(days=400))  # idempotent: a collector restart
    queries = [
        row[0]
        for series in store.execute("SHOW CONTINUOUS QUERIES")
        if series["name"] == config.influxdb.database
        for row in series.get("values", [])
    ]
    assert queries == [HOURLY_QUERY, LIGHT_HOURLY_QUERY]  # each once: climate, and light (docs/light.md)
    policies = {row[0]: row for row in store._rows("SHOW RETENTION POLICIES")}
    assert policies["autogen"][1] == "9600h0m0s" and policies["patina_forever"][1] == "0s"

    end = datetime.now(UTC)
    start = end - timedelta(days=3)
    before = store.hourly_series("C1", start, end)  # nothing aggregated yet: from raw readings
    store.backfill_hourly(start - timedelta(hours=1), end)
    assert store.execute(f"SELECT count(rh_pct) FROM {HOURLY_TARGET}")  # aggregates exist now
    after = store.hourly_series("C1", start, end)
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9)
    # … and they equal pandas' hourly aggregation of what was written.
    mine = written[(written["case_id"] == "C1") & (written["time"] >= start.replace(minute=0))]
    expected = (
        mine[mine["sensor_id"] == "s2"]
        .set_index("time")[["temperature_c", "rh_pct"]]
        .resample("1h")
        .agg(["mean", "min", "max"])
    )
    sample = after[after["sensor_id"] == "s2"].set_index("time").iloc[5]

    def truth(column: str, how: str) -> float:
        return float(expected.loc[sample.name, (column, how)])

    assert abs(sample["rh_pct"] - truth("rh_pct", "mean")) < 1e-9
    assert sample["rh_pct_max"] == truth("rh_pct", "max")
    assert sample["temperature_c_min"] == truth("temperature_c", "min")


def test_patina_downsample_backfills_from_the_command_line(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
) -> None:
    config = make_config(
        SMALL_MUSEUM.replace('database = "{database}"', 'database = "{database}"\nraw_retention = "30d"')
    )
    store = store_for(config)
    write_days(store, 1)
    result = subprocess.run(
        [sys.executable, "-m", "patina", "downsample", "--config", str(config.path), "--since", "2d"],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            **service_environment(mosquitto, influxdb),
            "PATINA_INFLUX_DB": config.influxdb.database,
        },
    )
    assert result.returncode == 0, result.stderr
    count = store.execute(f"SELECT count(rh_pct) FROM {HOURLY_TARGET}")
    assert count and count[0]["values"][0][1] >= 3 * 24
    policies = {row[0]: row for row in store._rows("SHOW RETENTION POLICIES")}
    assert policies["autogen"][1] == "720h0m0s"


def test_statistics_with_partial_aggregates_equal_pandas_on_the_raw_readings(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    """A day whose second half arrived after aggregation (and an hour aggregated half-way):
    the figures must still be those of every raw reading, and the late hours re-aggregated."""
    from analysis.report import climate_report
    from museum.files.reports import case_period

    config = make_config()
    store = store_for(config)
    store.create_database()
    store.ensure_downsampling(timedelta(days=400))
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=24)
    times = pd.date_range(start, end, freq="1min", inclusive="left")
    minutes = np.arange(len(times))
    rows = []
    for sensor, offset in (("s1", 0.0), ("s2", 1.5)):
        # The first half dry and cool, the second damp and warm: hourly means of the first
        # half alone would say nothing of the second.
        rh = np.where(minutes < 12 * 60, 40.0, 60.0) + 3 * np.sin(minutes / 37) + offset
        temperature = np.where(minutes < 12 * 60, 19.0, 23.0) + np.sin(minutes / 53) + offset / 3
        rows += [
            (stamp, sensor, float(t), float(r))
            for stamp, t, r in zip(times, temperature.round(2), rh.round(1), strict=True)
        ]
    raw = pd.DataFrame(rows, columns=["time", "sensor_id", "temperature_c", "rh_pct"])
    lines = [
        climate_line(Reading(r.sensor_id, r.time.value, r.temperature_c, r.rh_pct, 90.0), "hanoi", "C1")
        for r in raw.itertuples()
    ]
    early = raw["time"] < start + timedelta(hours=12, minutes=30)  # half of hour 12 too
    store.write_lines([line for line, first in zip(lines, early, strict=True) if first])
    store.backfill_hourly(start, end)  # the aggregation runs while the day is still arriving
    store.write_lines([line for line, first in zip(lines, early, strict=True) if not first])

    # pandas on the raw readings: hourly means per sensor, averaged over the sensors.
    per_sensor = raw.set_index("time").groupby("sensor_id")[["temperature_c", "rh_pct"]].resample("1h").mean()
    truth_hourly = per_sensor.groupby(level="time").mean()
    truth = climate_report(truth_hourly)["statistics"]
    by_day = raw.set_index("time")[["temperature_c", "rh_pct"]].resample("1D")

    case = config.case("C1")
    unrepaired = store.hourly_series("C1", start, end, repair=False)
    period = case_period(store, case, start, end, hourly_by_sensor=unrepaired)
    assert period.figures is not None
    stats = period.figures["statistics"]
    for column in ("temperature_c", "rh_pct"):
        assert abs(stats[column]["mean"] - truth[column]["mean"]) < 1e-9
        assert abs(stats[column]["p95"] - truth[column]["p95"]) < 1e-9
        assert period.extremes[f"{column}_min"] == raw[column].min()
        assert period.extremes[f"{column}_max"] == raw[column].max()
        exact_range = float((by_day[column].max() - by_day[column].min()).mean())
        assert abs(stats["daily_range"][column] - exact_range) < 1e-9
    assert period.coverage["readings"] == len(raw) and period.coverage["expected"] == len(raw)
    assert period.coverage["hours_with_data"] == 24 and period.coverage["gaps"] == []

    # Read again with repair: the late hours are aggregated anew, and the store's aggregates
    # now count every reading.
    store.hourly_series("C1", start, end)
    stored = store.frame(f"SELECT readings FROM {HOURLY_TARGET} WHERE time >= '{start.isoformat()}'")
    assert len(stored) == 48 and (stored["readings"] == 60).all()


def test_backfill_steps_do_not_split_an_hour(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    """Steps of a day from 10:37: each step boundary falls inside an hour, which must still
    be aggregated with all its readings."""
    config = make_config()
    store = store_for(config)
    written = write_days(store, 3)
    store.ensure_downsampling(timedelta(days=400))
    first = written["time"].min().to_pydatetime() + timedelta(minutes=37)
    last = written["time"].max().to_pydatetime().replace(minute=0)
    store.backfill_hourly(first, last, step=timedelta(days=1))
    stored = store.frame(
        f"SELECT readings FROM {HOURLY_TARGET} WHERE sensor_id = 's1' "
        f"AND time >= '{(first + timedelta(hours=1)).replace(minute=0).isoformat()}' "
        f"AND time < '{last.isoformat()}'"
    )
    assert len(stored) >= 60 and (stored["readings"] == 60).all()
