"""`patina export`: the climate of cases over a period, raw or resampled, as files for
research (the export is :mod:`museum.files.export`; this is the command around it)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from patina.options import Duration, config_option, load, moment_option, one_line, zone_option

#: Resampling intervals `patina export` takes: whole seconds, up to a year.
EVERY_RANGE_S = (1, 366 * 86_400)


@click.command("export")
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

    config = load(config_path)
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
