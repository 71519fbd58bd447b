"""Command-line values read through :mod:`museum.description.times`, their errors turned into click's
"Invalid value for '--start': …" naming the option. Shared by every command module
(patina/cli.py, patina/passport.py, patina/diagnose.py), which import this one and not
each other."""

from __future__ import annotations

from datetime import datetime

import click

from museum.description.times import parse_moment, zone_named


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
