"""`patina demo` from nothing: it starts its own broker and InfluxDB, the simulator, the
collector and the dashboard, and Ctrl-C stops all of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from museum.storage.store import InfluxStore
from patina.services import free_port, port_open
from tests.conftest import SMALL_MUSEUM
from tests.helpers import stored_count, wait_for


def test_demo_starts_everything_and_stops_everything(tmp_path: Path) -> None:
    mqtt_port, influx_port, dashboard_port = free_port(), free_port(), free_port()
    config = tmp_path / "museum.toml"
    config.write_text(
        SMALL_MUSEUM.format(client_id="demo-collector", database="demo", spool="spool.sqlite3")
        .replace("mqtt://127.0.0.1:1", f"mqtt://127.0.0.1:{mqtt_port}")
        .replace("http://127.0.0.1:1", f"http://127.0.0.1:{influx_port}")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATINA_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "patina",
            "demo",
            "--config",
            str(config),
            "--port",
            str(dashboard_port),
            "--backfill",
            "2h",
        ],
        env=env,
        start_new_session=True,
    )
    store = InfluxStore(f"http://127.0.0.1:{influx_port}", "demo")
    try:
        wait_for(lambda: port_open("127.0.0.1", dashboard_port), timeout_s=60)
        # Two simulated hours of one reading a minute from the 3 sensors, none lost: every
        # sensor's readings are one minute apart with no gap.
        wait_for(lambda: stored_count(store) >= 3 * 120, timeout_s=90)
        data = store.frame("SELECT rh_pct FROM climate GROUP BY sensor_id")
        for sensor, readings in data.groupby("sensor_id"):
            steps = readings["time"].sort_values().diff().dropna().dt.total_seconds()
            assert len(readings) >= 120 and (steps == 60).all(), sensor
        assert requests.get(f"http://127.0.0.1:{dashboard_port}/", timeout=10).status_code == 200
        assert (tmp_path / "data" / "patina" / "influxdb" / "meta").is_dir()
        assert (tmp_path / "data" / "patina" / "mosquitto" / "mosquitto.conf").is_file()
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(60)
    assert code == 0
    wait_for(
        lambda: not any(port_open("127.0.0.1", port) for port in (mqtt_port, influx_port, dashboard_port)),
        timeout_s=30,
    )
