"""`patina diagnose`: how tight each case is against its room, and when its RH will pass
its alert limit (the logic is :mod:`museum.assessment.diagnose`; this is the command around it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from museum.language.i18n import LANGUAGES
from patina.options import moment_option


@click.command("diagnose")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The museum's config file (museum.toml).",
)
@click.option("--case", "case_ids", multiple=True, help="A case id (repeat for several); default every case.")
@click.option(
    "--start",
    default=None,
    help="ISO 8601; default two weeks before --end. Without an offset, in the museum's time zone.",
)
@click.option("--end", default=None, help="ISO 8601 (exclusive); default now.")
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="Default: the museum's.")
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object: {"cases": [...]}.')
def diagnose(
    config_path: str,
    case_ids: tuple[str, ...],
    start: str | None,
    end: str | None,
    language: str | None,
    as_json: bool,
) -> None:
    """Each case's hygrometric half-time and air exchange against its gallery's room, its
    moisture trend, and the days until its RH passes its alert limit."""
    from museum.assessment.diagnose import DEFAULT_WINDOW, render_text
    from museum.assessment.diagnose import as_json as to_json
    from museum.assessment.diagnose import diagnose as run
    from museum.description.config import ConfigError, load_config
    from museum.language.i18n import Translator
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    known = {c.id for c in config.cases}
    for case_id in case_ids:
        if case_id not in known:
            raise click.BadParameter(
                f"no case {case_id!r}; known: {', '.join(sorted(known))}", param_hint="--case"
            )

    zone_name = config.museum.timezone
    last = moment_option(end, "--end", zone_name) if end else datetime.now(UTC).astimezone(config.zone)
    first = moment_option(start, "--start", zone_name) if start else last - DEFAULT_WINDOW
    if last <= first:
        raise click.BadParameter("must be after --start", param_hint="--end")
    store = open_store(config.influxdb)
    try:
        diagnoses = run(config, store, list(case_ids), first, last)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(to_json(diagnoses), ensure_ascii=False, indent=2))
    else:
        t = Translator(language or config.museum.language)
        click.echo(render_text(diagnoses, t, first.astimezone(config.zone), last.astimezone(config.zone)))
