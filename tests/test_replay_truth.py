"""Replays tell the truth (issue 14, item 6): in event-time mode a logger that reads every
30 minutes is not silent after 15, sensors the file does not hold are not judged silent,
every lifecycle event carries the readings' time,
and history is not notified unless asked. Real broker, collector, InfluxDB and webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from patina.services import MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, wait_for

START_S = 1_370_000_000  # 2013-05-31: a logger's history
STEP_S = 1800  # the logger reads every 30 minutes
STEPS = 144  # three days
GAP = range(100, 108)  # four hours missing


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], int]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield received, server.server_address[1]
    server.shutdown()
    server.server_close()


def history() -> list[tuple[str, bytes]]:
    """One logger (s1, case C1) every 30 min for three days, as `patina replay` publishes a
    file: its RH is above C1's 25 % limit for six hours on the second day and it misses
    four hours on the third. The config's other sensors (s2, s3) are not in the file."""
    messages = []
    for step in range(STEPS):
        if step in GAP:
            continue
        rh = 32.5 if 60 <= step < 72 else 20.25 + step % 5 * 0.1
        messages.append(
            (
                "patina/hanoi/s1/climate",
                json.dumps(
                    {"ts": START_S + step * STEP_S, "temperature_c": 21.37 + step % 3 * 0.1, "rh_pct": rh}
                ).encode(),
            )
        )
    return messages


def replay(config: MuseumConfig, broker: MosquittoServer, notify: bool | None) -> tuple[Collector, int]:
    collector = Collector(config, event_time=True, notify=notify)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        sent = publish_all(broker, history())
        wait_for(
            lambda: collector.stats().evaluated >= sent and collector.stats().spool_depth == 0, timeout_s=60
        )
        time.sleep(2.5)  # the evaluator's last tick, then the writer's last batch
        wait_for(lambda: collector.stats().spool_depth == 0, timeout_s=30)
    finally:
        collector.stop()
    return collector, sent


def museum(port: int) -> str:
    return (
        SMALL_MUSEUM
        + f"""
[alerts]
min_duration = "10m"
sensor_silent_after = "15m"
repeat_after = "4h"
escalate_after = "1d"

[notify.webhook]
url = "http://127.0.0.1:{port}/hook"
"""
    )


def test_a_replayed_30_minute_logger_is_silent_only_where_the_file_has_a_gap_and_nobody_is_notified(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    webhook: tuple[list[dict[str, Any]], int],
    store_for: Callable[[MuseumConfig], InfluxStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooks, port = webhook
    config = make_config(museum(port))
    store = store_for(config)
    with caplog.at_level("INFO", logger="patina.collector"):
        collector, _ = replay(config, mosquitto, notify=None)
    events = store.alert_events(within=__import__("datetime").timedelta(days=365 * 20))
    silent = events[events["rule"] == "sensor_silent"]
    assert sorted(set(silent["alert_id"].str.split(".").str[2])) == ["s1"]
    assert list(silent["state"]) == ["opened", "resolved"]
    opened_s = silent["time"].iloc[0].timestamp()
    # Opened when the silence began: 2.5 of its intervals after its last reading before the gap.
    assert opened_s == START_S + (GAP.start - 1) * STEP_S + 2.5 * STEP_S
    assert hooks == []  # history is not news
    withheld = collector.evaluator.withheld
    assert withheld[("opened", "rh_high")] == 1 and withheld[("opened", "sensor_silent")] == 1
    assert any(
        "notifications not sent" in r.getMessage() and "opened rh_high" in r.getMessage()
        for r in caplog.records
    )
    assert "notified" not in set(events["state"])
    # Every event the replay made is in 2013, and an alert it resolved is not listed open.
    assert events["time"].max().timestamp() < START_S + STEPS * STEP_S + 60
    assert_resolved_alerts_stay_resolved(store)


def assert_resolved_alerts_stay_resolved(store: InfluxStore) -> None:
    events = store.alert_events(within=__import__("datetime").timedelta(days=365 * 20))
    resolved = set(events[events["state"] == "resolved"]["alert_id"])
    latest = store.alerts(within=__import__("datetime").timedelta(days=365 * 20))
    assert resolved, "the replay resolved nothing"
    still_open = latest[latest["alert_id"].isin(resolved) & (latest["state"] != "resolved")]
    assert still_open.empty, still_open[["alert_id", "state"]]


def test_with_notify_a_replay_notifies_and_its_notified_events_carry_event_time(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    webhook: tuple[list[dict[str, Any]], int],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    hooks, port = webhook
    config = make_config(museum(port))
    store = store_for(config)
    replay(config, mosquitto, notify=True)
    wait_for(lambda: any(h["rule"] == "rh_high" and h["kind"] == "resolved" for h in hooks), timeout_s=30)
    time.sleep(1)
    events = store.alert_events(within=__import__("datetime").timedelta(days=365 * 20))
    notified = events[events["state"] == "notified"]
    assert len(notified) >= 2
    assert notified["time"].max().timestamp() < START_S + STEPS * STEP_S + 60
    for alert_id, group in events.groupby("alert_id"):
        states = list(group.sort_values("time", kind="stable")["state"])
        assert states[0] == "opened", (alert_id, states)
    rh = list(events[(events["rule"] == "rh_high")].sort_values("time", kind="stable")["state"])
    assert rh[0] == "opened" and rh[-1] == "resolved" and "notified" in rh, rh
    assert_resolved_alerts_stay_resolved(store)


def test_a_replay_stores_the_values_of_the_file_exactly(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    webhook: tuple[list[dict[str, Any]], int],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    import numpy as np
    import pandas as pd

    from sensors_sim.replay import ReplayFeed

    times = pd.date_range("2013-06-01", periods=3, freq="30min", tz="UTC")
    readings = pd.DataFrame(
        {"temperature_c": [21.3749, 19.0001, 18.123456], "rh_pct": [47.8763, 50.05, np.nan]}, index=times
    )
    feed = ReplayFeed(readings, "s1", "hanoi", "patina", __import__("zoneinfo").ZoneInfo("UTC"))
    bodies = [json.loads(payload) for tick in feed.messages(0, 3) for _, payload in tick]
    assert [b["temperature_c"] for b in bodies] == [21.3749, 19.0001, 18.123456]
    assert [b.get("rh_pct") for b in bodies] == [47.8763, 50.05, None]
