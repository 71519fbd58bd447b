"""End to end through real Mosquitto and InfluxDB: every reading arrives, exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import publish_all, stored_count, wait_for

BASE_NS = 1_790_000_000_000_000_000  # 2026-09-21, in the past for every test run


@contextmanager
def running(config: MuseumConfig, **options: object) -> Iterator[Collector]:
    collector = Collector(config, **options)  # type: ignore[arg-type]
    collector.start()
    try:
        assert collector.wait_until_subscribed(15), "collector never subscribed"
        yield collector
    finally:
        collector.stop()


def all_climate(store: InfluxStore) -> pd.DataFrame:
    data = store.frame("SELECT * FROM climate")
    data["time_ns"] = data["time"].dt.as_unit("ns").astype("int64")
    return data


def native(
    sensor: str,
    ts_ns: int,
    temperature_c: float,
    rh_pct: float,
    battery_pct: float | None = None,
    site: str = "hanoi",
) -> tuple[str, bytes]:
    body: dict[str, object] = {"ts": ts_ns / 1e9, "temperature_c": temperature_c, "rh_pct": rh_pct}
    if battery_pct is not None:
        body["battery_pct"] = battery_pct
    return f"patina/{site}/{sensor}/climate", json.dumps(body).encode()


def test_thousands_of_readings_from_many_sensors_arrive_exactly(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    rng = np.random.default_rng(20261123)
    sensors = ["s1", "s2", "s3"] + [f"stray-{n:02d}" for n in range(47)]
    expected = []
    messages = []
    for k in range(60):
        for n, sensor in enumerate(sensors):
            ts_ns = BASE_NS + k * 60_000_000_000 + n * 1_000_000
            temperature = round(float(rng.uniform(18, 35)), 2)
            rh = round(float(rng.uniform(30, 95)), 1)
            battery = float(rng.integers(0, 101))
            messages.append(native(sensor, ts_ns, temperature, rh, battery))
            case_id = {"s1": "C1", "s2": "C1", "s3": "C2"}.get(sensor, "unassigned")
            expected.append((sensor, case_id, "hanoi", ts_ns, temperature, rh, battery))

    with running(config) as collector:
        assert publish_all(mosquitto, messages) == 3000
        wait_for(lambda: collector.stats().written >= 3000)
        stats = collector.stats()
    assert (stats.received, stats.written, stats.rejected_total) == (3000, 3000, 0)

    data = all_climate(store_for(config))
    stored = sorted(
        zip(
            data["sensor_id"],
            data["case_id"],
            data["site"],
            data["time_ns"],
            data["temperature_c"],
            data["rh_pct"],
            data["battery_pct"],
            strict=True,
        )
    )
    assert stored == sorted(expected)
    assert set(data["ts_source"]) == {"sensor"}


def test_bad_messages_are_counted_and_the_collector_keeps_going(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    good = [native("s1", BASE_NS + n * 1_000_000_000, 25.0 + n / 100, 60.0) for n in range(200)]
    bad = [
        ("patina/hanoi/s1/climate", b"{not json"),
        ("patina/hanoi/s1/climate", b"\xff\xfe"),
        ("patina/hanoi/s1/climate", b'{"temperature_c": "hot", "rh_pct": 50}'),
        ("patina/hanoi/s1/climate", b'{"temperature_c": NaN, "rh_pct": 50}'),
        ("patina/hanoi/s1/climate", b'{"temperature_c": 20, "rh_pct": 130}'),
        ("patina/hanoi/s1/climate", b'{"battery_pct": 20}'),
        ("patina/hanoi/bad\\id/climate", b'{"temperature_c": 20, "rh_pct": 50}'),
        ("patina/hanoi/s1/climate", b""),
    ]
    stream = []
    for n, message in enumerate(good):
        stream.append(message)
        if n % 25 == 0:
            stream.append(bad[(n // 25) % len(bad)])

    with running(config) as collector:
        publish_all(mosquitto, stream)
        wait_for(lambda: collector.stats().written >= 200)
        wait_for(lambda: collector.stats().rejected_total >= len(bad))
        stats = collector.stats()
    assert stats.written == 200
    assert dict(stats.rejected) == {
        "invalid_json": 2,
        "not_utf8": 1,
        "not_a_number": 1,
        "not_finite": 1,
        "rh_out_of_range": 1,
        "missing_field": 1,
        "invalid_id": 1,
    }
    assert store_for(config).count_climate() == 200


def test_readings_wait_while_influxdb_is_down_and_arrive_when_it_is_back(
    make_config: Callable[..., MuseumConfig], mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    influx = InfluxServer(tmp_path / "influx")
    influx.start()
    try:
        config = make_config()
        config = type(config)(
            **{**config.__dict__, "influxdb": type(config.influxdb)(url=influx.url, database="outage")}
        )
        store = open_store(config.influxdb)
        with running(config) as collector:
            publish_all(mosquitto, [native("s1", BASE_NS + n * 10**9, 20.0, 50.0) for n in range(100)])
            wait_for(lambda: collector.stats().written >= 100)
            influx.kill()
            publish_all(
                mosquitto, [native("s1", BASE_NS + (100 + n) * 10**9, 21.0, 51.0) for n in range(300)]
            )
            wait_for(lambda: collector.stats().received >= 400)
            wait_for(lambda: not collector.stats().database_reachable)
            assert collector.stats().pending > 0
            influx.start()
            wait_for(lambda: collector.stats().written >= 400, timeout_s=60)
        assert store.count_climate() == 400
    finally:
        influx.stop()


def run_patina(*args: str, env: dict[str, str], **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "patina", *args], env={**os.environ, **env}, **popen)  # type: ignore[call-overload]


def test_patina_collect_and_simulate_commands_with_environment_overrides(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    unique_name: Callable[[str], str],
) -> None:
    config = make_config()
    database = unique_name("cli")
    env = {"PATINA_MQTT_URL": mosquitto.url, "PATINA_INFLUX_URL": influxdb.url, "PATINA_INFLUX_DB": database}
    assert config.path is not None
    store = InfluxStore(influxdb.url, database)
    collector = run_patina("collect", "--config", str(config.path), env=env, stderr=subprocess.PIPE)
    try:
        # The collector subscribes quickly; the simulator's QoS 1 messages would be lost
        # only if it published before the subscription existed, so wait for the log line.
        assert collector.stderr is not None
        for line in collector.stderr:
            if b"subscribed to" in line:
                break
        simulator = run_patina(
            "simulate",
            "--config",
            str(config.path),
            "--interval",
            "60s",
            "--duration",
            "6h",
            "--speed",
            "1000000",
            "--seed",
            "7",
            env=env,
        )
        assert simulator.wait(60) == 0
        # 6 h of one reading a minute from each of the 3 sensors of the config.
        wait_for(lambda: stored_count(store) == 3 * 360, timeout_s=30)
        # pandas (alert rules, risk) is loaded without pyarrow, which would cost the
        # collector 65 MB for nothing it uses.
        mapped = Path(f"/proc/{collector.pid}/maps").read_text()
        assert "/pandas/" in mapped and "pyarrow" not in mapped
    finally:
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(30) == 0
    data = store.frame("SELECT * FROM climate GROUP BY *")
    assert set(data["case_id"]) == {"C1", "C2"}
    assert data["rh_pct"].between(0, 100).all()
    assert data["temperature_c"].between(15, 40).all()


def test_patina_status_reports_the_collectors_health(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    store = store_for(config)
    with running(config, instance="museum-server-1", stats_interval_s=0.5) as collector:
        publish_all(mosquitto, [native("s1", BASE_NS + n * 10**9, 20.0, 50.0) for n in range(50)])
        wait_for(lambda: collector.stats().written >= 50)
        wait_for(
            lambda: (
                not store.latest_collector_stats().empty
                and store.latest_collector_stats()["written"].max() >= 50
            )
        )
    assert config.path is not None
    result = subprocess.run(
        [sys.executable, "-m", "patina", "status", "--config", str(config.path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATINA_MQTT_URL": mosquitto.url, "PATINA_INFLUX_URL": config.influxdb.url},
    )
    assert "museum-server-1:" in result.stdout and "written 50" in result.stdout
    assert "0 readings waiting" in result.stdout and "quarantine: empty" in result.stdout
