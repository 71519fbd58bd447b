"""Alert latency: from publishing the reading that crosses a limit (minimum duration zero)
to the webhook arriving at a real HTTP server, over many trials. Prints p50, p99 and max.
Private Mosquitto and InfluxDB; the collector runs in this process.

    .venv/bin/python benchmarks/bench_alert_latency.py [--trials 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path
from paho.mqtt.enums import CallbackAPIVersion

from collector.service import Collector
from museum.description.config import load_config
from patina.services import InfluxServer, MosquittoServer

CONFIG = """
[museum]
name = "Latency"
timezone = "UTC"
[mqtt]
url = "{mqtt}"
client_id = "latency-collector"
[influxdb]
url = "{influx}"
database = "latency"
[collector]
spool_path = "{spool}"
[alerts]
min_duration = "0s"
sensor_silent_after = "1h"
[notify.webhook]
url = "http://127.0.0.1:{hook_port}/"
[notify.mqtt]
enabled = false
[[sites]]
id = "lab"
[[cases]]
id = "C1"
site = "lab"
sensors = ["s1"]
  [[cases.artefacts]]
  id = "A1"
  name = "Rifle barrel"
  materials = ["iron_steel"]
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args()
    arrivals: list[tuple[float, dict[str, object]]] = []
    arrived = threading.Condition()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with arrived:
                arrivals.append((time.perf_counter(), body))
                arrived.notify_all()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp(prefix="patina-latency-"))
    broker, influx = MosquittoServer(folder / "mosquitto"), InfluxServer(folder / "influxdb")
    broker.start()
    influx.start()
    path = folder / "museum.toml"
    path.write_text(
        CONFIG.format(
            mqtt=broker.url,
            influx=influx.url,
            spool=folder / "spool.sqlite3",
            hook_port=server.server_address[1],
        )
    )
    collector = Collector(load_config(path, environ={}))
    collector.start()
    assert collector.wait_until_subscribed(15)
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    latencies = []
    clock = time.time() - 3600
    for trial in range(args.trials):
        # Below the limit (iron_steel: risk from 50 %, resolves under 47 %), then across it.
        for rh in (40.0, 70.0):
            clock += 1
            with arrived:
                seen = len(arrivals)
            sent = time.perf_counter()
            publisher.publish(
                "patina/lab/s1/climate", json.dumps({"ts": clock, "temperature_c": 22.0, "rh_pct": rh}), qos=1
            )
            if rh < 50:
                if trial:  # wait for the previous trial's alert to resolve
                    with arrived:
                        arrived.wait_for(lambda n=seen: len(arrivals) > n, timeout=10)
                continue
            with arrived:
                arrived.wait_for(
                    lambda n=seen: any(
                        b["rule"] == "rh_high" and b["kind"] == "opened" for _, b in arrivals[n:]
                    ),
                    timeout=10,
                )
                hit = next(t for t, b in arrivals[seen:] if b["rule"] == "rh_high" and b["kind"] == "opened")
            latencies.append(hit - sent)
    collector.stop()
    publisher.loop_stop()
    broker.stop()
    influx.stop()
    server.shutdown()
    ms = np.array(latencies) * 1000
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; broker, database, collector and webhook "
        "server on the same machine"
    )
    print(
        f"publish → webhook for an RH crossing, {len(ms)} trials: p50 {np.percentile(ms, 50):.0f} ms, "
        f"p99 {np.percentile(ms, 99):.0f} ms, max {ms.max():.0f} ms"
    )
    figure("alert latency p50 (publish → webhook)", float(np.percentile(ms, 50)), "ms")
    figure("alert latency p99 (publish → webhook)", float(np.percentile(ms, 99)), "ms")


if __name__ == "__main__":
    main()
