"""How fast the risk model runs: one artefact over a year of one-minute readings, and
over twelve years of hourly readings. Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_risk.py
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import pandas as pd
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from analysis.risk import assess


def series(periods: int, freq: str) -> pd.DataFrame:
    index = pd.date_range("2014-01-01", periods=periods, freq=freq, tz="UTC")
    hours = (index - index[0]) / pd.Timedelta(hours=1)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "temperature_c": 26 + 4 * np.sin(2 * np.pi * hours / 8766) + 2 * np.sin(2 * np.pi * hours / 24),
            "rh_pct": np.clip(
                68
                + 10 * np.sin(2 * np.pi * hours / 8766)
                - 6 * np.sin(2 * np.pi * hours / 24)
                + rng.normal(0, 1.5, len(index)),
                0,
                100,
            ),
        },
        index=index,
    )


def best_of(runs: int, frame: pd.DataFrame, materials: list[str]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        assess(frame, materials)
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}"
    )
    print(f"{'series':<28}{'rows':>10}  {'materials':<40}{'best of 5 (s)':>14}{'rows/s':>14}")
    for label, periods, freq in (
        ("1 year × 1 minute", 525_600, "min"),
        ("12 years × 1 hour", 12 * 8766, "h"),
    ):
        frame = series(periods, freq)
        for materials in (["archaeological_iron"], ["iron_steel", "wood", "leather"]):
            seconds = best_of(5, frame, materials)
            print(
                f"{label:<28}{len(frame):>10}  {', '.join(materials):<40}{seconds:>14.3f}"
                f"{len(frame) / seconds:>14,.0f}"
            )
            figure(f"risk model, {label}, {' + '.join(materials)}", seconds, "s")


if __name__ == "__main__":
    main()
