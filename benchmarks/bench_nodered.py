"""Patina and Node-RED side by side, on the same load, broker and InfluxDB, in one run.

The peer is what a museum's IT person would build instead: Node-RED 4 with
``node-red-contrib-influxdb`` (``mqtt in`` QoS 1 with a persistent session → a batching
``function`` → ``influxdb batch``), installed by npm into a temporary folder.

Three trials for each, each on a fresh private Mosquitto (deploy/mosquitto.conf) and InfluxDB:

1. burst: readings/s from the first publish to the last point stored, count checked;
2. InfluxDB restarted during the burst (SIGTERM 1 s in, back 3 s later): readings lost;
3. the system itself killed (SIGKILL 1.5 s in) and started again at once: readings lost.

Passes or fails nothing; prints what it saw.

With ``--config PATH`` (a museum's own config, e.g. benchmarks/museum_realistic.toml: Patina
runs with it, Node-RED with its one flow) the burst alone is run ``--rounds`` times for each
system, alternating (Patina, Node-RED, Patina, …) on one broker and one InfluxDB, each round
into a fresh database with a fresh MQTT client id (and the round's persistent session ended
after it, so that it queues nothing of the next round); every round is printed with the
load average, then each system's best.

    .venv/bin/python benchmarks/bench_nodered.py [--readings 100000] [--publishers 10]
    .venv/bin/python benchmarks/bench_nodered.py --config benchmarks/museum_realistic.toml [--rounds 2]
"""

from __future__ import annotations

import argparse
import functools
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
    forget_session,
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


def rounds(
    peers: dict[str, Callable[[Path, MosquittoServer, InfluxServer, str], Peer]],
    bodies: list[bytes],
    count: int,
) -> dict[str, list[dict[str, float]]]:
    """The burst ``count`` times for each system, alternating, on one broker and InfluxDB;
    each round writes into a database of its own through a client id of its own."""
    folder = scratch_folder("patina-peer-rounds-")
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    total = sum(body.count(b"\n") for body in bodies)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in peers}
    try:
        for number in range(1, count + 1):
            for name, make_peer in peers.items():
                database = f"bench_{name.lower().replace('-', '').replace(' ', '')}_{number}"
                load = os.getloadavg()[0]
                peer = make_peer(folder, broker, influx, database)
                peer.start()
                cpu_before = {pid: cpu_seconds(pid) for pid in peer.pids()}
                began = time.perf_counter()
                for process in start_burst(broker.port, bodies):
                    process.wait()
                stored, stored_s = wait_stored(
                    functools.partial(count_points, influx.url, database), total, SETTLE_S, began
                )
                cpu_s = sum(cpu_seconds(pid) - cpu_before[pid] for pid in peer.pids())
                rss_mb = peer.peak_rss_mb()
                peer.stop()
                for client_id in peer.client_ids():
                    forget_session(broker.port, client_id)
                rate = stored / stored_s if stored_s else 0.0
                results[name].append({"rate": rate, "lost": total - stored, "rss_mb": rss_mb})
                print(
                    f"round {number} {name:9} stored {stored:,} of {total:,} ({total - stored:,} lost) "
                    f"in {stored_s:6.2f} s: {rate:8,.0f} readings/s; CPU {cpu_s:.1f} s "
                    f"({cpu_s / max(stored, 1) * 1e6:.1f} µs per reading); peak RSS {rss_mb:.0f} MB; "
                    f"load average before {load:.2f}",
                    flush=True,
                )
    finally:
        broker.stop()
        influx.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--publishers", type=int, default=10)
    parser.add_argument("--trials", default="burst,influx-restart,peer-kill")
    parser.add_argument(
        "--config", type=Path, help="Patina runs with this museum config; rounds of the burst."
    )
    parser.add_argument("--rounds", type=int, default=2, help="With --config: rounds of each system.")
    args = parser.parse_args()
    install = install_node_red(scratch_folder("patina-node-red-"))
    bodies = burst_bodies(args.readings, args.publishers)
    if args.config:
        museum_rounds(install, args.config, bodies, args)
        return
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


def museum_rounds(install: Path, config: Path, bodies: list[bytes], args: argparse.Namespace) -> None:
    peers: dict[str, Callable[[Path, MosquittoServer, InfluxServer, str], Peer]] = {
        "Patina": lambda folder, broker, influx, database: PatinaPeer(
            folder, broker, influx, database, museum_config=config
        ),
        "Node-RED": lambda folder, broker, influx, database: NodeRedPeer(
            install, folder, broker, influx, database
        ),
    }
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; broker, database, publishers and "
        f"both systems on the same machine; Patina with {config}; {args.readings:,} QoS 1 readings "
        f"from {args.publishers} mosquitto_pub processes; {args.rounds} rounds each, alternating",
        flush=True,
    )
    results = rounds(peers, bodies, args.rounds)
    for name, runs in results.items():
        best = max(runs, key=lambda run: run["rate"])
        every = " / ".join(f"{run['rate']:,.0f}" for run in runs)
        print(
            f"{name}: best {best['rate']:,.0f} readings/s (rounds {every}); "
            f"lost {', '.join(str(int(run['lost'])) for run in runs)}"
        )
        figure(f"{name}: burst with {config.name}, best of {len(runs)}", best["rate"], "readings/s")
        figure(f"{name}: readings lost, all rounds", sum(run["lost"] for run in runs), "readings")
    ratio = max(r["rate"] for r in results["Patina"]) / max(max(r["rate"] for r in results["Node-RED"]), 1e-9)
    figure(f"Patina / Node-RED throughput with {config.name}, best rounds", ratio, "ratio")


if __name__ == "__main__":
    main()
