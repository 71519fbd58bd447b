"""Two partner museums on one machine, for tests/test_partners.py and
benchmarks/bench_partners.py: the lender (Hanoi, Vietnamese staff) and the borrower (Paris),
each with its own Mosquitto, its own database (one influxd holds both) and its own
collector; each broker bridged to the other's by the stanza `patina partner bridge-config`
writes (TLS off: both brokers are on 127.0.0.1), so each museum watches the other's
heartbeat, and each broker holding the ACL Patina writes for the other's bridge user."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from museum.description.config import MuseumConfig, load_config
from museum.storage.stores import open_store
from patina.cli import main
from patina.services import InfluxServer, MosquittoServer, free_port

BRIDGE_PASSWORD = "bridge-secret-for-tests"
LENDER_PASSWORD = "lender-secret-for-tests"
#: The lender's collector's account on its own broker, from the environment as ever.
LENDER_ENVIRON = {"PATINA_MQTT_USERNAME": "lender-collector", "PATINA_MQTT_PASSWORD": LENDER_PASSWORD}
BORROWER_PASSWORD = "borrower-secret-for-tests"
BORROWER_ENVIRON = {"PATINA_MQTT_USERNAME": "borrower-collector", "PATINA_MQTT_PASSWORD": BORROWER_PASSWORD}

LENDER = """
[museum]
name = {{ vi = "Bảo tàng Lịch sử Quân sự", fr = "Musée d'histoire militaire", en = "Military History" }}
timezone = "Asia/Ho_Chi_Minh"
language = "vi"

[mqtt]
url = "mqtt://127.0.0.1:{lender_port}"
client_id = "lender-{tag}"

[influxdb]
url = "{influx_url}"
database = "lender_{tag}"

[collector]
spool_path = "{folder}/lender.sqlite3"
heartbeat_every = "{beat}"

[[sites]]
id = "hanoi"
name = "Hà Nội"

[[cases]]
id = "C1"
site = "hanoi"
gallery = "Phòng 1"
name = "Tủ 1"
sensors = ["s1"]

[[cases.artefacts]]
id = "DBP-1"
name = {{ vi = "Lưỡi lê khai quật", fr = "Baïonnette de fouille", en = "Excavated bayonet" }}
materials = ["archaeological_iron"]

[alerts]
min_duration = "0s"

[notify.email]
smtp_url = "smtp://127.0.0.1:{smtp_port}"
from = "patina@hanoi.test"
to = ["conservator@hanoi.test"]

[[partners]]
id = "armee"
name = {{ fr = "Musée de l'Armée", vi = "Bảo tàng Quân đội Pháp", en = "Army Museum, Paris" }}
our_prefix = "partners/hanoi"
address = "127.0.0.1:{borrower_port}"
silent_after = "{silent}"

[[partners.objects]]
artefact = "DBP-1"
case = "K1"
"""

BORROWER = """
[museum]
name = "Musée de l'Armée"
timezone = "Europe/Paris"
language = "fr"

[mqtt]
url = "mqtt://127.0.0.1:{borrower_port}"
client_id = "borrower-{tag}"

[influxdb]
url = "{influx_url}"
database = "borrower_{tag}"

[collector]
spool_path = "{folder}/borrower.sqlite3"
heartbeat_every = "{beat}"

[[sites]]
id = "invalides"
name = "Hôtel des Invalides"

[[cases]]
id = "K1"
site = "invalides"
gallery = "Salle 3"
name = "Prêts"
sensors = ["k1a"]

[[cases]]
id = "K2"
site = "invalides"
gallery = "Salle 4"
name = "Réserve"
sensors = ["k2a"]

[[partners]]
id = "hanoi"
name = {{ fr = "Musée d'histoire militaire de Hanoï", vi = "Bảo tàng Lịch sử Quân sự" }}
our_prefix = "partners/armee"
address = "127.0.0.1:{lender_port}"
cases = ["K1"]
silent_after = "{silent}"
"""


@dataclass
class Partners:
    folder: Path
    influx: InfluxServer
    lender_broker: MosquittoServer
    borrower_broker: MosquittoServer
    lender: MuseumConfig
    borrower: MuseumConfig
    lender_path: Path
    borrower_path: Path
    borrower_process: subprocess.Popen[bytes] | None = None

    def start_borrower_collector(self) -> None:
        """The borrower's collector in a process of its own, so it can be SIGKILLed."""
        log = (self.folder / "borrower-collector.log").open("ab")
        self.borrower_process = subprocess.Popen(
            [sys.executable, "-m", "patina", "collect", "--config", str(self.borrower_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **BORROWER_ENVIRON, "PYTHONUNBUFFERED": "1"},
        )

    def borrower_log(self) -> str:
        """What the borrower's collector has logged so far."""
        path = self.folder / "borrower-collector.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_borrower_collector(self) -> None:
        assert self.borrower_process is not None
        self.borrower_process.send_signal(signal.SIGKILL)
        self.borrower_process.wait(10)
        self.borrower_process = None

    def stop(self) -> None:
        if self.borrower_process is not None:
            self.borrower_process.terminate()
            try:
                self.borrower_process.wait(15)
            except subprocess.TimeoutExpired:
                self.borrower_process.kill()
        for broker in (self.borrower_broker, self.lender_broker):
            broker.stop()


def write_password_file(path: Path, users: Iterable[tuple[str, str]]) -> None:
    first = True
    for user, password in users:
        command = ["mosquitto_passwd", "-b", *(["-c"] if first else []), str(path), user, password]
        subprocess.run(command, check=True, capture_output=True)
        first = False


def start_partners(
    folder: Path,
    influx: InfluxServer,
    tag: str,
    *,
    smtp_port: int = 1,
    silent: str = "10m",
    beat: str = "60s",
) -> Partners:
    """Both museums' configs, the lender's broker with its password file and ACL, the
    borrower's broker with the bridge stanza, both started (collectors not)."""
    folder.mkdir(parents=True, exist_ok=True)
    lender_port, borrower_port = free_port(), free_port()
    values = {
        "lender_port": lender_port,
        "borrower_port": borrower_port,
        "influx_url": influx.url,
        "tag": tag,
        "folder": folder,
        "smtp_port": smtp_port,
        "silent": silent,
        "beat": beat,
    }
    lender_path, borrower_path = folder / "lender.toml", folder / "borrower.toml"
    lender_path.write_text(LENDER.format(**values))
    borrower_path.write_text(BORROWER.format(**values))
    env = {"PATINA_BRIDGE_PASSWORD": BRIDGE_PASSWORD}
    runner = CliRunner()
    for path, partner, out in ((lender_path, "armee", "lender"), (borrower_path, "hanoi", "borrower")):
        result = runner.invoke(
            main,
            [
                "partner",
                "bridge-config",
                "--config",
                str(path),
                "--partner",
                partner,
                "--no-tls",
                "--out",
                str(folder / out),
            ],
            env=env,
        )
        assert result.exit_code == 0, result.output
    # The lender's broker: its own clients anonymous (read and write all), the borrower's
    # bridge user held to the lines Patina wrote.
    acl = folder / "lender-acl"
    # The lender's collector logs in: Mosquitto 2.0.11 with an acl_file did not deliver what a
    # bridge brought to an anonymous client's session restored after a broker restart
    # (tests/test_partners.py's cut; docs/partners.md), while it did to a named user's.
    acl.write_text(
        "topic readwrite #\n\nuser lender-collector\ntopic readwrite #\n\n"
        + (folder / "lender" / "acl-armee").read_text()
    )
    write_password_file(
        folder / "lender-passwd", [("partner-armee", BRIDGE_PASSWORD), ("lender-collector", LENDER_PASSWORD)]
    )
    lender_broker = MosquittoServer(
        folder / "lender-broker",
        port=lender_port,
        settings={
            "password_file": str(folder / "lender-passwd"),
            "acl_file": str(acl),
            # The lender's bridge to the borrower: the lender's heartbeat reaches it.
            "include_dir": str(folder / "lender"),
        },
    )
    # The borrower's broker, the same way: its collector logs in, the lender's bridge user
    # is held to the lines Patina wrote.
    borrower_acl = folder / "borrower-acl"
    borrower_acl.write_text(
        "topic readwrite #\n\nuser borrower-collector\ntopic readwrite #\n\n"
        + (folder / "borrower" / "acl-hanoi").read_text()
    )
    write_password_file(
        folder / "borrower-passwd",
        [("partner-hanoi", BRIDGE_PASSWORD), ("borrower-collector", BORROWER_PASSWORD)],
    )
    # Only the bridges' stanzas in the include folders (mosquitto reads every *.conf there).
    (folder / "borrower" / "acl-hanoi").rename(folder / "borrower-acl-hanoi")
    (folder / "lender" / "acl-armee").rename(folder / "lender-acl-armee")
    (folder / "lender-broker").mkdir(exist_ok=True)
    lender_broker.start()
    (folder / "borrower-broker").mkdir(exist_ok=True)
    borrower_broker = MosquittoServer(
        folder / "borrower-broker",
        port=borrower_port,
        settings={
            "include_dir": str(folder / "borrower"),
            "password_file": str(folder / "borrower-passwd"),
            "acl_file": str(borrower_acl),
        },
    )
    borrower_broker.start()
    wait_for_bridge(borrower_broker, "hanoi")
    wait_for_bridge(lender_broker, "armee")
    lender, borrower = (
        load_config(lender_path, environ=LENDER_ENVIRON),
        load_config(borrower_path, environ=BORROWER_ENVIRON),
    )
    for config in (lender, borrower):
        open_store(config.influxdb).create_database()
    return Partners(
        folder, influx, lender_broker, borrower_broker, lender, borrower, lender_path, borrower_path
    )


def wait_for_bridge(broker: MosquittoServer, partner: str = "hanoi", timeout_s: float = 30.0) -> None:
    """Until the bridge says it is connected: its retained local notification is "1"."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    state: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: state.append(bytes(m.payload))
    client.on_connect = lambda c, u, f, r, p=None: c.subscribe(f"patina/bridge/{partner}/state", qos=1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    deadline = time.monotonic() + timeout_s
    while (not state or state[-1] != b"1") and time.monotonic() < deadline:
        time.sleep(0.1)
    client.disconnect()
    client.loop_stop()
    assert state and state[-1] == b"1", f"the bridge did not connect: {state}"


def reading(sensor_ts_s: float, rh_pct: float, temperature_c: float = 20.0) -> bytes:
    return json.dumps({"ts": sensor_ts_s, "temperature_c": temperature_c, "rh_pct": rh_pct}).encode()


def wait_s(seconds: float) -> None:
    time.sleep(seconds)
