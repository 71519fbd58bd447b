"""Back-fill of a gap the bridge could not hold (issue 27, docs/partners.md,
collector/backfill.py), with real services: the two museums of tests/partner_museums.py,
each broker bridged to the other's by the stanzas Patina wrote, the lender's collector in
this process, the borrower's in a process of its own."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.backfill import REFUSED, BackfillRequest, gap_readings
from collector.partners import PARTNER_CLIMATE
from collector.service import Collector
from collector.spool import Spool
from museum.storage.influxql import quote_identifier
from museum.storage.schema import CLIMATE
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import publish_all, wait_for
from tests.partner_museums import Partners, reading, start_partners

K1 = "patina/invalides/k1a/climate"
K2 = "patina/invalides/k2a/climate"
REQUEST = "partners/armee/patina/backfill/request"


@pytest.fixture
def partners(tmp_path: Path, influxdb: InfluxServer, unique_name: Callable[[str], str]) -> Iterator[Partners]:
    made = start_partners(tmp_path / "museums", influxdb, unique_name("b"), silent="20s", beat="5s")
    yield made
    made.stop()


def times_ns(config: Any, measurement: str, where: str = "") -> list[int]:
    """Every point's time, in order: a reading stored twice would be two (its time differing)."""
    store = open_store(config.influxdb)
    try:
        frame = store.frame(f"SELECT rh_pct FROM {quote_identifier(measurement)}{where}")
    finally:
        store.close()
    return [] if frame.empty else [stamp.value for stamp in frame["time"]]


def test_a_gap_the_bridge_lost_is_back_filled_from_the_borrowers_database(partners: Partners) -> None:
    lender = Collector(partners.lender)
    lender.start()
    partners.start_borrower_collector()
    try:
        assert lender.partners is not None and lender.partners.subscribed.wait(15)
        wait_for(lambda: lender.partners is not None and "armee" in lender.partners.beats().last_beat_s, 30)
        # The borrower's heartbeat can reach the lender before its collector has subscribed to
        # the readings: published before that, they never reach the borrower's database.
        wait_for(lambda: "subscribed to patina/" in partners.borrower_log(), 30)
        start_s = float(int(time.time()) - 900)
        publish_all(partners.borrower_broker, [(K1, reading(start_s + i, 40 + i % 7)) for i in range(50)])
        wait_for(lambda: len(times_ns(partners.lender, PARTNER_CLIMATE)) == 50, 30)
        wait_for(lambda: len(times_ns(partners.borrower, CLIMATE)) == 50, 30)

        # The cut: the lender's broker stopped; the borrower's collector stores every reading.
        partners.lender_broker.stop()
        cut_s = time.time()
        gap = [(K1, reading(start_s + 50 + i, 45 + i % 5)) for i in range(200)]
        publish_all(partners.borrower_broker, gap)
        wait_for(lambda: len(times_ns(partners.borrower, CLIMATE)) == 250, 60)
        # The borrower's broker restarted without persistence: its bridge's queue (the 200
        # readings, the heartbeats) is gone. Past the partner's silent_after (20 s), so the
        # lender sees two heartbeats further apart than that.
        wait_for(lambda: time.time() - cut_s > 25, 40)
        restart_without_persistence(partners.borrower_broker)
        partners.lender_broker.start()

        # The lender asks, the borrower answers from its database: all 250, none twice.
        wait_for(lambda: len(times_ns(partners.lender, PARTNER_CLIMATE)) >= 250, 90)
        assert lender.partners.backfill is not None and lender.partners.backfill.requested >= 1
        wait_for(lambda: "back-fill for hanoi" in partners.borrower_log(), 30)
        lender_times = times_ns(partners.lender, PARTNER_CLIMATE)
        assert lender_times == times_ns(partners.borrower, CLIMATE, " WHERE case_id = 'K1'")
        assert len(lender_times) == len(set(lender_times)) == 250
    finally:
        lender.stop()


def restart_without_persistence(broker: MosquittoServer) -> None:
    broker.stop()
    broker.settings["persistence"] = "false"
    broker.start()


def test_a_request_for_what_the_borrower_does_not_share_gets_nothing(partners: Partners) -> None:
    partners.start_borrower_collector()
    start_s = float(int(time.time()) - 600)
    wait_for(lambda: "subscribed to" in partners.borrower_log(), 30)
    publish_all(partners.borrower_broker, [(K1, reading(start_s, 50.0)), (K2, reading(start_s, 60.0))])
    wait_for(lambda: len(times_ns(partners.borrower, CLIMATE)) == 2, 30)
    seen: list[tuple[str, bytes]] = []
    watcher = subscriber(partners.borrower_broker, "patina/invalides/+/climate", seen)
    window = {"from_s": start_s - 60, "to_s": time.time()}
    refused = [
        b"not json {",
        json.dumps({"cases": ["K2"], **window}).encode(),  # a case it does not share
        json.dumps({"cases": ["K1"], "sensors": ["k2a"], **window}).encode(),  # a sensor of K2
        json.dumps({"cases": ["K1"], "from_s": window["to_s"], "to_s": window["from_s"]}).encode(),
    ]
    asked = json.dumps({"cases": ["K1", "K2"], **window}).encode()  # one case too many: refused
    answered = json.dumps({"cases": ["K1"], **window}).encode()
    # As the lender's collector would: on the lender's broker, taken in by the borrower's bridge.
    lender_side = mqtt.Client(CallbackAPIVersion.VERSION2)
    lender_side.username_pw_set("lender-collector", "lender-secret-for-tests")
    lender_side.connect("127.0.0.1", partners.lender_broker.port)
    lender_side.loop_start()
    try:
        wait_for_request_path(partners)
        for body in [*refused, asked, answered]:
            lender_side.publish(REQUEST, body, qos=1).wait_for_publish(10)
        # The worker takes requests in order: the answer to the last comes after the refusals.
        wait_for(lambda: any(topic == K1 for topic, _ in seen), 60)
    finally:
        lender_side.disconnect()
        lender_side.loop_stop()
        watcher.disconnect()
        watcher.loop_stop()
    assert [topic for topic, _ in seen] == [K1]
    assert json.loads(seen[0][1]) == {"ts": start_s, "temperature_c": 20.0, "rh_pct": 50.0}
    text = partners.borrower_log()
    refusals = [line for line in text.splitlines() if "back-fill request from hanoi" in line]
    assert len([line for line in refusals if "refused" in line and "not JSON" not in line]) == 4
    assert "case 'K2' is not shared with hanoi (shared: K1)" in text
    spool = Spool(Path(partners.borrower.collector.spool_path))
    try:
        records = [r for r in spool.quarantined() if r.reason == REFUSED and r.payload != b"probe"]
    finally:
        spool.close()
    assert len(records) == 5 and {r.topic for r in records} == {"patina/backfill/hanoi/request"}
    assert partners.borrower_process is not None and partners.borrower_process.poll() is None  # alive


def subscriber(broker: MosquittoServer, topic: str, seen: list[tuple[str, bytes]]) -> mqtt.Client:
    done: list[int] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: seen.append((m.topic, bytes(m.payload)))
    client.on_connect = lambda c, u, f, r, p=None: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *args: done.append(1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    wait_for(lambda: bool(done), 10)
    return client


def wait_for_request_path(partners: Partners) -> None:
    """Until the borrower's collector has subscribed to its inbox of requests: a probe
    request published at the borrower's broker is answered (refused, logged)."""
    probe = mqtt.Client(CallbackAPIVersion.VERSION2)
    probe.connect("127.0.0.1", partners.borrower_broker.port)
    probe.loop_start()
    try:

        def answered() -> bool:
            probe.publish("patina/backfill/hanoi/request", b"probe", qos=1).wait_for_publish(5)
            return "refused" in partners.borrower_log()

        wait_for(answered, 30, interval_s=0.5)
    finally:
        probe.disconnect()
        probe.loop_stop()


def test_an_answer_holds_at_most_the_cap_oldest_first(
    tmp_path: Path, influxdb: InfluxServer, unique_name: Callable[[str], str]
) -> None:
    """The cap, with the real database (100,000 in service; 5 here): the oldest readings of
    the window, and the answer says there were more."""
    from museum.description.config import load_config
    from museum.storage.schema import Reading, climate_line
    from tests.partner_museums import BORROWER

    values = {"lender_port": 1, "borrower_port": 2, "influx_url": influxdb.url, "tag": unique_name("c")}
    path = tmp_path / "borrower.toml"
    path.write_text(BORROWER.format(**values, folder=tmp_path, silent="10m", beat="60s"))
    config = load_config(path, environ={})
    store = open_store(config.influxdb)
    store.create_database()
    start_s = int(time.time()) - 600
    readings = [Reading("k1a", (start_s + i) * 10**9, 20.0, 40.0 + i) for i in range(8)]
    store.write_lines(
        [climate_line(r, "invalides", "K1") for r in readings]
        + [climate_line(Reading("k2a", start_s * 10**9, 21.0, 60.0), "invalides", "K2")]
    )
    request = BackfillRequest("cap", ("K1",), (), start_s - 1, start_s + 60)
    try:
        answer, capped = gap_readings(store, config, request, cap=5)
        whole, more = gap_readings(store, config, request, cap=8)
    finally:
        store.close()
    assert capped and not more and len(whole) == 8
    assert [json.loads(body)["rh_pct"] for _, body in answer] == [40.0, 41.0, 42.0, 43.0, 44.0]
    assert {topic for topic, _ in whole} == {K1}
    assert json.loads(answer[0][1]) == {"ts": float(start_s), "temperature_c": 20.0, "rh_pct": 40.0}
