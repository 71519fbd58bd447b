"""Patina and Node-RED side by side, on the same load, broker and InfluxDB, in one run.

The peer is what a museum's IT person would build instead: Node-RED 4 with
``node-red-contrib-influxdb`` (``mqtt in`` QoS 1 with a persistent session → a batching
``function`` → ``influxdb batch``), installed by npm into a temporary folder.

Three trials for each, each on a fresh private Mosquitto (deploy/mosquitto.conf) and InfluxDB:

1. burst: readings/s from the first publish to the last point stored, count checked;
2. InfluxDB restarted during the burst (SIGTERM 1 s in, back 3 s later): readings lost;
3. the system itself killed (SIGKILL 1.5 s in) and started again at once: readings lost.

Passes or fails nothing; prints what it saw.

    .venv/bin/python benchmarks/bench_nodered.py [--readings 100000] [--publishers 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from collections.abc import Callable
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path
from peers import (
    NodeRedPeer,
    PatinaPeer,
    Peer,
    burst_bodies,
    count_points,
    cpu_seconds,
    install_node_red,
    scratch_folder,
    start_burst,
    wait_stored,
)

from patina.services import InfluxServer, MosquittoServer

#: How long a count must stand still before a trial takes it as final: longer than the
#: collector's longest write backoff (30 s) so that a slow recovery is not called loss.
SETTLE_S = 35.0


def trial(
    name: str,
    make_peer: Callable[[Path, MosquittoServer, InfluxServer], Peer],
    bodies: list[bytes],
    fault: str | None,
) -> dict[str, float]:
    folder = scratch_folder(f"patina-peer-{fault or 'burst'}-")
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    peer = make_peer(folder, broker, influx)
    peer.start()
    total = sum(body.count(b"\n") for body in bodies)
    cpu_before = {pid: cpu_seconds(pid) for pid in [*peer.pids(), broker.process.pid, influx.process.pid]}
    began = time.perf_counter()
    publishers = start_burst(broker.port, bodies)
    faults: list[threading.Thread] = []
    if fault == "influx-restart":
        faults.append(threading.Thread(target=_restart_influx, args=(influx,)))
    elif fault == "peer-kill":
        faults.append(threading.Thread(target=_kill_and_restart, args=(peer,)))
    for thread in faults:
        thread.start()
    for process in publishers:
        process.wait()
    published_s = time.perf_counter() - began
    for thread in faults:
        thread.join()
    stored, stored_s = wait_stored(lambda: count_points(influx.url, "bench"), total, SETTLE_S, began)
    rss_mb = peer.peak_rss_mb()
    # CPU is counted on the burst trial only: faults restart processes and lose their count.
    peer_cpu_s = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in peer.pids())
    broker_cpu_s = cpu_seconds(broker.process.pid) - cpu_before[broker.process.pid]
    influx_cpu_s = cpu_seconds(influx.process.pid) - cpu_before.get(influx.process.pid, 0.0)
    peer.stop()
    broker.stop()
    influx.stop()
    result = {
        "total": total,
        "stored": stored,
        "lost": total - stored,
        "published_s": published_s,
        "stored_s": stored_s,
        "rate": stored / stored_s if stored_s else 0.0,
        "rss_mb": rss_mb,
        "cpu_us": peer_cpu_s / max(stored, 1) * 1e6,
    }
    print(
        f"{name:9} {fault or 'burst':15} published in {published_s:5.2f} s; stored {stored:,} of {total:,} "
        f"({total - stored:,} lost) by {stored_s:6.2f} s: {result['rate']:8,.0f} readings/s; "
        f"peak RSS {rss_mb:.0f} MB"
        + (
            f"; CPU s: {name} {peer_cpu_s:.1f}, broker {broker_cpu_s:.1f}, InfluxDB {influx_cpu_s:.1f}"
            if fault is None
            else ""
        ),
        flush=True,
    )
    return result


def _restart_influx(influx: InfluxServer) -> None:
    time.sleep(1.0)
    influx.stop()
    time.sleep(3.0)
    influx.start()


def _kill_and_restart(peer: Peer) -> None:
    time.sleep(1.5)
    peer.kill()
    peer.start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--publishers", type=int, default=10)
    parser.add_argument("--trials", default="burst,influx-restart,peer-kill")
    args = parser.parse_args()
    install = install_node_red(scratch_folder("patina-node-red-"))
    bodies = burst_bodies(args.readings, args.publishers)
    peers: dict[str, Callable[[Path, MosquittoServer, InfluxServer], Peer]] = {
        "Patina": lambda folder, broker, influx: PatinaPeer(folder, broker, influx, "bench"),
        "Patina x2": lambda folder, broker, influx: PatinaPeer(folder, broker, influx, "bench", instances=2),
        "Node-RED": lambda folder, broker, influx: NodeRedPeer(install, folder, broker, influx, "bench"),
    }
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; broker, database, publishers and "
        f"both systems on the same machine; {args.readings:,} QoS 1 readings from {args.publishers} "
        "mosquitto_pub processes",
        flush=True,
    )
    results: dict[tuple[str, str], dict[str, float]] = {}
    for fault in args.trials.split(","):
        for name, make_peer in peers.items():
            results[name, fault] = trial(name, make_peer, bodies, None if fault == "burst" else fault)
    for name in peers:
        for fault in args.trials.split(","):
            result = results[name, fault]
            if fault == "burst":
                figure(f"{name}: burst, end to end", result["rate"], "readings/s")
                figure(f"{name}: burst, peak RSS", result["rss_mb"], "MB")
                figure(f"{name}: burst, CPU per reading stored", result["cpu_us"], "µs")
            figure(f"{name}: readings lost, {fault}", result["lost"], "readings")
    if ("Patina", "burst") in results and ("Node-RED", "burst") in results:
        ratio = results["Patina", "burst"]["rate"] / max(results["Node-RED", "burst"]["rate"], 1e-9)
        figure("Patina / Node-RED throughput", ratio, "ratio")


if __name__ == "__main__":
    main()
