"""One contract for both storage backends: what the collector, the dashboard and the
exports rely on, run against a real server of each kind.

- v1: the private InfluxDB 1.x of the test session (always runs).
- v2: an InfluxDB 2.x or Cloud given by ``PATINA_TEST_INFLUX2_URL``,
  ``PATINA_TEST_INFLUX2_TOKEN`` and ``PATINA_TEST_INFLUX2_ORG`` (a token allowed to create
  and delete buckets and tasks); skipped, with that reason, when they are not set. Each test
  makes its own bucket and deletes it afterwards.

Below the contract, what the v2 backend does without a server: its configuration and its
failures when the server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from museum.description.config import ConfigError, InfluxConfig, load_config
from museum.storage.schema import AlertEvent, Reading, alert_event_line, climate_line
from museum.storage.store import InfluxStore, StoreError, StoreUnavailable
from museum.storage.store_v2 import Influx2Store, flux_string
from museum.storage.stores import open_store
from patina.services import InfluxServer, free_port
from tests.conftest import SMALL_MUSEUM

V2_ENV = ("PATINA_TEST_INFLUX2_URL", "PATINA_TEST_INFLUX2_TOKEN", "PATINA_TEST_INFLUX2_ORG")


@pytest.fixture(params=["v1", "v2"])
def store(request: pytest.FixtureRequest, influxdb: InfluxServer) -> Iterator[InfluxStore]:
    name = f"contract_{uuid.uuid4().hex[:10]}"
    if request.param == "v1":
        config = InfluxConfig(url=influxdb.url, database=name)
    else:
        missing = [key for key in V2_ENV if not os.environ.get(key)]
        if missing:
            pytest.skip(f"no InfluxDB 2.x to test against: set {', '.join(missing)}")
        config = InfluxConfig(
            url=os.environ["PATINA_TEST_INFLUX2_URL"],
            database=name,
            api="v2",
            org=os.environ["PATINA_TEST_INFLUX2_ORG"],
            token=os.environ["PATINA_TEST_INFLUX2_TOKEN"],
        )
    store = open_store(config)
    assert isinstance(store, Influx2Store) == (request.param == "v2")
    store.create_database()
    yield store
    if isinstance(store, Influx2Store):
        buckets = store._client.buckets_api()
        for bucket_name in (store.bucket, store.hourly_bucket):
            bucket = buckets.find_bucket_by_name(bucket_name)
            if bucket is not None:
                buckets.delete_bucket(bucket)
        for task in store._client.tasks_api().find_tasks(name="patina_climate_hourly"):
            store._client.tasks_api().delete_task(task.id)
    else:
        store.execute(f'DROP DATABASE "{name}"')
    store.close()


def minute_readings(hours: int, end: datetime) -> tuple[list[str], pd.DataFrame]:
    times = pd.date_range(end - timedelta(hours=hours), end, freq="1min", inclusive="left")
    lines, rows = [], []
    for sensor, offset in (("s1", 0.0), ("s2", 3.0)):
        for k, stamp in enumerate(times):
            t, rh = 24.0 + (k % 30) / 10, 50.0 + offset + (k % 17)
            lines.append(climate_line(Reading(sensor, stamp.value, t, rh, 80.0), "hanoi", "C1"))
            rows.append((stamp, sensor, t, rh))
    return lines, pd.DataFrame(rows, columns=["time", "sensor_id", "temperature_c", "rh_pct"])


def test_readings_written_are_counted_and_read_back(store: InfluxStore) -> None:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    lines, written = minute_readings(3, end)
    store.write_lines(lines)
    assert store.ping()
    assert store.count_climate() == len(lines) == 360
    series = store.climate_series("C1", end - timedelta(hours=3), end)
    assert len(series) == 360
    merged = series.merge(written, on=["time", "sensor_id"], suffixes=("", "_written"))
    assert (merged["rh_pct"] == merged["rh_pct_written"]).all() and len(merged) == 360
    latest = store.latest_climate(expected=["s1", "s2"])
    assert sorted(latest["sensor_id"]) == ["s1", "s2"]
    assert (latest["time"] == end - timedelta(minutes=1)).all()


def test_hourly_aggregates_match_the_readings(store: InfluxStore) -> None:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    lines, written = minute_readings(6, end)
    store.write_lines(lines)
    store.ensure_downsampling(timedelta(days=30))
    store.ensure_downsampling(timedelta(days=30))  # idempotent: every collector start
    store.backfill_hourly(end - timedelta(hours=6), end)
    hourly = store.hourly_series("C1", end - timedelta(hours=6), end)
    assert len(hourly) == 12  # 6 hours × 2 sensors
    expected = (
        written.assign(time=written["time"].dt.floor("1h"))
        .groupby(["time", "sensor_id"], as_index=False)
        .agg(
            rh_pct=("rh_pct", "mean"),
            rh_pct_max=("rh_pct", "max"),
            temperature_c_min=("temperature_c", "min"),
        )
    )
    merged = hourly.merge(expected, on=["time", "sensor_id"], suffixes=("", "_expected"))
    assert len(merged) == 12
    for column in ("rh_pct", "rh_pct_max", "temperature_c_min"):
        assert (merged[column] - merged[f"{column}_expected"]).abs().max() < 1e-9


def test_alert_events_are_read_back_and_acknowledged(store: InfluxStore) -> None:
    now_ns = datetime.now(UTC).timestamp() * 1e9
    store.write_lines(
        [
            alert_event_line(
                AlertEvent(
                    int(now_ns),
                    site="hanoi",
                    case_id="C1",
                    alert_id="a-1",
                    rule="rh_high",
                    rule_key="rh_high:C1",
                    severity="warning",
                    state="open",
                    message="RH 72 % above 65 %",
                    value=72.0,
                    threshold=65.0,
                )
            )
        ]
    )
    alerts = store.alerts()
    assert list(alerts["alert_id"]) == ["a-1"]
    store.acknowledge_alert("a-1", "lan", "door closed")
    events = store.alert_events("a-1")
    assert "acknowledged" in set(events["state"])


def test_a_refused_point_is_a_store_error_not_an_outage(store: InfluxStore) -> None:
    with pytest.raises(StoreError) as refused:
        store.write_lines(["climate,site=x rh_pct=1.0 1", 'climate,site=x rh_pct="text" 2'])
    assert not isinstance(refused.value, StoreUnavailable)


# --- the v2 backend without a server ---------------------------------------------------------
def write_config(tmp_path: Path, influx: str) -> Path:
    path = tmp_path / "museum.toml"
    text = SMALL_MUSEUM.format(client_id="c", database="patina", spool=tmp_path / "spool.sqlite3")
    path.write_text(text.replace("[influxdb]\n", f"[influxdb]\n{influx}\n", 1))
    return path


def test_v2_is_selected_in_the_config_with_the_token_from_the_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path, 'api = "v2"\norg = "museum"\nbucket = "patina"')
    env = {"PATINA_INFLUX_TOKEN": "secret-token"}
    config = load_config(path, environ=env).influxdb
    assert (config.api, config.org, config.database, config.token) == (
        "v2",
        "museum",
        "patina",
        "secret-token",
    )
    assert "secret-token" not in repr(config)
    store = open_store(config)
    assert isinstance(store, Influx2Store) and store.hourly_bucket == "patina/patina_forever"
    store.close()
    with pytest.raises(ConfigError, match="PATINA_INFLUX_TOKEN"):
        load_config(path, environ={})
    with pytest.raises(ConfigError, match="never store a token"):
        load_config(write_config(tmp_path, 'api = "v2"\norg = "m"\ntoken = "x"'), environ=env)
    with pytest.raises(ConfigError, match="no '/'"):
        load_config(write_config(tmp_path, 'api = "v2"\norg = "m"\nbucket = "a/b"'), environ=env)
    with pytest.raises(ConfigError, match='only with api = "v2"'):
        load_config(write_config(tmp_path, 'bucket = "patina"'), environ={})


def test_v2_unreachable_server_is_an_outage_the_collector_waits_out() -> None:
    store = Influx2Store(f"http://127.0.0.1:{free_port()}", "patina", "museum", "token", timeout_s=2)
    assert not store.ping()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.write_lines(["climate,site=x rh_pct=1.0 1"])
    with pytest.raises(StoreUnavailable):
        store.count_climate()
    store.close()


def test_flux_strings_cannot_break_out_of_their_quotes() -> None:
    assert flux_string('a"b\\c') == '"a\\"b\\\\c"'
    assert flux_string("${x}") == '"\\${x}"'
    assert flux_string("Bảo tàng\n") == '"Bảo tàng\\n"'
