"""How fast `patina analyse` reads and reports a long archive: twelve years of hourly readings
in a semicolon file with decimal points and local times across every clock change (the kind
of file the issue 14 archives are). Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_analyse.py [--years 12]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.report import climate_report  # noqa: E402
from museum.files.loggers import read_logger_file  # noqa: E402

ZONE = "Europe/Copenhagen"


def write_archive(path: Path, years: int) -> int:
    index = pd.date_range("2013-01-01", periods=years * 8766, freq="h", tz="UTC")
    hours = np.arange(len(index))
    rng = np.random.default_rng(0)
    temperature = 18 + 3 * np.sin(2 * np.pi * hours / 8766) + rng.normal(0, 0.3, len(index))
    rh = np.clip(50 + 8 * np.sin(2 * np.pi * hours / 8766 + 1) + rng.normal(0, 2, len(index)), 5, 95)
    local = index.tz_convert(ZONE).strftime("%d-%m-%Y %H:%M")
    body = (
        pd.Series(local)
        + "; "
        + pd.Series(temperature).map("{:.1f}".format)
        + "; "
        + pd.Series(rh).map("{:.0f}".format)
    )
    path.write_text("DATE AND TIME; TEMP C; %RH\n" + "\n".join(body) + "\n", encoding="cp1252")
    return len(index)


def best_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (this process and its children) of ``runs`` runs:
    on a shared machine the wall clock also counts other people's work, the CPU time not."""
    walls, cpus = [], []
    for _ in range(runs):
        before = _cpu_s()
        start = time.perf_counter()
        action()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu_s() - before)
    return min(walls), min(cpus)


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=12)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pandas {pd.__version__}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "archive.csv"
        rows = write_archive(path, args.years)
        print(f"file: {rows:,} hourly rows over {args.years} years, {path.stat().st_size / 1e6:.1f} MB")
        read_s = best_of(3, lambda: read_logger_file(path, ZONE))
        readings = next(iter(read_logger_file(path, ZONE).sensors.values())).readings
        report_s = best_of(3, lambda: climate_report(readings, timezone=ZONE))
        materials_s = best_of(
            3, lambda: climate_report(readings, ["archaeological_iron", "wood"], timezone=ZONE)
        )
        command = [
            sys.executable,
            "-m",
            "patina",
            "analyse",
            str(path),
            "--timezone",
            ZONE,
            "--material",
            "archaeological_iron",
            "--material",
            "wood",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        whole_s = best_of(3, lambda: subprocess.run(command, check=True, capture_output=True, env=env))
    load_1min = os.getloadavg()[0]
    print(f"load average (1 min) at the end: {load_1min:.2f} on {os.cpu_count()} cores")
    print(f"{'step':<66}{'wall, best of 3 (s)':>21}{'CPU (s)':>9}")
    steps = (
        ("read the file (museum.files.loggers)", read_s),
        ("climate report, no material", report_s),
        ("climate report, iron + wood", materials_s),
        ("`patina analyse` command, iron + wood (process start included)", whole_s),
    )
    for label, (wall, cpu) in steps:
        print(f"{label:<66}{wall:>21.2f}{cpu:>9.2f}")
    figure(f"analyse, read {args.years}-year hourly file", read_s[0], "s")
    figure(f"analyse, report {args.years}-year hourly file, iron + wood", materials_s[0], "s")
    figure(f"analyse, whole command {args.years}-year hourly file, iron + wood", whole_s[0], "s")
    figure(f"analyse, whole command {args.years}-year hourly file, iron + wood, CPU", whole_s[1], "s")


if __name__ == "__main__":
    main()
