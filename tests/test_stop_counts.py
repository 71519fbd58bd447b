"""What `patina collect` says when it stops agrees with its counters and with its spool
(issue 31: a stop said "410 readings in the spool" while the counters said every reading
received was written; those were the collector's own alert events and risk points).

Real processes: a private Mosquitto and InfluxDB, the collector as `patina collect`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from collector.spool import Spool
from collector.stats import read_status, status_path
from museum.description.config import load_config
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import SMALL_MUSEUM, service_environment, write_config
from tests.helpers import publish_all, wait_for

STOPPED = re.compile(
    r"stopped with (\d+) points in the spool \((\d+) readings, (\d+) alert events and risk points\)"
)
COUNTERS = re.compile(
    r"received (\d+), written (\d+), rejected (\d+) .*, redelivered (\d+), in the spool (\d+)"
)


def readings(
    sensor: str, first_s: float, count: int, rh_pct: float, battery_pct: float
) -> list[tuple[str, bytes]]:
    """A reading a minute of one sensor of case C1 (excavated iron)."""
    return [
        (
            f"patina/hanoi/{sensor}/climate",
            json.dumps(
                {"ts": first_s + 60 * k, "temperature_c": 24.0, "rh_pct": rh_pct, "battery_pct": battery_pct}
            ).encode(),
        )
        for k in range(count)
    ]


def received(spool_path: Path) -> int:
    state = read_status(status_path(spool_path))
    return int(state["received"]) if state else -1


def test_the_stop_message_the_counters_and_the_spool_agree(
    tmp_path: Path, mosquitto: MosquittoServer, unique_name: Callable[[str], str]
) -> None:
    influxdb = InfluxServer(tmp_path / "influxdb")
    influxdb.start()
    path = write_config(tmp_path, unique_name, SMALL_MUSEUM, None)
    environment = {
        **service_environment(mosquitto, influxdb),
        "PATINA_SPOOL_PATH": str(tmp_path / "spool.db"),
    }
    config = load_config(path, environ=environment)
    log_path = tmp_path / "collector.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "patina", "collect", "--config", str(path)],
            env={**os.environ, **environment},
            stderr=log,
        )
    try:
        wait_for(lambda: b"subscribed to" in log_path.read_bytes(), timeout_s=60)
        now_s = time.time() - 3600
        publish_all(mosquitto, readings("s1", now_s - 7200, 60, rh_pct=15.0, battery_pct=90.0))
        wait_for(lambda: received(config.collector.spool_path) == 60, timeout_s=30)
        wait_for(lambda: b"writing to InfluxDB" in log_path.read_bytes(), timeout_s=30)
        # InfluxDB goes away: what comes now stays in the spool, with what the collector makes
        # of it: damp air puts the iron in another band of risk at once (risk points), a flat
        # battery opens an alert at once (an alert event).
        influxdb.stop()
        publish_all(mosquitto, readings("s2", now_s, 40, rh_pct=90.0, battery_pct=5.0))
        wait_for(lambda: received(config.collector.spool_path) == 100, timeout_s=30)
        time.sleep(2)  # the evaluator's risk points for the readings just received
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        influxdb.stop()
    log_text = log_path.read_text()
    stopped = STOPPED.search(log_text)
    counters = COUNTERS.search(log_text)
    assert stopped and counters, log_text[-2000:]
    points, readings_left, own_left = (int(group) for group in stopped.groups())
    got, written, rejected, _redelivered, spool_depth = (int(group) for group in counters.groups())
    # The readings left are exactly those received and not written; the points left are
    # what the counters call the spool's depth, and what the spool holds.
    assert got == 100 and rejected == 0
    assert readings_left == got - written and readings_left >= 40
    assert own_left >= 2
    assert points == readings_left + own_left == spool_depth
    spool = Spool(config.collector.spool_path)
    try:
        assert spool.depth_by_kind() == (readings_left, own_left)
    finally:
        spool.close()
    state = read_status(status_path(config.collector.spool_path))
    assert state is not None and state["spool_depth"] == spool_depth and state["written"] == written
