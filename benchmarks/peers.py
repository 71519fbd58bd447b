"""What the ingest benchmarks share: the load (a burst of QoS 1 readings from several
``mosquitto_pub -l`` processes), counting what reached InfluxDB, and the two systems that
take the load through the same broker into the same InfluxDB:

- :class:`PatinaPeer`: ``patina collect`` (spool, manual acknowledgement);
- :class:`NodeRedPeer`: Node-RED with ``node-red-contrib-influxdb``, installed by npm into a
  temporary folder (:func:`install_node_red`; nothing of it is committed), running an
  ``mqtt in`` → batching ``function`` → ``influxdb batch`` flow.

Both write one point per reading into a measurement ``climate`` with the sensor as a tag, so
InfluxDB does the same work for each.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import requests

from museum.storage.store import InfluxStore, StoreError
from patina.services import InfluxServer, MosquittoServer, free_port
from sensors_sim.formats import senml_batch

FIRST_TS_S = 1_790_000_000
TOPIC = "patina/lab/bench-{publisher}/climate"
SENML_TOPIC = "senml/bench-{publisher}"
UTC_ZONE = ZoneInfo("UTC")


# --- the load ---------------------------------------------------------------------------
def burst_bodies(readings: int, publishers: int, batch: int = 1) -> list[bytes]:
    """One body per publisher, one message per line, every reading a distinct point: a
    reading per message in Patina's format, or with ``batch`` > 1 that many readings per
    message as a SenML pack (what a gateway sends; publish to :data:`SENML_TOPIC`)."""
    per = readings // publishers
    bodies = []
    for p in range(publishers):
        values = [(FIRST_TS_S + k, 20 + p / 10, float(40 + k % 50)) for k in range(per)]
        if batch == 1:
            messages = [json.dumps({"ts": ts, "temperature_c": t, "rh_pct": rh}) for ts, t, rh in values]
        else:
            messages = [
                senml_batch(
                    f"bench-{p}",
                    "lab",
                    [float(ts) for ts, _, _ in chunk],
                    [{"temperature_c": t, "rh_pct": rh} for _, t, rh in chunk],
                    UTC_ZONE,
                )[0][1].decode()
                for chunk in (values[i : i + batch] for i in range(0, per, batch))
            ]
        bodies.append(("\n".join(messages) + "\n").encode())
    return bodies


def start_burst(broker_port: int, bodies: list[bytes], topic: str = TOPIC) -> list[subprocess.Popen[bytes]]:
    """Start one ``mosquitto_pub -l -q 1`` per body and feed it; returns the processes."""
    publishers = [
        subprocess.Popen(
            ["mosquitto_pub", "-p", str(broker_port), "-q", "1", "-t", topic.format(publisher=p), "-l"],
            stdin=subprocess.PIPE,
        )
        for p in range(len(bodies))
    ]
    for process, body in zip(publishers, bodies, strict=True):
        assert process.stdin is not None
        process.stdin.write(body)
        process.stdin.close()
    return publishers


def count_points(influx_url: str, database: str) -> int:
    """Points in ``climate`` (0 while the database or InfluxDB is not there)."""
    try:
        return InfluxStore(influx_url, database, timeout_s=5).count_climate()
    except (StoreError, requests.RequestException):
        return 0


def wait_stored(
    count: Callable[[], int], total: int, settle_s: float, began: float, limit_s: float = 600
) -> tuple[int, float]:
    """Wait until ``total`` points are stored or the count has stood still for ``settle_s``.
    Returns the count and when (``time.perf_counter()`` seconds after ``began``) it last grew."""
    last_change = time.perf_counter()
    stored = count()
    while stored < total and time.perf_counter() - last_change < settle_s:
        if time.perf_counter() - began > limit_s:
            break
        time.sleep(0.05)
        now = count()
        if now != stored:
            stored, last_change = now, time.perf_counter()
    return stored, last_change - began


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- the systems under test ---------------------------------------------------------------
class Peer(Protocol):
    name: str

    def pids(self) -> list[int]: ...
    def client_ids(self) -> list[str]: ...
    def peak_rss_mb(self) -> float: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def kill(self) -> None: ...


class PatinaPeer:
    """``patina collect``: one process, or ``instances`` processes sharing the load through
    an MQTT shared subscription (docs/scaling.md), each with its own client id and spool.
    ``process`` is the first of them."""

    CONFIG = """
[museum]
name = "Benchmark"
timezone = "UTC"
[mqtt]
url = "{mqtt}"
client_id = "bench-{database}"
protocol = "{protocol}"
[influxdb]
url = "{influx}"
database = "{database}"
[collector]
spool_path = "{folder}/{database}.spool.sqlite3"
{sharing}
[[sources]]
topic = "patina/+/+/climate"
format = "patina"
[[sources]]
topic = "senml/+"
format = "senml"
site = "lab"
[[sites]]
id = "lab"
"""

    def __init__(
        self,
        folder: Path,
        broker: MosquittoServer,
        influx: InfluxServer,
        database: str,
        protocol: str = "5",
        instances: int = 1,
        museum_config: Path | None = None,
    ) -> None:
        """``museum_config``: a museum's own config file (benchmarks/museum_realistic.toml)
        instead of the benchmark's two sources; the broker, database, client id and spool
        are then set through the environment, as a deployment sets them."""
        self.name = "Patina" if instances == 1 else f"Patina x{instances}"
        self.folder, self.database, self.instances = folder, database, instances
        sharing = f'share_group = "bench"\ninstances = {instances}' if instances > 1 else ""
        self.config = folder / f"{database}.toml"
        self.environment: dict[str, str] = {}
        if museum_config is None:
            self.config.write_text(
                self.CONFIG.format(
                    mqtt=broker.url,
                    influx=influx.url,
                    database=database,
                    protocol=protocol,
                    folder=folder,
                    sharing=sharing,
                )
            )
        else:
            # The museum's file as it is, with the sharing of the work added for instances > 1.
            text = museum_config.read_text()
            self.config.write_text(text + (f"\n[collector]\n{sharing}\n" if sharing else ""))
            self.environment = {
                "PATINA_MQTT_URL": broker.url,
                "PATINA_INFLUX_URL": influx.url,
                "PATINA_INFLUX_DB": database,
                "PATINA_MQTT_CLIENT_ID": f"bench-{database}",
                "PATINA_SPOOL_PATH": str(folder / f"{database}.spool.sqlite3"),
            }
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.processes[0] if self.processes else None

    def start(self) -> None:
        self.processes = []
        for index in range(self.instances):
            environment = dict(os.environ, **self.environment)
            if self.instances > 1:
                environment.update(
                    PATINA_INSTANCE_INDEX=str(index),
                    PATINA_MQTT_CLIENT_ID=f"bench-{self.database}-{index}",
                    PATINA_SPOOL_PATH=str(self.folder / f"{self.database}-{index}.spool.sqlite3"),
                )
            process = subprocess.Popen(
                [sys.executable, "-m", "patina", "collect", "--config", str(self.config)],
                stderr=subprocess.PIPE,
                env=environment,
            )
            assert process.stderr is not None
            for line in process.stderr:
                if b"subscribed to" in line:
                    break
            # Keep reading its log so that a full pipe never blocks it.
            _drain(process.stderr)
            self.processes.append(process)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def client_ids(self) -> list[str]:
        if self.instances == 1:
            return [f"bench-{self.database}"]
        return [f"bench-{self.database}-{index}" for index in range(self.instances)]

    def peak_rss_mb(self) -> float:
        return max((peak_rss_mb(p.pid) for p in self.processes), default=float("nan"))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(60)

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def install_node_red(folder: Path) -> Path:
    """``npm install node-red node-red-contrib-influxdb`` into ``folder`` (npm's own cache
    makes a second install quick); returns the folder holding ``node_modules``."""
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "node-red@4",
            "node-red-contrib-influxdb",
        ],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


#: Collects points and sends them on in batches of up to 1,000, or after 100 ms of quiet,
#: the way Node-RED users feed ``influxdb batch``.
BATCHING_FUNCTION = """
let buffer = context.get('buffer');
if (!buffer) { buffer = []; context.set('buffer', buffer); }
const parts = msg.topic.split('/');
buffer.push({
    measurement: 'climate',
    tags: {site: parts[1], sensor: parts[2]},
    fields: {temperature_c: msg.payload.temperature_c, rh_pct: msg.payload.rh_pct},
    timestamp: new Date(msg.payload.ts * 1000),
});
const flush = () => {
    clearTimeout(context.get('timer'));
    context.set('timer', null);
    const points = context.get('buffer');
    context.set('buffer', []);
    if (points.length) node.send({payload: points});
};
if (buffer.length >= 1000) flush();
else if (!context.get('timer')) context.set('timer', setTimeout(flush, 100));
return null;
"""


class NodeRedPeer:
    """Node-RED 4 running one flow: ``mqtt in`` (QoS 1, MQTT 5, persistent session) →
    batching ``function`` → ``influxdb batch`` (InfluxDB 1.x), from ``install`` (see
    :func:`install_node_red`)."""

    name = "Node-RED"

    def __init__(
        self, install: Path, folder: Path, broker: MosquittoServer, influx: InfluxServer, database: str
    ) -> None:
        self.install = install
        self.user_dir = folder / f"node-red-{database}"
        self.user_dir.mkdir(parents=True, exist_ok=True)
        self.client_id = f"nodered-{database}"
        influx_port = influx.url.rsplit(":", 1)[1]
        flows = [
            {"id": "tab", "type": "tab", "label": "bench"},
            {
                "id": "broker",
                "type": "mqtt-broker",
                "broker": "127.0.0.1",
                "port": str(broker.port),
                "clientid": self.client_id,
                "autoConnect": True,
                "usetls": False,
                "protocolVersion": "5",
                "keepalive": "30",
                "cleansession": False,
                "sessionExpiry": "3600",
            },
            {
                "id": "in",
                "type": "mqtt in",
                "z": "tab",
                "topic": "patina/+/+/climate",
                "qos": "1",
                "datatype": "json",
                "broker": "broker",
                "nl": False,
                "rap": False,
                "inputs": 0,
                "wires": [["batch"]],
            },
            {
                "id": "batch",
                "type": "function",
                "z": "tab",
                "func": BATCHING_FUNCTION,
                "outputs": 1,
                "wires": [["write"]],
            },
            {
                "id": "influx",
                "type": "influxdb",
                "hostname": "127.0.0.1",
                "port": influx_port,
                "database": database,
                "influxdbVersion": "1.x",
            },
            {
                "id": "write",
                "type": "influxdb batch",
                "z": "tab",
                "influxdb": "influx",
                "precision": "",
                "wires": [],
            },
        ]
        (self.user_dir / "flows.json").write_text(json.dumps(flows))
        (self.user_dir / "settings.js").write_text(
            "module.exports = {flowFile: 'flows.json', credentialSecret: false, "
            f"uiPort: {free_port()}, uiHost: '127.0.0.1', logging: {{console: {{level: 'info'}}}}}};\n"
        )
        self.process: subprocess.Popen[bytes] | None = None
        # The flow writes to a database that must exist, as a Node-RED user would create it.
        InfluxStore(influx.url, database).create_database()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "node",
                str(self.install / "node_modules" / "node-red" / "red.js"),
                "--userDir",
                str(self.user_dir),
                "--settings",
                str(self.user_dir / "settings.js"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.user_dir,
        )
        assert self.process.stdout is not None
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            if b"Connected to broker" in line:
                break
        else:
            raise RuntimeError("Node-RED exited before connecting:\n" + b"".join(seen[-20:]).decode())
        # Node-RED subscribes right after connecting; give it that moment.
        time.sleep(0.5)
        _drain(self.process.stdout)

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process else []

    def client_ids(self) -> list[str]:
        return [self.client_id]

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid) if self.process else float("nan")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def forget_session(broker_port: int, client_id: str) -> None:
    """End the persistent session a client left at the broker (MQTT 5 clean start, no
    expiry): kept, it would queue every later burst for a client that never returns, and
    the broker would do that work during the next system's round."""
    subprocess.run(
        ["mosquitto_sub", "-p", str(broker_port), "-V", "5", "-i", client_id, "-t", "patina/_forget", "-E"],
        check=True,
        timeout=30,
        stdout=subprocess.DEVNULL,
    )


def _drain(stream: object) -> None:
    def read() -> None:
        for _ in stream:  # type: ignore[attr-defined]
            pass

    threading.Thread(target=read, daemon=True).start()


def scratch_folder(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("PATINA_BENCH_DIR")))
