"""The stack's footprint at rest: what a small box in a museum's office must hold.

Starts the stack as `patina demo` does (patina/demo.py), on private servers: Mosquitto and
InfluxDB, `patina collect`, the dashboard (Streamlit, nobody viewing) and the simulator
publishing the demo museum's sensors once a minute after a day of backfill. Once the
backfill is in (``--warmup``), samples every process with ``ps`` every ``--every`` seconds
for ``--minutes``, and prints each one's RSS (mean and peak of the samples) and CPU (its
CPU time over the window, user + system from /proc, as a share of one core),
with the load average of the machine. Passes or fails nothing.

    .venv/bin/python benchmarks/bench_footprint.py [--config museum.example.toml] [--minutes 10] [--viewer]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path
from peers import count_points, cpu_seconds, scratch_folder

from museum.description.config import load_config
from patina.demo import demo_scenario, with_demo_accounts
from patina.launch import dashboard_command
from patina.services import InfluxServer, MosquittoServer, free_port

ROOT = Path(__file__).resolve().parent.parent


def sample(pid: int) -> tuple[int, float] | None:
    """(RSS in KiB, from ``ps``; cumulative CPU seconds, from /proc: ``ps`` gives whole
    seconds, too coarse for a process at rest) of a process; None once gone."""
    result = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
    fields = result.stdout.split()
    return (int(fields[0]), cpu_seconds(pid)) if len(fields) == 1 else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "museum.example.toml")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="Seconds between samples.")
    parser.add_argument("--warmup", type=float, default=90.0, help="Seconds for the backfill to settle.")
    parser.add_argument(
        "--viewer",
        action="store_true",
        help="Open the overview once in headless Chromium before measuring (the dashboard then "
        "holds its libraries and caches, as after anyone's first look); default: never viewed.",
    )
    args = parser.parse_args()
    folder = scratch_folder("patina-footprint-")
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    text, _accounts = with_demo_accounts(args.config.read_text(encoding="utf-8"))
    config_path = folder / "museum.toml"
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path, environ={})
    scenario = folder / "scenario.toml"
    scenario.write_text(demo_scenario(config, datetime.now(UTC)), encoding="utf-8")
    env = dict(
        os.environ,
        PATINA_MQTT_URL=broker.url,
        PATINA_INFLUX_URL=influx.url,
        PATINA_CONFIG=str(config_path),
        PATINA_SPOOL_PATH=str(folder / "spool.sqlite3"),
    )
    patina = [sys.executable, "-m", "patina"]
    processes: dict[str, subprocess.Popen[bytes]] = {}
    log = (folder / "stack.log").open("wb")
    try:
        processes["collector"] = subprocess.Popen(
            [*patina, "collect", "--config", str(config_path)], env=env, stderr=log
        )
        time.sleep(5)  # subscribed before the simulator publishes, as the demo waits for it
        backfill_s = 86_400
        processes["simulator"] = subprocess.Popen(
            [
                *patina,
                "simulate",
                "--config",
                str(config_path),
                "--scenario",
                str(scenario),
                "--interval",
                "60s",
                "--backfill",
                f"{backfill_s}s",
                "--speed",
                str(backfill_s / 15),
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
        dashboard_port = free_port()
        processes["dashboard"] = subprocess.Popen(
            dashboard_command(dashboard_port), env=env, stdout=log, stderr=log
        )
        time.sleep(args.warmup)
        if args.viewer:
            view_once(f"http://127.0.0.1:{dashboard_port}")
        pids = {
            **{name: process.pid for name, process in processes.items()},
            "influxd": influx.process.pid,  # type: ignore[union-attr]
            "mosquitto": broker.process.pid,  # type: ignore[union-attr]
        }
        measure(pids, args.minutes * 60, args.every)
        print(
            f"points in InfluxDB at the end: {count_points(influx.url, config.influxdb.database):,} readings"
        )
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.stop()
        influx.stop()


#: Streamlit has run the page and drawn it (tests/helpers.py waits the same way).
DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app?.dataset.testScriptState === "notRunning"
        && !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]');
}"""


def view_once(url: str) -> None:
    """One look at the overview in headless Chromium (Playwright, a test dependency), then
    the browser closed: what stays in the dashboard's memory is what a first look leaves."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function(DRAWN, timeout=120_000)
        time.sleep(2)
        browser.close()
    print(f"viewed {url} once", flush=True)


def measure(pids: dict[str, int], window_s: float, every_s: float) -> None:
    loads = [os.getloadavg()[0]]
    first = {name: sample(pid) for name, pid in pids.items()}
    rss: dict[str, list[int]] = {name: [] for name in pids}
    began = time.monotonic()
    last = dict(first)
    while time.monotonic() - began < window_s:
        time.sleep(every_s)
        loads.append(os.getloadavg()[0])
        for name, pid in pids.items():
            now = sample(pid)
            if now is not None:
                rss[name].append(now[0])
                last[name] = now
    elapsed_s = time.monotonic() - began
    print(
        f"machine: {os.cpu_count()} cores; {len(loads) - 1} samples every {every_s:.0f} s over "
        f"{elapsed_s / 60:.1f} min; load average (1 min) from {min(loads):.2f} to {max(loads):.2f}, "
        f"mean {sum(loads) / len(loads):.2f}"
    )
    total_mb = 0.0
    for name in pids:
        start, end = first[name], last[name]
        if start is None or end is None or not rss[name]:
            print(f"{name:10} gone")
            continue
        mean_mb = sum(rss[name]) / len(rss[name]) / 1024
        peak_mb = max(rss[name]) / 1024
        cpu_pct = (end[1] - start[1]) / elapsed_s * 100
        total_mb += mean_mb
        print(
            f"{name:10} RSS mean {mean_mb:6.1f} MB, peak {peak_mb:6.1f} MB; CPU {end[1] - start[1]:6.2f} s "
            f"in {elapsed_s:.0f} s = {cpu_pct:5.2f} % of a core"
        )
        figure(f"at rest: {name} RSS", mean_mb, "MB")
        figure(f"at rest: {name} CPU", cpu_pct, "% of a core")
    print(f"total RSS (means): {total_mb:.0f} MB")


if __name__ == "__main__":
    main()
