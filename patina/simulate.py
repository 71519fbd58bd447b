"""`patina simulate` and `patina replay`: readings published to the broker as sensors
publish them, from the building model's simulated cases or from a logger export (the
planning is :mod:`sensors_sim.planning` and :mod:`sensors_sim.replay`; these are the
commands around it)."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import click

from museum.description.formats import DEVICE_FORMATS
from patina.options import Duration, config_option, load, zone_option
from sensors_sim.formats import BATCH_ENCODERS as BATCH_FORMATS

log = logging.getLogger("patina")


def _publish(simulator: object) -> int:
    """Run a simulator until done or until SIGINT/SIGTERM; return messages sent."""
    signal.signal(signal.SIGTERM, lambda signum, frame: simulator.stop())  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, lambda signum, frame: simulator.stop())  # type: ignore[attr-defined]
    return simulator.run()  # type: ignore[attr-defined,no-any-return]


@click.command()
@config_option
@click.option(
    "--scenario",
    "scenario_name",
    default=None,
    help="A scenario (see --list) or a scenario file: its building, incidents, faults and "
    "museum; the config gives the broker.",
)
@click.option("--list", "list_scenarios", is_flag=True, help="List the shipped scenarios and stop.")
@click.option(
    "--summary",
    is_flag=True,
    help="Print the model's daily climate (outdoors, galleries, cases) instead of publishing.",
)
@click.option(
    "--interval",
    type=Duration(),
    default=None,
    help="Simulated time between two readings of a sensor [default: the scenario's, else 60s].",
)
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Simulated seconds per wall-clock second, while the simulated clock is behind real "
    "time [default: 1; with a scenario, as fast as the broker takes them].",
)
@click.option(
    "--duration",
    type=Duration(),
    default=None,
    help="Simulated time to run (e.g. 1d) [default: the scenario's; else until stopped].",
)
@click.option(
    "--backfill",
    type=Duration(),
    default=None,
    help="Start this far in the past (e.g. 1d) [default: the scenario's start; else the "
    "duration when --speed is above 1, so a compressed run ends at the present; else now].",
)
@click.option("--seed", type=int, default=None, help="Random seed [default: the scenario's, else 0].")
@click.option(
    "--format",
    "device_format",
    type=click.Choice(sorted(DEVICE_FORMATS)),
    default=None,
    help="Device format of the sensors the scenario leaves unset [default: patina].",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Readings per message, as a gateway or Telegraf batches them (senml, line-protocol).",
)
def simulate(
    config_path: str,
    scenario_name: str | None,
    list_scenarios: bool,
    summary: bool,
    interval: float | None,
    speed: float | None,
    duration: float | None,
    backfill: float | None,
    seed: int | None,
    device_format: str | None,
    batch: int,
) -> None:
    """Publish simulated readings of every sensor to the broker, from a physical model of
    the building, its cases and its sensors (deterministic for a seed)."""
    from sensors_sim import scenario as scenarios
    from sensors_sim.planning import simulation_plan, with_device_format
    from sensors_sim.publisher import Simulator, daily_climate

    config = load(config_path)
    if list_scenarios:
        language = config.museum.language
        for name in scenarios.available():
            click.echo(f"{name:28} {scenarios.load(name).title[language]}")
        return
    try:
        scenario = scenarios.load(scenario_name) if scenario_name else scenarios.default_scenario()
    except scenarios.ScenarioError as error:
        raise click.ClickException(str(error)) from None
    config = scenario.museum_config(config)
    scenario = with_device_format(scenario, config, device_format, batch)
    if batch > 1 and (device_format or "patina") not in BATCH_FORMATS:
        raise click.BadParameter(f"batches need --format {' or '.join(BATCH_FORMATS)}", param_hint="--batch")
    for name, value in (("--speed", speed), ("--interval", interval)):
        if value is not None and value <= 0:
            raise click.BadParameter("must be above 0", param_hint=name)
    plan = simulation_plan(
        scenario,
        scenario_named=bool(scenario_name),
        now_s=time.time(),
        interval_s=interval,
        speed=speed,
        duration_s=duration,
        backfill_s=backfill,
        seed=seed,
    )
    if summary:
        try:
            table = daily_climate(config, scenario, plan)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        click.echo(table.to_string(index=False))
        return
    simulator = Simulator(config, plan, scenario)
    log.info(
        "simulating %d sensors (%s) every %g s of simulated time at %gx",
        sum(len(c.sensors) for c in config.cases),
        scenario.name,
        plan.interval_s,
        plan.speed,
    )
    sent = _publish(simulator)
    log.info("published %d messages", sent)


@click.command()
@config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sensor", "sensor_id", required=True, help="The sensor id to publish the readings as.")
@click.option(
    "--format",
    "device_format",
    type=click.Choice(sorted(DEVICE_FORMATS)),
    default="patina",
    show_default=True,
    help="The device format to publish in (the config needs a source for it).",
)
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Simulated seconds per wall-clock second [default: as fast as the broker takes them].",
)
@click.option(
    "--timezone",
    "timezone_name",
    default=None,
    help="IANA time zone of times written without an offset [default: the museum's].",
)
@click.option("--file-sensor", default=None, help="The sensor of the file to replay, when it holds several.")
@click.option("--sheet", default=None, help="Workbook sheet to read [default: the first holding readings].")
def replay(
    config_path: str,
    file: Path,
    sensor_id: str,
    device_format: str,
    speed: float | None,
    timezone_name: str | None,
    file_sensor: str | None,
    sheet: str | None,
) -> None:
    """Publish a logger export (the files `patina analyse` reads) as sensor SENSOR, each
    reading with its own time, so Patina runs on the museum's own history. Run the collector
    with --event-time to have alerts judged on the file's clock."""
    from museum.files.loggers import LoggerFileError
    from sensors_sim.publisher import Simulator
    from sensors_sim.replay import is_received, load_replay, replay_plan, replay_topic

    config = load(config_path)
    if speed is not None and speed <= 0:
        raise click.BadParameter("must be above 0", param_hint="--speed")
    zone_name = zone_option(timezone_name or config.museum.timezone)
    case = config.case_for_sensor(sensor_id)
    if case is None:
        log.warning(
            "sensor %r is in no case of %s: its readings will be stored unassigned", sensor_id, config_path
        )
    if not DEVICE_FORMATS[device_format].carries_time:
        log.warning("format %s carries no time: the collector stamps each reading on arrival", device_format)
    topic = replay_topic(config, sensor_id, device_format)
    if not is_received(config, device_format, topic):
        raise click.ClickException(
            f"{config_path} has no [[sources]] entry for format {device_format!r} that receives {topic!r}: "
            f"the collector would not read these messages (add one, e.g. topic = "
            f"{DEVICE_FORMATS[device_format].topic!r})"
        )
    try:
        feed, info = load_replay(
            file, sensor_id, case.site if case else "unknown", device_format, zone_name, file_sensor, sheet
        )
    except (LoggerFileError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if not feed.times:
        raise click.ClickException(f"{file}: no readings to replay")
    plan = replay_plan(feed, speed)
    log.info(
        "replaying %d readings of %s (%s, %s) as %s", len(feed.times), file, info.layout, zone_name, sensor_id
    )
    sent = _publish(Simulator(config, plan, feed=feed))
    log.info("published %d messages", sent)
