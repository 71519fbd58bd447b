"""Light exposure per object-year (issue 32, docs/light.md): how long the year's figures of
one object take, from the hourly means the dashboard and the report read (8766 hours) and
from a year of raw one-minute readings; and how many light readings a second the alert
engine's running dose takes. No services: the computation alone.

    .venv/bin/python benchmarks/bench_light.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from statistics import median
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from analysis.light import year_dose
from collector.alerts.light import LightState
from museum.assessment.light import object_light
from museum.description.config import parse_config

HANOI = "Asia/Ho_Chi_Minh"
CONFIG = {
    "museum": {"timezone": HANOI},
    "sites": [{"id": "hanoi"}],
    "cases": [
        {
            "id": "C7",
            "sensors": ["l1"],
            "artefacts": [
                {"id": f"A-{n}", "materials": ["leather", "brass"], "blue_wool": 1 + n % 8} for n in range(10)
            ],
        }
    ],
}


def lit_year(freq: str) -> pd.DataFrame:
    """A year lit 09:00–17:00 at about 80 lx with 20 µW/lm (mW/m² = lux × 20 / 1000)."""
    start = pd.Timestamp("2026-01-01", tz=HANOI).tz_convert("UTC")
    index = pd.date_range(start, start + pd.Timedelta(days=365), freq=freq, inclusive="left")
    hours = index.tz_convert(HANOI).hour
    rng = np.random.default_rng(1)
    lux = np.where((hours >= 9) & (hours < 17), 80.0 * (1 + 0.02 * rng.standard_normal(len(index))), 0.3)
    return pd.DataFrame({"illuminance_lux": lux, "uv_mw_m2": lux * 20 / 1000}, index=index)


def timed(repeats: int, work: object) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        runs.append(time.perf_counter() - start)
    return median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    config = parse_config(CONFIG, environ={})
    case = config.cases[0]
    now = datetime(2026, 12, 31, 12, tzinfo=UTC)

    hourly = lit_year("1h")
    one = timed(args.repeats, lambda: object_light(config, case, case.artefacts[0], hourly, now))
    ten = timed(args.repeats, lambda: [object_light(config, case, a, hourly, now) for a in case.artefacts])
    print(f"one object-year from {len(hourly)} hourly means: {one * 1e3:.2f} ms (median of {args.repeats})")
    print(f"ten objects of one case: {ten * 1e3:.2f} ms")
    figure("light_object_year_hourly_ms", one * 1e3, "ms")

    minutes = lit_year("1min")
    start, end = pd.Timestamp("2025-12-31 17:00", tz="UTC"), pd.Timestamp("2026-12-31 17:00", tz="UTC")
    times, lux = pd.DatetimeIndex(minutes.index), minutes["illuminance_lux"].to_numpy()
    raw = timed(
        max(3, args.repeats // 4), lambda: year_dose(times, lux, start, end, pd.Timestamp(now), 150_000.0)
    )
    dose = year_dose(times, lux, start, end, pd.Timestamp(now), 150_000.0)
    print(
        f"year_dose over {len(minutes)} one-minute readings: {raw * 1e3:.1f} ms "
        f"({dose.lux_hours:,.0f} lx·h, {dose.used_pct:.1f} % of 150 000)"
    )
    figure("light_year_dose_minutes_ms", raw * 1e3, "ms")

    state = LightState(ZoneInfo(HANOI))
    stamps = minutes.index.as_unit("ns").asi8 / 1e9
    values = lux.tolist()
    began = time.perf_counter()
    for moment, value in zip(stamps.tolist(), values, strict=True):
        state.add("l1", moment, value, None, 20.0)
    elapsed = time.perf_counter() - began
    live, _ = state.year_so_far()
    print(
        f"live running dose: {len(values) / elapsed:,.0f} readings/s "
        f"({live:,.0f} lx·h, {100 * abs(live - dose.lux_hours) / dose.lux_hours:.3f} % from year_dose)"
    )
    figure("light_live_readings_per_s", len(values) / elapsed, "readings/s")


if __name__ == "__main__":
    main()
