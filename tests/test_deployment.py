"""The collector in a museum's IT, as it is really deployed (issue 15): InfluxDB with
authentication, a full spool, a hung mail server, a broker killed, redeliveries, huge
payloads, two collectors on one spool. Real processes and servers throughout; the
InfluxDB that refuses is a real HTTP server that later forwards to a real influxd."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from collector.alerts import Notification
from collector.notify import Notifier
from collector.service import Collector
from collector.spool import Spool, SpoolInUse
from collector.stats import read_status, status_path
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, stored_count, wait_for

BASE_S = 1_790_000_000  # 2026-09-21


# --- real servers that misbehave ------------------------------------------------------------
class RefusingInflux:
    """An HTTP server in front of a real influxd: while ``status`` is set it answers every
    request but /ping with that status, as InfluxDB does for bad credentials (401) or
    missing rights (403); with ``status = None`` it forwards everything to influxd."""

    def __init__(self, upstream: str, status: int | None) -> None:
        self.upstream = upstream
        self.status = status
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(self.path)
                if outer.status is not None and not self.path.startswith("/ping"):
                    message = json.dumps({"error": "authorization failed"}).encode()
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
                answer = requests.request(
                    self.command, outer.upstream + self.path, data=body, headers=headers, timeout=30
                )
                self.send_response(answer.status_code)
                for key in ("Content-Type",):
                    if key in answer.headers:
                        self.send_header(key, answer.headers[key])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], int]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body["received_at_s"] = time.monotonic()
            received.append(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield received, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hung_smtp() -> Iterator[int]:
    """A mail server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    listener.close()


def with_webhook(text: str, port: int, extra: str = "") -> str:
    return (
        text.replace("[collector]\n", f"[collector]\n{extra}")
        + f"""
[alerts]
min_duration = "1s"
sensor_silent_after = "1h"

[notify.webhook]
url = "http://127.0.0.1:{port}/hook"
"""
    )


def readings(count: int, first_s: int = BASE_S, sensor: str = "s1") -> list[tuple[str, bytes]]:
    return [
        (
            f"patina/hanoi/{sensor}/climate",
            json.dumps({"ts": first_s + k, "temperature_c": 21.0, "rh_pct": 20.0}).encode(),
        )
        for k in range(count)
    ]


@contextmanager
def running(config: MuseumConfig, **options: Any) -> Iterator[Collector]:
    collector = Collector(config, **options)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        yield collector
    finally:
        collector.stop(drain_timeout_s=5)


def run_patina(config: MuseumConfig, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert config.path is not None
    return subprocess.run(
        [sys.executable, "-m", "patina", *args, "--config", str(config.path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- findings 1 and 2: refused credentials and rights ------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_keep_readings_in_the_spool_alert_and_resume_by_themselves(
    status: int,
    make_config: Callable[..., MuseumConfig],
    influxdb: InfluxServer,
    mosquitto: MosquittoServer,
    webhook: tuple[list[dict[str, Any]], int],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    hooks, port = webhook
    proxy = RefusingInflux(influxdb.url, status)
    try:
        config = make_config(with_webhook(SMALL_MUSEUM, port), environ={"PATINA_INFLUX_URL": proxy.url})
        real = store_for(make_config(database=config.influxdb.database))
        with running(config, stats_interval_s=0.5) as collector:
            publish_all(mosquitto, readings(40))
            wait_for(lambda: collector.stats().writer_blocked == "access_denied", timeout_s=30)
            wait_for(lambda: any(h["rule"] == "collector_health" for h in hooks), timeout_s=30)
            blocked = collector.stats()
            local = wait_for(
                lambda: (read_status(status_path(config.collector.spool_path)) or {}).get("writer_blocked"),
                timeout_s=15,
            )
            shown = run_patina(
                config, "status", env={"PATINA_INFLUX_URL": proxy.url, "PATINA_MQTT_URL": mosquitto.url}
            )
            proxy.status = None  # the administrator fixed the credentials
            wait_for(lambda: stored_count(real) == 40, timeout_s=60)
            wait_for(lambda: collector.stats().writer_blocked is None, timeout_s=30)
            recovered = collector.stats()
        spool = Spool(config.collector.spool_path)
        quarantined = spool.quarantine_counts()
        spool.close()
    finally:
        proxy.close()
    assert blocked.spool_depth >= 40 and blocked.rejected_total == 0
    assert local == "access_denied"
    assert "BLOCKED (access_denied" in shown.stdout, shown.stdout + shown.stderr
    health = next(h for h in hooks if h["rule"] == "collector_health")
    assert "InfluxDB refuses the collector's credentials or rights (HTTP 401/403)" in health["message"]
    assert quarantined == {} and recovered.written == 40


def test_a_write_only_user_on_an_authenticated_influxdb_waits_for_its_database_and_resumes(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], mosquitto: MosquittoServer
) -> None:
    class AuthInflux(InfluxServer):
        def environment(self) -> dict[str, str]:
            return {**super().environment(), "INFLUXDB_HTTP_AUTH_ENABLED": "true"}

    server = AuthInflux(tmp_path / "influx-auth")
    server.start()
    try:
        admin = ("admin", "admin-secret")

        def query(statement: str, auth: tuple[str, str] | None = admin) -> requests.Response:
            return requests.post(f"{server.url}/query", data={"q": statement}, auth=auth, timeout=10)

        assert query("CREATE USER admin WITH PASSWORD 'admin-secret' WITH ALL PRIVILEGES", None).ok
        assert query("CREATE USER writer WITH PASSWORD 'writer-secret'").ok
        config = make_config(
            environ={
                "PATINA_INFLUX_URL": server.url,
                "PATINA_INFLUX_USERNAME": "writer",
                "PATINA_INFLUX_PASSWORD": "writer-secret",
            }
        )
        database = config.influxdb.database
        with running(config) as collector:
            publish_all(mosquitto, readings(30))
            # CREATE DATABASE is refused to a non-admin (403); the database does not exist.
            wait_for(
                lambda: collector.stats().writer_blocked in ("database_missing", "access_denied"),
                timeout_s=30,
            )
            assert collector.writer.alive() and not collector.failed
            assert collector.stats().spool_depth >= 30
            assert query(f'CREATE DATABASE "{database}"').ok
            wait_for(lambda: collector.stats().writer_blocked == "access_denied", timeout_s=60)
            assert query(f'GRANT ALL ON "{database}" TO writer').ok
            wait_for(lambda: collector.stats().written == 30, timeout_s=60)
            stats = collector.stats()
        counted = query(f'SELECT count(rh_pct) FROM "{database}"."autogen"."climate"').json()
    finally:
        server.stop()
    assert counted["results"][0]["series"][0]["values"][0][1] == 30
    assert stats.rejected_total == 0 and stats.writer_blocked is None


# --- finding 3: a full spool ---------------------------------------------------------------
def test_a_full_spool_keeps_messages_at_the_broker_and_everything_arrives_after(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    influxdb: InfluxServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    proxy = RefusingInflux(influxdb.url, 401)
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        config = make_config(
            SMALL_MUSEUM.replace("[collector]\n", "[collector]\nspool_max_mb = 2\n"),
            environ={"PATINA_INFLUX_URL": proxy.url, "PATINA_MQTT_URL": broker.url},
        )
        real = store_for(make_config(database=config.influxdb.database))
        with running(config) as collector:
            published = publish_all(broker, readings(8000) + readings(8000, sensor="s2"))
            wait_for(lambda: collector.stats().spool_full, timeout_s=60)
            full = collector.stats()
            assert collector.ingest.subscribed.is_set() and not collector.failed
            proxy.status = None  # InfluxDB takes the spool again; space comes back
            wait_for(lambda: stored_count(real) >= published, timeout_s=120)
            wait_for(lambda: not collector.stats().spool_full, timeout_s=30)
    finally:
        proxy.close()
        broker.stop()
    assert full.received < published
    assert stored_count(real) == published == 16_000


# --- finding 6: one hung channel delays only itself ----------------------------------------------
def test_a_hung_mail_server_does_not_delay_the_webhook(
    make_config: Callable[..., MuseumConfig], hung_smtp: int, webhook: tuple[list[dict[str, Any]], int]
) -> None:
    hooks, port = webhook
    config = make_config(
        with_webhook(SMALL_MUSEUM, port)
        + f"""
[notify.email]
smtp_url = "smtp://127.0.0.1:{hung_smtp}"
to = ["conservator@museum.test"]
"""
    )
    notifier = Notifier(config)
    notifier.start()
    start = time.monotonic()
    for n in range(3):
        notifier(
            Notification(
                kind="opened",
                alert_id=f"C1.rh_high.{n}",
                case=config.case("C1"),
                rule="rh_high",
                subject_key="rule.rh_high",
                severity="warning",
                value=60.0,
                threshold=25.0,
                source="test",
                since_s=time.time(),
            )
        )
    wait_for(lambda: len(hooks) == 3, timeout_s=20)
    delays = [hook["received_at_s"] - start for hook in hooks]
    notifier.stop(timeout_s=0.1)
    assert max(delays) < 3.0, delays
    assert notifier.sent["email"] == 0


# --- finding 11: one spool, one collector --------------------------------------------------------
def test_a_second_collector_on_a_spool_in_use_is_refused_naming_the_first(
    make_config: Callable[..., MuseumConfig], mosquitto: MosquittoServer, influxdb: InfluxServer
) -> None:
    config = make_config()
    env = {
        "PATINA_MQTT_URL": mosquitto.url,
        "PATINA_INFLUX_URL": influxdb.url,
        "PATINA_INFLUX_DB": config.influxdb.database,
    }
    with running(config):
        with pytest.raises(SpoolInUse, match=f"in use by process {os.getpid()}"):
            Collector(config)
        second = run_patina(config, "collect", env=env)
    assert second.returncode != 0
    assert f"in use by process {os.getpid()}" in second.stderr and "Traceback" not in second.stderr
    with running(config):  # released at stop
        pass


# --- finding 4: the broker killed after accepting messages ---------------------------------------
def test_messages_a_killed_broker_accepted_more_than_one_autosave_ago_reach_influxdb(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    autosave_s = next(
        float(line.split()[1])
        for line in (Path(__file__).parent.parent / "deploy" / "mosquitto.conf").read_text().splitlines()
        if line.startswith("autosave_interval")
    )
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        config = make_config(environ={"PATINA_MQTT_URL": broker.url})
        store = store_for(config)
        with running(config):
            pass  # the collector's session exists; it is away while readings arrive
        published = publish_all(broker, readings(1000))
        time.sleep(autosave_s + 1.5)
        broker.kill()
        broker.start()
        with running(config):
            wait_for(lambda: stored_count(store) >= published, timeout_s=60)
    finally:
        broker.stop()
    assert stored_count(store) == published == 1000


# --- finding 5: readings without a device time --------------------------------------------------
ZIGBEE_MUSEUM = SMALL_MUSEUM.replace(
    '[[sources]]\ntopic = "patina/+/+/climate"\nformat = "patina"',
    '[[sources]]\ntopic = "zigbee2mqtt/#"\nformat = "zigbee2mqtt"\nsite = "hanoi"',
)


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
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def test_redelivered_messages_without_device_time_are_stored_once(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    influxdb: InfluxServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    assert "zigbee2mqtt/#" in ZIGBEE_MUSEUM
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        config = make_config(ZIGBEE_MUSEUM, environ={"PATINA_MQTT_URL": broker.url})
        env = {
            "PATINA_MQTT_URL": broker.url,
            "PATINA_INFLUX_URL": influxdb.url,
            "PATINA_INFLUX_DB": config.influxdb.database,
        }
        store = store_for(config)
        messages = [
            (
                f"zigbee2mqtt/s{k % 3 + 1}",
                json.dumps({"temperature": 20 + k % 7 / 10, "humidity": 40 + k % 13}).encode(),
            )
            for k in range(20_000)
        ]
        killed_at = []
        for attempt in range(3):  # SIGKILL mid-burst, as often as it takes to land between commit and ack
            with collector_process(config, env) as first:
                publisher = threading.Thread(target=publish_all, args=(broker, messages[attempt::3]))
                publisher.start()
                wait_for(lambda: stored_count(store) > len(killed_at) * 6000 + 1500, timeout_s=60)
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                publisher.join(120)
            killed_at.append(stored_count(store))
        with collector_process(config, env):
            wait_for(lambda: stored_count(store) >= len(messages), timeout_s=120)
            time.sleep(2)
    finally:
        broker.stop()
    assert all(stored < len(messages) for stored in killed_at), killed_at
    assert stored_count(store) == len(messages) == 20_000
    counted = {
        source: store.execute(f"SELECT count(rh_pct) FROM climate WHERE ts_source = '{source}'")
        for source in ("received", "received_backlog")
    }
    counts = {source: int(series[0]["values"][0][1]) if series else 0 for source, series in counted.items()}
    # Every one timed by its receipt; those the broker queued while the collector was dead say so.
    assert sum(counts.values()) == 20_000 and counts["received_backlog"] > 0, counts


# --- finding 7: huge payloads and a quarantine with a cap ------------------------------------------
def test_huge_payloads_are_refused_by_the_broker_or_quarantined_as_a_prefix_and_the_quarantine_is_capped(
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    influxdb: InfluxServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    import base64
    import hashlib

    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        config = make_config(
            SMALL_MUSEUM.replace(
                "[collector]\n", "[collector]\nquarantine_payload_bytes = 4096\nquarantine_max_mb = 0.05\n"
            ),
            environ={"PATINA_MQTT_URL": broker.url},
        )
        store = store_for(config)
        big = b'{"temperature_c": 21, "rh_pct": 40, "pad": "' + b"x" * 900_000 + b'"}'
        huge = b"y" * 20_000_000
        with running(config) as collector:
            publish_all(broker, [("patina/hanoi/s1/climate", huge)] * 2)  # over the broker's limit
            publish_all(broker, [("patina/hanoi/s1/climate", big)] * 20 + readings(10))
            wait_for(lambda: stored_count(store) == 10, timeout_s=30)
            wait_for(lambda: collector.stats().rejected_total == 20, timeout_s=30)
            stats = collector.stats()
        listed = json.loads(
            run_patina(config, "quarantine", "list", "--json", env={"PATINA_MQTT_URL": broker.url}).stdout
        )
        spool_bytes = config.collector.spool_path.stat().st_size
    finally:
        broker.stop()
    assert stats.rejected == {"payload_too_large": 20} and len(listed) >= 1
    assert stats.quarantine_dropped == 20 - len(listed) > 0
    first = listed[0]
    assert first["truncated"] and first["payload_size"] == len(big)
    assert base64.b64decode(first["payload_b64"]) == big[:4096]
    assert first["payload_sha256"] == hashlib.sha256(big).hexdigest()
    assert spool_bytes < 2_000_000  # neither 20 MB message nor 20 × 0.9 MB reached the spool


# --- finding 8: a history import over decades ----------------------------------------------------
def test_a_history_import_over_decades_makes_a_shard_per_year_not_per_week(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    first_s, last_s = 631_238_400, 1_767_225_600  # 1990-01-02 … 2026-01-01
    step_s = (last_s - first_s) // 299
    config = make_config()
    store = store_for(config)
    with running(config):
        publish_all(
            mosquitto,
            [
                (
                    "patina/hanoi/s1/climate",
                    json.dumps({"ts": first_s + k * step_s, "temperature_c": 19.5, "rh_pct": 48.0}).encode(),
                )
                for k in range(300)
            ],
        )
        wait_for(lambda: stored_count(store) == 300, timeout_s=60)
    years = (last_s - first_s) / (365.25 * 86400)
    # One shard per 52 weeks of readings, one for the alert events written now and one for
    # the schema version recorded now (patina_meta, kept for ever: docs/backup.md);
    # InfluxDB's default (7 days) made 300 (benchmarks/bench_history_shards.py).
    assert store.shard_count() <= years + 4


# --- no silent death (finding 9 and the workers) ---------------------------------------------------
def test_a_topic_filter_the_broker_cannot_take_stops_the_collector_instead_of_its_mqtt_thread(
    make_config: Callable[..., MuseumConfig],
) -> None:
    import dataclasses

    from museum.description.config import Source

    config = make_config()
    # A filter the config refuses at load (test_config_usable.py), forced past it here:
    # paho raises in its own thread when subscribing.
    broken = dataclasses.replace(config, sources=(Source(topic="bad/#/topic", format="patina"),))
    collector = Collector(broken)
    collector.start()
    try:
        done = threading.Event()
        failure = collector.run(done) if wait_for(lambda: collector.failed, timeout_s=15) else None
    finally:
        collector.stop(drain_timeout_s=1)
    assert failure is not None and failure.startswith("mqtt: ValueError")


# --- finding 12: a stream of bad messages cannot flood the log --------------------------------------
def test_two_thousand_numbers_too_large_for_a_float_are_quarantined_with_a_few_log_lines(
    make_config: Callable[..., MuseumConfig], mosquitto: MosquittoServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    config = make_config()
    huge_number = "1" + "0" * 400
    messages = [
        (
            "patina/hanoi/s1/climate",
            f'{{"ts": {BASE_S + k}, "temperature_c": {huge_number}, "rh_pct": 40}}'.encode(),
        )
        for k in range(2000)
    ]
    with caplog.at_level(logging.INFO), running(config) as collector:
        publish_all(mosquitto, messages)
        wait_for(lambda: collector.stats().rejected_total == 2000, timeout_s=60)
    logged = "\n".join(caplog.text.splitlines())
    tracebacks = logged.count("Traceback (most recent call last)")
    assert tracebacks <= 3, tracebacks
    assert len(logged.encode()) < 30_000, len(logged.encode())  # before: 1.8 MB for 2,000


def test_readings_without_device_time_queued_during_an_outage_are_marked_as_such(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    try:
        config = make_config(ZIGBEE_MUSEUM, environ={"PATINA_MQTT_URL": broker.url})
        store = store_for(config)
        with running(config):
            pass  # the collector's session exists; then it is away for a while
        for k in range(40):
            body = json.dumps({"temperature": 21.0, "humidity": 40 + k}).encode()
            publish_all(broker, [("zigbee2mqtt/s1", body)])
            time.sleep(0.05)
        with running(config):
            wait_for(lambda: stored_count(store) == 40, timeout_s=30)
            time.sleep(1.5)  # the backlog is over: what comes now is live
            publish_all(
                broker,
                [
                    ("zigbee2mqtt/s1", json.dumps({"temperature": 21.0, "humidity": 30 + k}).encode())
                    for k in range(5)
                ],
            )
            wait_for(lambda: stored_count(store) == 45, timeout_s=30)
    finally:
        broker.stop()

    def count(source: str) -> int:
        series = store.execute(f"SELECT count(rh_pct) FROM climate WHERE ts_source = '{source}'")
        return int(series[0]["values"][0][1]) if series else 0

    assert (count("received_backlog"), count("received")) == (40, 5)


# --- finding 2: database_refused only for points refused as points, and replayable ------------------
def test_points_refused_as_points_are_quarantined_and_replay_puts_them_back(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    from collector.service import replay_quarantine

    config = make_config()
    store = store_for(config)
    store.create_database()
    # A retention policy of one hour: InfluxDB refuses older points as points (HTTP 400).
    store.execute(
        f'ALTER RETENTION POLICY "autogen" ON "{config.influxdb.database}" DURATION 1h SHARD DURATION 1h'
    )
    with running(config) as collector:
        publish_all(mosquitto, readings(10))  # September 2026: older than an hour
        # The ten readings, and the risk point the collector made of them for the case's object
        # (at the readings' time, so refused too): the test once waited for ten only, and on a
        # loaded machine the risk point came before the retention policy changed back.
        wait_for(lambda: collector.stats().rejected.get("database_refused") == 11, timeout_s=60)
        refused = sorted(bytes(record.payload).split(b",", 1)[0] for record in collector.spool.quarantined())
        assert refused == [b"climate"] * 10 + [b"risk"]
        assert collector.stats().writer_blocked is None
        store.execute(f'ALTER RETENTION POLICY "autogen" ON "{config.influxdb.database}" DURATION INF')
        released, held = replay_quarantine(config)
        wait_for(lambda: stored_count(store) == 10, timeout_s=60)
        wait_for(lambda: store.execute("SELECT count(score) FROM risk"), timeout_s=60)
    assert (released, held) == (11, 0)
