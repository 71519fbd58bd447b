"""Export speed and memory: rows/s and peak RSS of `patina export` for N readings to CSV
and Parquet, from a private InfluxDB. Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_export.py [--readings 1000000]
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
from datetime import UTC, datetime
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.storage.lineprotocol import encode_point
from museum.storage.store import InfluxStore
from patina.services import InfluxServer

CONFIG = """
[museum]
name = "Export benchmark"
timezone = "Europe/Paris"
[influxdb]
url = "{influx}"
database = "bench"
[[sites]]
id = "lab"
[[cases]]
id = "C1"
site = "lab"
sensors = [{sensors}]
"""
SENSORS = 10
START_S = 1_700_000_000


def fill(store: InfluxStore, readings: int) -> None:
    store.create_database()
    per_sensor = readings // SENSORS
    batch: list[str] = []
    for minute in range(per_sensor):
        for sensor in range(SENSORS):
            batch.append(
                encode_point(
                    "climate",
                    {"site": "lab", "case_id": "C1", "sensor_id": f"s{sensor}"},
                    {
                        "temperature_c": 20.0 + minute % 100 / 10,
                        "rh_pct": 40.0 + minute % 50,
                        "battery_pct": 90.0,
                    },
                    (START_S + 60 * minute) * 10**9,
                )
            )
        if len(batch) >= 50_000:
            store.write_lines(batch)
            batch.clear()
    store.write_lines(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="patina-export-bench-"))
    influx = InfluxServer(folder / "influxdb")
    influx.start()
    store = InfluxStore(influx.url, "bench", timeout_s=300)
    began = time.perf_counter()
    fill(store, args.readings)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; InfluxDB on the same machine")
    took = time.perf_counter() - began
    print(f"wrote {args.readings:,} readings ({SENSORS} sensors, one a minute) in {took:.1f} s")
    config = folder / "museum.toml"
    config.write_text(CONFIG.format(influx=influx.url, sensors=", ".join(f'"s{n}"' for n in range(SENSORS))))
    minutes = args.readings // SENSORS
    end_s = START_S + 60 * minutes
    for fmt in ("csv", "parquet"):
        out = folder / f"export.{fmt}"
        began = time.perf_counter()
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "patina",
                "export",
                "--config",
                str(config),
                "--start",
                datetime.fromtimestamp(START_S, UTC).isoformat(),
                "--end",
                datetime.fromtimestamp(end_s, UTC).isoformat(),
                "--format",
                fmt,
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - began
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if process.returncode:
            print(process.stderr)
            continue
        rows = int(process.stdout.split()[0])
        print(
            f"{fmt:<8} {rows:>10,} rows in {seconds:6.1f} s: {rows / seconds:>9,.0f} rows/s; "
            f"peak RSS of the largest export so far {peak_mb:.0f} MB; file {out.stat().st_size / 1e6:.0f} MB"
        )
        figure(f"export {fmt}, {rows:,} rows", rows / seconds, "rows/s")
        figure(f"export peak RSS after {fmt}", peak_mb, "MB")
    influx.stop()


if __name__ == "__main__":
    main()
