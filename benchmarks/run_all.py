"""The benchmark suite in one command: runs every benchmark of this folder, shows each one's
own output as it goes, and ends with one table of every figure and the machine it ran on.
Never part of the tests' pass/fail.

    .venv/bin/python benchmarks/run_all.py            # the issues' sizes (about 40 min; needs npm)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller sizes, a few minutes
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Each benchmark with its arguments: (script, full, quick).
SUITE = [
    ("bench_ingest.py", ["--readings", "100000"], ["--readings", "20000"]),
    (
        "bench_ingest.py",
        ["--readings", "100000", "--batch", "100"],
        ["--readings", "20000", "--batch", "100"],
    ),
    ("bench_nodered.py", ["--readings", "100000"], ["--readings", "20000", "--trials", "burst"]),
    (
        "bench_nodered.py",
        ["--readings", "100000", "--config", str(HERE / "museum_realistic.toml")],
        ["--readings", "20000", "--config", str(HERE / "museum_realistic.toml"), "--rounds", "1"],
    ),
    ("bench_footprint.py", ["--minutes", "10"], ["--minutes", "1", "--warmup", "45"]),
    ("bench_alert_latency.py", ["--trials", "100"], ["--trials", "30"]),
    ("bench_risk.py", [], []),
    ("bench_engine_replay.py", [], ["condensation-night"]),
    ("bench_light.py", [], ["--repeats", "5"]),
    ("bench_login.py", [], []),
    ("bench_analyse.py", ["--years", "12"], ["--years", "3"]),
    ("bench_export.py", ["--readings", "1000000"], ["--readings", "200000"]),
    ("bench_passport.py", ["--days", "400"], ["--days", "400", "--every-min", "10"]),
    ("bench_simulator.py", ["--days", "30"], ["--days", "3"]),
    ("bench_dashboard.py", ["--cases", "200", "--days", "2"], ["--cases", "40", "--days", "1"]),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="Smaller sizes: a few minutes in all.")
    args = parser.parse_args()
    figures: list[tuple[str, str, str, str]] = []
    began = time.perf_counter()
    for script, full, quick in SUITE:
        print(f"\n=== {script} {' '.join(quick if args.quick else full)}", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("FIGURE\t"):
                _, name, value, unit = line.rstrip("\n").split("\t")
                figures.append((script, name, value, unit))
            else:
                print(line, end="", flush=True)
        if process.wait():
            figures.append((script, "FAILED", str(process.returncode), "exit code"))
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {_memory_gb():.0f} GB, "
        f"Python {platform.python_version()}; every service on the same machine; "
        f"suite ran {time.perf_counter() - began:.0f} s{' (quick sizes)' if args.quick else ''}"
    )
    width = max(len(name) for _, name, _, _ in figures) if figures else 10
    print(f"{'benchmark':24} {'figure':{width}} {'value':>12}  unit")
    for script, name, value, unit in figures:
        print(f"{script:24} {name:{width}} {float(value):>12,.2f}  {unit}")


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


if __name__ == "__main__":
    main()
