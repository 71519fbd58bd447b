"""The cost of calibration corrections on the read path (docs/calibration.md): a year of
one sensor's readings read with and without the corrections of two checks, raw and hourly,
from a private InfluxDB, and the correction alone on the frame in memory. Prints figures;
passes or fails nothing.

    .venv/bin/python benchmarks/bench_calibration.py [--every-min 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.storage.calibration import NewCheck, corrections_from, record_check
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer

START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def fill(store: InfluxStore, every_min: int) -> int:
    """A year of s1 (case C1), one reading every ``every_min`` minutes."""
    store.create_database()
    batch: list[str] = []
    count = 0
    for minute in range(0, int(YEAR.total_seconds() // 60), every_min):
        time_ns = int((START + timedelta(minutes=minute)).timestamp()) * 10**9
        batch.append(
            climate_line(Reading("s1", time_ns, 20.0 + minute % 100 / 10, 40.0 + minute % 50), "lab", "C1")
        )
        count += 1
        if len(batch) >= 50_000:
            store.write_lines(batch)
            batch.clear()
    store.write_lines(batch)
    return count


def best_ms(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The fastest and the median of ``repeats`` runs, ms."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every-min", type=int, default=1, help="Minutes between readings.")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="patina-calibration-bench-"))
    influx = InfluxServer(folder / "influxdb")
    influx.start()
    try:
        store = InfluxStore(influx.url, "bench", timeout_s=300)
        readings = fill(store, args.every_min)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores; InfluxDB on the same machine")
        print(f"a year of one sensor: {readings:,} readings, one every {args.every_min} min")
        store.ensure_downsampling()
        store.backfill_hourly(START, START + YEAR)
        # Two checks: 1.5 % RH high in March, 3 % RH high in September (linear between).
        for day, measured in ((60, 51.5), (240, 53.0)):
            check = NewCheck("s1", "rh", START + timedelta(days=day), 50.0, measured, "bench")
            record_check(store, check, ["s1"])
        end = START + YEAR
        raw = store.climate_series("C1", START, end, correct=False)
        cases = {
            "raw readings": lambda correct: store.climate_series("C1", START, end, correct=correct),
            "hourly series": lambda correct: store.hourly_series("C1", START, end, correct=correct),
        }
        for name, read in cases.items():
            plain = best_ms(lambda read=read: read(False), args.repeats)
            corrected = best_ms(lambda read=read: read(True), args.repeats)
            print(
                f"{name:<14} a year: without correction {plain[0]:8.1f} ms (median {plain[1]:.1f}), "
                f"with {corrected[0]:8.1f} ms (median {corrected[1]:.1f}): +{corrected[0] - plain[0]:.1f} ms"
            )
            figure(f"{name}, a year of one sensor, without correction", plain[0], "ms")
            figure(f"{name}, a year of one sensor, with correction", corrected[0], "ms")
        log = store.calibration_log()
        alone = best_ms(lambda: corrections_from(log).apply(raw), args.repeats)
        print(
            f"the correction alone on {len(raw):,} rows in memory: {alone[0]:.1f} ms (median {alone[1]:.1f})"
        )
        figure(f"correction of {len(raw):,} readings in memory", alone[0], "ms")
        store.close()
    finally:
        influx.stop()


if __name__ == "__main__":
    main()
