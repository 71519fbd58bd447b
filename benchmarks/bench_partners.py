"""A reading at the borrower, seen by the lender (issue 27, docs/partners.md).

Two museums on this machine as in tests/test_partners.py (two Mosquittos bridged by the
stanza `patina partner bridge-config` writes, TLS off; one influxd with two databases; the
lender's collector in this process, the borrower's not running: the bridge does not need
it). 1,000 readings are published at the borrower's broker, 50 a second, each stamped with
its publish time. Printed:

- broker to broker: publish at the borrower → delivered to a subscriber at the lender's
  broker (per reading, exact);
- into the lender's database: publish → first seen by polling the lender's InfluxDB every
  0.1 s (per reading, to the poll's resolution).

With ``--cut-min N`` (the borrower's collector then runs too, in a process of its own), two
real cuts of N minutes follow, the lender's broker stopped while the borrower's sensor
publishes ``--cut-rate`` readings a second, then started again:

- the queue path (the deployed ``max_queued_messages``): readings during the cut, how many
  reached the lender, how many twice, seconds from the broker's return until all were there;
- a tiny queue (``--tiny-queue``, the borrower's broker restarted with it before the cut):
  how many the queue held, when the lender asked for the gap (collector/backfill.py), how
  many the back-fill brought and seconds until all were there;
- the back-fill's throughput: a request for ``--backfill-readings`` readings published at
  the lender's broker, seconds until the last of them is delivered there.

    .venv/bin/python benchmarks/bench_partners.py [--readings 1000] [--rate 50]
    nice -n 10 .venv/bin/python benchmarks/bench_partners.py --cut-min 10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.partners import PARTNER_CLIMATE
from collector.service import Collector
from museum.storage.influxql import quote_identifier
from museum.storage.stores import open_store
from patina.services import InfluxServer
from tests.partner_museums import LENDER_PASSWORD, Partners, start_partners, wait_for_bridge


def percentiles(label: str, values_s: list[float]) -> None:
    data = np.array(values_s) * 1000.0
    print(
        f"{label}: n={len(data)} p50={np.percentile(data, 50):.1f} ms p99={np.percentile(data, 99):.1f} ms "
        f"max={data.max():.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="readings per second")
    parser.add_argument("--cut-min", type=float, default=0.0, help="minutes of each real cut (0: none)")
    parser.add_argument("--cut-rate", type=float, default=1.0, help="readings per second during a cut")
    parser.add_argument("--tiny-queue", type=int, default=10, help="max_queued_messages of the 2nd cut")
    parser.add_argument("--backfill-readings", type=int, default=500)
    parser.add_argument("--backfill-only", action="store_true", help="no cut: the throughput alone")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-partners-"))
    influx = InfluxServer(folder / "influx")
    influx.start()
    # With cuts: the partner silent after 1 min, heartbeats every 10 s, so that a cut's
    # lost heartbeats show as a silence (docs/partners.md).
    partners = start_partners(folder / "museums", influx, "bench", silent="60s", beat="10s")
    lender = Collector(partners.lender)
    lender.start()
    if args.cut_min > 0 or args.backfill_only:
        partners.start_borrower_collector()
        log = partners.folder / "borrower-collector.log"
        while "subscribed to" not in log.read_text(errors="replace"):
            time.sleep(0.2)  # its readings stored from the first: the back-fill reads them
    arrived: dict[int, float] = {}
    seen_in_db: dict[int, float] = {}
    sent: dict[int, float] = {}
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-watcher")
    watcher.on_message = lambda c, u, m: arrived.setdefault(int(json.loads(m.payload)["seq"]), time.time())
    watcher.on_connect = lambda c, u, f, r, p=None: c.subscribe("partners/armee/patina/+/+/climate", qos=1)
    watcher.connect("127.0.0.1", partners.lender_broker.port)
    watcher.loop_start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sensor")
    publisher.connect("127.0.0.1", partners.borrower_broker.port)
    publisher.loop_start()
    assert lender.wait_until_subscribed(15)
    assert lender.partners is not None and lender.partners.subscribed.wait(15)
    time.sleep(2)
    stop = threading.Event()
    store = open_store(partners.lender.influxdb)
    first_ts_ns = int(time.time() * 1e9)

    def poll() -> None:
        # Each reading's time is its publish time to the microsecond, so it names the reading.
        while not stop.is_set():
            frame = store.frame(
                f"SELECT rh_pct FROM {quote_identifier(PARTNER_CLIMATE)} WHERE time >= {first_ts_ns}"
            )
            now = time.time()
            if not frame.empty:
                for stamp in frame["time"]:
                    seen_in_db.setdefault(round(stamp.value / 1000), now)
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    for seq in range(args.readings):
        now = time.time()
        body = {"ts": now, "temperature_c": 20.0, "rh_pct": 40.0 + seq % 10, "seq": seq}
        sent[seq] = now
        publisher.publish("patina/invalides/k1a/climate", json.dumps(body), qos=1)
        time.sleep(1.0 / args.rate)
    deadline = time.monotonic() + 60
    while len(seen_in_db) < args.readings and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    poller.join(5)
    by_us = {round(t * 1e6): seq for seq, t in sent.items()}
    # The stored time went through a float of seconds: matched to the microsecond, ±1.
    db_latency = []
    for us, seen in seen_in_db.items():
        seq = next((by_us[k] for k in (us, us - 1, us + 1) if k in by_us), None)
        if seq is not None:
            db_latency.append(seen - sent[seq])
    print(f"readings published at the borrower: {args.readings} at {args.rate:g}/s")
    percentiles("broker to broker (borrower -> lender's Mosquitto)", [arrived[s] - sent[s] for s in arrived])
    percentiles("into the lender's InfluxDB (0.1 s polls)", db_latency)
    print(f"at the lender's broker: {len(arrived)}; in the lender's database: {len(seen_in_db)}")
    publisher.loop_stop()
    watcher.loop_stop()
    if args.cut_min > 0:
        cut(partners, lender, args.cut_min, args.cut_rate, "queue path (max_queued_messages 1000000)")
        restart_with_queue(partners, args.tiny_queue)
        tiny = f"tiny queue (max_queued_messages {args.tiny_queue})"
        cut(partners, lender, args.cut_min, args.cut_rate, tiny)
    if args.cut_min > 0 or args.backfill_only:
        backfill_throughput(partners, args.backfill_readings)
    lender.stop()
    store.close()
    partners.stop()
    influx.stop()


def lender_times_ns(partners: Partners, from_ns: int, to_ns: int) -> list[int]:
    store = open_store(partners.lender.influxdb)
    try:
        frame = store.frame(
            f"SELECT rh_pct FROM {quote_identifier(PARTNER_CLIMATE)} "
            f"WHERE time >= {from_ns} AND time <= {to_ns}"
        )
    finally:
        store.close()
    return [] if frame.empty else [stamp.value for stamp in frame["time"]]


def cut(partners: Partners, lender: Collector, minutes: float, rate: float, label: str) -> None:
    """The lender's broker stopped for ``minutes`` while the borrower's sensor publishes."""
    assert lender.partners is not None and lender.partners.backfill is not None
    asked_before = lender.partners.backfill.requested
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-cut-{time.time_ns()}")
    publisher.connect("127.0.0.1", partners.borrower_broker.port)
    publisher.loop_start()
    partners.lender_broker.stop()
    sent_ns: list[int] = []
    end = time.monotonic() + minutes * 60
    while time.monotonic() < end:
        stamp_s = round(time.time(), 6)
        body = {"ts": stamp_s, "temperature_c": 20.0, "rh_pct": 45.0 + len(sent_ns) % 10}
        publisher.publish("patina/invalides/k1a/climate", json.dumps(body), qos=1)
        sent_ns.append(round(stamp_s * 1e6) * 1000)
        time.sleep(1.0 / rate)
    publisher.disconnect()
    publisher.loop_stop()
    partners.lender_broker.start()
    back = time.monotonic()
    wanted, asked_s, first_plateau = set(sent_ns), None, None
    here: set[int] = set()
    deadline = back + max(600.0, minutes * 60)
    while time.monotonic() < deadline:
        times = lender_times_ns(partners, sent_ns[0], sent_ns[-1])
        here = set(times) & wanted
        if asked_s is None and lender.partners.backfill.requested > asked_before:
            asked_s, first_plateau = time.monotonic() - back, len(here)
        if len(here) == len(wanted):
            break
        time.sleep(0.5)
    took_s = time.monotonic() - back
    twice = len(times) - len(here)
    print(f"\n{label}: a {minutes:g} min cut (the lender's broker stopped)")
    print(f"  readings during the cut: {len(sent_ns)}; at the lender: {len(here)}; twice: {twice}")
    if len(here) == len(wanted):
        print(f"  all at the lender {took_s:.1f} s after its broker returned")
    else:
        print(f"  {len(wanted) - len(here)} missing {took_s:.0f} s after its broker returned")
    if asked_s is not None:
        print(
            f"  back-fill asked {asked_s:.1f} s after the broker returned "
            f"(then {first_plateau} of {len(sent_ns)} at the lender)"
        )
    else:
        print("  no back-fill asked (the queue held the heartbeats: no silence)")


def restart_with_queue(partners: Partners, queue_messages: int) -> None:
    """The borrower's broker with a tiny bridge queue: it drops the newest beyond it."""
    partners.borrower_broker.stop()
    partners.borrower_broker.settings["max_queued_messages"] = str(queue_messages)
    partners.borrower_broker.start()
    wait_for_bridge(partners.borrower_broker, "hanoi")
    time.sleep(15)  # the borrower's collector reconnected and beat again (every 10 s)


def backfill_throughput(partners: Partners, count: int) -> None:
    """A request for the ``count`` oldest readings of the cuts, as the lender sends it; the
    seconds until the last answer is delivered at the lender's broker."""
    store = open_store(partners.borrower.influxdb)
    try:
        frame = store.frame(f"SELECT rh_pct FROM climate WHERE case_id = 'K1' ORDER BY time LIMIT {count}")
    finally:
        store.close()
    # A millisecond either side: a time in float seconds is not exact to the nanosecond.
    first_s, last_s = frame["time"].iloc[0].value / 1e9 - 1e-3, frame["time"].iloc[-1].value / 1e9 + 1e-3
    got: list[float] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-backfill-watcher")
    watcher.username_pw_set("lender-collector", LENDER_PASSWORD)
    watcher.on_message = lambda c, u, m: got.append(time.monotonic())
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *a: subscribed.set()
    watcher.on_connect = lambda c, u, f, r, p=None: c.subscribe("partners/armee/patina/+/+/climate", qos=1)
    watcher.connect("127.0.0.1", partners.lender_broker.port)
    watcher.loop_start()
    subscribed.wait(10)
    body = {"request_id": "bench", "cases": ["K1"], "sensors": [], "from_s": first_s, "to_s": last_s}
    asked = time.monotonic()
    watcher.publish("partners/armee/patina/backfill/request", json.dumps(body), qos=1)
    deadline = asked + 300
    while len(got) < len(frame) and time.monotonic() < deadline:
        if got and time.monotonic() - got[-1] > 30:
            break  # nothing more for 30 s: what came is the answer
        time.sleep(0.2)
    watcher.loop_stop()
    took = (got[-1] - asked) if got else float("nan")
    print(f"\nback-fill throughput: {len(frame)} readings asked, {len(got)} delivered at the lender's broker")
    print(f"  {took:.1f} s from the request to the last ({len(got) / took:.0f} readings/s)")


if __name__ == "__main__":
    main()
