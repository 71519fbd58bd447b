"""Sustained ingest through the whole path: QoS 1 readings published by ten mosquitto_pub
processes into a private Mosquitto (deploy/mosquitto.conf), through `patina collect`
(spool, manual acknowledgement) into a private InfluxDB. Prints readings/s from the first
publish to the last reading stored, the stored count (zero loss is checked, not assumed)
and the collector's peak RSS. Passes or fails nothing. `bench_nodered.py` runs the same
load through Node-RED and with faults.

    .venv/bin/python benchmarks/bench_ingest.py [--readings 100000] [--protocol 5|3.1.1] [--instances 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path
from peers import (
    SENML_TOPIC,
    TOPIC,
    PatinaPeer,
    burst_bodies,
    count_points,
    scratch_folder,
    start_burst,
    wait_stored,
)

from patina.services import InfluxServer, MosquittoServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--publishers", type=int, default=10)
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    parser.add_argument("--instances", type=int, default=1, help="Collectors sharing the load.")
    parser.add_argument(
        "--batch", type=int, default=1, help="Readings per message (>1: SenML packs, as a gateway sends)."
    )
    args = parser.parse_args()
    folder = scratch_folder("patina-bench-")
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    collector = PatinaPeer(folder, broker, influx, "bench", args.protocol, args.instances)
    collector.start()
    bodies = burst_bodies(args.readings, args.publishers, args.batch)
    total = args.readings // args.publishers * args.publishers
    start = time.perf_counter()
    for process in start_burst(broker.port, bodies, TOPIC if args.batch == 1 else SENML_TOPIC):
        process.wait()
    published_s = time.perf_counter() - start
    stored, stored_s = wait_stored(lambda: count_points(influx.url, "bench"), total, 35.0, start)
    rss = collector.peak_rss_mb()
    collector.stop()
    broker.stop()
    influx.stop()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; broker, database, publishers and "
        f"{args.instances} collector(s) on the same machine; MQTT {args.protocol}"
    )
    messages = sum(body.count(b"\n") for body in bodies)
    print(
        f"published {total} readings in {messages} QoS 1 messages from {args.publishers} publishers "
        f"in {published_s:.2f} s"
    )
    print(
        f"stored {stored} of {total} ({total - stored} lost) in {stored_s:.2f} s: "
        f"{stored / stored_s:,.0f} readings/s end to end"
    )
    print(f"collector peak RSS: {rss:.0f} MB")
    label = f"MQTT {args.protocol}" + (f", {args.instances} collectors" if args.instances > 1 else "")
    label += f", {args.batch} readings per message" if args.batch > 1 else ""
    figure(f"ingest end to end, {label}, {total:,} QoS 1", stored / stored_s, "readings/s")
    figure("ingest: readings lost", total - stored, "readings")
    figure("collector peak RSS under load", rss, "MB")


if __name__ == "__main__":
    main()
