"""Sustained ingest through the whole path: QoS 1 readings published by ten mosquitto_pub
processes into a private Mosquitto (deploy/mosquitto.conf), through `patina collect`
(spool, manual acknowledgement) into a private InfluxDB. Prints readings/s from the first
publish to the last reading stored, the stored count (zero loss is checked, not assumed)
and the collector's peak RSS. Passes or fails nothing.

    .venv/bin/python benchmarks/bench_ingest.py [--readings 100000] [--protocol 5|3.1.1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.store import InfluxStore, StoreError
from patina.services import InfluxServer, MosquittoServer

CONFIG = """
[museum]
name = "Benchmark"
timezone = "UTC"
[mqtt]
url = "{mqtt}"
client_id = "bench-collector"
protocol = "{protocol}"
[influxdb]
url = "{influx}"
database = "bench"
[collector]
spool_path = "{spool}"
[[sources]]
topic = "patina/+/+/climate"
format = "patina"
[[sites]]
id = "lab"
"""


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def count(store: InfluxStore) -> int:
    try:
        return store.count_climate()
    except StoreError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--publishers", type=int, default=10)
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="patina-bench-"))
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    config = folder / "museum.toml"
    config.write_text(
        CONFIG.format(
            mqtt=broker.url, influx=influx.url, protocol=args.protocol, spool=folder / "spool.sqlite3"
        )
    )
    collector = subprocess.Popen(
        [sys.executable, "-m", "patina", "collect", "--config", str(config)], stderr=subprocess.PIPE
    )
    assert collector.stderr is not None
    for line in collector.stderr:
        if b"subscribed to" in line:
            break
    store = InfluxStore(influx.url, "bench")
    per = args.readings // args.publishers
    bodies = [
        (
            "\n".join(
                json.dumps({"ts": 1_790_000_000 + k, "temperature_c": 20 + p / 10, "rh_pct": 40 + k % 50})
                for k in range(per)
            )
            + "\n"
        ).encode()
        for p in range(args.publishers)
    ]
    start = time.perf_counter()
    publishers = [
        subprocess.Popen(
            ["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-t", f"patina/lab/bench-{p}/climate", "-l"],
            stdin=subprocess.PIPE,
        )
        for p in range(args.publishers)
    ]
    for process, body in zip(publishers, bodies, strict=True):
        assert process.stdin is not None
        process.stdin.write(body)
        process.stdin.close()
    for process in publishers:
        process.wait()
    published_s = time.perf_counter() - start
    total = per * args.publishers
    while count(store) < total and time.perf_counter() - start < 600:
        time.sleep(0.05)
    stored_s = time.perf_counter() - start
    stored = count(store)
    rss = peak_rss_mb(collector.pid)
    collector.send_signal(signal.SIGTERM)
    collector.wait(30)
    broker.stop()
    influx.stop()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; broker, database, publishers and "
        f"collector on the same machine; MQTT {args.protocol}"
    )
    print(f"published {total} QoS 1 readings from {args.publishers} publishers in {published_s:.2f} s")
    print(
        f"stored {stored} of {total} ({total - stored} lost) in {stored_s:.2f} s: "
        f"{stored / stored_s:,.0f} readings/s end to end"
    )
    print(f"collector peak RSS: {rss:.0f} MB")
    figure(f"ingest end to end, MQTT {args.protocol}, {total:,} QoS 1", stored / stored_s, "readings/s")
    figure("ingest: readings lost", total - stored, "readings")
    figure("collector peak RSS under load", rss, "MB")


if __name__ == "__main__":
    main()
