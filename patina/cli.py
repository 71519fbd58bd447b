"""The ``patina`` command line: the front door that wires the parts together."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import click

from analysis.materials import MATERIAL_NAMES
from museum.description.config import ConfigError, MuseumConfig, load_config, parse_duration_s
from museum.description.formats import DEVICE_FORMATS
from museum.language.i18n import LANGUAGES
from patina.launch import dashboard_command
from patina.options import moment_option, zone_option
from sensors_sim.formats import BATCH_ENCODERS as BATCH_FORMATS

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO_DIR / "museum.example.toml"

log = logging.getLogger("patina")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _load(path: str) -> MuseumConfig:
    try:
        return load_config(path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            return parse_duration_s(value)  # type: ignore[arg-type]
        except ValueError as error:
            self.fail(str(error), param, ctx)


def parse_band(
    text: str | None, option: str, target_range: tuple[float, float], unit: str
) -> tuple[float, float] | tuple[None, None]:
    """A band ``target±tolerance``: finite, the target within ``target_range``, the
    tolerance above 0."""
    if text is None:
        return None, None
    low, high = target_range
    example = (
        f"a band such as {'45±5' if unit == '%' else '20±2'} "
        f"(target {low:g}…{high:g} {unit}, tolerance above 0)"
    )
    parts = text.replace("+-", "±").split("±")
    try:
        if len(parts) != 2:
            raise ValueError
        target, tolerance = float(parts[0]), float(parts[1])
    except ValueError:
        raise click.BadParameter(f"{text!r} is not {example}", param_hint=option) from None
    if not low <= target <= high or not 0 < tolerance <= high - low:
        raise click.BadParameter(f"{text!r}: need {example}", param_hint=option)
    return target, tolerance


#: Resampling intervals `patina export` takes: whole seconds, up to a year.
EVERY_RANGE_S = (1, 366 * 86_400)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=str(EXAMPLE_CONFIG),
    show_default=True,
    help="The museum's config file (museum.toml).",
)


def one_line(text: str, limit: int = 300) -> str:
    """An error message on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """Patina: conservation monitoring of metal artefacts in display cases."""
    _setup_logging(verbose)


@main.command()
@config_option
@click.option(
    "--event-time",
    is_flag=True,
    help="Judge alert durations and silence by the readings' own times, not the clock: "
    "for replayed history and scenarios published faster than real time. Notifications "
    "are then not sent (the log says what would have been) unless --notify is given.",
)
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Send notifications (default: yes, except with --event-time).",
)
def collect(config_path: str, event_time: bool, notify: bool | None) -> None:
    """Subscribe to the sensors and store every reading in InfluxDB (runs until stopped).
    Exits non-zero when a part of the collector fails for good, so systemd restarts it."""
    # pandas 3 loads pyarrow whenever it is installed (for its string type): 65 MB of a
    # collector's memory for a library it never uses (pyarrow is there for Parquet export).
    # Without it pandas uses its own string storage, with the same behaviour.
    if "pandas" not in sys.modules:
        sys.modules.setdefault("pyarrow", None)  # type: ignore[arg-type]
    from collector.service import Collector
    from collector.spool import SpoolInUse

    try:
        collector = Collector(_load(config_path), event_time=event_time, notify=notify)
    except SpoolInUse as error:
        raise click.ClickException(str(error)) from None
    done = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    collector.start()
    failure = None
    try:
        failure = collector.run(done)
    finally:
        collector.stop()
        stats = collector.stats()
        log.info(
            "received %d, written %d, rejected %d %s, redelivered %d",
            stats.received,
            stats.written,
            stats.rejected_total,
            dict(stats.rejected),
            stats.redelivered,
        )
    if failure:
        log.critical("the collector stopped because %s", failure)
        sys.exit(3)


def _publish(simulator: object) -> int:
    """Run a simulator until done or until SIGINT/SIGTERM; return messages sent."""
    signal.signal(signal.SIGTERM, lambda signum, frame: simulator.stop())  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, lambda signum, frame: simulator.stop())  # type: ignore[attr-defined]
    return simulator.run()  # type: ignore[attr-defined,no-any-return]


@main.command()
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

    config = _load(config_path)
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


@main.command()
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

    config = _load(config_path)
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


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--material",
    "materials",
    multiple=True,
    type=click.Choice(MATERIAL_NAMES),
    help="A material to assess (repeat for several).",
)
@click.option(
    "--timezone",
    "timezone_name",
    default=None,
    help="IANA time zone of times written without an offset [default: UTC, and the report says so].",
)
@click.option("--sheet", default=None, help="Workbook sheet to read [default: the first holding readings].")
@click.option("--sensor", default=None, help="One sensor of a file holding several [default: each alone].")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (keys: docs/loggers.md).")
def analyse(
    files: tuple[Path, ...],
    materials: tuple[str, ...],
    timezone_name: str | None,
    sheet: str | None,
    sensor: str | None,
    language: str,
    as_json: bool,
) -> None:
    """Report on logger exports (CSV, text or XLSX): coverage, statistics, IPI ratings, mould,
    time of wetness, EN 15757 band and the risk for each material, saying how each file was
    read. Several FILES are joined on time when each holds one quantity (a building-management
    system's temperature and RH files)."""
    from museum.files.loggers import LoggerFileError
    from museum.language.i18n import Translator
    from patina.analyse import analyse_files, render_text

    if timezone_name is not None:
        zone_option(timezone_name)
    try:
        report = analyse_files(list(files), list(materials), timezone_name, sheet, sensor)
        # Rendering is inside: values a reader let through (1e308) must not end in a traceback.
        text = (
            json.dumps(report, ensure_ascii=False, indent=2, default=str)
            if as_json
            else render_text(report, Translator(language), timezone_name)
        )
    except (LoggerFileError, ValueError) as error:
        message = one_line(str(error)) or repr(error)
        named = any(file.name in message for file in files)
        where = " + ".join(map(str, files))
        raise click.ClickException(message if named else f"{where}: {message}") from None
    except Exception as error:  # a file no reader foresaw: one line for the user, never a traceback
        log.debug("analyse failed", exc_info=True)
        raise click.ClickException(
            f"{' + '.join(map(str, files))}: could not be analysed ({type(error).__name__}: "
            f"{one_line(str(error))}); please report this file to the Patina maintainers"
        ) from None
    click.echo(text)


@main.command()
@config_option
@click.option(
    "--since",
    "since",
    type=Duration(),
    default="400d",
    show_default=True,
    help="Compute hourly aggregates of readings this far back.",
)
def downsample(config_path: str, since: float) -> None:
    """Set up hourly aggregates (kept for ever) and the raw retention of the config, and
    compute the aggregates of readings already stored (after an import or a replay)."""
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = _load(config_path)
    store = open_store(config.influxdb, timeout_s=3600)
    retention = config.influxdb.raw_retention_s
    end = datetime.now().astimezone()
    try:
        store.create_database()
        store.ensure_downsampling(timedelta(seconds=retention) if retention else None)
        store.backfill_hourly(end - timedelta(seconds=since), end)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"hourly aggregates ready from {(end - timedelta(seconds=since)).isoformat(timespec='minutes')}"
    )


@main.command("report")
@config_option
@click.option("--case", "case_ids", multiple=True, help="A case id (repeat for several).")
@click.option("--gallery", default=None, help="Every case of this gallery.")
@click.option("--start", required=True, help="ISO 8601; without an offset, in the museum's time zone.")
@click.option("--end", required=True, help="ISO 8601 (exclusive); without an offset, in the museum's zone.")
@click.option("--rh", "rh_band", default=None, help="Loan band for RH, e.g. 45±5 (or 45+-5).")
@click.option("--temperature", "temperature_band", default=None, help="Loan band for temperature, e.g. 20±2.")
@click.option("--max-rh-change", type=float, default=None, help="Loan limit: RH change within 24 h, %.")
@click.option(
    "--bands-from",
    "bands_from",
    default=None,
    help="An artefact: its band for its history and materials (13 months before --start) "
    "as the loan's RH band (docs/passport.md).",
)
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="Default: the museum's.")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="report.pdf or report.html"
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def report(
    config_path: str,
    case_ids: tuple[str, ...],
    gallery: str | None,
    start: str,
    end: str,
    rh_band: str | None,
    temperature_band: str | None,
    max_rh_change: float | None,
    bands_from: str | None,
    language: str | None,
    out: Path,
    force: bool,
) -> None:
    """A printable climate report (PDF or HTML) for cases or a gallery over a period, with
    the share of time inside a loan agreement's bands."""
    from analysis.metrics import LoanBands
    from museum.files.reports import case_period, render_html, render_pdf
    from museum.files.staging import OutputError, refuse_existing, write_new
    from museum.language.i18n import Translator
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = _load(config_path)
    if gallery:
        if gallery not in config.galleries:
            raise click.BadParameter(
                f"no gallery {gallery!r}; known: {', '.join(config.galleries)}", param_hint="--gallery"
            )
        case_ids = tuple(c.id for c in config.cases if c.gallery == gallery)
    if not case_ids:
        raise click.UsageError("name --case (one or more) or --gallery")
    known = {c.id for c in config.cases}
    for case_id in case_ids:
        if case_id not in known:
            raise click.BadParameter(f"no case {case_id!r}", param_hint="--case")
    if out.suffix.lower() not in (".pdf", ".html"):
        raise click.BadParameter("must end in .pdf or .html", param_hint="--out")
    try:
        refuse_existing([out], force)  # before the work, not after it
    except OutputError as error:
        raise click.ClickException(str(error)) from None

    first = moment_option(start, "--start", config.museum.timezone)
    last = moment_option(end, "--end", config.museum.timezone)
    if last <= first:
        raise click.BadParameter("must be after --start", param_hint="--end")
    rh_target, rh_tolerance = parse_band(rh_band, "--rh", (0.0, 100.0), "%")
    t_target, t_tolerance = parse_band(temperature_band, "--temperature", (-50.0, 80.0), "°C")
    if max_rh_change is not None and not 0 < max_rh_change <= 100:
        raise click.BadParameter(
            f"{max_rh_change!r}: need a change above 0 and at most 100 %", param_hint="--max-rh-change"
        )
    bands = None
    if bands_from is not None:
        if rh_band is not None:
            raise click.BadParameter("give --rh or --bands-from, not both", param_hint="--bands-from")
        rh_target, rh_tolerance = _artefact_band(config, bands_from, first)
    if rh_target is not None and rh_tolerance is not None:
        bands = LoanBands(rh_target, rh_tolerance, t_target, t_tolerance, max_rh_change)
    elif temperature_band or max_rh_change is not None:
        raise click.BadParameter("a loan agreement needs its RH band", param_hint="--rh")
    store = open_store(config.influxdb)
    try:
        periods = [
            case_period(store, config.case(case_id), first, last, bands, config=config)
            for case_id in case_ids
        ]
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    subject = gallery or ", ".join(f"{c} · {config.case(c).name}" for c in case_ids)
    t = Translator(language or config.museum.language)
    page = render_html(periods, config, t, subject, bands, datetime.now(first.tzinfo))
    try:
        write_new(out, render_pdf(page) if out.suffix.lower() == ".pdf" else page.encode("utf-8"), force)
    except OutputError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(out))


def _artefact_band(config: MuseumConfig, artefact_id: str, until: datetime) -> tuple[float, float]:
    """An object's suitable RH band as target and tolerance (museum.loans.moves.loan_bands_for)."""
    from museum.loans.moves import MoveError, loan_bands_for
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    store = open_store(config.influxdb)
    try:
        loan = loan_bands_for(config, store, artefact_id, until)[0]
    except (MoveError, StoreError) as error:
        raise click.BadParameter(str(error), param_hint="--bands-from") from None
    finally:
        store.close()
    return loan.rh_target_pct, loan.rh_tolerance_pct


@main.command("export")
@config_option
@click.option("--start", required=True, help="ISO 8601; without an offset, in --timezone.")
@click.option("--end", required=True, help="ISO 8601 (exclusive); without an offset, in --timezone.")
@click.option("--case", "case_ids", multiple=True, help="A case id (repeat for several); default all.")
@click.option("--gallery", "galleries", multiple=True, help="A gallery name (repeat for several).")
@click.option("--site", default=None, help="Only this site.")
@click.option(
    "--every", type=Duration(), default=None, help="Resample: 15m, 1h, 1d … (mean, min, max, count)."
)
@click.option(
    "--timezone", "timezone_name", default=None, help="Time zone of the output; default the museum's."
)
@click.option("--include", default="", help="Also export: risk, alerts (comma-separated).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The data file; extras and (CSV) NAME.datapackage.json are written beside it.",
)
@click.option("--force", is_flag=True, help="Replace files of an earlier export with the same --out.")
def export_command(
    config_path: str,
    start: str,
    end: str,
    case_ids: tuple[str, ...],
    galleries: tuple[str, ...],
    site: str | None,
    every: float | None,
    timezone_name: str | None,
    include: str,
    fmt: str,
    out: Path,
    force: bool,
) -> None:
    """Export the climate of cases for a period, raw or resampled, with its metadata (CSV with a
    Frictionless data package, Parquet, or XLSX)."""
    from datetime import timedelta

    from tqdm import tqdm

    from museum.files.export import ExportError, ExportRequest, chunk_count, export
    from museum.storage.store import StoreError

    config = _load(config_path)
    zone = zone_option(timezone_name or config.museum.timezone)
    if every is not None and not (every == int(every) and EVERY_RANGE_S[0] <= every <= EVERY_RANGE_S[1]):
        raise click.BadParameter(
            f"{every:g} s: need whole seconds from {EVERY_RANGE_S[0]} s to {EVERY_RANGE_S[1] // 86_400} d",
            param_hint="--every",
        )
    request = ExportRequest(
        start=moment_option(start, "--start", zone),
        end=moment_option(end, "--end", zone),
        case_ids=case_ids,
        galleries=galleries,
        site=site,
        every=timedelta(seconds=every) if every is not None else None,
        timezone=zone,
        include=[x.strip() for x in include.split(",") if x.strip()],
        format=fmt,
    )
    with tqdm(
        total=chunk_count(request), unit="chunk", desc="export", disable=not sys.stderr.isatty()
    ) as bar:
        try:
            result = export(config, request, out, progress=lambda done: bar.update(done - bar.n), force=force)
        except (ExportError, StoreError) as error:
            raise click.ClickException(one_line(str(error))) from None
    click.echo(f"{result.rows} rows → " + ", ".join(str(p) for p in result.files))


@main.group()
def alerts() -> None:
    """Alerts: list them, acknowledge one."""


@alerts.command("list")
@config_option
@click.option("--open", "only_open", is_flag=True, help="Only alerts not yet resolved.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list, newest first.")
def alerts_list(config_path: str, only_open: bool, as_json: bool) -> None:
    """Alerts of the last year, newest first, with their current state."""
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = _load(config_path)
    try:
        table = open_store(config.influxdb, timeout_s=10).alerts()
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    rows = [] if table.empty else table.to_dict("records")
    if only_open:
        rows = [row for row in rows if row["state"] != "resolved"]
    records = [
        {
            "alert_id": r["alert_id"],
            "state": r["state"],
            "case_id": r["case_id"],
            "site": r["site"],
            "rule": r["rule"],
            "severity": r["severity"],
            "opened": r["opened"].isoformat(),
            "updated": r["time"].isoformat(),
            "value": r.get("value"),
            "threshold": r.get("threshold"),
            "user": r.get("user") or "",
            "note": r.get("note") or "",
        }
        for r in rows
    ]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    if not records:
        click.echo("no alerts" if not only_open else "no open alerts")
    for r in records:
        # One line per alert: a note's line breaks are shown as " / ".
        acknowledged = f"  by {r['user']}: {' / '.join(str(r['note']).splitlines())}" if r["user"] else ""
        click.echo(
            f"{r['alert_id']}  {r['state']:<13} {r['severity']:<8} case {r['case_id']}  "
            f"{r['rule']}  opened {r['opened']}{acknowledged}"
        )


@alerts.command("ack")
@config_option
@click.argument("alert_id")
@click.option("--user", required=True, help="Who acknowledges.")
@click.option("--note", required=True, help="Why, or what was done.")
def alerts_ack(config_path: str, alert_id: str, user: str, note: str) -> None:
    """Acknowledge an open alert: repeats and escalation stop; the log keeps who, when, why."""

    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    # The log must say who and why: blank text says neither.
    for option, text in (("--user", user), ("--note", note)):
        if not text.strip():
            raise click.BadParameter("must not be empty", param_hint=option)
    config = _load(config_path)
    store = open_store(config.influxdb, timeout_s=10)
    try:
        store.acknowledge_alert(alert_id, user.strip(), note.strip())
    except StoreError as error:
        table = store.alerts() if store.ping() else None
        open_ids = (
            [] if table is None or table.empty else list(table[table["state"] != "resolved"]["alert_id"])
        )
        raise click.ClickException(f"{error}; open alerts: {', '.join(open_ids) or 'none'}") from None
    click.echo(f"acknowledged {alert_id} as {user}")


@main.command("hash-password")
def hash_password_command() -> None:
    """Make a password hash for a [[dashboard.users]] entry (the password is never stored)."""
    from museum.description.users import hash_password

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    click.echo(hash_password(password))


@main.group()
def quarantine() -> None:
    """Messages that could not become readings, kept with their reason."""


@quarantine.command("list")
@config_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON list of {id, topic, reason, detail, received_at, payload_b64, payload_size, "
    "payload_sha256, truncated}: payload_b64 holds at most the kept prefix.",
)
@click.option("--limit", type=int, default=None, help="At most this many, oldest first.")
def quarantine_list(config_path: str, as_json: bool, limit: int | None) -> None:
    """List quarantined messages."""
    import base64
    from datetime import datetime

    from collector.spool import Spool

    config = _load(config_path)
    spool = Spool(config.collector.spool_path)
    records = [
        {
            "id": r.id,
            "topic": r.topic,
            "reason": r.reason,
            "detail": r.detail,
            "received_at": datetime.fromtimestamp(r.received_ns / 1e9, UTC).isoformat(),
            "payload_b64": base64.b64encode(r.payload).decode("ascii"),
            "payload_size": r.payload_size if r.payload_size is not None else len(r.payload),
            "payload_sha256": r.payload_sha256,
            "truncated": r.truncated,
        }
        for r in spool.quarantined(limit)
    ]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    counts = spool.quarantine_counts()
    click.echo(
        f"{sum(counts.values())} quarantined in {spool.path}: "
        + ", ".join(f"{reason} {n}" for reason, n in counts.items())
    )
    for record in records:
        payload = base64.b64decode(record["payload_b64"])
        click.echo(
            f"{record['id']:>6}  {record['received_at']}  {record['reason']:<24} "
            f"{record['topic']}  {payload[:80]!r}  ({record['detail']})"
        )


@quarantine.command("replay")
@config_option
def quarantine_replay(config_path: str) -> None:
    """Decode quarantined messages again with the current config; those that now become
    readings go to the spool, and the collector writes them."""
    from collector.service import replay_quarantine

    released, held = replay_quarantine(_load(config_path))
    click.echo(f"released {released} messages to the spool; {held} remain in quarantine")


@main.command()
@config_option
def status(config_path: str) -> None:
    """The collectors' health: the local collector's state beside its spool (readable
    while InfluxDB is down), the latest collector_stats in InfluxDB, and the local spool
    and quarantine."""
    from collector.spool import Spool
    from collector.stats import read_status, status_path
    from museum.description.secrets import redact_url
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = _load(config_path)
    local = read_status(status_path(config.collector.spool_path))
    if local is not None:
        age_s = time.time() - float(local.get("time_s", 0))
        writer = local.get("writer_blocked")
        click.echo(
            f"local collector {local.get('instance')} (pid {local.get('pid')}), {age_s:.0f} s ago: "
            f"broker {'connected' if local.get('connected') else 'NOT connected'}; writer "
            + (f"BLOCKED ({writer}: {local.get('writer_blocked_detail')})" if writer else "writing")
            + ("; spool FULL (messages wait at the broker)" if local.get("spool_full") else "")
            + f"; spool_depth {local.get('spool_depth')}, received {local.get('received')}, "
            f"written {local.get('written')}, redelivered {local.get('redelivered')}, "
            f"quarantine_dropped {local.get('quarantine_dropped')}"
        )
    store = open_store(config.influxdb, timeout_s=5)
    try:
        latest = store.latest_collector_stats()
    except StoreError as error:
        latest = None
        click.echo(f"InfluxDB: {error}")
    if latest is not None and latest.empty:
        click.echo(
            f"no collector has reported to {redact_url(config.influxdb.url)} "
            f"database {config.influxdb.database!r}"
        )
    for row in [] if latest is None else latest.to_dict("records"):
        figures = ", ".join(
            f"{key} {int(value)}"
            for key, value in row.items()
            if key not in ("time", "instance") and isinstance(value, int | float) and value == value
        )
        host = row.get("host")
        where = f" on {host}" if isinstance(host, str) and host else ""
        click.echo(f"{row['instance']}: at {row['time'].isoformat()}{where}: {figures}")
    spool = Spool(config.collector.spool_path)
    dropped = spool.quarantine_dropped()
    click.echo(
        f"spool {spool.path}: {spool.depth()} readings waiting; quarantine: "
        + (", ".join(f"{k} {v}" for k, v in spool.quarantine_counts().items()) or "empty")
        + (f"; {dropped} records dropped (quarantine full)" if dropped else "")
    )
    spool.close()
    if latest is None and local is None:
        sys.exit(1)


@main.command()
@config_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; put a reverse proxy with TLS in front for others.",
)
def dashboard(config_path: str, port: int, address: str) -> None:
    """Serve the Streamlit dashboard."""
    _load(config_path)
    env = {**os.environ, "PATINA_CONFIG": str(Path(config_path).resolve())}
    os.execvpe(sys.executable, dashboard_command(port, address), env)


@main.command()
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
    from patina.demo import run_demo

    run_demo(_load(config_path), Path(config_path).resolve(), port, backfill)


# Commands kept in their own modules, registered here.
from patina.diagnose import diagnose as _diagnose  # noqa: E402

main.add_command(_diagnose)
from patina.passport import move as _move  # noqa: E402
from patina.passport import passport as _passport  # noqa: E402

main.add_command(_move)
main.add_command(_passport)
