"""Small helpers the tests share: a real MQTT publisher, waiting for a condition, waiting
for Streamlit to finish drawing a page in the browser, and a scenario run end to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore, StoreError
from museum.storage.stores import open_store
from patina.services import MosquittoServer
from sensors_sim import scenario as scenarios
from sensors_sim.publisher import ScenarioFeed, SimulationPlan, Simulator


def publish_all(
    broker: MosquittoServer, messages: Iterable[tuple[str, bytes]], qos: int = 1, timeout_s: float = 60.0
) -> int:
    """Publish through the real broker and wait until it acknowledged every message."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    client.max_inflight_messages_set(500)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
    deadline = time.monotonic() + timeout_s
    for info in infos:
        info.wait_for_publish(max(0.1, deadline - time.monotonic()))
    assert all(info.is_published() for info in infos), "the broker did not take every message"
    client.disconnect()
    client.loop_stop()
    return len(infos)


def wait_for(condition: Callable[[], object], timeout_s: float = 30.0, interval_s: float = 0.1) -> object:
    """Poll until ``condition()`` is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout_s
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(interval_s)
        value = condition()
    assert value, f"condition not met within {timeout_s} s (last value {value!r})"
    return value


def wait_while_progressing(
    condition: Callable[[], object],
    progress: Callable[[], object],
    stalled_after_s: float = 120.0,
    interval_s: float = 0.5,
) -> None:
    """Poll until ``condition()`` is truthy, for as long as ``progress()`` (counters of the
    work being waited for) keeps changing: fail once it has not changed for
    ``stalled_after_s``. A loaded machine makes the work slower, not wrong; a hang still
    fails, a couple of minutes after it began."""
    last, since = progress(), time.monotonic()
    while not condition():
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        assert time.monotonic() - since < stalled_after_s, (
            f"no progress for {stalled_after_s:.0f} s (still {last!r})"
        )
        time.sleep(interval_s)


@contextmanager
def messages_on(
    broker: MosquittoServer, topic_filter: str, retained: bool = True
) -> Iterator[list[tuple[str, bytes]]]:
    """What the real broker delivers on ``topic_filter`` while the block runs (subscribed
    before the block begins); without ``retained``, only messages published meanwhile (a
    shared broker holds other tests' retained messages)."""
    received: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if retained or not message.retain:
            received.append((message.topic, message.payload))

    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect("127.0.0.1", broker.port)
    client.subscribe(topic_filter, qos=1)
    client.loop_start()
    try:
        assert subscribed.wait(30), f"the broker did not acknowledge the subscription to {topic_filter}"
        yield received
    finally:
        client.disconnect()
        client.loop_stop()


#: Streamlit has finished drawing the page: its script run is over (the app's
#: ``data-test-script-state``), no element is left stale from an earlier run or waiting as a
#: skeleton, and every visible Vega chart has drawn its marks.
STREAMLIT_DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app?.dataset.testScriptState === "notRunning"
        && !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')
        && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .filter(chart => chart.offsetParent !== null)
            .every(chart => chart.querySelector("canvas, svg.marks"));
}"""


def wait_until_drawn(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait, in a Playwright page, until Streamlit has drawn the page (:data:`STREAMLIT_DRAWN`):
    an event to wait for instead of a fixed pause before a screenshot or a reading."""
    page.wait_for_function(STREAMLIT_DRAWN, timeout=timeout_ms)


def sign_in(page: Any, name: str, password: str, role: str) -> None:
    """Sign in through the sidebar's form in a Playwright page, and wait until the sign-in's
    rerun is drawn: a form filled while the page is still being drawn again can lose what
    was typed into it, or the click that sends it."""
    from playwright.sync_api import expect

    page.locator('input[aria-label="Name"]').fill(name)
    page.locator('input[aria-label="Password"]').fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in: {name} ({role})")).to_be_visible(timeout=30_000)
    wait_until_drawn(page)


def stored_count(store: InfluxStore) -> int:
    """Climate readings stored so far; 0 while InfluxDB or the database are not there yet."""
    try:
        return store.count_climate()
    except StoreError:
        return 0


@dataclass
class ScenarioRun:
    """What a scenario run left: the readings sent, the alert events stored, the collector's
    counts, and its database (``config``) for the tests that read it afterwards."""

    scenario: scenarios.Scenario
    config: MuseumConfig
    sent: int
    events: pd.DataFrame
    stored: int
    quarantined: dict[str, int]
    feed: ScenarioFeed


def run_scenario(name: str, make_config: Callable[..., MuseumConfig]) -> ScenarioRun:
    """The scenario published at full speed through the real broker into a collector on
    event time, until the collector has stored and judged every reading (tests use the
    ``scenario_run`` fixture, which runs each scenario once per session)."""
    scenario = scenarios.load(name)
    config = scenario.museum_config(make_config())
    assert scenario.start_s is not None and scenario.duration_s is not None
    assert not scenario.unknown_targets(config)
    plan = SimulationPlan(
        scenario.start_s, scenario.interval_s, speed=1e9, duration_s=scenario.duration_s, seed=scenario.seed
    )
    collector = Collector(config, event_time=True)
    collector.start()
    try:
        assert collector.wait_until_subscribed()
        simulator = Simulator(config, plan, scenario)
        sent = simulator.run()

        def settled() -> bool:
            stats = collector.stats()
            return stats.messages >= sent and stats.spool_depth == 0 and stats.evaluated >= stats.received

        def progress() -> tuple[int, int, int, int]:
            # The evaluator counts a batch when it is done; meanwhile its risk points go
            # through the spool to InfluxDB.
            stats = collector.stats()
            return stats.messages, stats.evaluated, stats.written, stats.spool_depth

        # Judging days of readings takes the evaluator tens of seconds of CPU, on a loaded
        # machine minutes: the wait lasts as long as the collector keeps working.
        wait_while_progressing(settled, progress, stalled_after_s=180)
        time.sleep(1.5)  # the evaluator's last one-second tick, then the writer's last batch
        wait_for(lambda: collector.stats().spool_depth == 0, timeout_s=30)
        stats = collector.stats()
    finally:
        collector.stop()
    store = open_store(config.influxdb)
    days = (time.time() - scenario.start_s) / 86_400 + 1
    events = store.alert_events(within=timedelta(days=days))
    return ScenarioRun(scenario, config, sent, events, stats.written, dict(stats.rejected), simulator.feed)
