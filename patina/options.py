"""What the command modules share: the ``--config`` option and the config it loads, and
command-line values read through :mod:`museum.description.times` and
:mod:`museum.description.config`, their errors turned into click's "Invalid value for
'--start': …" naming the option. Every command module (patina/analyse.py, patina/alerts.py,
patina/report.py …) imports this one and none imports another, so patina/cli.py can import
them all.

Nothing here (nor at the top of a command module) may import pandas: ``patina collect``
keeps pyarrow out of its memory only when it starts before pandas is loaded."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from museum.description.config import ConfigError, MuseumConfig, load_config, parse_duration_s
from museum.description.times import parse_moment, zone_named

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO_DIR / "museum.example.toml"

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=str(EXAMPLE_CONFIG),
    show_default=True,
    help="The museum's config file (museum.toml).",
)


def load(path: str) -> MuseumConfig:
    """The config at ``path``; a wrong one stops the command with the file, key and reason."""
    try:
        return load_config(path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


class Duration(click.ParamType):
    """A duration such as 90s, 15m, 1h or 400d, in seconds."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            return parse_duration_s(value)  # type: ignore[arg-type]
        except ValueError as error:
            self.fail(str(error), param, ctx)


def one_line(text: str, limit: int = 600) -> str:
    """An error message on one line, at most ``limit`` characters (room for a long path
    and the whole sentence after it)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def moment_option(text: str, option: str, zone_name: str) -> datetime:
    """``text`` given to ``option`` as a time (:func:`museum.description.times.parse_moment`)."""
    try:
        return parse_moment(text, zone_name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def zone_option(name: str, option: str = "--timezone") -> str:
    """``name`` given to ``option`` as an IANA time zone (:func:`museum.description.times.zone_named`)."""
    try:
        zone_named(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None
    return name


def page_out(out: Path, force: bool) -> None:
    """Check ``--out`` for a printable page (a report, a digest) before the work, not after
    it: ``.pdf`` or ``.html``, and no file already there unless ``--force``."""
    from museum.files.staging import OutputError, refuse_existing

    if out.suffix.lower() not in (".pdf", ".html"):
        raise click.BadParameter("must end in .pdf or .html", param_hint="--out")
    try:
        refuse_existing([out], force)
    except OutputError as error:
        raise click.ClickException(str(error)) from None


def write_page(out: Path, page: str, force: bool) -> None:
    """A page to ``--out``: printed (WeasyPrint) for ``.pdf``, as it is for ``.html``."""
    from museum.files.reports import render_pdf
    from museum.files.staging import OutputError, write_new

    try:
        write_new(out, render_pdf(page) if out.suffix.lower() == ".pdf" else page.encode("utf-8"), force)
    except OutputError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(out))
