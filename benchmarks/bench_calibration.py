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


def paired_ms(
    plain: Callable[[], object], corrected: Callable[[], object], repeats: int
) -> list[list[float]]:
    """``repeats`` runs of each, alternated in the order ABBA… so that the machine's load and
    the memory the previous run left fall on both alike: the times of ``plain`` and of
    ``corrected``, ms."""
    times: list[list[float]] = [[], []]
    for repeat in range(repeats):
        order = [(0, plain), (1, corrected)]
        for index, action in order if repeat % 2 == 0 else order[::-1]:
            began = time.perf_counter()
            action()
            times[index].append((time.perf_counter() - began) * 1000)
    return times


def shown(times: list[float]) -> str:
    return f"best {min(times):8.1f} ms, median {statistics.median(times):8.1f} ms"


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
            plain, corrected = paired_ms(
                lambda read=read: read(False), lambda read=read: read(True), args.repeats
            )
            extra = statistics.median(corrected) - statistics.median(plain)
            print(f"{name:<14} a year, without correction: {shown(plain)}")
            print(f"{name:<14} a year, with correction:    {shown(corrected)}; medians {extra:+.1f} ms")
            figure(
                f"{name}, a year of one sensor, without correction (median)", statistics.median(plain), "ms"
            )
            figure(
                f"{name}, a year of one sensor, with correction (median)", statistics.median(corrected), "ms"
            )
        query = paired_ms(store.calibration_log, store.calibration_log, args.repeats)[0]
        print(f"reading the calibration log (2 checks):          {shown(query)}")
        figure("reading the calibration log", statistics.median(query), "ms")
        log = store.calibration_log()
        alone = paired_ms(lambda: corrections_from(log).apply(raw), lambda: None, args.repeats)[0]
        print(f"the correction alone on {len(raw):,} rows in memory: {shown(alone)}")
        figure(f"correction of {len(raw):,} readings in memory (median)", statistics.median(alone), "ms")
        store.close()
    finally:
        influx.stop()


if __name__ == "__main__":
    main()
