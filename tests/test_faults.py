"""No reading lost, no input fatal: the faults of a real installation, with real processes.

Each test counts: the readings in InfluxDB equal the valid readings published, and the
quarantine holds exactly the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from collector.service import Collector
from collector.spool import Spool
from museum.description.config import MuseumConfig, load_config
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import stored_count, wait_for

BASE_S = 1_790_000_000  # 2026-09-21

#: The session guarantees (queued and unacknowledged QoS 1 messages kept across a broker
#: restart and a SIGKILL of the collector) under MQTT 5 and under MQTT 3.1.1 (clean_session
#: false; Mosquitto's persistent_client_expiration keeps the session).
PROTOCOLS = pytest.mark.parametrize("protocol", ["5", "3.1.1"])


def museum(protocol: str) -> str:
    return SMALL_MUSEUM.replace("[mqtt]\n", f'[mqtt]\nprotocol = "{protocol}"\n')


def mosquitto_pub_lines(
    broker: MosquittoServer, topic: str, payloads: list[str], extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """A real publisher: mosquitto_pub reading one message per line, QoS 1."""
    process = subprocess.Popen(
        ["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-t", topic, "-l", *extra], stdin=subprocess.PIPE
    )
    stdin = process.stdin
    assert stdin is not None

    def feed() -> None:
        # From a thread: a pipe holds 64 KiB, so a longer burst written here would block
        # until mosquitto_pub had read most of it, and publishers would run one after another.
        stdin.write(("\n".join(payloads) + "\n").encode())
        stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    return process


def burst(broker: MosquittoServer, publishers: int, per_publisher: int, first_s: int = BASE_S) -> int:
    """``publishers`` sensors each publish ``per_publisher`` readings, all at once."""
    processes = start_burst(broker, publishers, per_publisher, first_s)
    for process in processes:
        assert process.wait(120) == 0
    return publishers * per_publisher


def start_burst(
    broker: MosquittoServer, publishers: int, per_publisher: int, first_s: int = BASE_S
) -> list[subprocess.Popen[bytes]]:
    """The publishers of :func:`burst`, left running."""
    return [
        mosquitto_pub_lines(
            broker,
            f"patina/hanoi/burst-{p}/climate",
            [
                json.dumps({"ts": first_s + k, "temperature_c": 20 + p / 10, "rh_pct": 40 + k % 50})
                for k in range(per_publisher)
            ],
        )
        for p in range(publishers)
    ]


@contextmanager
def running(config: MuseumConfig) -> Iterator[Collector]:
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        yield collector
    finally:
        collector.stop()


@contextmanager
def own_broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@contextmanager
def collector_process(config: MuseumConfig, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    assert config.path is not None
    process = subprocess.Popen(
        [sys.executable, "-m", "patina", "collect", "--config", str(config.path)],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if b"subscribed to" in line:
                break
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def test_a_burst_of_thirty_thousand_qos1_readings_arrives_whole(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    with own_broker(tmp_path) as broker:
        config = make_config(environ={"PATINA_MQTT_URL": broker.url})
        collector = Collector(config)
        collector.start()
        try:
            assert collector.wait_until_subscribed(15)
            published = burst(broker, publishers=10, per_publisher=3000)
            store = store_for(config)
            wait_for(lambda: stored_count(store) >= published, timeout_s=120)
            stats = collector.stats()
        finally:
            collector.stop()
    assert stored_count(store) == published == 30_000
    assert stats.broker_dropped in (None, 0)


@PROTOCOLS
def test_a_broker_restart_mid_stream_loses_nothing(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    protocol: str,
) -> None:
    with own_broker(tmp_path) as broker:
        config = make_config(museum(protocol), environ={"PATINA_MQTT_URL": broker.url})
        assert config.mqtt.protocol == protocol
        store = store_for(config)
        with running(config):
            pass  # subscribed: from now on the broker queues the session's messages
        # The burst waits in the broker for the collector, which is faster than ten
        # publishers now: the restart comes while most of it is still queued or in flight.
        published = burst(broker, publishers=10, per_publisher=2000)
        collector = Collector(config)
        collector.start()
        try:
            wait_for(lambda: collector.stats().received > 0, interval_s=0.01)
            assert collector.stats().received < published
            broker.restart()
            wait_for(collector.wait_until_subscribed, timeout_s=60)
            published += burst(broker, publishers=2, per_publisher=500, first_s=BASE_S + 10_000)
            wait_for(lambda: stored_count(store) >= published, timeout_s=120)
        finally:
            collector.stop()
    assert stored_count(store) == published == 21_000


@PROTOCOLS
def test_sigkill_of_the_collector_mid_stream_loses_nothing(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    influxdb: InfluxServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
    protocol: str,
) -> None:
    with own_broker(tmp_path) as broker:
        config = make_config(museum(protocol), environ={"PATINA_MQTT_URL": broker.url})
        assert config.mqtt.protocol == protocol
        env = {
            "PATINA_MQTT_URL": broker.url,
            "PATINA_INFLUX_URL": influxdb.url,
            "PATINA_INFLUX_DB": config.influxdb.database,
        }
        store = store_for(config)
        with collector_process(config, env) as first:
            # Killed while the publishers still publish: a collector faster than five
            # publishers could otherwise store them all before a kill after the burst.
            publishers = start_burst(broker, publishers=5, per_publisher=4000)
            published = 5 * 4000
            wait_for(lambda: stored_count(store) > 1000, timeout_s=60)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            for process in publishers:
                assert process.wait(120) == 0
        killed_at = stored_count(store)
        assert killed_at < published, "the collector finished before it could be killed"
        with collector_process(config, env):
            wait_for(lambda: stored_count(store) >= published, timeout_s=120)
    assert stored_count(store) == published == 20_000


def test_a_mixed_stream_stores_the_valid_and_quarantines_exactly_the_rest(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    bad = [
        "{not json",
        '{"temperature_c": "hot", "rh_pct": 50}',
        '{"temperature_c": 20, "rh_pct": 130}',
        '{"ts": "1985-01-01T00:00:00Z", "temperature_c": 20, "rh_pct": 50}',
        "[]",
        '{"temperature_c": 20, "rh_pct": NaN}',
    ]
    good = [json.dumps({"ts": BASE_S + k, "temperature_c": 21.5, "rh_pct": 55.5}) for k in range(1200)]
    stream = [
        line
        for k, valid in enumerate(good)
        for line in ([valid, bad[(k // 10) % len(bad)]] if k % 10 == 0 else [valid])
    ]
    published_bad = len(stream) - len(good)
    collector = Collector(config)
    collector.start()
    store = store_for(config)
    try:
        assert collector.wait_until_subscribed(15)
        assert mosquitto_pub_lines(mosquitto, "patina/hanoi/s1/climate", stream).wait(60) == 0
        wait_for(lambda: stored_count(store) >= len(good), timeout_s=60)
        wait_for(lambda: collector.stats().rejected_total >= published_bad)
    finally:
        collector.stop()
    assert stored_count(store) == len(good)
    listed = subprocess.run(
        [sys.executable, "-m", "patina", "quarantine", "list", "--json", "--config", str(config.path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATINA_MQTT_URL": mosquitto.url},
    )
    records = json.loads(listed.stdout)
    assert len(records) == published_bad
    assert {r["reason"] for r in records} == {
        "invalid_json",
        "not_a_number",
        "rh_out_of_range",
        "timestamp_out_of_range",
        "not_an_object",
        "not_finite",
    }
    assert all({"topic", "reason", "received_at", "payload_b64"} <= set(r) for r in records)


def test_replay_releases_messages_after_a_config_fix(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    # The museum bound its Zigbee sensors' topic to the wrong format.
    wrong = SMALL_MUSEUM.replace(
        "[collector]", '[[sources]]\ntopic = "z2m/#"\nformat = "patina"\n\n[collector]'
    )
    config = make_config(wrong)
    payloads = [json.dumps({"temperature": 22.0 + k / 10, "humidity": 50.0, "battery": 90}) for k in range(5)]
    with running(config):
        assert mosquitto_pub_lines(mosquitto, "z2m/case C2 sensor", payloads).wait(30) == 0
        spool = Spool(config.collector.spool_path)
        wait_for(lambda: spool.quarantine_counts() == {"unexpected_topic": 5})
    assert config.path is not None
    config.path.write_text(
        config.path.read_text().replace(
            'topic = "z2m/#"\nformat = "patina"', 'topic = "z2m/#"\nformat = "zigbee2mqtt"'
        )
    )
    env = {**os.environ, "PATINA_MQTT_URL": mosquitto.url}
    result = subprocess.run(
        [sys.executable, "-m", "patina", "quarantine", "replay", "--config", str(config.path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "released 5 messages to the spool; 0 remain in quarantine" in result.stdout
    assert spool.depth() == 5 and spool.quarantine_counts() == {}
    # The next run of the collector writes them.
    store = store_for(config)
    with running(load_config(config.path, environ={**env, "PATINA_INFLUX_URL": config.influxdb.url})):
        wait_for(lambda: stored_count(store) == 5)
    data = store.frame("SELECT * FROM climate")
    assert set(data["sensor_id"]) == {"case C2 sensor"} and set(data["case_id"]) == {"unassigned"}
