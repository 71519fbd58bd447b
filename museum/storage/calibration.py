"""Sensor calibrations in InfluxDB: the log of checks and withdrawals, and the corrections
they make to readings as they are read (docs/calibration.md).

A check is a point of ``sensor_calibrations`` in the retention policy ``patina_forever``
(kept for ever, like the hourly aggregates: a correction must outlive the raw readings it
corrects, since the hourly figures keep it). Nothing is deleted: a check entered by
mistake is *withdrawn* by a later point naming it, with who and why, so the log keeps what
was believed when.

:class:`Corrections` holds the checks in force; :meth:`Corrections.apply` corrects a frame
of readings (raw or aggregated) with the offsets of :mod:`analysis.calibration`, keeping
the measured values in ``temperature_c_raw`` and ``rh_pct_raw``. The store's read path
(:meth:`museum.storage.store.InfluxStore.climate_series`, ``hourly_series``,
``latest_climate``) applies it, so every figure made from a case's readings is corrected.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.calibration import QUANTITIES, CalibrationError, Check, beyond_accuracy, offsets_at
from museum.storage.hourly import HOURLY_POLICY
from museum.storage.influxql import quote_identifier
from museum.storage.lineprotocol import decode_text
from museum.storage.schema import SENSOR_CALIBRATIONS, calibration_line

if TYPE_CHECKING:
    from museum.language.i18n import Translator
    from museum.storage.store import InfluxStore

#: How Patina words a check's reference when it records one (patina calibrate, the case
#: page's form): kept in English in the log, translated when shown (reference_kind_text).
INSTRUMENT_KIND = "reference instrument"
#: Where the log lives, as a query names it.
CALIBRATIONS_TARGET = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(SENSOR_CALIBRATIONS)}"
#: The reading columns each quantity corrects (means, minima and maxima alike).
CORRECTED_COLUMNS = {
    "rh": ("rh_pct", "rh_pct_mean", "rh_pct_min", "rh_pct_max"),
    "temperature": ("temperature_c", "temperature_c_mean", "temperature_c_min", "temperature_c_max"),
}
#: Where the measured value of the first corrected column present (the reading or the mean) is kept.
RAW_COLUMNS = {"rh": "rh_pct_raw", "temperature": "temperature_c_raw"}


def calibrations_query() -> str:
    """Every point of the calibration log (a few per sensor and year)."""
    return f"SELECT * FROM {CALIBRATIONS_TARGET}"


@dataclass(frozen=True)
class CalibrationRecord:
    """One check of one sensor, as recorded, and whether it was withdrawn since."""

    record_id: str
    sensor_id: str
    quantity: str
    time: pd.Timestamp
    reference: float
    measured: float
    user: str
    note: str
    reference_kind: str
    recorded: pd.Timestamp
    withdrawn: pd.Timestamp | None = None
    withdrawn_by: str = ""
    withdrawal_note: str = ""

    @property
    def check(self) -> Check:
        return Check(int(self.time.value), self.reference, self.measured)

    @property
    def error(self) -> float:
        return self.check.error

    @property
    def unit(self) -> str:
        return QUANTITIES[self.quantity]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(decode_text(value))


def records_from(log: pd.DataFrame) -> list[CalibrationRecord]:
    """The checks of a log frame (as :func:`calibrations_query` reads it), oldest first,
    each with its withdrawal when there is one."""
    if log.empty or "kind" not in log:
        return []
    withdrawals = {}
    for row in log[log["kind"] == "withdrawal"].itertuples(index=False):
        withdrawals[_text(row.withdraws)] = row
    records = []
    for row in log[log["kind"] == "check"].sort_values("time", kind="stable").itertuples(index=False):
        gone = withdrawals.get(str(row.record_id))
        records.append(
            CalibrationRecord(
                record_id=str(row.record_id),
                sensor_id=str(row.sensor_id),
                quantity=str(row.quantity),
                time=row.time,
                reference=float(row.reference),
                measured=float(row.measured),
                user=_text(row.user),
                note=_text(row.note),
                reference_kind=_text(getattr(row, "reference_kind", "")),
                recorded=pd.Timestamp(int(row.recorded_ns), unit="ns", tz="UTC"),
                withdrawn=None if gone is None else gone.time,
                withdrawn_by="" if gone is None else _text(gone.user),
                withdrawal_note="" if gone is None else _text(gone.note),
            )
        )
    return records


class Corrections:
    """The checks in force (not withdrawn), by sensor and quantity."""

    def __init__(self, records: Iterable[CalibrationRecord]) -> None:
        self.records = [r for r in records if r.withdrawn is None]
        self._checks: dict[tuple[str, str], list[Check]] = {}
        for record in self.records:
            self._checks.setdefault((record.sensor_id, record.quantity), []).append(record.check)

    def __bool__(self) -> bool:
        return bool(self.records)

    def offset(self, sensor_id: str, quantity: str, time_ns: int) -> float:
        """The offset to add to one reading of ``sensor_id`` taken at ``time_ns``."""
        checks = self._checks.get((sensor_id, quantity))
        if not checks:
            return 0.0
        return float(offsets_at(checks, np.array([time_ns], dtype="int64"))[0])

    def applied(self, sensor_ids: Iterable[str], end: datetime) -> list[CalibrationRecord]:
        """The checks that correct readings of ``sensor_ids`` taken before ``end``: every
        check made before ``end`` (one before a period still corrects it; one after a
        period's start bends the line through it)."""
        wanted = set(sensor_ids)
        until = pd.Timestamp(end)
        return [r for r in self.records if r.sensor_id in wanted and r.time < until]

    def apply(self, data: pd.DataFrame, always: bool = False) -> pd.DataFrame:
        """``data`` (columns ``time``, ``sensor_id`` and reading columns) with the readings
        corrected and the measured values kept in ``rh_pct_raw`` / ``temperature_c_raw``;
        unchanged (no raw column unless ``always``) when no check concerns its sensors."""
        if data.empty or "sensor_id" not in data or "time" not in data:
            return data
        sensors = {str(sensor) for sensor in data["sensor_id"].unique()}  # not a Python loop over rows
        concerned = [key for key in self._checks if key[0] in sensors]
        if not concerned and not always:
            return data
        data = data.copy()
        times = pd.DatetimeIndex(data["time"]).as_unit("ns").asi8
        for quantity in QUANTITIES:
            columns = [c for c in CORRECTED_COLUMNS[quantity] if c in data]
            if not columns:
                continue
            offsets = np.zeros(len(data), dtype=float)
            for sensor_id, checked in concerned:
                if checked == quantity:
                    mine = (data["sensor_id"] == sensor_id).to_numpy()
                    offsets[mine] = offsets_at(self._checks[(sensor_id, quantity)], times[mine])
            data[RAW_COLUMNS[quantity]] = data[columns[0]]
            for column in columns:
                data[column] = data[column].astype(float) + offsets
        return data


def corrections_from(log: pd.DataFrame) -> Corrections:
    return Corrections(records_from(log))


def new_record_id() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class NewCheck:
    """A check as a person enters it."""

    sensor_id: str
    quantity: str
    at: datetime
    reference: float
    measured: float
    user: str
    note: str = ""
    reference_kind: str = INSTRUMENT_KIND


def validated(check: NewCheck, known_sensors: Iterable[str]) -> NewCheck:
    """The check with its texts trimmed, or :class:`CalibrationError` saying what is wrong."""
    known = sorted(set(known_sensors))
    if check.sensor_id not in known:
        raise CalibrationError(f"no sensor {check.sensor_id!r} in the config; known: {', '.join(known)}")
    if check.quantity not in QUANTITIES:
        raise CalibrationError(f"unknown quantity {check.quantity!r}; one of {', '.join(QUANTITIES)}")
    if check.at.tzinfo is None:
        raise CalibrationError("the time of the check needs a UTC offset or a time zone")
    if check.at > datetime.now(UTC):
        raise CalibrationError("the check is in the future: give the time it was made")
    for name, value in (("reference", check.reference), ("sensor value", check.measured)):
        if not math.isfinite(value):
            raise CalibrationError(f"the {name} must be a finite number")
        if check.quantity == "rh" and not 0 <= value <= 100:
            raise CalibrationError(f"the {name} {value:g} % RH is not between 0 and 100")
    if not check.user.strip():
        raise CalibrationError("who made the check must be given")
    return NewCheck(
        check.sensor_id,
        check.quantity,
        check.at,
        float(check.reference),
        float(check.measured),
        check.user.strip(),
        check.note.strip(),
        check.reference_kind.strip() or INSTRUMENT_KIND,
    )


def record_check(store: InfluxStore, check: NewCheck, known_sensors: Iterable[str]) -> CalibrationRecord:
    """Append a check to the log (validated first); the corrections apply from the next read."""
    check = validated(check, known_sensors)
    record_id = new_record_id()
    recorded_ns = time.time_ns()
    time_ns = int(pd.Timestamp(check.at).tz_convert("UTC").value)
    line = calibration_line(
        time_ns,
        sensor_id=check.sensor_id,
        quantity=check.quantity,
        record_id=record_id,
        kind="check",
        fields={
            "reference": check.reference,
            "measured": check.measured,
            "user": check.user,
            "note": check.note,
            "reference_kind": check.reference_kind,
            "recorded_ns": recorded_ns,
        },
    )
    store.ensure_forever()
    store.write_lines([line], policy=HOURLY_POLICY)
    return CalibrationRecord(
        record_id,
        check.sensor_id,
        check.quantity,
        pd.Timestamp(time_ns, unit="ns", tz="UTC"),
        check.reference,
        check.measured,
        check.user,
        check.note,
        check.reference_kind,
        pd.Timestamp(recorded_ns, unit="ns", tz="UTC"),
    )


def withdraw_check(store: InfluxStore, record_id: str, user: str, note: str) -> CalibrationRecord:
    """Append the withdrawal of check ``record_id`` (who and why): from the next read its
    correction no longer applies; the check stays in the log, marked withdrawn."""
    if not user.strip() or not note.strip():
        raise CalibrationError("a withdrawal needs who withdraws it and why")
    found = [r for r in records_from(store.calibration_log()) if r.record_id == record_id]
    if not found:
        raise CalibrationError(f"no calibration record {record_id!r}")
    record = found[0]
    if record.withdrawn is not None:
        raise CalibrationError(f"calibration record {record_id!r} was already withdrawn")
    now_ns = time.time_ns()
    line = calibration_line(
        now_ns,
        sensor_id=record.sensor_id,
        quantity=record.quantity,
        record_id=new_record_id(),
        kind="withdrawal",
        fields={"withdraws": record_id, "user": user.strip(), "note": note.strip(), "recorded_ns": now_ns},
    )
    store.write_lines([line], policy=HOURLY_POLICY)
    withdrawn = pd.Timestamp(now_ns, unit="ns", tz="UTC")
    return CalibrationRecord(**{**record.__dict__, "withdrawn": withdrawn, "withdrawn_by": user.strip()})


def flagged(
    records: Iterable[CalibrationRecord], accuracy: Callable[[str], dict[str, float]]
) -> list[CalibrationRecord]:
    """The latest check in force of each sensor and quantity when its error is beyond the
    sensor's stated accuracy (``accuracy``: sensor id → quantity → ± figure, as
    :meth:`museum.description.config_sensors.SensorsConfig.accuracy_for` gives it)."""
    latest: dict[tuple[str, str], CalibrationRecord] = {}
    for record in records:
        if record.withdrawn is None:
            latest[(record.sensor_id, record.quantity)] = record
    out = []
    for (sensor_id, quantity), record in sorted(latest.items()):
        limit = accuracy(sensor_id)[quantity]
        if beyond_accuracy(record.check, limit):
            out.append(record)
    return out


_SALT_KIND = re.compile(r"salt (?P<salt>\S+) at (?P<temperature>-?[0-9.]+) °C \(Greenspan 1977\)")


def salt_kind(salt: str, temperature_c: float) -> str:
    """The recorded reference of a check against a saturated salt."""
    return f"salt {salt} at {temperature_c:g} °C (Greenspan 1977)"


def reference_kind_text(kind: str, t: Translator) -> str:
    """A check's reference in the reader's language: the reference instrument, or a
    saturated salt at its temperature; a reference someone wrote in their own words stays
    as written."""
    if kind == INSTRUMENT_KIND:
        return t("calibration.form.instrument")
    salt = _SALT_KIND.fullmatch(kind)
    if salt is None:
        return kind
    temperature_c = float(salt["temperature"])
    digits = 0 if temperature_c.is_integer() else 1
    return t("calibration.kind.salt", salt=salt["salt"], temperature=t.number(temperature_c, digits))


def unit_text(quantity: str, t: Translator) -> str:
    """The unit of a quantity checked, as the reader's language writes it ("% HR" in French)."""
    return t("calibration.unit.rh") if quantity == "rh" else QUANTITIES[quantity]
