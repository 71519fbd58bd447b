"""How fast the simulator runs: a month of one-minute readings for every sensor of the
example museum (12 cases, 15 sensors), computed by the building model and published with
QoS 1 to a private Mosquitto as fast as the broker acknowledges. Prints the model's own
time (no broker) and the wall time of the whole run, with the machine it ran on. Passes or
fails nothing.

    .venv/bin/python benchmarks/bench_simulator.py [--days 30] [--interval 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.description.config import load_config
from patina.services import MosquittoServer
from sensors_sim.publisher import ScenarioFeed, SimulationPlan, Simulator
from sensors_sim.scenario import default_scenario

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args()
    config = load_config(REPO / "museum.example.toml")
    sensors = sum(len(case.sensors) for case in config.cases)
    start = float(int(time.time() - args.days * 86_400 - 3600))
    plan = SimulationPlan(start, args.interval, speed=1e9, duration_s=args.days * 86_400, seed=1)
    assert plan.ticks is not None
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{len(config.cases)} cases, {sensors} sensors, {args.days:g} days every {args.interval:g} s: "
        f"{plan.ticks * sensors:,} readings"
    )

    began = time.perf_counter()
    feed = ScenarioFeed(config, default_scenario(1), plan)
    produced = 0
    for first in range(0, plan.ticks, 240):
        produced += sum(len(tick) for tick in feed.messages(first, min(240, plan.ticks - first)))
    model_s = time.perf_counter() - began
    print(f"model and encoding only: {produced:,} messages in {model_s:.1f} s ({produced / model_s:,.0f}/s)")
    figure(f"simulator: {args.days:g} days of {sensors} sensors, model and encoding", model_s, "s")

    batched = dataclasses.replace(
        default_scenario(1),
        sensors={s: {"format": "line-protocol", "batch": 60} for case in config.cases for s in case.sensors},
    )
    with tempfile.TemporaryDirectory() as directory:
        broker = MosquittoServer(Path(directory))
        broker.start()
        try:
            mqtt = dataclasses.replace(config.mqtt, url=broker.url)
            for label, scenario in (
                ("one reading per message (patina)", default_scenario(1)),
                ("60 readings per message (line protocol, --batch 60)", batched),
            ):
                simulator = Simulator(dataclasses.replace(config, mqtt=mqtt), plan, scenario)
                began = time.perf_counter()
                sent = simulator.run()
                total_s = time.perf_counter() - began
                figure(f"simulator: {args.days:g} days published, {label}", total_s, "s")
                print(
                    f"published with QoS 1 and acknowledged, {label}: {produced:,} readings in {sent:,} "
                    f"messages, {total_s:.1f} s ({produced / total_s:,.0f} readings/s)"
                )
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
