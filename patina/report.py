"""`patina report`: the printable climate report of cases or a gallery over a period, as
PDF or HTML, with the share of time inside a loan agreement's bands (the report is
:mod:`museum.files.reports`; this is the command around it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from museum.language.i18n import LANGUAGES
from patina.options import config_option, load, moment_option, page_out, write_page

if TYPE_CHECKING:
    from museum.description.config import MuseumConfig


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


@click.command("report")
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
    from museum.files.reports import case_period, render_html
    from museum.language.i18n import Translator
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
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
    page_out(out, force)

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
    write_page(out, render_html(periods, config, t, subject, bands, datetime.now(first.tzinfo)), force)


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
