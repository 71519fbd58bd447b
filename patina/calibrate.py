"""`patina calibrate record|list|withdraw`: a sensor's check against a reference (a
hygrometer, a thermometer, a saturated salt), the log of checks, and the withdrawal of one
entered by mistake (the log is :mod:`museum.storage.calibration`; docs/calibration.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from museum.language.i18n import LANGUAGES
from patina.options import config_option, load, moment_option

if TYPE_CHECKING:
    from museum.description.config import MuseumConfig
    from museum.language.i18n import Translator
    from museum.storage.calibration import CalibrationRecord

SALTS = ("LiCl", "MgCl2", "Mg(NO3)2", "NaCl", "KCl", "K2SO4")
language_option = click.option(
    "--language", type=click.Choice(LANGUAGES), default=None, help="Output language. Default: the museum's."
)


@click.group()
def calibrate() -> None:
    """Sensor calibration checks: record one, list them, withdraw one."""


def _translator(config: MuseumConfig, language: str | None) -> Translator:
    from museum.language.i18n import Translator

    return Translator(language or config.museum.language)


def record_text(record: CalibrationRecord, t: Translator, zone: Any) -> str:
    """One check on one line, for a person, in the translator's language."""
    from museum.storage.calibration import reference_kind_text, unit_text

    note = f" — {' / '.join(record.note.splitlines())}" if record.note else ""
    state = ""
    if record.withdrawn is not None:
        state = t(
            "calibration.withdrawn_state",
            time=t.moment(record.withdrawn.tz_convert(zone).to_pydatetime(warn=False)),
            user=record.withdrawn_by,
            note=" / ".join(record.withdrawal_note.splitlines()),
        )
    return (
        t(
            "calibration.line",
            id=record.record_id,
            time=t.moment(record.time.tz_convert(zone).to_pydatetime(warn=False)),
            sensor=record.sensor_id,
            quantity=t(f"calibration.quantity.{record.quantity}"),
            reference=t.number(record.reference, 2),
            measured=t.number(record.measured, 2),
            error=t.number(record.error, 2),
            unit=unit_text(record.quantity, t),
            user=record.user,
            source=reference_kind_text(record.reference_kind, t),
        )
        + f"{note}{state}"
    )


def as_json(record: CalibrationRecord, flagged: bool) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "sensor_id": record.sensor_id,
        "quantity": record.quantity,
        "time": record.time.isoformat(),
        "reference": record.reference,
        "measured": record.measured,
        "error": round(record.error, 6),
        "unit": record.unit,
        "reference_kind": record.reference_kind,
        "user": record.user,
        "note": record.note,
        "recorded": record.recorded.isoformat(),
        "withdrawn": None if record.withdrawn is None else record.withdrawn.isoformat(),
        "withdrawn_by": record.withdrawn_by,
        "withdrawal_note": record.withdrawal_note,
        "beyond_accuracy": flagged,
    }


@calibrate.command("record")
@config_option
@click.option("--sensor", "sensor_id", required=True, help="The sensor checked.")
@click.option(
    "--quantity",
    type=click.Choice(["rh", "temperature"]),
    default="rh",
    show_default=True,
    help="What was checked.",
)
@click.option("--reference", type=float, help="What the reference read (% RH or °C).")
@click.option(
    "--salt", type=click.Choice(SALTS), help="A saturated salt as reference (Greenspan 1977), instead."
)
@click.option("--temperature-c", type=float, help="The salt's temperature, °C (with --salt).")
@click.option("--sensor-value", "measured", type=float, required=True, help="What the sensor read.")
@click.option("--at", "at_text", required=True, help="When the check was made (museum's zone unless given).")
@click.option("--user", required=True, help="Who made the check.")
@click.option("--note", default="", help="How (the box, the instrument and its certificate).")
@language_option
def calibrate_record(
    config_path: str,
    sensor_id: str,
    quantity: str,
    reference: float | None,
    salt: str | None,
    temperature_c: float | None,
    measured: float,
    at_text: str,
    user: str,
    note: str,
    language: str | None,
) -> None:
    """Record a check: from its time on, the sensor's readings are corrected."""
    from analysis.calibration import CalibrationError, beyond_accuracy, salt_rh_pct
    from museum.storage.calibration import INSTRUMENT_KIND, NewCheck, record_check, salt_kind, unit_text
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    t = _translator(config, language)
    if (reference is None) == (salt is None):
        raise click.UsageError("give either --reference or --salt with --temperature-c")
    source = INSTRUMENT_KIND
    try:
        if salt is not None:
            if temperature_c is None or quantity != "rh":
                raise click.UsageError("--salt is an RH reference and needs --temperature-c")
            reference = salt_rh_pct(salt, temperature_c)
            source = salt_kind(salt, temperature_c)
        assert reference is not None
        at = moment_option(at_text, "--at", config.museum.timezone)
        sensors = [s for case in config.cases for s in case.sensors]
        check = NewCheck(sensor_id, quantity, at, reference, measured, user, note, source)
        record = record_check(open_store(config.influxdb, timeout_s=10), check, sensors)
    except (CalibrationError, StoreError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(t("calibration.recorded", id=record.record_id))
    click.echo(record_text(record, t, config.zone))
    accuracy = config.sensors.accuracy_for(sensor_id)[quantity]
    key = "calibration.beyond" if beyond_accuracy(record.check, accuracy) else "calibration.within"
    click.echo(t(key, accuracy=t.number(accuracy, 1), unit=unit_text(record.quantity, t)))


@calibrate.command("list")
@config_option
@click.option("--sensor", "sensor_id", default=None, help="Only this sensor's checks.")
@click.option("--json", "json_out", is_flag=True, help="One JSON list, oldest first.")
@language_option
def calibrate_list(config_path: str, sensor_id: str | None, json_out: bool, language: str | None) -> None:
    """Every check recorded, oldest first, withdrawn ones marked; flags errors beyond accuracy."""
    from museum.storage.calibration import flagged, records_from
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    t = _translator(config, language)
    try:
        records = records_from(open_store(config.influxdb, timeout_s=10).calibration_log())
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    beyond = {r.record_id for r in flagged(records, config.sensors.accuracy_for)}
    records = [r for r in records if sensor_id is None or r.sensor_id == sensor_id]
    if json_out:
        click.echo(
            json.dumps([as_json(r, r.record_id in beyond) for r in records], ensure_ascii=False, indent=2)
        )
        return
    if not records:
        click.echo(t("calibration.none"))
    for record in records:
        flag = f"  [{t('calibration.flag')}]" if record.record_id in beyond else ""
        click.echo(record_text(record, t, config.zone) + flag)


@calibrate.command("withdraw")
@config_option
@click.argument("record_id")
@click.option("--user", required=True, help="Who withdraws it.")
@click.option("--note", required=True, help="Why.")
@language_option
def calibrate_withdraw(config_path: str, record_id: str, user: str, note: str, language: str | None) -> None:
    """Withdraw a check entered by mistake: its correction stops; the log keeps it, marked."""
    from analysis.calibration import CalibrationError
    from museum.storage.calibration import withdraw_check
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    t = _translator(config, language)
    try:
        record = withdraw_check(open_store(config.influxdb, timeout_s=10), record_id, user, note)
    except (CalibrationError, StoreError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(t("calibration.withdrawn", id=record.record_id, sensor=record.sensor_id))
