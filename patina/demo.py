"""`patina demo`: everything running on one machine, for a first look."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import platformdirs

from analysis.light_limits import UV_SENSITIVE_CATEGORIES
from analysis.materials import target_band
from museum.description.config import MuseumConfig, load_config
from museum.description.secrets import redact_url
from patina.launch import dashboard_command, wait_for_signal
from patina.options import Duration, config_option, load

log = logging.getLogger("patina.demo")

# The collector, the store and the servers are imported where they are used: every `patina`
# command loads this module (patina/cli.py), and they would load pandas and requests.


def _port_or_free(port: int) -> int:
    from patina.services import free_port, port_open

    return free_port() if port_open("127.0.0.1", port) else port


def _ensure_broker(config: MuseumConfig, data_dir: Path, stack: ExitStack) -> str:
    from patina.services import MosquittoServer, port_open

    if port_open(config.mqtt.host, config.mqtt.port):
        log.info("using the MQTT broker at %s", redact_url(config.mqtt.url))
        return config.mqtt.url
    broker = MosquittoServer(data_dir / "mosquitto", _port_or_free(config.mqtt.port))
    broker.start()
    stack.callback(broker.stop)
    log.info("started Mosquitto at %s (data in %s)", broker.url, broker.data_dir)
    return broker.url


def _ensure_influx(config: MuseumConfig, data_dir: Path, stack: ExitStack) -> str:
    from museum.storage.stores import open_store
    from patina.services import InfluxServer

    if open_store(config.influxdb, timeout_s=2).ping():
        log.info("using InfluxDB at %s", redact_url(config.influxdb.url))
        return config.influxdb.url
    port = int(config.influxdb.url.rsplit(":", 1)[-1].strip("/") or 8086)
    influx = InfluxServer(data_dir / "influxdb", _port_or_free(port))
    influx.start()
    stack.callback(influx.stop)
    log.info("started InfluxDB at %s (data in %s)", influx.url, influx.data_dir)
    return influx.url


#: The demo's scripted incident: a case door left open this long after the demo starts, for
#: this long. The alert opens after the minimum duration and resolves within the hour, so a
#: first-time user sees calm, an alarm and its end.
INCIDENT_AFTER = timedelta(minutes=5)
INCIDENT_FOR = timedelta(minutes=30)


def gel_target_pct(materials: list[str]) -> float:
    """The RH a conservator would condition a case's silica gel to: the middle of the band
    that suits every material; a few % under the safe limit of metals alone; between the
    two limits where the materials conflict (neither is then good: the page says why)."""
    band = target_band(materials)
    if band["high_pct"] is None:
        return 50.0
    if band["conflict"]:
        return round((band["high_pct"] + band["low_pct"]) / 2 - 1.0, 1)
    if band["low_pct"]:
        # The middle: a level falls back only a hysteresis margin (3 %) inside a limit, so air
        # kept just above the too-dry watch line would stay "watch" once a dip crossed it.
        return round((band["low_pct"] + band["high_pct"]) / 2, 1)
    return max(5.0, band["high_pct"] - 6.0)


def incident_case(config: MuseumConfig) -> str:
    """The case whose door the demo opens: one holding only stable metals, so that its
    objects recover within the hour (organic parts would keep a day's RH swing in their
    fluctuation score, and excavated metals need a very dry case again)."""
    for case in config.cases:
        materials = {m for a in case.artefacts for m in a.materials}
        if materials and all(
            not m.startswith("archaeological_") and m not in ("wood", "leather", "textile") for m in materials
        ):
            return case.id
    return config.cases[0].id


def demo_scenario(config: MuseumConfig, now: datetime) -> str:
    """The demo's scenario as TOML: well-kept cases (gel conditioned to each case's band,
    tight doors) and one door left open in the case :func:`incident_case` names."""
    lines = [
        "[scenario]",
        'title = { en = "Demo: a normal day and one incident", fr = "Démo : une journée normale et un '
        'incident", vi = "Demo: một ngày bình thường và một sự cố" }',
        'description = { en = "Well-kept cases; a case door left open for half an hour.", fr = "Des vitrines '
        'bien tenues ; une porte de vitrine laissée ouverte une demi-heure.", vi = "Các tủ được bảo quản '
        'tốt; một cửa tủ bị để mở nửa giờ." }',
        "",
    ]
    for case in config.cases:
        materials = [m for a in case.artefacts for m in a.materials]
        if not materials:
            continue
        lines += [
            "[[case_physics]]",
            f'case = "{case.id}"',
            f"gel_conditioned_rh_pct = {gel_target_pct(materials)}",
            "silica_gel_kg = 4.0",
            "air_exchange_per_day = 0.2",
            "",
        ]
    lines += light_sensors(config)
    at = (now + INCIDENT_AFTER).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines += [
        "[[events]]",
        'kind = "door_open"',
        f'target = "{incident_case(config)}"',
        f"at = {at}",
        f'duration = "{int(INCIDENT_FOR.total_seconds() // 60)}m"',
    ]
    return "\n".join(lines) + "\n"


#: The demo's case lights on the objects, lux, and their UV, µW/lm: a bright case and a UV
#: filter that lets too much through, so the light alerts and the light pages have something
#: to show (docs/light.md).
DEMO_LIGHT_LUX = 120.0
DEMO_UV_UW_PER_LM = 30.0


def light_sensors(config: MuseumConfig) -> list[str]:
    """Scenario lines giving the first sensor of each case holding an object of medium or high
    responsivity (dyed leather, textiles) a light channel, lit during ``[opening_hours]``:
    a T/RH/lux logger, as museums use."""
    lines = []
    for case in config.cases:
        sensitive = [
            a for a in case.artefacts if a.light.category_for(a.materials).name in UV_SENSITIVE_CATEGORIES
        ]
        if sensitive and case.sensors:
            lines += [
                "[[sensors]]",
                f"id = {json.dumps(case.sensors[0])}",
                f"light_lux = {DEMO_LIGHT_LUX}",
                f"uv_uw_per_lm = {DEMO_UV_UW_PER_LM}",
                "",
            ]
    return lines


DEMO_ACCOUNTS = (("demo-viewer", "viewer"), ("demo-conservator", "conservator"))


def with_demo_accounts(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The config text with a viewer and a conservator account added (fresh random
    passwords, only their scrypt hashes in the file), unless it has accounts already."""
    from museum.description.users import hash_password

    if "[[dashboard.users]]" in text:
        return text, []
    accounts = [(name, role, secrets.token_urlsafe(9)) for name, role in DEMO_ACCOUNTS]
    extra = [] if "[dashboard]" in text else ["", "[dashboard]", "anonymous_viewing = true"]
    for name, role, password in accounts:
        extra += [
            "",
            "[[dashboard.users]]",
            f'name = "{name}"',
            f'role = "{role}"',
            f'password_hash = "{hash_password(password)}"',
        ]
    return text.rstrip("\n") + "\n" + "\n".join(extra) + "\n", accounts


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


def _copy_plans(config: MuseumConfig, config_path: Path, data_dir: Path) -> None:
    """The floor plans beside the demo's copy of the config, where their relative paths
    (museum.description.config_galleries) lead from it."""
    import shutil

    folder = config_path.resolve().parent
    for gallery in config.floorplans:
        if gallery.plan is not None and gallery.plan.is_relative_to(folder) and gallery.plan.exists():
            target = data_dir / gallery.plan.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(gallery.plan, target)


def run_demo(config: MuseumConfig, config_path: Path, port: int, backfill_s: float) -> None:
    from collector.service import Collector

    data_dir = Path(platformdirs.user_data_dir("patina"))
    data_dir.mkdir(parents=True, exist_ok=True)
    # The demo's own copy of the config, with two accounts to sign in with, and its scenario.
    text, accounts = with_demo_accounts(config_path.read_text(encoding="utf-8"))
    demo_config = data_dir / "demo-museum.toml"
    demo_config.write_text(text, encoding="utf-8")
    _copy_plans(config, config_path, data_dir)
    scenario = data_dir / "demo-scenario.toml"
    scenario.write_text(demo_scenario(config, datetime.now(UTC)), encoding="utf-8")
    config_path = demo_config
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
        _spawn(
            stack,
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
                str(max(1.0, backfill_s / 15)),
            ],
            env,
        )
        dashboard_port = _port_or_free(port)
        _spawn(stack, dashboard_command(dashboard_port), env)
        message = [f"\nPatina demo: open http://127.0.0.1:{dashboard_port} (Ctrl-C stops everything)"]
        message.append(
            f"In {int(INCIDENT_AFTER.total_seconds() // 60)} minutes a door of case "
            f"{incident_case(config)} is left open for {int(INCIDENT_FOR.total_seconds() // 60)} "
            "minutes: watch the alert open, notify and resolve."
        )
        if accounts:
            message.append("Sign in (sidebar of any page) with one of these demo accounts:")
            message += [f"  {name:18} password {password:14} ({role})" for name, role, password in accounts]
            message.append("Real accounts: see README, 'Accounts'.")
        print("\n".join(message) + "\n", flush=True)
        wait_for_signal()
        log.info("stopping")


@click.command()
@config_option
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.option(
    "--backfill",
    type=Duration(),
    default="1d",
    show_default=True,
    help="Simulated history to publish first, at high speed.",
)
def demo(config_path: str, port: int, backfill: float) -> None:
    """Start everything for a first look: broker and InfluxDB (if none answers), the
    simulator, the collector and the dashboard. Ctrl-C stops all of it."""
    run_demo(load(config_path), Path(config_path).resolve(), port, backfill)
