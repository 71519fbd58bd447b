"""Alerts people trust: the engine's rules stepped in time, then the whole path with a real
SMTP server (aiosmtpd), a real HTTP server for webhooks, Mosquitto and InfluxDB."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from collector.alerts import AlertEngine, Notification
from collector.service import Collector
from museum.description.config import AlertsConfig, MuseumConfig
from museum.description.limits import case_limits
from museum.storage.schema import AlertEvent
from museum.storage.store import InfluxStore
from patina.services import MosquittoServer, free_port
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, stored_count, wait_for

# --- the engine, stepped in time -------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.events: list[AlertEvent] = []
        self.notifications: list[Notification] = []

    def states(self, rule: str) -> list[str]:
        return [e.state for e in self.events if e.rule == rule]


def engine_for(config: MuseumConfig, **alerts: float) -> tuple[AlertEngine, Recorder]:
    config = replace(
        config,
        alerts=replace(
            AlertsConfig(
                min_duration_s=600, sensor_silent_after_s=900, repeat_after_s=3600, escalate_after_s=7200
            ),
            **alerts,
        ),
    )
    recorder = Recorder()
    engine = AlertEngine(
        config, write_event=recorder.events.append, notify=recorder.notifications.append, now_s=0.0
    )
    return engine, recorder


def feed(
    engine: AlertEngine,
    start_s: float,
    minutes: int,
    rh_pct: float,
    sensors: tuple[str, ...] = ("s1", "s2"),
    every_s: float = 60.0,
) -> float:
    t = start_s
    for _ in range(minutes):
        for sensor in sensors:
            engine.observe("C1", sensor, t, 22.0, rh_pct, 90.0, t)
        engine.evaluate(t)
        t += every_s
    return t


def test_default_limits_come_from_the_most_demanding_material(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    config = offline_config()
    iron = case_limits(config, config.case("C1"))
    assert (iron.rh_max_pct, iron.rh_min_pct) == (25.0, None)
    assert iron.rh_max_material == "archaeological_iron"
    assert iron.rh_max_source.startswith("Watkinson & Lewis 2005")
    rifles = case_limits(config, config.case("C2"))
    assert (rifles.rh_max_pct, rifles.rh_min_pct) == (50.0, 25.0)


def test_a_crossing_shorter_than_the_minimum_duration_opens_nothing(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 5, rh_pct=20.0)
    t = feed(engine, t, 9, rh_pct=30.0)  # 9 minutes above 25 %: less than 10
    feed(engine, t, 5, rh_pct=20.0)
    assert recorder.states("rh_high") == []


def test_a_longer_crossing_opens_exactly_one_alert_and_recovery_resolves_it(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 30, rh_pct=30.0)
    assert recorder.states("rh_high") == ["opened"]
    opened = [n for n in recorder.notifications if n.rule == "rh_high"]
    assert len(opened) == 1 and opened[0].kind == "opened" and opened[0].threshold == 25.0
    feed(engine, t, 5, rh_pct=20.0)
    assert recorder.states("rh_high") == ["opened", "resolved"]


def test_oscillation_around_the_limit_does_not_flap(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 15, rh_pct=27.0)
    for k in range(60):  # 24 % and 26 %: inside the 3 % hysteresis band, never clear
        t = feed(engine, t, 1, rh_pct=26.0 if k % 2 else 24.0)
    assert recorder.states("rh_high") == ["opened"]


def test_acknowledgement_stops_repeats_and_escalation(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 15, rh_pct=30.0)
    t = feed(engine, t, 61, rh_pct=30.0)
    kinds = [n.kind for n in recorder.notifications if n.rule == "rh_high"]
    assert kinds == ["opened", "repeat"]
    alert_id = recorder.notifications[0].alert_id
    engine.acknowledged(alert_id)
    feed(engine, t, 300, rh_pct=30.0)
    assert [n.kind for n in recorder.notifications if n.rule == "rh_high"] == ["opened", "repeat"]


def test_no_acknowledgement_escalates_once(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config())
    feed(engine, 0, 200, rh_pct=30.0)
    kinds = [n.kind for n in recorder.notifications if n.rule == "rh_high"]
    assert kinds.count("escalated") == 1 and kinds[0] == "opened"
    assert [n.escalate for n in recorder.notifications if n.kind == "escalated" and n.rule == "rh_high"] == [
        True
    ]


def test_a_silent_sensor_opens_an_alert_even_with_no_message_at_all(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 5, rh_pct=12.0, sensors=("s1",))  # s2 never reports
    engine.evaluate(t + 900)  # not a single message after this: time alone opens it
    silent = [n for n in recorder.notifications if n.rule == "sensor_silent"]
    assert sorted(n.detail for n in silent) == ["s1", "s2", "s3"]  # s3 is C2's, silent too
    engine.observe("C1", "s1", t + 905, 22.0, 12.0, 90.0, t + 905)
    engine.evaluate(t + 905)
    assert [
        n.detail for n in recorder.notifications if n.rule == "sensor_silent" and n.kind == "resolved"
    ] == ["s1"]


def test_a_restart_keeps_open_alerts_open(offline_config: Callable[..., MuseumConfig]) -> None:
    config = offline_config()
    engine, recorder = engine_for(config)
    t = feed(engine, 0, 15, rh_pct=30.0)
    opened = recorder.events[0]
    again, second = engine_for(config)
    again.restore(
        [
            {
                "case_id": "C1",
                "rule_key": "rh_high",
                "alert_id": opened.alert_id,
                "state": "notified",
                "severity": "warning",
                "opened_s": opened.time_s,
                "time_s": opened.time_s,
            }
        ],
        {"s1": t, "s2": t},
    )
    t2 = feed(again, t, 10, rh_pct=30.0)
    assert second.states("rh_high") == []
    feed(again, t2, 3, rh_pct=20.0)
    assert second.states("rh_high") == ["resolved"]
    assert [e.alert_id for e in second.events if e.rule == "rh_high"] == [opened.alert_id]


def test_a_fast_change_opens_a_rate_of_change_alert(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 70, rh_pct=12.0)
    assert recorder.states("rate_of_change") == []
    t = feed(engine, t, 9, rh_pct=19.0)  # +7 % within the hour (still below the 25 % limit)
    assert recorder.states("rate_of_change") == []  # not yet longer than the 10-minute minimum
    t = feed(engine, t, 3, rh_pct=19.0)
    assert recorder.states("rate_of_change") == ["opened"]
    assert recorder.states("rh_high") == []


def test_a_single_spike_opens_nothing(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 70, rh_pct=12.0, every_s=600.0)  # a logger every ten minutes
    t = feed(engine, t, 1, rh_pct=40.0, sensors=("s1",), every_s=0.0)  # one reading 28 % off
    feed(engine, t, 1, rh_pct=12.0, sensors=("s2",), every_s=600.0)  # the other sensor, 10 min on
    feed(engine, t + 600, 12, rh_pct=12.0, every_s=600.0)
    assert recorder.states("rh_high") == recorder.states("rate_of_change") == []
    assert recorder.states("artefact_risk") == []


def test_damp_air_is_one_incident_listing_the_objects_it_puts_at_risk(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    # 50 % RH for an hour: above C1's 25 % limit and the excavated bayonet's critical 44 %.
    engine, recorder = engine_for(offline_config())
    t = feed(engine, 0, 30, rh_pct=12.0)
    feed(engine, t, 60, rh_pct=50.0)
    opened = [e for e in recorder.events if e.state == "opened" and e.rule in ("rh_high", "artefact_risk")]
    assert [e.rule for e in opened] == ["rh_high"]  # not a second "artefact at risk" alert
    assert opened[0].severity == "critical"
    assert "DBP-1 Excavated bayonet (critical)" in opened[0].message
    assert recorder.states("artefact_risk") == []


def test_a_stuck_sensor_is_reported(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config(), stuck_after_s=6 * 3600)
    t = feed(engine, 0, 5 * 60, rh_pct=12.0)  # 5 h of identical values: not yet
    assert recorder.states("sensor_stuck") == []
    t = feed(engine, t, 70, rh_pct=12.0)
    assert sorted(n.detail for n in recorder.notifications if n.rule == "sensor_stuck") == ["s1", "s2"]
    feed(engine, t, 1, rh_pct=12.1)
    assert recorder.states("sensor_stuck").count("resolved") == 2


def test_the_monitoring_system_reports_its_own_health(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, recorder = engine_for(offline_config(), min_duration_s=0, spool_alert_depth=1000)
    engine.collector_health(broker_dropped=0, spool_depth=10, now_s=1)
    assert recorder.states("collector_health") == []
    engine.collector_health(broker_dropped=37, spool_depth=5000, now_s=2)
    assert sorted(n.detail for n in recorder.notifications if n.rule == "collector_health") == [
        "broker_dropped",
        "spool_depth",
    ]
    engine.collector_health(broker_dropped=0, spool_depth=100, now_s=3)
    assert recorder.states("collector_health").count("resolved") == 2


# --- the whole path with real servers --------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [
            str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in self.messages
        ]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def webhook_server() -> Iterator[tuple[list[dict[str, Any]], int]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, server.server_address[1]
    server.shutdown()


def alerting_museum(smtp_port: int, webhook_port: int, language: str = "en") -> str:
    return (
        SMALL_MUSEUM.replace('language = "en"', f'language = "{language}"')
        + f"""
[alerts]
min_duration = "1s"
sensor_silent_after = "1h"
repeat_after = "1h"
escalate_after = "2h"

[notify.email]
smtp_url = "smtp://127.0.0.1:{smtp_port}"
from = "patina@museum.test"
to = ["conservator@museum.test"]

[notify.webhook]
url = "http://127.0.0.1:{webhook_port}/hook"
"""
    )


def subscribe_once(broker: MosquittoServer, topic: str) -> dict[str, Any]:
    """The retained message on a topic, read by a real MQTT subscriber."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: got.append(m.payload)
    client.connect("127.0.0.1", broker.port)
    client.subscribe(topic, 1)
    client.loop_start()
    try:
        wait_for(lambda: got, timeout_s=10)
    finally:
        client.loop_stop()
        client.disconnect()
    return json.loads(got[-1])


def readings(rh_pct: float, start_s: float, count: int) -> list[tuple[str, bytes]]:
    return [
        (
            f"patina/hanoi/{sensor}/climate",
            json.dumps(
                {"ts": start_s + k, "temperature_c": 24.0, "rh_pct": rh_pct, "battery_pct": 90}
            ).encode(),
        )
        for k in range(count)
        for sensor in ("s1", "s2")
    ]


def test_an_alert_is_mailed_posted_acknowledged_and_resolved_across_a_restart(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    smtp_server: tuple[Mailbox, int],
    webhook_server: tuple[list[dict[str, Any]], int],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    import time

    mailbox, smtp_port = smtp_server
    hooks, webhook_port = webhook_server
    config = make_config(alerting_museum(smtp_port, webhook_port))
    store = store_for(config)
    now = time.time()
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        publish_all(mosquitto, readings(12.0, now - 30, 5))
        publish_all(mosquitto, readings(60.0, now - 20, 3))
        wait_for(lambda: any(h["rule"] == "rh_high" for h in hooks), timeout_s=30)
        wait_for(lambda: any("RH above the case limit" in s for s in mailbox.subjects()), timeout_s=30)
        hook = next(h for h in hooks if h["rule"] == "rh_high")
        assert (hook["case_id"], hook["threshold"], hook["value"], hook["kind"]) == (
            "C1",
            25.0,
            60.0,
            "opened",
        )
        assert hook["artefacts"] == [
            {"id": "DBP-1", "name": "Excavated bayonet", "materials": ["archaeological_iron"]}
        ]
        assert "Watkinson & Lewis 2005" in hook["source"] and "Check first" in hook["message"]
        wait_for(lambda: not store.alerts().empty and "notified" in set(store.alert_events()["state"]))
        retained = subscribe_once(mosquitto, "patina/hanoi/alerts")
        assert any(a["alert_id"] == hook["alert_id"] and a["rule"] == "rh_high" for a in retained["open"])
    finally:
        collector.stop()

    alert_id = hook["alert_id"]
    env = {**os.environ, "PATINA_MQTT_URL": mosquitto.url, "PATINA_INFLUX_URL": config.influxdb.url}
    ack = subprocess.run(
        [
            sys.executable,
            "-m",
            "patina",
            "alerts",
            "ack",
            alert_id,
            "--config",
            str(config.path),
            "--user",
            "Nguyễn Thị Lan",
            "--note",
            "Dehumidifier refilled, gel replaced",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ack.returncode == 0, ack.stderr
    listed = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "patina",
                "alerts",
                "list",
                "--open",
                "--json",
                "--config",
                str(config.path),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    rh_alert = next(a for a in listed if a["alert_id"] == alert_id)
    assert (rh_alert["state"], rh_alert["user"], rh_alert["note"]) == (
        "acknowledged",
        "Nguyễn Thị Lan",
        "Dehumidifier refilled, gel replaced",
    )

    restarted = Collector(config)
    restarted.start()
    try:
        assert restarted.wait_until_subscribed(15)
        publish_all(mosquitto, readings(60.0, now - 10, 2))  # still high after the restart: no new alert
        publish_all(mosquitto, readings(10.0, now - 5, 3))  # back below 25 − 3 %
        wait_for(lambda: any(h["rule"] == "rh_high" and h["kind"] == "resolved" for h in hooks), timeout_s=30)
        # The webhook goes out as the event is spooled; the writer stores it shortly after.
        wait_for(lambda: "resolved" in set(store.alert_events(alert_id)["state"]), timeout_s=30)
    finally:
        restarted.stop()
    rh_hooks = [h["kind"] for h in hooks if h["rule"] == "rh_high"]
    assert rh_hooks == ["opened", "resolved"]
    rh_mails = [s for s in mailbox.subjects() if "RH above the case limit" in s]
    assert rh_mails == [
        "[Patina] Case C1: RH above the case limit",
        "[Patina] Resolved — case C1: RH above the case limit",
    ]
    states = list(store.alert_events(alert_id)["state"])
    assert states[0] == "opened" and "acknowledged" in states and states[-1] == "resolved"
    assert states.count("opened") == 1


def test_a_failing_notifier_is_retried_visible_and_does_not_block_ingestion(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    import time

    dead = free_port()  # nothing listens: the mail server and the webhook are down
    config = make_config(alerting_museum(dead, dead))
    store = store_for(config)
    collector = Collector(config)
    collector.start()
    now = time.time()
    try:
        assert collector.wait_until_subscribed(15)
        publish_all(mosquitto, readings(60.0, now - 30, 5))
        publish_all(mosquitto, readings(61.0, now - 20, 100))
        wait_for(lambda: stored_count(store) == 210, timeout_s=30)  # ingestion goes on
        failed = collector.notifier.failed
        wait_for(lambda: failed["email"] >= 1 and failed["webhook"] >= 1, timeout_s=60)
        wait_for(lambda: len(failed_channels(store)) == 2, timeout_s=30)
    finally:
        collector.stop()
    assert failed_channels(store) == {"email", "webhook"}


def failed_channels(store: InfluxStore) -> set[str]:
    events = store.alert_events()
    if events.empty:
        return set()
    return {m.split(":")[0] for m in events[events["state"] == "notify_failed"]["message"]}


def test_the_case_series_follows_its_worst_fresh_sensor() -> None:
    from collector.alerts import worst_sensor_series

    start = 1_790_000_000.0
    history = [(start + 300 * i, 20.0, 40.0, "a") for i in range(20)]
    history += [(start + 300 * i + 10, 21.0, 60.0, "b") for i in range(10)]  # b falls silent
    series = worst_sensor_series(history, fresh_for_s=900)
    by_time = series.set_index(series.index.as_unit("ns").asi8 / 1e9)
    assert by_time.loc[start + 300 * 5, "rh_pct"] == 60.0  # b's reading ten seconds earlier
    assert by_time.loc[start + 300 * 12, "rh_pct"] == 60.0  # b's last, 890 s old: still fresh
    assert by_time.loc[start + 300 * 13, "rh_pct"] == 40.0  # 1,190 s old: no longer counts
    assert by_time.loc[start + 300 * 14, "rh_pct"] == 40.0
    assert by_time["temperature_c"].max() == 21.0
