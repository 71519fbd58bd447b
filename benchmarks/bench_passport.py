"""An object's passport over 13 months: two cases with a sensor each reporting every
``--every-min`` minutes for ``--days`` days, hourly aggregates computed, the object moved
halfway. Measures the stitched history, the passport export, its import at a second
museum (another database) and the history there. Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_passport.py [--days 400] [--every-min 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.description.config import load_config
from museum.loans.moves import history, record_move
from museum.loans.passport import export_passport, import_passport
from museum.storage.store import InfluxStore
from patina.services import InfluxServer

MUSEUM = """
[museum]
name = "{name}"
timezone = "Asia/Ho_Chi_Minh"
language = "en"

[influxdb]
url = "{url}"
database = "{database}"

[[sites]]
id = "hanoi"
name = "Hà Nội"

[[cases]]
id = "{first}"
site = "hanoi"
gallery = "Gallery 1"
name = "Case one"
sensors = ["{first}-a"]
{artefact}
[[cases]]
id = "{second}"
site = "hanoi"
gallery = "Gallery 2"
name = "Case two"
sensors = ["{second}-a"]
"""
ARTEFACT = """
  [[cases.artefacts]]
  id = "DBP-1"
  name = "Excavated bayonet"
  materials = ["archaeological_iron"]
"""


def load(store: InfluxStore, case_id: str, days: float, every_min: int, seed: int) -> int:
    end_s = int(time.time()) // 3600 * 3600 - 3600
    count = int(days * 1440 / every_min)
    times = end_s - 60 * every_min * np.arange(count)[::-1]
    hours = (times - times[0]) / 3600.0
    rng = np.random.default_rng(seed)
    rh = 30 + 8 * np.sin(2 * np.pi * hours / 8766 + seed) - 2 * np.sin(2 * np.pi * hours / 24)
    rh = rh + rng.normal(0, 0.5, count)
    temperature = 25 + 3 * np.sin(2 * np.pi * hours / 8766)
    prefix = f"climate,case_id={case_id},sensor_id={case_id}-a,site=hanoi "
    body = [
        f"{prefix}temperature_c={t:.2f},rh_pct={r:.1f} {s}"
        for t, r, s in zip(temperature.tolist(), rh.tolist(), times.tolist(), strict=True)
    ]
    for first in range(0, len(body), 50_000):
        store._request(
            "POST",
            "/write",
            params={"db": store.database, "precision": "s"},
            data="\n".join(body[first : first + 50_000]).encode(),
        )
    return len(body)


def timed(label: str, action: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - began
    print(f"  {label:52} {seconds:6.2f} s")
    figure(f"passport: {label}", seconds, "s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=400.0)
    parser.add_argument("--every-min", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    directory = Path(tempfile.mkdtemp(prefix="patina-bench-passport-"))
    server = InfluxServer(directory)
    server.start()
    try:
        paths = {}
        for name, database, first, second, artefact in (
            ("Lender", "lender", "A1", "A2", ARTEFACT),
            ("Borrower", "borrower", "B1", "B2", ""),
        ):
            path = directory / f"{database}.toml"
            path.write_text(
                MUSEUM.format(
                    name=name,
                    url=server.url,
                    database=database,
                    first=first,
                    second=second,
                    artefact=artefact,
                )
            )
            paths[database] = path
        lender, borrower = load_config(paths["lender"]), load_config(paths["borrower"])
        store = InfluxStore(server.url, "lender", timeout_s=600)
        store.create_database()
        began = time.perf_counter()
        written = sum(
            load(store, case, args.days, args.every_min, seed) for seed, case in enumerate(("A1", "A2"))
        )
        print(f"loaded {written:,} readings in {time.perf_counter() - began:.0f} s")
        began = time.perf_counter()
        store.ensure_downsampling()
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        store.backfill_hourly(end - timedelta(days=args.days + 1), end)
        print(f"hourly aggregates computed in {time.perf_counter() - began:.0f} s")
        record_move(
            lender, store, "DBP-1", "A2", user="bench", note="halfway", at=end - timedelta(days=args.days / 2)
        )
        start = end - timedelta(days=395)
        hours = timed(
            "history, 13 months, 2 places (lender)", lambda: history(lender, store, "DBP-1", start, end)
        )
        print(f"  {len(hours):,} hours")
        out = directory / "DBP-1.zip"
        timed("passport export, 13 months", lambda: export_passport(lender, store, "DBP-1", out, start, end))
        print(f"  passport: {out.stat().st_size / 1e6:.2f} MB")
        figure("passport: size, 13 months", out.stat().st_size / 1e6, "MB")
        other = InfluxStore(server.url, "borrower", timeout_s=600)
        timed(
            "passport import (verify, write history, arrival)",
            lambda: import_passport(
                borrower, other, out, "B1", user="bench", note="loan", at=end + timedelta(minutes=30)
            ),
        )
        timed(
            "history, 13 months, from the passport (borrower)",
            lambda: history(borrower, other, "DBP-1", start, end),
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
