"""`patina move` and `patina passport`: where an object is, and the passport that carries
its climate history on loan (the logic is in :mod:`museum.loans.moves` and
:mod:`museum.loans.passport`; docs/passport.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from museum.language.i18n import LANGUAGES
from museum.storage.lineprotocol import LineProtocolError
from patina.options import moment_option

if TYPE_CHECKING:
    from museum.description.config import MuseumConfig
    from museum.language.i18n import Translator
    from museum.storage.store import InfluxStore

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The museum's config file (museum.toml).",
)
language_option = click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the messages; default: the museum's.",
)
user_option = click.option("--user", required=True, help="Who records it.")
note_option = click.option("--note", required=True, help="Why (the log keeps it).")


def _setup(config_path: str, language: str | None) -> tuple[MuseumConfig, InfluxStore, Translator]:
    from museum.description.config import ConfigError, load_config
    from museum.language.i18n import Translator
    from museum.storage.stores import open_store

    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    return config, open_store(config.influxdb, timeout_s=60), Translator(language or config.museum.language)


def _moment(text: str | None, option: str, zone_name: str) -> datetime | None:
    return None if text is None else moment_option(text, option, zone_name)


def _nonblank(option: str, text: str) -> str:
    if not text.strip():
        raise click.BadParameter("must not be empty", param_hint=option)
    return text.strip()


@click.command("move")
@config_option
@click.argument("artefact")
@click.option("--to", "case_id", required=True, help="The case it goes into.")
@click.option(
    "--at",
    "at",
    default=None,
    help="When it moved, ISO 8601 (default now; without an offset, the museum's time zone).",
)
@user_option
@note_option
@language_option
def move(
    config_path: str, artefact: str, case_id: str, at: str | None, user: str, note: str, language: str | None
) -> None:
    """Record that an object moved into a case (now, or at --at for a move made earlier)."""
    from museum.loans.moves import MoveError, record_move
    from museum.storage.store import StoreError

    user, note = _nonblank("--user", user), _nonblank("--note", note)
    config, store, t = _setup(config_path, language)
    try:
        moment = _moment(at, "--at", config.museum.timezone)
        place = record_move(config, store, artefact, case_id, user=user, note=note, at=moment)
    except (MoveError, StoreError, LineProtocolError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    click.echo(
        t(
            "passport.moved",
            artefact=artefact,
            case=place.case_id,
            site=place.site,
            time=t.moment(place.since.tz_convert(config.zone).to_pydatetime()),
        )
    )


@click.group("passport")
def passport() -> None:
    """An object's climate passport: export it for a loan, import it on arrival, add a transit."""


@passport.command("export")
@config_option
@click.argument("artefact")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The passport file to write (.zip).",
)
@click.option("--start", default=None, help="ISO 8601; default 13 months before --end.")
@click.option("--end", default=None, help="ISO 8601 (exclusive); default now.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option(
    "--departs",
    is_flag=True,
    help="The object leaves on loan: record its departure once the passport is written.",
)
@click.option("--to-museum", "to_museum", default=None, help="With --departs: the borrowing museum.")
@click.option(
    "--at",
    "at",
    default=None,
    help="With --departs: when it left, ISO 8601 (default now; without an offset, the museum's time zone).",
)
@click.option("--user", default=None, help="With --departs: who records it.")
@click.option("--note", default=None, help="With --departs: why (the log keeps it).")
@language_option
def passport_export(
    config_path: str,
    artefact: str,
    out: Path,
    start: str | None,
    end: str | None,
    force: bool,
    departs: bool,
    to_museum: str | None,
    at: str | None,
    user: str | None,
    note: str | None,
    language: str | None,
) -> None:
    """Write an object's passport: its description, moves, hourly climate and historic band,
    as a Frictionless data package (zip) with a SHA-256 digest. With --departs, also record
    that the object left on loan (docs/passport.md)."""
    import json
    import zipfile

    from museum.loans.moves import Departure
    from museum.loans.passport import PassportError, export_passport
    from museum.storage.store import StoreError

    given = {"--to-museum": to_museum, "--at": at, "--user": user, "--note": note}
    if not departs:
        for option, value in given.items():
            if value is not None:
                raise click.BadParameter("only with --departs", param_hint=option)
    else:
        for option in ("--to-museum", "--user", "--note"):
            _nonblank(option, given[option] or "")
    config, store, t = _setup(config_path, language)
    try:
        first = _moment(start, "--start", config.museum.timezone)
        last = _moment(end, "--end", config.museum.timezone)
        departure = None
        if departs:
            departure = Departure(
                to_museum or "", user or "", note or "", _moment(at, "--at", config.museum.timezone)
            )
        result = export_passport(config, store, artefact, out, first, last, force, departure)
    except (PassportError, StoreError, LineProtocolError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    click.echo(
        t(
            "passport.exported",
            artefact=artefact,
            path=str(result.path),
            hours=result.hours,
            moves=result.moves,
        )
    )
    if departure is not None and result.departed_at is not None:
        click.echo(
            t(
                "passport.departed",
                artefact=artefact,
                museum=departure.to_museum,
                time=t.moment(result.departed_at.astimezone(config.zone)),
            )
        )
    with zipfile.ZipFile(result.path) as archive:
        band = json.loads(archive.read("historic_band.json"))
        risk = json.loads(archive.read("risk.json"))
    _echo_band(t, band)
    hours = risk.get("hours_per_level") or {}
    if hours:
        from analysis.risk import LEVELS  # pandas: kept off the start of every command

        click.echo(
            t("passport.risk_hours", **{level: t.number(hours.get(level, 0.0), 0) for level in LEVELS})
        )
    click.echo(t("passport.digest", digest=result.digest))


def _echo_band(t: Translator, band: dict[str, Any]) -> None:
    historic = band.get("historic")
    if historic:
        key = "passport.band.historic" if historic["complete"] else "passport.band.provisional"
        click.echo(
            t(
                key,
                lower=t.number(historic["lower_pct"]),
                upper=t.number(historic["upper_pct"]),
                days=t.number(historic["hours"] / 24, 0),
            )
        )
    else:
        click.echo(t("passport.band.none"))
    suitable = band.get("suitable") or {}
    if suitable:
        click.echo(
            t(
                "passport.band.suitable",
                lower=t.number(suitable["lower_pct"]),
                upper=t.number(suitable["upper_pct"]),
                basis=t(f"passport.basis.{suitable['basis']}"),
            )
        )


@passport.command("import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--case", "case_id", required=True, help="The case the object arrives in.")
@click.option("--at", "at", default=None, help="When it arrived, ISO 8601 (default now).")
@user_option
@note_option
@language_option
def passport_import(
    config_path: str, file: Path, case_id: str, at: str | None, user: str, note: str, language: str | None
) -> None:
    """Record an object's arrival from a passport, keeping its history before arrival
    (refused if the file was altered)."""
    from museum.loans.passport import PassportError, import_passport
    from museum.storage.store import StoreError

    user, note = _nonblank("--user", user), _nonblank("--note", note)
    config, store, t = _setup(config_path, language)
    try:
        moment = _moment(at, "--at", config.museum.timezone)
        result, hours = import_passport(config, store, file, case_id, user=user, note=note, at=moment)
    except (PassportError, StoreError, LineProtocolError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    click.echo(
        t(
            "passport.imported",
            artefact=result.artefact.get("id", ""),
            case=case_id,
            hours=hours,
            museum=result.artefact.get("exported_by", ""),
        )
    )
    _echo_band(t, result.band)
    click.echo(t("passport.digest_checked", digest=result.digest))


@passport.command("transit")
@config_option
@click.argument("artefact")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--from", "start", required=True, help="When the object left, ISO 8601.")
@click.option("--to", "end", required=True, help="When it arrived, ISO 8601.")
@click.option("--user", default="patina", show_default=True, help="Who records it.")
@click.option("--note", default="transit", show_default=True, help="Why (the log keeps it).")
@language_option
def passport_transit(
    config_path: str,
    artefact: str,
    file: Path,
    start: str,
    end: str,
    user: str,
    note: str,
    language: str | None,
) -> None:
    """Add a crate logger's file (anything `patina analyse` reads) to an object's history as
    its transit between --from and --to."""
    from museum.loans.passport import PassportError, add_transit
    from museum.storage.store import StoreError

    config, store, t = _setup(config_path, language)
    try:
        first = moment_option(start, "--from", config.museum.timezone)
        last = moment_option(end, "--to", config.museum.timezone)
        hours = add_transit(config, store, artefact, file, first, last, user=user, note=note)
    except (PassportError, StoreError, LineProtocolError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    click.echo(t("passport.transit_added", artefact=artefact, hours=hours, file=file.name))
