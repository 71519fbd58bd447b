"""Two collectors share the ingest through MQTT 5 shared subscriptions: every reading is
stored exactly once, and each case's alerts are evaluated by exactly one of them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from collector.service import Collector, case_owner
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from patina.services import MosquittoServer
from tests.conftest import SMALL_MUSEUM
from tests.helpers import publish_all, stored_count, wait_for

SHARED = SMALL_MUSEUM.replace(
    '[collector]\nspool_path = "{spool}"',
    '[collector]\nspool_path = "{spool}"\nshare_group = "patina"\ninstances = 2',
)


def test_two_collectors_store_every_reading_once_and_raise_each_alert_once(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
) -> None:
    first = make_config(SHARED, environ={"PATINA_INSTANCE_INDEX": "0"})
    second = make_config(SHARED, database=first.influxdb.database, environ={"PATINA_INSTANCE_INDEX": "1"})
    assert first.collector.instances == 2 and second.collector.instance_index == 1
    # On the readings' clock: twenty minutes of readings are published in seconds.
    collectors = [Collector(first, event_time=True), Collector(second, event_time=True)]
    # Each case is evaluated by exactly one instance; the readings the other instance
    # receives for it are forwarded to its owner (here crc32 puts both on instance 1).
    for case_id in ("C1", "C2"):
        assert [case_id in c.owned_cases for c in collectors].count(True) == 1
        assert case_id in collectors[case_owner(case_id, 2)].owned_cases
    for collector in collectors:
        collector.start()
    store = store_for(first)
    try:
        for collector in collectors:
            assert collector.wait_until_subscribed(15)
        now = time.time()
        messages = []
        # 20 minutes of one reading a second for s1, s2 (C1) and s3 (C2): C1's excavated iron
        # at 40 % RH (limit 25 %) and C2's rifle at 75 % (iron and steel: limit 50 %).
        for second_ in range(1200):
            stamp = now - 1200 + second_
            for sensor, rh in (("s1", 40.0), ("s2", 40.5), ("s3", 75.0)):
                body = {
                    "ts": stamp,
                    "temperature_c": 24.0 + second_ * 1e-4,
                    "rh_pct": rh + (second_ % 7) * 0.1,
                }
                messages.append((f"patina/hanoi/{sensor}/climate", json.dumps(body).encode()))
        sent = publish_all(mosquitto, messages)
        wait_for(lambda: stored_count(store) == sent, timeout_s=60)
        received = [c.stats().received for c in collectors]
        assert sum(received) == sent and min(received) > 0  # shared, not duplicated
        # Each instance evaluated exactly the readings of the cases it owns, whichever instance
        # received them: C1 has two sensors (2,400 readings), C2 one (1,200).
        per_case = {"C1": 2400, "C2": 1200}
        expected = [sum(n for case, n in per_case.items() if case in c.owned_cases) for c in collectors]
        wait_for(lambda: [c.stats().evaluated for c in collectors] == expected, timeout_s=60)

        def opened() -> list[tuple[str, str]]:
            events = store.alert_events()
            if events.empty:
                return []
            rows = events[events["state"] == "opened"]
            return sorted((row.case_id, row.rule) for row in rows.itertuples() if row.rule == "rh_high")

        wait_for(lambda: opened() == [("C1", "rh_high"), ("C2", "rh_high")], timeout_s=30)
        time.sleep(3.0)  # a second opening would come within the evaluator's ticks
        assert opened() == [("C1", "rh_high"), ("C2", "rh_high")]
    finally:
        for collector in collectors:
            collector.stop()
    assert stored_count(store) == sent
