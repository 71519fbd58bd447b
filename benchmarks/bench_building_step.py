"""How long the building model takes per five-minute step: the forecast cases' building
(tests/forecast_cases.py: three galleries, eight cases and galleries' air, one gel swap)
sampled every ten minutes over 60 days, the best of a few runs. Prints the time per step
and per simulated day. Passes or fails nothing.

    .venv/bin/python benchmarks/bench_building_step.py [--days 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sensors_sim.building import STEP_S, BuildingModel, sample_together
from tests import forecast_cases as fc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    start_s = fc.SEASONS["wet"]
    rooms = [fc.CaseSpec(f"{g.gallery}-air", g.gallery, **fc.ROOM_AIR) for g in fc.GALLERIES]  # type: ignore[arg-type]
    cases = [*rooms, *(f.case for f in fc.families("wet"))]
    times_s = start_s + np.arange(0.0, args.days * 86_400.0, fc.SAMPLE_S)
    best_s = float("inf")
    for _ in range(args.repeat):
        model = BuildingModel(
            fc.GALLERIES, cases, start_s=start_s, zone=fc.ZONE, seed=1, events=fc.reconditionings("wet")
        )
        began = time.process_time()  # CPU time: the machine may be shared
        model.sample(times_s)
        best_s = min(best_s, time.process_time() - began)
    steps = (args.days * 86_400.0 + 4 * 86_400.0) / STEP_S  # with the spin-up
    print(
        f"{len(fc.GALLERIES)} galleries, {len(cases)} cases, {args.days:g} days sampled every "
        f"{fc.SAMPLE_S:g} s: best of {args.repeat} {best_s:.2f} s of CPU, "
        f"{best_s / steps * 1e6:.1f} µs per five-minute step, "
        f"{best_s / (steps * STEP_S / 86_400.0) * 1e3:.1f} ms per simulated day"
    )
    figure("building model: µs per five-minute step (forecast cases)", best_s / steps * 1e6, "µs")
    one_by_one_s, together_s = eight_buildings(args.days)
    print(
        f"the forecast cases' eight buildings (two seasons, two seeds, the window and a year before), "
        f"{args.days:g} days each: one by one {one_by_one_s:.2f} s of CPU, "
        f"together (sample_together) {together_s:.2f} s of CPU"
    )
    figure("building model: eight buildings one by one", one_by_one_s, "s")
    figure("building model: eight buildings together", together_s, "s")


def eight_buildings(days: float) -> tuple[float, float]:
    """CPU time of the forecast cases' eight buildings sampled one by one, and together."""

    def models() -> tuple[list[BuildingModel], list[np.ndarray]]:
        found, times = [], []
        span = np.arange(0.0, days * 86_400.0, fc.SAMPLE_S)
        for season, start_s in fc.SEASONS.items():
            cases = [*fc._rooms(), *(f.case for f in fc.families(season))]
            for seed in fc.SEEDS:
                events = fc.reconditionings(season)
                found.append(
                    BuildingModel(
                        fc.GALLERIES, cases, start_s=start_s, zone=fc.ZONE, seed=seed, events=events
                    )
                )
                then_s = start_s - 364 * 86_400.0
                found.append(
                    BuildingModel(fc.GALLERIES, fc._rooms(), start_s=then_s, zone=fc.ZONE, seed=seed)
                )
                times += [start_s + span, then_s + span]
        return found, times

    built, times = models()
    began = time.process_time()
    for model, t in zip(built, times, strict=True):
        model.sample(t)
    one_by_one_s = time.process_time() - began
    built, times = models()
    began = time.process_time()
    sample_together(built, times)
    return one_by_one_s, time.process_time() - began


if __name__ == "__main__":
    main()
