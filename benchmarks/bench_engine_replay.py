"""How much CPU the collector's alert engine takes to judge a scenario on the readings' own
clock, as `patina replay` and the scenario tests run it: every reading of the scenario's
sensors (the building model, their calibration and noise), handed to the evaluator's
event-time path in process, without a broker or a database. Prints, per scenario, the
events, notifications and risk points made and the CPU seconds; passes or fails nothing.

``--save FILE`` keeps a digest of everything the engine made (each event, notification and
risk point, to the last digit); ``--compare FILE`` says, per scenario, whether a changed
engine made exactly the same: the check that a speed-up changed no behaviour.

    .venv/bin/python benchmarks/bench_engine_replay.py [--save FILE | --compare FILE] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import threading
import time
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.evaluator import Evaluator
from collector.stats import Stats
from museum.storage.schema import Reading
from tests import test_forecast_alert as scenario_feed

SCENARIOS = (
    "wet-season-case-tightness",
    "monsoon-incidents",
    "wet-season-hvac-failure",
    "condensation-night",
    "lights-left-on",
)


def replay(name: str) -> tuple[dict[str, int], str, float]:
    """The scenario through the evaluator: counts, a digest of what it made, CPU seconds."""
    scenario, config = scenario_feed.scenario_museum("en", name=name)
    stamps, sensors, reported = scenario_feed.scenario_readings(scenario, config)
    events: list[object] = []
    risks: list[object] = []
    notifications: list[tuple[str, str, str, float | None]] = []
    evaluator = Evaluator(
        config,
        config,
        Stats(),
        threading.Event(),
        lambda *_: None,
        write_event=events.append,
        write_risk=risks.append,
        notify=lambda n, at: notifications.append((n.kind, n.rule, n.case.id, at)),
        event_time=True,
        send_notifications=True,
    )
    began = time.process_time()
    for k, stamp in enumerate(stamps.tolist()):
        batch = []
        for sensor in sensors:
            values = reported[sensor.sensor_id]
            reading = Reading(
                sensor.sensor_id,
                int(stamp * 1e9),
                float(values["temperature_c"][k]),
                float(values["rh_pct"][k]),
                90.0,
            )
            batch.append((sensor.spec.case_id, reading))
        evaluator._observe(batch)
    cpu_s = time.process_time() - began
    digest = hashlib.sha256(repr((events, risks, notifications)).encode()).hexdigest()
    counts = {"events": len(events), "notifications": len(notifications), "risk points": len(risks)}
    return counts, digest, cpu_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the engine logs each withheld notification
    earlier = json.loads(args.compare.read_text()) if args.compare else {}
    digests, total_s = {}, 0.0
    for name in args.scenarios:
        counts, digest, cpu_s = replay(name)
        digests[name] = digest
        total_s += cpu_s
        same = ""
        if name in earlier:
            same = ", the same as before" if earlier[name] == digest else ", DIFFERENT from before"
        print(f"{name}: {', '.join(f'{v} {k}' for k, v in counts.items())}, {cpu_s:.1f} s of CPU{same}")
        figure(f"engine replay: {name}", cpu_s, "s")
    print(f"all: {total_s:.1f} s of CPU")
    figure("engine replay: all scenarios", total_s, "s")
    if args.save:
        args.save.write_text(json.dumps(digests, indent=1) + "\n")


if __name__ == "__main__":
    main()
