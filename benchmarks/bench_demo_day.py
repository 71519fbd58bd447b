"""How alarming is the demo museum's normal day? The building model's case air over the
last 24 hours (no broker, no sensors' noise), every object assessed by analysis.risk and
the alert engine stepped through the day minute by minute.

Prints, per case, the RH range, the objects' levels at the end and how often they
changed; then the cases good at the end and the alerts opened. ``--scenario default``
is what `patina demo` simulated before issue 21 (gel at each case's safe limit, loose
cases); ``demo`` is the scenario `patina demo` writes now (one incident included).

    python benchmarks/bench_demo_day.py [--scenario demo|default] [--config museum.example.toml]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.risk import LEVELS, assess
from collector.alerts import AlertEngine, Notification
from museum.description.config import load_config
from museum.storage.schema import AlertEvent
from sensors_sim import scenario as scenarios
from sensors_sim.publisher import ScenarioFeed, SimulationPlan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="demo", choices=("demo", "default"))
    parser.add_argument("--config", default="museum.example.toml")
    args = parser.parse_args()
    config = load_config(args.config)
    now = time.time() // 60 * 60
    if args.scenario == "demo":
        from patina.demo import demo_scenario

        # The incident an hour and a half before the end, so the day shows it open and resolve.
        text = demo_scenario(config, datetime.fromtimestamp(now - 5400, UTC))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo.toml"
            path.write_text(text)
            scenario = scenarios.load(str(path))
    else:
        scenario = scenarios.default_scenario()
    plan = SimulationPlan(start_epoch_s=now - 86400, interval_s=60, duration_s=86400)
    feed = ScenarioFeed(config, scenario, plan)
    times = np.array([plan.tick_time(k) for k in range(plan.ticks or 0)])
    climate = feed.model.sample(times)
    index = pd.to_datetime(times, unit="s", utc=True)
    events: list[AlertEvent] = []
    notes: list[Notification] = []
    engine = AlertEngine(config, write_event=events.append, notify=notes.append, now_s=times[0])
    good = 0
    started = time.perf_counter()
    for i, spec in enumerate(feed.model.cases):
        case = config.case(spec.case_id)
        frame = pd.DataFrame(
            {"temperature_c": climate.case_temperature_c[:, i], "rh_pct": climate.case_rh_pct[:, i]},
            index=index,
        )
        levels = []
        for artefact in case.artefacts:
            timeline = assess(frame, artefact.materials).timeline
            codes = timeline["level"].cat.codes.to_numpy()
            levels.append((artefact.id, str(timeline["level"].iloc[-1]), int((np.diff(codes) != 0).sum())))
        worst = max((LEVELS.index(level) for _, level, _ in levels), default=0)
        good += worst == 0
        text = ", ".join(f"{a} {level} ({changes} changes)" for a, level, changes in levels)
        print(f"{case.id}: RH {frame['rh_pct'].min():.1f}–{frame['rh_pct'].max():.1f} %; {text}")
    assess_s = time.perf_counter() - started
    started = time.perf_counter()
    # The engine's history is primed with the first 21 hours (its clock held at their start,
    # so it assesses them once), then stepped minute by minute through the last three, as
    # the collector runs: assessing every object every minute for a whole day takes long.
    stepped = len(times) - 180
    for k, moment in enumerate(times):
        clock = times[0] if k < stepped else moment
        for i, spec in enumerate(feed.model.cases):
            for sensor in config.case(spec.case_id).sensors:
                engine.observe(
                    spec.case_id,
                    sensor,
                    moment,
                    float(climate.case_temperature_c[k, i]),
                    float(climate.case_rh_pct[k, i]),
                    90.0,
                    clock,
                )
        if k >= stepped:
            engine.evaluate(moment)
    engine_s = time.perf_counter() - started
    # Alerts of the stepped hours only (priming with a held clock says nothing of them).
    events = [e for e in events if e.time_s >= times[stepped]]
    opened = [e for e in events if e.state == "opened"]
    resolved = [e for e in events if e.state == "resolved"]
    print(f"cases good at the end of the day: {good} of {len(feed.model.cases)}")
    print(
        f"alerts opened: {len(opened)} ({', '.join(f'{e.case_id} {e.rule}' for e in opened) or 'none'}); "
        f"resolved: {len(resolved)}"
    )
    print(
        f"assessing every object over the day: {assess_s:.2f} s; the alert engine over the last "
        f"3 hours, stepped every minute: {engine_s:.1f} s"
    )


if __name__ == "__main__":
    main()
