"""Dashboard speed on a large museum: 200 cases, each with a sensor reporting every minute
for a year (105 million readings), in a private InfluxDB. Measures how long the overview
and a case page take to run (Streamlit's AppTest: the server side of a page, queries and
figures included), with cold and warm caches, and the time of each InfluxDB query behind
them. Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_dashboard.py [--cases 200] [--days 365] [--keep DIR]

Loading the data takes most of the run (minutes); ``--keep DIR`` keeps the database in DIR
so that a second run measures again without loading.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.storage.store import InfluxStore
from patina.services import InfluxServer

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "dashboard" / "app.py")
MATERIALS = (
    "archaeological_iron",
    "iron_steel",
    '"iron_steel", "wood"',
    "brass",
    "lead",
    '"leather", "iron_steel"',
)


def config_text(influx_url: str, cases: int) -> str:
    lines = [
        '[museum]\nname = "Benchmark museum"\ntimezone = "Asia/Ho_Chi_Minh"\nlanguage = "en"',
        f'[influxdb]\nurl = "{influx_url}"\ndatabase = "bench"',
        '[[sites]]\nid = "hanoi"\nname = "Hà Nội"',
    ]
    for number in range(cases):
        materials = MATERIALS[number % len(MATERIALS)]
        materials = materials if materials.startswith('"') else f'"{materials}"'
        lines.append(
            f'[[cases]]\nid = "K{number:03d}"\nsite = "hanoi"\ngallery = "Gallery {number // 20 + 1}"\n'
            f'name = "Case {number}"\nsensors = ["k{number:03d}-a"]\n'
            f'  [[cases.artefacts]]\n  id = "A{number:03d}"\n  name = "Artefact {number}"\n'
            f"  materials = [{materials}]"
        )
    return "\n\n".join(lines) + "\n"


def load(store: InfluxStore, cases: int, days: float) -> int:
    """A year of one-minute readings per case, written in batches of 50,000 lines."""
    end_s = int(time.time()) // 60 * 60
    minutes = int(days * 1440)
    times = end_s - 60 * np.arange(minutes)[::-1]
    stamps = [str(t) for t in times.tolist()]
    written = 0
    for number in range(cases):
        rng = np.random.default_rng(number)
        hours = (times - times[0]) / 3600.0
        temperature = 26 + 3 * np.sin(2 * np.pi * hours / 8766) + 1.5 * np.sin(2 * np.pi * hours / 24)
        rh = 55 + 10 * np.sin(2 * np.pi * hours / 8766 + number) - 3 * np.sin(2 * np.pi * hours / 24)
        rh = rh + rng.normal(0, 0.4, minutes)
        prefix = f"climate,case_id=K{number:03d},sensor_id=k{number:03d}-a,site=hanoi "
        body = [
            f"{prefix}temperature_c={t:.2f},rh_pct={r:.1f},battery_pct=80 {s}"
            for t, r, s in zip(temperature.tolist(), rh.tolist(), stamps, strict=True)
        ]
        for first in range(0, len(body), 50_000):
            store._request(
                "POST",
                "/write",
                params={"db": store.database, "precision": "s"},
                data="\n".join(body[first : first + 50_000]).encode(),
            )
        written += len(body)
        if number % 20 == 19:
            print(f"  loaded {number + 1} cases, {written:,} readings", flush=True)
    return written


def timed(label: str, action: object) -> float:
    began = time.perf_counter()
    action()  # type: ignore[operator]
    seconds = time.perf_counter() - began
    print(f"  {label:52} {seconds:6.2f} s")
    figure(f"dashboard: {label}", seconds, "s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    directory = args.keep or Path(tempfile.mkdtemp(prefix="patina-bench-dashboard-"))
    directory.mkdir(parents=True, exist_ok=True)
    fresh = not (directory / "loaded").exists()
    server = InfluxServer(directory)
    server.start()
    try:
        store = InfluxStore(server.url, "bench", timeout_s=600)
        config_path = directory / "museum.toml"
        config_path.write_text(config_text(server.url, args.cases))
        if fresh:
            store.create_database()
            began = time.perf_counter()
            written = load(store, args.cases, args.days)
            print(f"loaded {written:,} readings in {time.perf_counter() - began:.0f} s")
            (directory / "loaded").write_text(str(written))
        if not (directory / "aggregated").exists():
            began = time.perf_counter()
            store.ensure_downsampling()
            end = datetime.now(UTC)
            store.backfill_hourly(end - timedelta(days=args.days + 1), end)
            print(f"hourly aggregates computed (patina downsample) in {time.perf_counter() - began:.0f} s")
            (directory / "aggregated").write_text("yes")
        print(
            f"{args.cases} cases × {args.days:g} days of one-minute readings "
            f"({int((directory / 'loaded').read_text()):,} readings)"
        )

        print("InfluxDB queries behind the pages:")
        now = datetime.now(UTC)
        sensors = [f"k{number:03d}-a" for number in range(args.cases)]
        timed("latest reading of every sensor (overview)", lambda: store.latest_climate(expected=sensors))
        timed("RH trend of every case, last 3 h (overview)", store.recent_trend)
        timed("latest risk of every artefact (overview)", store.latest_risk)
        timed(
            "one case, 1 day, raw readings (case page, 24 h)",
            lambda: store.climate_series("K007", now - timedelta(days=1), now),
        )
        timed(
            "one case, 1 year, hourly mean/min/max (case page, 1 y)",
            lambda: store.hourly_series("K007", now - timedelta(days=365), now),
        )

        os.environ.update(
            {"PATINA_CONFIG": str(config_path), "PATINA_INFLUX_URL": server.url, "PATINA_INFLUX_DB": "bench"}
        )
        from streamlit.testing.v1 import AppTest

        print("pages (Streamlit AppTest: the page's script with its queries and figures):")
        import streamlit as st

        app = AppTest.from_file(APP, default_timeout=300)
        timed("overview, first run of the process (imports)", app.run)
        assert not app.exception, app.exception
        st.cache_data.clear()
        timed("overview, cold cache", app.run)
        timed("overview, warm cache", app.run)
        app.query_params["case"] = "K007"
        st.cache_data.clear()
        timed("case page, 24 h, cold cache", lambda: app.switch_page("views/case.py").run())
        assert not app.exception, app.exception
        timed("case page, 24 h, warm cache", app.run)
        control = app.get("button_group")[0]
        st.cache_data.clear()
        timed("case page, 1 year, cold cache", lambda: control.set_value("1y").run())
        assert not app.exception, app.exception
        timed("case page, 1 year, warm cache", app.run)
    finally:
        server.stop()
        if args.keep is None:
            import shutil

            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
