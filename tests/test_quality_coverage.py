"""The data-quality page's readings per hour, read from the hourly aggregates where they hold
every reading, against the raw count, on a real InfluxDB 1.x (issue 29)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from museum.description.config import MuseumConfig
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from tests.test_downsampling import write_days

KEYS = ["sensor_id", "case_id", "time"]


def same_figures(store: InfluxStore, start: datetime, end: datetime) -> pd.DataFrame:
    """The readings per hour as the page reads them, checked equal to the raw count."""
    read = store.readings_per_hour(start, end)
    raw = store.count_readings_per_hour(start, end)
    pd.testing.assert_frame_equal(
        read.sort_values(KEYS, ignore_index=True), raw.sort_values(KEYS, ignore_index=True)
    )
    return read


def test_readings_per_hour_from_the_aggregates_equal_the_raw_count_late_readings_included(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    write_days(store, 3)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=3)
    # Before any aggregate: every hour counted from the raw readings.
    before = same_figures(store, start, end)
    assert set(before["sensor_id"]) == {"s1", "s2", "s3"} and before["readings"].max() == 60
    store.ensure_downsampling()
    store.backfill_hourly(start - timedelta(hours=1), end)
    aggregated = same_figures(store, start, end)
    pd.testing.assert_frame_equal(aggregated, before)

    # A late reading in an hour aggregated 50 hours ago (a spool drained after an outage),
    # and a sensor whose readings all arrived after the aggregation. 50 hours: beyond the two
    # days the continuous query aggregates again each hour. (Over 30 hours, its first run,
    # which InfluxDB starts within a second of its creation, sometimes came after the late
    # reading on a loaded machine, and the aggregate then held it.)
    late_hour = end - timedelta(hours=50)
    store.write_lines(
        [
            climate_line(
                Reading("s2", int(late_hour.timestamp() + 30) * 10**9, 24.0, 51.0, 90.0),
                "hanoi",
                "C1",
            ),
            *(
                climate_line(
                    Reading("s9", int(late_hour.timestamp() + 60 * m) * 10**9, 22.0, 40.0, 90.0),
                    "hanoi",
                    "C2",
                )
                for m in range(5)
            ),
        ]
    )
    after = same_figures(store, start, end)
    hour = after[after["time"] == pd.Timestamp(late_hour)].set_index("sensor_id")["readings"]
    assert hour["s2"] == 61 and hour["s1"] == 60  # not under-counted: s2's hour is read raw
    assert hour["s9"] == 5 and after[after["sensor_id"] == "s9"]["readings"].sum() == 5
    # The stored aggregate still says 60: the figure came from the raw readings.
    stored = store._stored_readings(late_hour, late_hour + timedelta(hours=1)).set_index("sensor_id")
    assert int(stored.loc["s2", "readings"]) == 60


def test_a_large_museums_coverage_is_kept_computed_by_the_server(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboard import data

    config = make_config()
    write_days(store_for(config), 1)
    assert data.coverage_warmer(config.influxdb, ("s1", "s2", "s3")) is None  # a small museum: no thread
    monkeypatch.setattr(data, "WARM_COVERAGE_FROM_SENSORS", 2)
    warmer = data.coverage_warmer(config.influxdb, ("s1", "s2"))
    assert warmer is not None and warmer.daemon and warmer.is_alive()
    assert data.coverage_warmer(config.influxdb, ("s1", "s2")) is warmer  # once per server and museum
    # What it keeps is what the page reads: the week up to the last whole hour.
    start, end = data.coverage_period(datetime.now(UTC), data.WARM_COVERAGE_SPAN)
    coverage = data.hourly_coverage(config.influxdb, ("s1", "s2"), start, end)
    assert set(coverage["sensor_id"]) == {"s1", "s2"} and coverage["readings"].sum() > 0
