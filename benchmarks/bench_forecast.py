"""Forecasts against the truth: every family of tests/forecast_cases.py (cases near and
far from their gallery's level, buffered and not, a gel reconditioned within the window,
wet and dry season, two seeds), each
forecast from two weeks of its sensors alone, with last year's weeks of the gallery, and
with an outdoor sensor; the building model run on for half a year is the truth. Prints one
row per forecast: central estimate, act-by day (lower quartile), 95 % interval, truth,
actionable, and whether it holds (within a third of the truth or two days, truth inside
the interval). Passes or fails nothing.

    .venv/bin/python benchmarks/bench_forecast.py [--season wet --seed 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import forecast_cases  # noqa: E402


def days(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--season", choices=list(forecast_cases.SEASONS), action="append")
    parser.add_argument("--seed", type=int, action="append")
    args = parser.parse_args()
    seasons = args.season or list(forecast_cases.SEASONS)
    seeds = args.seed or list(forecast_cases.SEEDS)
    header = (
        "| season | seed | family | room's future | limit % | RH now % | central d | act by d "
        "| 95 % interval d | truth d | true RH d | actionable | holds | limited by |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    shown = held = 0
    #: Level shifts found in the forecasts of cases whose gel is reconditioned, and elsewhere.
    shifts = {True: 0, False: 0}
    forecasts = {True: 0, False: 0}
    started = time.perf_counter()
    for season in seasons:
        for seed in seeds:
            for row in forecast_cases.rows(season, seed):
                forecast = row.diagnosis.forecast
                # Only the reconditioned family has a step: a level shift elsewhere is false.
                fit = row.diagnosis.tightness
                made = "reconditioned" in row.family
                shifts[made] += len(fit.level_shifts_s) if fit is not None else 0
                forecasts[made] += 1
                if forecast is None:
                    quality = row.diagnosis.quality
                    print(f"| {season} | {seed} | {row.family} | {row.knowledge} | no forecast ({quality}) |")
                    continue
                low, high = forecast.interval_days
                # What the store held, and what the forecast could rest on.
                basis = (
                    row.knowledge
                    if forecast.source == row.knowledge
                    else f"{row.knowledge} → {forecast.source}"
                )
                holds = row.forecast_holds
                shown += forecast.actionable
                held += forecast.actionable and holds
                print(
                    f"| {season} | {seed} | {row.family} | {basis} | {row.limit_rh_pct:.0f} "
                    f"| {forecast.rh_now_pct:.1f} | {days(forecast.days)} | {days(forecast.early_days)} "
                    f"| {days(low)}–{days(high)} | {days(row.truth_days)} | {days(row.true_rh_days)} "
                    f"| {'yes' if forecast.actionable else 'uncertain'} | {'yes' if holds else 'no'} "
                    f"| {', '.join(forecast.limited_by) or '—'} |"
                )
    elapsed = time.perf_counter() - started
    print(
        f"\nactionable forecasts: {shown}; holding: {held}; level shifts found: {shifts[True]} in "
        f"{forecasts[True]} forecasts of a reconditioned case, {shifts[False]} in the {forecasts[False]} "
        f"others; wall time {elapsed:.0f} s (simulation included)"
    )


if __name__ == "__main__":
    main()
