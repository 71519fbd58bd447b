"""Small helpers the tests share: a real MQTT publisher, waiting for a condition, and waiting
for Streamlit to finish drawing a page in the browser."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from museum.storage.store import InfluxStore, StoreError
from patina.services import MosquittoServer


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


def stored_count(store: InfluxStore) -> int:
    """Climate readings stored so far; 0 while InfluxDB or the database are not there yet."""
    try:
        return store.count_climate()
    except StoreError:
        return 0
