"""Security of the path: credentials and certificates from the environment, against a real
Mosquitto with a password file and a TLS listener that requires client certificates."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from collector.service import Collector
from museum.description.config import MuseumConfig
from museum.storage.store import InfluxStore
from patina.services import MosquittoServer
from sensors_sim.publisher import SimulationPlan, Simulator
from sensors_sim.scenario import Scenario
from tests.conftest import SMALL_MUSEUM
from tests.helpers import stored_count, wait_for

PAYLOAD = json.dumps({"ts": 1_790_000_000, "temperature_c": 21.0, "rh_pct": 45.0})


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    """A private CA, a server certificate for 127.0.0.1 and a client certificate."""
    folder = tmp_path / "pki"
    folder.mkdir()
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Patina test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        cwd=folder,
    )
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=folder,
        )
        (folder / f"{name}.ext").write_text(extra + "\n")
        openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.crt",
            cwd=folder,
        )
    return folder


def assert_refused(config: MuseumConfig) -> None:
    """A collector with these credentials never gets a subscription."""
    collector = Collector(config)
    collector.start()
    try:
        assert not collector.wait_until_subscribed(3)
    finally:
        collector.stop()


def assert_stores_one_reading(config: MuseumConfig, store: InfluxStore, publish: list[str]) -> None:
    """A collector with these credentials subscribes, and a reading published with
    ``mosquitto_pub`` and the extra arguments ``publish`` reaches InfluxDB."""
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        subprocess.run(
            ["mosquitto_pub", *publish, "-q", "1", "-t", "patina/hanoi/s1/climate", "-m", PAYLOAD], check=True
        )
        wait_for(lambda: stored_count(store) == 1)
    finally:
        collector.stop()


def test_a_password_protected_broker_takes_credentials_from_the_environment(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "patina", "s3cret words"], check=True)
    broker = MosquittoServer(
        tmp_path / "broker", settings={"allow_anonymous": "false", "password_file": str(passwords)}
    )
    broker.start()
    try:
        wrong = make_config(
            environ={
                "PATINA_MQTT_URL": broker.url,
                "PATINA_MQTT_USERNAME": "patina",
                "PATINA_MQTT_PASSWORD": "guess",
            }
        )
        assert_refused(wrong)
        config = make_config(
            environ={
                "PATINA_MQTT_URL": broker.url,
                "PATINA_MQTT_USERNAME": "patina",
                "PATINA_MQTT_PASSWORD": "s3cret words",
            }
        )
        assert "s3cret" not in config.path.read_text()  # type: ignore[union-attr]
        assert_stores_one_reading(
            config, store_for(config), ["-p", str(broker.port), "-u", "patina", "-P", "s3cret words"]
        )
    finally:
        broker.stop()


def test_mqtts_with_a_private_ca_and_a_client_certificate(
    tmp_path: Path,
    certificates: Path,
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    broker = MosquittoServer(
        tmp_path / "tls-broker",
        settings={
            "cafile": str(certificates / "ca.crt"),
            "certfile": str(certificates / "server.crt"),
            "keyfile": str(certificates / "server.key"),
            "require_certificate": "true",
        },
    )
    broker.start()
    try:
        url = f"mqtts://127.0.0.1:{broker.port}"
        no_certificate = make_config(
            environ={"PATINA_MQTT_URL": url, "PATINA_MQTT_CA_FILE": str(certificates / "ca.crt")}
        )
        assert_refused(no_certificate)
        config = make_config(
            environ={
                "PATINA_MQTT_URL": url,
                "PATINA_MQTT_CA_FILE": str(certificates / "ca.crt"),
                "PATINA_MQTT_CERT_FILE": str(certificates / "client.crt"),
                "PATINA_MQTT_KEY_FILE": str(certificates / "client.key"),
            }
        )
        assert_stores_one_reading(
            config,
            store_for(config),
            [
                "-h",
                "127.0.0.1",
                "-p",
                str(broker.port),
                "--cafile",
                str(certificates / "ca.crt"),
                "--cert",
                str(certificates / "client.crt"),
                "--key",
                str(certificates / "client.key"),
            ],
        )
    finally:
        broker.stop()


def test_the_simulator_and_the_collector_speak_mqtt_3_1_1_with_a_client_certificate(
    tmp_path: Path,
    certificates: Path,
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    """Both connect through museum/broker/mqtt.py: the simulator too honours ``protocol`` and the
    client certificate, so it can feed a broker that requires both."""
    broker = MosquittoServer(
        tmp_path / "tls-broker",
        settings={
            "cafile": str(certificates / "ca.crt"),
            "certfile": str(certificates / "server.crt"),
            "keyfile": str(certificates / "server.key"),
            "require_certificate": "true",
        },
    )
    broker.start()
    try:
        config = make_config(
            SMALL_MUSEUM.replace("[mqtt]\n", '[mqtt]\nprotocol = "3.1.1"\n'),
            environ={
                "PATINA_MQTT_URL": f"mqtts://127.0.0.1:{broker.port}",
                "PATINA_MQTT_CA_FILE": str(certificates / "ca.crt"),
                "PATINA_MQTT_CERT_FILE": str(certificates / "client.crt"),
                "PATINA_MQTT_KEY_FILE": str(certificates / "client.key"),
            },
        )
        assert config.mqtt.protocol == "3.1.1"
        sensors = {sensor: {"format": "patina"} for sensor in ("s1", "s2", "s3")}
        scenario = Scenario(
            name="plain",
            title={},
            description={},
            start_s=None,
            duration_s=None,
            interval_s=60.0,
            seed=1,
            sensors=sensors,
        )
        now = float(int(time.time()))
        plan = SimulationPlan(now - 120.0, 60.0, speed=1e9, duration_s=180.0, seed=1)  # 3 ticks, all past
        collector = Collector(config)
        collector.start()
        try:
            assert collector.wait_until_subscribed(15)
            sent = Simulator(config, plan, scenario).run()
            assert sent == 9
            store = store_for(config)
            wait_for(lambda: stored_count(store) == sent)
        finally:
            collector.stop()
        # Mosquitto logs each client's protocol: p2 is MQTT 3.1.1 (p5 would be MQTT 5).
        log = broker.log_path.read_text(errors="replace")
        assert re.search(r"as patina-sim-\S+ \(p2,", log), log
        assert re.search(rf"as {re.escape(config.mqtt.client_id)} \(p2,", log), log
    finally:
        broker.stop()


def test_a_payload_cannot_write_outside_its_measurement(
    make_config: Callable[..., MuseumConfig],
    mosquitto: MosquittoServer,
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    hostile = ["x rh_pct=1 1", "y,measurement=evil", "z temperature_c=99", 'w" OR 1=1']
    refused = "v\\ 2"  # InfluxDB 1.x cannot store a backslash in a tag: quarantined
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        for sensor in [*hostile, refused]:
            subprocess.run(
                [
                    "mosquitto_pub",
                    "-p",
                    str(mosquitto.port),
                    "-q",
                    "1",
                    "-t",
                    f"patina/hanoi/{sensor}/climate",
                    "-m",
                    PAYLOAD,
                ],
                check=True,
            )
        store = store_for(config)
        wait_for(lambda: stored_count(store) == len(hostile))
        wait_for(lambda: collector.stats().rejected == {"invalid_id": 1})
    finally:
        collector.stop()
    # climate, and the schema version the collector records (patina_meta, docs/backup.md).
    assert store.execute("SHOW MEASUREMENTS")[0]["values"] == [["climate"], ["patina_meta"]]
    data = store.frame("SELECT * FROM climate")
    assert sorted(data["sensor_id"]) == sorted(hostile)
    assert set(data["rh_pct"]) == {45.0} and set(data["temperature_c"]) == {21.0}
