"""Sustained ingest through the whole path: QoS 1 readings published by ten mosquitto_pub
processes into a private Mosquitto (deploy/mosquitto.conf), through `patina collect`
(spool, manual acknowledgement) into a private InfluxDB. Prints readings/s from the first
publish to the last reading stored, the stored count (zero loss is checked, not assumed),
the collector's CPU seconds per reading stored (user + system, from /proc: the figure to
trust on a shared machine, where wall-clock rates swing with the other load) and its peak
RSS. With ``--profile FILE`` py-spy (PyPI, not a dependency of Patina) samples the running
collector during the burst and writes its top functions, by own time, to FILE. Passes
or fails nothing. `bench_nodered.py` runs the same load through Node-RED and with faults.
Figures measured with both, before and after each change, with their profiles and the load
of the machine: docs/scaling.md, "Measured limits" (issue 19, one collector, MQTT 5: 37–41 µs
of CPU and 16,700–18,900 readings/s; MQTT 3.1.1: 21–26 µs and 22,900–26,700 readings/s).

    .venv/bin/python benchmarks/bench_ingest.py [--readings 100000] [--protocol 5|3.1.1] [--instances 1]
                                                [--profile profile.txt] [--broker-inflight 20]
                                                [--config benchmarks/museum_realistic.toml]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path
from peers import (
    SENML_TOPIC,
    TOPIC,
    PatinaPeer,
    burst_bodies,
    count_points,
    cpu_seconds,
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
    parser.add_argument("--profile", type=Path, help="Sample the collector with py-spy into this file.")
    parser.add_argument(
        "--config",
        type=Path,
        help="A museum's config (benchmarks/museum_realistic.toml) instead of the bench's own.",
    )
    parser.add_argument(
        "--broker-inflight",
        type=int,
        help="The broker's max_inflight_messages (deploy/mosquitto.conf: 1000; Mosquitto's default: 20). "
        "It bounds MQTT 3.1.1 sessions; MQTT 5 ones are bounded by the collector's receive maximum.",
    )
    args = parser.parse_args()
    load = os.getloadavg()
    folder = scratch_folder("patina-bench-")
    settings = {"max_inflight_messages": str(args.broker_inflight)} if args.broker_inflight else {}
    broker = MosquittoServer(folder / "mosquitto", settings=settings)
    influx = InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    collector = PatinaPeer(folder, broker, influx, "bench", args.protocol, args.instances, args.config)
    collector.start()
    bodies = burst_bodies(args.readings, args.publishers, args.batch)
    total = args.readings // args.publishers * args.publishers
    cpu_before = {pid: cpu_seconds(pid) for pid in collector.pids()}
    profiler = _start_profiler(collector.pids()[0], args.profile) if args.profile else None
    start = time.perf_counter()
    for process in start_burst(broker.port, bodies, TOPIC if args.batch == 1 else SENML_TOPIC):
        process.wait()
    published_s = time.perf_counter() - start
    stored, stored_s = wait_stored(lambda: count_points(influx.url, "bench"), total, 35.0, start)
    cpu_s = sum(cpu_seconds(pid) - cpu_before[pid] for pid in collector.pids())
    rss = collector.peak_rss_mb()
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its report on Ctrl-C
        profiler.wait(60)
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
    print(
        f"collector CPU: {cpu_s:.2f} s, {cpu_s / max(stored, 1) * 1e6:.1f} µs per reading stored "
        f"(load average before the run: {load[0]:.2f})"
    )
    print(f"collector peak RSS: {rss:.0f} MB")
    if args.profile:
        print(f"profile of the collector during the burst (py-spy, raw stacks in {args.profile}):")
        print(top_functions(args.profile))
    label = f"MQTT {args.protocol}" + (f", {args.instances} collectors" if args.instances > 1 else "")
    label += f", broker max_inflight_messages {args.broker_inflight}" if args.broker_inflight else ""
    label += f", {args.batch} readings per message" if args.batch > 1 else ""
    label += f", config {args.config.name}" if args.config else ""
    figure(f"ingest end to end, {label}, {total:,} QoS 1", stored / stored_s, "readings/s")
    figure("ingest: readings lost", total - stored, "readings")
    figure("ingest: collector CPU per reading stored", cpu_s / max(stored, 1) * 1e6, "µs")
    figure("collector peak RSS under load", rss, "MB")


def _start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` (every thread, by function, idle threads left out, without
    pausing the collector) until interrupted; it writes collapsed stacks to ``output``."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(output),
            "--nonblocking",
            "--function",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def top_functions(raw: Path, count: int = 15) -> str:
    """The functions most often on top of a stack (own time) and anywhere on it (total
    time), as shares of the samples of threads that were busy (idle waits left out)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    # py-spy takes a thread blocked in a lock with a timeout for a busy one: leave those out.
    idle = (
        "Condition.wait (threading.py",
        "Event.wait (threading.py",
        "Queue.get (queue.py",
        "_wait_for_tstate_lock",
        "select (",
    )
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1].startswith(idle):
            continue
        weight = int(number)
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    rows = [f"busy samples: {samples}", "own time:"]
    rows += [f"  {share / max(samples, 1):6.1%}  {name}" for name, share in own.most_common(count)]
    rows.append("total time (the function and what it calls):")
    rows += [f"  {share / max(samples, 1):6.1%}  {name}" for name, share in total.most_common(count + 10)]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
