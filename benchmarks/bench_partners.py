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

    .venv/bin/python benchmarks/bench_partners.py [--readings 1000] [--rate 50]
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
from tests.partner_museums import start_partners


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
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-partners-"))
    influx = InfluxServer(folder / "influx")
    influx.start()
    partners = start_partners(folder / "museums", influx, "bench")
    lender = Collector(partners.lender)
    lender.start()
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
    lender.stop()
    store.close()
    partners.stop()
    influx.stop()


if __name__ == "__main__":
    main()
