"""`patina digest`: the weekly digest of one week, now: written to a file to preview it, or
sent to its readers (the digest is :mod:`museum.files.digest`; the collector sends it on
its schedule, collector/digest.py; this is the command around them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from museum.language.i18n import LANGUAGES
from patina.options import config_option, load, page_out, write_page

if TYPE_CHECKING:
    from museum.description.config import MuseumConfig


@click.command("digest")
@config_option
@click.option(
    "--week-ending",
    "week_ending",
    default=None,
    help="The last day it covers (2026-03-29 or 29/03/2026, in the museum's zone). Default: yesterday.",
)
@click.option(
    "--send", is_flag=True, help="Send it now to its readers ([digest] to, else [notify.email] to)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write it instead: digest.html (the e-mail's body) or digest.pdf (its attachment).",
)
@click.option(
    "--language", type=click.Choice(LANGUAGES), default=None, help="--out's language. Default: the museum's."
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def digest(
    config_path: str, week_ending: str | None, send: bool, out: Path | None, language: str | None, force: bool
) -> None:
    """The weekly digest: the week's alerts and how they ended, time at each risk level per
    gallery, cases to look after and sensors silent or low on battery."""
    from museum.files.digest import last_whole_day
    from museum.language.i18n import Translator

    if send == (out is not None):
        raise click.UsageError("give --send or --out (one of them)")
    config = load(config_path)
    if week_ending is None:
        last_day = last_whole_day(datetime.now(UTC), config.zone)
    else:
        try:
            last_day = Translator("en").parse_date(week_ending)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--week-ending") from None
    if out is not None:
        page_out(out, force)
        _write(config, last_day, out, language, force)
        return
    if not config.notify.smtp_url:
        raise click.ClickException(f"{config_path}: no mail server: set [notify.email] smtp_url")
    if not config.digest.readers:
        raise click.ClickException(
            f"{config_path}: nobody to send it to: set [digest] to or [notify.email] to"
        )
    _send(config, last_day)


def _write(config: MuseumConfig, last_day: date, out: Path, language: str | None, force: bool) -> None:
    from museum.files.digest import gather_week, render_digest
    from museum.language.i18n import Translator
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    store = open_store(config.influxdb)
    try:
        week = gather_week(config, store, last_day)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    page = render_digest(week, config, Translator(language or config.museum.language), datetime.now(UTC))
    write_page(out, page, force)


def _send(config: MuseumConfig, last_day: date) -> None:
    from collector.digest import send_digest
    from museum.storage.store import StoreError

    try:
        failures = send_digest(config, last_day, config.digest.readers)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    for address, language in config.digest.readers:
        if address not in failures:
            click.echo(f"sent to {address} ({language})")
    if failures:
        lines = [f"not sent to {address}: {reason}" for address, reason in failures.items()]
        raise click.ClickException("\n".join(lines))
