"""Reading the climate files that stand-alone loggers export (docs/loggers.md).

Reading a file is three steps, each in its own module:

1. :mod:`~museum.files.loggers.source`: bytes → a grid of text cells (encoding, separator,
   workbook sheets);
2. :mod:`~museum.files.loggers.layouts`: recognisers, one per logger family, say where the data
   start and what each column holds;
3. :mod:`~museum.files.loggers.normalise`: one normaliser turns that into readings per sensor,
   in °C, % RH, lux and mW/m² on a UTC index, deciding decimal marks and date order from
   the whole file and refusing impossible values with a reason.

:func:`read_logger_files` is the entry point; ``patina analyse`` and ``patina replay`` use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from museum.files.loggers.layouts import RECOGNISERS, Channel, TableSpec, recognise, unrecognised
from museum.files.loggers.normalise import (
    COLUMNS,
    FileReading,
    SensorRecord,
    normalise,
)
from museum.files.loggers.source import LoggerFileError, read_sheets

__all__ = [
    "RECOGNISERS",
    "Channel",
    "FileReading",
    "LoggerFileError",
    "SensorRecord",
    "TableSpec",
    "read_logger_file",
    "read_logger_files",
]


def read_logger_file(
    path: str | Path, timezone_name: str | None = None, sheet: str | None = None
) -> FileReading:
    """Read one logger export (text or workbook).

    ``timezone_name``: IANA zone of times written without an offset (None: UTC, said so in
    the report). ``sheet``: the workbook sheet to read (default: the first that holds
    readings). Raises :class:`LoggerFileError` naming the file and the reason.
    """
    file = Path(path)
    try:
        sheets = read_sheets(file)
        if sheet is not None:
            chosen = [s for s in sheets if s.name == sheet]
            if not chosen:
                raise LoggerFileError(f"no sheet {sheet!r}; sheets: {', '.join(s.name for s in sheets)}")
            sheets = chosen
        reasons: list[str] = []
        for candidate in sheets:
            spec = recognise(candidate)
            if spec is None:
                reasons.append(f"{candidate.name}: {unrecognised(candidate)}")
                continue
            try:
                reading = normalise(candidate, spec, str(file), timezone_name, file.stem)
            except LoggerFileError as error:
                reasons.append(f"{candidate.name}: {error}")
                continue
            if len(sheets) > 1 or sheet is not None:
                reading.notes.append(f"sheet {candidate.name!r} read")
            return reading
        if len(reasons) == 1:
            raise LoggerFileError(reasons[0].split(": ", 1)[1])
        raise LoggerFileError("no sheet holds readings (" + "; ".join(reasons) + ")")
    except LoggerFileError as error:
        raise LoggerFileError(f"{file}: {error}") from None
    except (OSError, MemoryError) as error:
        raise LoggerFileError(f"{file}: cannot be read ({error})") from None


def _span(record: SensorRecord) -> str:
    index = record.readings.index
    return f"{index[0].date().isoformat()}…{index[-1].date().isoformat()}"


def _join(readings: list[FileReading]) -> SensorRecord:
    """One record from files of one quantity each (a BMS's temperature and RH files),
    joined on time; refused, saying so, when the files share no time."""
    records = [next(iter(r.sensors.values())) for r in readings]
    starts = [rec.readings.index[0] for rec in records]
    ends = [rec.readings.index[-1] for rec in records]
    spans = " and ".join(_span(rec) for rec in records)
    if max(starts) > min(ends):
        raise LoggerFileError(f"these {len(records)} files do not overlap in time: {spans}")
    columns = [COLUMNS[q] for rec in records for q in rec.quantities]
    joined = pd.concat([rec.readings[[COLUMNS[q] for q in rec.quantities]] for rec in records], axis=1)
    joined = joined.T.groupby(level=0).first().T
    joined = joined.reindex(columns=list(dict.fromkeys(["temperature_c", "rh_pct", *columns])))
    if joined[list(dict.fromkeys(columns))].dropna().empty:
        raise LoggerFileError(
            f"these {len(records)} files overlap in time ({spans}) but no time appears in all of them: "
            "their readings cannot be joined"
        )
    return SensorRecord(
        name=" + ".join(rec.name for rec in records),
        readings=joined.sort_index(),
        columns={q: h for rec in records for q, h in rec.columns.items()},
        rows_read=sum(r.rows_read for r in records),
        rows_without_values=sum(r.rows_without_values for r in records),
        rejected=sum(r.rejected for r in records),
        rejected_reasons={
            k: sum(r.rejected_reasons.get(k, 0) for r in records)
            for rec in records
            for k in rec.rejected_reasons
        },
        first_rejected_rows=[n for r in records for n in r.first_rejected_rows][:5],
        duplicated_times=sum(r.duplicated_times for r in records),
        repeated_local_times=sum(r.repeated_local_times for r in records),
        nonexistent_local_times=sum(r.nonexistent_local_times for r in records),
        standard_time_years=sorted({y for r in records for y in r.standard_time_years}),
        rh_saturated=sum(r.rh_saturated for r in records),
        clock_resets=[c for r in records for c in r.clock_resets],
    )


def read_logger_files(
    paths: Sequence[str | Path], timezone_name: str | None = None, sheet: str | None = None
) -> FileReading:
    """Read one file, or several that together make one record: a building-management
    export (Trend) writes temperature and RH of one place in two one-column files, joined
    here on time. Files that each hold whole sensors are kept as separate sensors."""
    readings = [read_logger_file(p, timezone_name, sheet) for p in paths]
    if len(readings) == 1:
        return readings[0]
    first = readings[0]
    if all(len(r.sensors) == 1 and len(next(iter(r.sensors.values())).quantities) == 1 for r in readings):
        try:
            record = _join(readings)
        except LoggerFileError as error:
            raise LoggerFileError(f"{' + '.join(r.path for r in readings)}: {error}") from None
        return replace(
            first,
            path=" + ".join(r.path for r in readings),
            layout=" + ".join(dict.fromkeys(r.layout for r in readings)),
            decimal_marks={k: v for r in readings for k, v in r.decimal_marks.items()},
            conversions=[c for r in readings for c in r.conversions],
            rows_read=sum(r.rows_read for r in readings),
            sensors={record.name: record},
            notes=[*first.notes, f"{len(readings)} files joined on time"],
            files_joined=len(readings),
            remarks=[m for r in readings for m in r.remarks],
        )
    sensors: dict[str, SensorRecord] = {}
    for r in readings:
        for name, rec in r.sensors.items():
            key = name if name not in sensors else f"{Path(r.path).stem} · {name}"
            sensors[key] = replace(rec, name=key)
    return replace(
        first,
        path=" + ".join(r.path for r in readings),
        sensors=sensors,
        rows_read=sum(r.rows_read for r in readings),
    )
