"""A history import over decades: shards, open files and memory of InfluxDB.

300 readings spread evenly over 1990–2026 are written through the store, once into a
database left with InfluxDB's own shard durations (what Patina did before issue 15: 7
days for an infinite retention policy) and once after Patina's set-up
(:meth:`InfluxStore.ensure_downsampling`, 52 weeks as InfluxDB recommends). Prints the
shard count and influxd's open file descriptors and resident memory after each.

    .venv/bin/python benchmarks/bench_history_shards.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer

FIRST_S = 631_152_000  # 1990-01-01
LAST_S = 1_767_225_600  # 2026-01-01
READINGS = 300


def influxd_resources(server: InfluxServer) -> tuple[int, float]:
    assert server.process is not None
    pid = server.process.pid
    fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return fds, rss_kb / 1024


def import_history(server: InfluxServer, database: str, patina_setup: bool) -> int:
    store = InfluxStore(server.url, database)
    store.create_database()
    if patina_setup:
        store.ensure_downsampling()
    step_s = (LAST_S - FIRST_S) / (READINGS - 1)
    lines = [
        climate_line(Reading("logger-1", int((FIRST_S + k * step_s) * 1e9), 19.5, 48.0), "site", "case")
        for k in range(READINGS)
    ]
    store.write_lines(lines)
    assert store.count_climate() == READINGS
    shards = store.shard_count()
    store.close()
    return shards


def main() -> None:
    for patina_setup in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            server = InfluxServer(Path(folder))
            server.start()
            try:
                time.sleep(2)
                fds_before, rss_before = influxd_resources(server)
                shards = import_history(server, "history", patina_setup)
                time.sleep(3)
                fds_after, rss_after = influxd_resources(server)
            finally:
                server.stop()
        label = "Patina's shard durations (52 w)" if patina_setup else "InfluxDB defaults (7 d)"
        print(
            f"{label}: {READINGS} readings over 1990-2026 -> {shards} shards; influxd open files "
            f"{fds_before} -> {fds_after}, resident memory {rss_before:.0f} -> {rss_after:.0f} MB"
        )


if __name__ == "__main__":
    main()
