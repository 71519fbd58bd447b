"""`patina demo`: everything running on one machine, for a first look."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import click
import platformdirs

from collector.service import Collector
from museum.config import MuseumConfig, load_config
from museum.secrets import redact_url
from museum.store import InfluxStore
from patina.cli import dashboard_command, wait_for_signal
from patina.services import InfluxServer, MosquittoServer, free_port, port_open

log = logging.getLogger("patina.demo")


def _port_or_free(port: int) -> int:
    return free_port() if port_open("127.0.0.1", port) else port


def _ensure_broker(config: MuseumConfig, data_dir: Path, stack: ExitStack) -> str:
    if port_open(config.mqtt.host, config.mqtt.port):
        log.info("using the MQTT broker at %s", redact_url(config.mqtt.url))
        return config.mqtt.url
    broker = MosquittoServer(data_dir / "mosquitto", _port_or_free(config.mqtt.port))
    broker.start()
    stack.callback(broker.stop)
    log.info("started Mosquitto at %s (data in %s)", broker.url, broker.data_dir)
    return broker.url


def _ensure_influx(config: MuseumConfig, data_dir: Path, stack: ExitStack) -> str:
    if InfluxStore.from_config(config.influxdb, timeout_s=2).ping():
        log.info("using InfluxDB at %s", redact_url(config.influxdb.url))
        return config.influxdb.url
    port = int(config.influxdb.url.rsplit(":", 1)[-1].strip("/") or 8086)
    influx = InfluxServer(data_dir / "influxdb", _port_or_free(port))
    influx.start()
    stack.callback(influx.stop)
    log.info("started InfluxDB at %s (data in %s)", influx.url, influx.data_dir)
    return influx.url


def _spawn(stack: ExitStack, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, env=env)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    return process


def run_demo(config: MuseumConfig, config_path: Path, port: int, backfill_s: float) -> None:
    data_dir = Path(platformdirs.user_data_dir("patina"))
    with ExitStack() as stack:
        env = dict(os.environ)
        env["PATINA_MQTT_URL"] = _ensure_broker(config, data_dir, stack)
        env["PATINA_INFLUX_URL"] = _ensure_influx(config, data_dir, stack)
        env["PATINA_CONFIG"] = str(config_path)
        # The collector runs here and subscribes before the simulator publishes anything,
        # so not even the first readings of a fresh broker are lost.
        collector = Collector(load_config(config_path, environ=env))
        collector.start()
        stack.callback(collector.stop)
        if not collector.wait_until_subscribed(30):
            raise click.ClickException(f"could not subscribe at {env['PATINA_MQTT_URL']}")
        patina = [sys.executable, "-m", "patina"]
        # The backfilled past arrives in about 15 s, then readings follow live, once a minute.
        _spawn(stack, [*patina, "simulate", "--config", str(config_path), "--interval", "60s",
                       "--backfill", f"{backfill_s}s", "--speed", str(max(1.0, backfill_s / 15))],
               env)
        dashboard_port = _port_or_free(port)
        _spawn(stack, dashboard_command(dashboard_port), env)
        print(f"\nPatina demo: open http://127.0.0.1:{dashboard_port} (Ctrl-C stops everything)\n",
              flush=True)
        wait_for_signal()
        log.info("stopping")
