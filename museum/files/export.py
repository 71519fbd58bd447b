"""Researchers' export: any cases, any period, raw or resampled, with citable metadata.

:func:`export` streams the period in time chunks from InfluxDB (memory stays bounded
whatever the range) and writes CSV (with a Frictionless Data package named after the
export, ``<name>.datapackage.json``, beside it), Parquet (the same metadata in the schema, key
``patina``) or XLSX (a second sheet ``metadata``). Times are ISO 8601 with the UTC offset
of the requested time zone, so a daylight-saving change is unambiguous: the repeated
autumn hour appears twice with two offsets, the missing spring hour not at all.

Resampled rows (``every``) carry mean, min and max of each variable and the number of
readings per interval; intervals without readings are kept with a count of 0 and empty
values, so gaps stay gaps.

Files are written as :mod:`museum.files.staging` says: existing ones are refused unless
``force``, everything goes through temporaries renamed at the end, and a failed or
empty export leaves the folder as it found it. Text cells of CSV and XLSX that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
CR) are prefixed with ``'`` (OWASP, "CSV Injection"); numbers stay numbers.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from analysis.psychrometrics import dew_point
from museum.description.config import MuseumConfig
from museum.description.secrets import redact_url
from museum.files.staging import OutputError, Staging
from museum.storage.calibration import Corrections, corrections_from
from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.schema import ALERT_EVENTS, CLIMATE, RISK
from museum.storage.store import InfluxStore, decode_text_columns
from museum.storage.stores import open_store

FORMATS = ("csv", "parquet", "xlsx")
#: First characters that make a spreadsheet cell a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would evaluate, prefixed with ``'`` so it stays text;
    anything else (numbers, negative ones included) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    return out


EXTRAS = ("risk", "alerts")
#: Decimals of the dew point Patina computes (the measured columns are written as measured).
DEW_POINT_DECIMALS = 2

FIELDS_RAW: list[dict[str, str]] = [
    {"name": "time", "type": "datetime", "description": "Time of the reading, ISO 8601 with the UTC offset"},
    {"name": "site", "type": "string", "description": "Site id (museum config)"},
    {"name": "case_id", "type": "string", "description": "Display case id"},
    {"name": "sensor_id", "type": "string", "description": "Sensor id"},
    {
        "name": "temperature_c",
        "type": "number",
        "unit": "°C",
        "description": "Air temperature, corrected by the calibration checks in metadata `calibrations`",
    },
    {
        "name": "rh_pct",
        "type": "number",
        "unit": "%",
        "description": "Relative humidity, corrected by the calibration checks in metadata `calibrations`",
    },
    {
        "name": "dew_point_c",
        "type": "number",
        "unit": "°C",
        "description": "Dew point, Magnus form (Alduchov & Eskridge 1996), computed by Patina",
    },
    {"name": "battery_pct", "type": "number", "unit": "%", "description": "Sensor battery"},
    {
        "name": "temperature_c_raw",
        "type": "number",
        "unit": "°C",
        "description": "Air temperature as the sensor measured it, before calibration corrections",
    },
    {
        "name": "rh_pct_raw",
        "type": "number",
        "unit": "%",
        "description": "Relative humidity as the sensor measured it, before calibration corrections",
    },
]


def _resampled_fields() -> list[dict[str, str]]:
    fields = [
        dict(FIELDS_RAW[0], description="Start of the interval, ISO 8601 with the UTC offset"),
        *FIELDS_RAW[1:4],
    ]
    for base in ("temperature_c", "rh_pct"):
        spec = next(f for f in FIELDS_RAW if f["name"] == base)
        for stat in ("mean", "min", "max"):
            fields.append(
                {
                    **spec,
                    "name": f"{base}_{stat}",
                    "description": f"{spec['description']}: {stat} over the interval",
                }
            )
        raw = next(f for f in FIELDS_RAW if f["name"] == f"{base}_raw")
        fields.append({**raw, "name": f"{base}_mean_raw", "description": f"{raw['description']}: mean"})
    dew = next(f for f in FIELDS_RAW if f["name"] == "dew_point_c")
    fields.append(
        {
            **dew,
            "name": "dew_point_c_mean",
            "description": f"{dew['description']}, from the interval's mean temperature and RH",
        }
    )
    fields.append(
        {
            "name": "readings",
            "type": "integer",
            "description": "Number of readings in the interval (0: a gap)",
        }
    )
    return fields


class ExportError(ValueError):
    """The export cannot be made as asked; the message says what to change."""


@dataclass
class ExportRequest:
    start: datetime
    end: datetime
    case_ids: Sequence[str] = ()
    galleries: Sequence[str] = ()
    site: str | None = None
    every: timedelta | None = None
    timezone: str | None = None
    include: Sequence[str] = ()
    format: str = "csv"


@dataclass
class ExportResult:
    rows: int
    files: list[Path] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def select_cases(config: MuseumConfig, request: ExportRequest) -> list[str]:
    """The case ids the request names (all cases when it names none)."""
    known = [case.id for case in config.cases]
    unknown = [c for c in request.case_ids if c not in known]
    if unknown:
        raise ExportError(f"unknown case {', '.join(map(repr, unknown))}; known cases: {', '.join(known)}")
    galleries = list(config.galleries)
    missing = [g for g in request.galleries if g not in galleries]
    if missing:
        raise ExportError(f"unknown gallery {', '.join(map(repr, missing))}; known: {', '.join(galleries)}")
    if request.site is not None and request.site not in [s.id for s in config.sites]:
        raise ExportError(f"unknown site {request.site!r}; known: {', '.join(s.id for s in config.sites)}")
    chosen = [
        case
        for case in config.cases
        if (not request.case_ids or case.id in request.case_ids)
        and (not request.galleries or case.gallery in request.galleries)
        and (request.site is None or case.site == request.site)
    ]
    return [case.id for case in chosen]


def _chunks(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime, datetime]]:
    cursor = start
    while cursor < end:
        yield cursor, min(cursor + size, end)
        cursor += size


def _case_filter(case_ids: list[str]) -> str:
    return "(" + " OR ".join(f"case_id = {quote_literal(c)}" for c in case_ids) + ")"


def climate_query(
    case_ids: list[str], start: datetime, end: datetime, every: timedelta | None, zone: str
) -> str:
    where = f"WHERE {_case_filter(case_ids)} AND time >= {time_literal(start)} AND time < {time_literal(end)}"
    if every is None:
        return (
            f"SELECT temperature_c, rh_pct, battery_pct FROM {quote_identifier(CLIMATE)} {where} "
            "GROUP BY site, case_id, sensor_id"
        )
    stats = ", ".join(
        f"{fn}({v}) AS {v}_{fn}" for v in ("temperature_c", "rh_pct") for fn in ("mean", "min", "max")
    )
    # Days and longer align to local midnight in the requested zone (InfluxQL tz()).
    align = f" tz({quote_literal(zone)})" if every >= timedelta(days=1) else ""
    return (
        f"SELECT {stats}, count(rh_pct) AS readings FROM {quote_identifier(CLIMATE)} {where} "
        f"GROUP BY time({int(every.total_seconds())}s), site, case_id, sensor_id fill(null){align}"
    )


def _raw_chunk(store: InfluxStore, query: str, zone: ZoneInfo, corrections: Corrections) -> pd.DataFrame:
    data = store.frame(query)
    if data.empty:
        return data
    data = data.sort_values(["time", "site", "case_id", "sensor_id"], kind="stable", ignore_index=True)
    data = corrections.apply(data, always=True)
    # Two decimals: the sensors' own resolution is 0.1 °C / 0.1 % RH, and sixteen digits of a
    # computed dew point would claim a precision no reading has.
    data["dew_point_c"] = dew_point(data["temperature_c"].astype(float), data["rh_pct"].astype(float)).round(
        DEW_POINT_DECIMALS
    )
    data["time"] = data["time"].dt.tz_convert(zone)
    return data[[f["name"] for f in FIELDS_RAW]]


def _resampled_chunk(
    store: InfluxStore, query: str, zone: ZoneInfo, corrections: Corrections
) -> pd.DataFrame:
    data = store.frame(query)
    if data.empty:
        return data
    data = data.sort_values(["time", "site", "case_id", "sensor_id"], kind="stable", ignore_index=True)
    data = corrections.apply(data, always=True).rename(
        columns={"temperature_c_raw": "temperature_c_mean_raw", "rh_pct_raw": "rh_pct_mean_raw"}
    )
    data["readings"] = data["readings"].fillna(0).astype("int64")
    data["dew_point_c_mean"] = dew_point(
        data["temperature_c_mean"].astype(float), data["rh_pct_mean"].astype(float)
    ).round(DEW_POINT_DECIMALS)
    data["time"] = data["time"].dt.tz_convert(zone)
    return data[[f["name"] for f in _resampled_fields()]]


def _extra_frame(
    store: InfluxStore, measurement: str, case_ids: list[str], start: datetime, end: datetime, zone: ZoneInfo
) -> pd.DataFrame:
    condition = (
        f" WHERE {_case_filter(case_ids)} AND time >= {time_literal(start)} AND time < {time_literal(end)}"
    )
    if measurement == ALERT_EVENTS:  # a log kept for ever (museum.storage.logs)
        data = store.log_frame(measurement, condition)
    else:
        data = store.frame(f"SELECT * FROM {quote_identifier(measurement)}{condition}")
    if not data.empty:
        data = decode_text_columns(data.sort_values("time", kind="stable", ignore_index=True))
        data["time"] = data["time"].dt.tz_convert(zone)
    return data


def _iso(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["time"] = out["time"].map(lambda t: t.isoformat())
    return out


def metadata(
    config: MuseumConfig,
    request: ExportRequest,
    case_ids: list[str],
    zone: str,
    queries: list[str],
    fields: list[dict[str, str]],
) -> dict[str, Any]:
    # The installed distribution's version: museum/ must not reach up into patina/.
    __version__ = importlib.metadata.version("patina")
    cases = [config.case(c) for c in case_ids]
    return {
        "museum": config.museum.name,
        "timezone": zone,
        "period": {"start": request.start.isoformat(), "end": request.end.isoformat()},
        "aggregation": None
        if request.every is None
        else {
            "interval_s": int(request.every.total_seconds()),
            "statistics": ["mean", "min", "max", "count"],
            "gaps": "intervals without readings are kept with readings = 0 and empty values",
        },
        "cases": [
            {
                "id": c.id,
                "site": c.site,
                "gallery": c.gallery,
                "name": c.name,
                "sensors": list(c.sensors),
                "artefacts": [
                    {"id": a.id, "name": a.name, "materials": list(a.materials)} for a in c.artefacts
                ],
            }
            for c in cases
        ],
        "query": queries[0] if queries else "",
        "fields": fields,
        "generator": f"Patina {__version__}",
        "exported_at": datetime.now(ZoneInfo(zone)).isoformat(),
    }


def calibrations_metadata(
    config: MuseumConfig, case_ids: list[str], end: datetime, corrections: Corrections
) -> list[dict[str, Any]]:
    """The calibration checks that correct the exported readings (docs/calibration.md)."""
    sensors = [s for c in case_ids for s in config.case(c).sensors]
    return [
        {
            "record_id": r.record_id,
            "sensor_id": r.sensor_id,
            "quantity": r.quantity,
            "checked_at": r.time.isoformat(),
            "reference": r.reference,
            "sensor_value": r.measured,
            "error": round(r.error, 6),
            "unit": r.unit,
            "reference_kind": r.reference_kind,
            "user": r.user,
            "rule": "offset = reference - sensor value; none before a sensor's first check, "
            "linear between two checks, the last check's after it",
        }
        for r in corrections.applied(sensors, end)
    ]


def output_paths(out: Path, fmt: str, include: Sequence[str]) -> list[Path]:
    """Every file an export to ``out`` writes: the data, its extras and (CSV) its package."""
    out = Path(out)
    if fmt == "xlsx":
        return [out]
    paths = [out, *(out.with_name(f"{out.stem}.{name}.{fmt}") for name in include)]
    if fmt == "csv":
        paths.append(out.with_name(f"{out.stem}.datapackage.json"))
    return paths


def export(
    config: MuseumConfig,
    request: ExportRequest,
    out: Path,
    progress: Callable[[int], None] | None = None,
    store: InfluxStore | None = None,
    force: bool = False,
) -> ExportResult:
    """Write the export to ``out`` (and, for CSV, ``<stem>.datapackage.json`` and any extra
    resources beside it). Existing files are refused unless ``force``. ``progress`` is
    called with the number of chunks done."""
    if request.format not in FORMATS:
        raise ExportError(f"unknown format {request.format!r}; one of {', '.join(FORMATS)}")
    if request.start.tzinfo is None or request.end.tzinfo is None:
        raise ExportError("start and end need a UTC offset or a time zone")
    if request.end <= request.start:
        raise ExportError("the end of the period must come after its start")
    unknown_extras = set(request.include) - set(EXTRAS)
    if unknown_extras:
        raise ExportError(f"cannot include {', '.join(sorted(unknown_extras))}; one of {', '.join(EXTRAS)}")
    case_ids = select_cases(config, request)
    if not case_ids:
        raise ExportError("the selection names no case")
    zone_name = request.timezone or config.museum.timezone
    zone = ZoneInfo(zone_name)
    store = store or open_store(config.influxdb, timeout_s=60)
    out = Path(out)
    try:
        staging = Staging(output_paths(out, request.format, request.include), force)
    except OutputError as error:
        raise ExportError(str(error)) from None
    if not store.ping():
        raise ExportError(f"InfluxDB at {redact_url(config.influxdb.url)} is unreachable")
    every = request.every
    # Chunks of about 200,000 rows for a dozen one-minute sensors; a multiple of the interval.
    chunk = timedelta(days=7) if every is None else max(timedelta(days=30), every * 500)
    if every is not None:
        chunk = every * max(1, round(chunk / every))
    fields = FIELDS_RAW if every is None else _resampled_fields()
    queries = [climate_query(case_ids, request.start, request.end, every, zone_name)]
    corrections = corrections_from(store.calibration_log())
    meta = metadata(config, request, case_ids, zone_name, queries, fields)
    meta["calibrations"] = calibrations_metadata(config, case_ids, request.end, corrections)
    try:
        writer = _writer(request.format, out, fields, meta, staging)
        rows = 0
        for done, (start, end) in enumerate(_chunks(request.start, request.end, chunk), start=1):
            query = climate_query(case_ids, start, end, every, zone_name)
            chunk_of = _raw_chunk if every is None else _resampled_chunk
            frame = chunk_of(store, query, zone, corrections)
            if not frame.empty:
                writer.write(frame)
                rows += len(frame)
            if progress:
                progress(done)
        extras = {
            name: _extra_frame(
                store, RISK if name == "risk" else ALERT_EVENTS, case_ids, request.start, request.end, zone
            )
            for name in request.include
        }
        files = writer.close(extras)
        if rows == 0:
            raise ExportError(
                f"no readings for {', '.join(case_ids)} between {request.start.isoformat()} "
                f"and {request.end.isoformat()}"
            )
        staging.commit()
    except OutputError as error:
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"--out: cannot write {out}: {error.strerror or error}") from None
    finally:
        staging.discard()
    return ExportResult(rows=rows, files=files, metadata=meta)


def chunk_count(request: ExportRequest) -> int:
    every = request.every
    chunk = timedelta(days=7) if every is None else max(timedelta(days=30), every * 500)
    return max(1, -(-(request.end - request.start) // chunk))


class _Writer:
    def write(self, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def close(self, extras: dict[str, pd.DataFrame]) -> list[Path]:
        raise NotImplementedError


def _writer(
    fmt: str, out: Path, fields: list[dict[str, str]], meta: dict[str, Any], staging: Staging
) -> _Writer:
    writer_class = {"csv": _CsvWriter, "parquet": _ParquetWriter, "xlsx": _XlsxWriter}[fmt]
    return writer_class(out, fields, meta, staging)


class _CsvWriter(_Writer):
    def __init__(
        self, out: Path, fields: list[dict[str, str]], meta: dict[str, Any], staging: Staging
    ) -> None:
        self.out, self.fields, self.meta, self.staging = out, fields, meta, staging
        self.handle = staging.path(out).open("w", newline="", encoding="utf-8")
        csv.writer(self.handle).writerow([f["name"] for f in fields])

    def write(self, frame: pd.DataFrame) -> None:
        _neutralised(_iso(frame)).to_csv(self.handle, header=False, index=False, lineterminator="\n")

    def close(self, extras: dict[str, pd.DataFrame]) -> list[Path]:
        self.handle.close()
        files = [self.out]
        resources = [
            {
                "name": "climate",
                "path": self.out.name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": self.fields},
            }
        ]
        for name, frame in extras.items():
            path = self.out.with_name(f"{self.out.stem}.{name}.csv")
            (_neutralised(_iso(frame)) if not frame.empty else frame).to_csv(
                self.staging.path(path), index=False
            )
            files.append(path)
            resources.append(
                {
                    "name": name,
                    "path": path.name,
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "schema": {
                        "fields": [
                            {"name": c, "type": "datetime" if c == "time" else "any"} for c in frame.columns
                        ]
                        or [{"name": "time", "type": "datetime"}]
                    },
                }
            )
        package = {
            "profile": "tabular-data-package",
            "name": "patina-climate-export",
            "title": f"{self.meta['museum']}: display-case climate",
            "created": self.meta["exported_at"],
            "resources": resources,
            "patina": {k: v for k, v in self.meta.items() if k != "fields"},
        }
        # Named after the export, so a second export into the folder keeps the first's.
        path = self.out.with_name(f"{self.out.stem}.datapackage.json")
        text = json.dumps(package, ensure_ascii=False, indent=2)
        self.staging.path(path).write_text(text, encoding="utf-8")
        return [*files, path]


class _ParquetWriter(_Writer):
    def __init__(
        self, out: Path, fields: list[dict[str, str]], meta: dict[str, Any], staging: Staging
    ) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa, self.pq, self.out, self.meta, self.staging = pa, pq, out, meta, staging
        types = {
            "datetime": pa.string(),
            "string": pa.string(),
            "number": pa.float64(),
            "integer": pa.int64(),
        }
        self.schema = pa.schema(
            [
                pa.field(
                    f["name"],
                    types[f["type"]],
                    metadata={k: v for k, v in f.items() if k in ("unit", "description")},
                )
                for f in fields
            ],
            metadata={"patina": json.dumps(meta, ensure_ascii=False)},
        )
        self.writer = pq.ParquetWriter(staging.path(out), self.schema)

    def write(self, frame: pd.DataFrame) -> None:
        table = self.pa.Table.from_pandas(_iso(frame), schema=self.schema, preserve_index=False)
        self.writer.write_table(table)

    def close(self, extras: dict[str, pd.DataFrame]) -> list[Path]:
        self.writer.close()
        files = [self.out]
        for name, frame in extras.items():
            path = self.out.with_name(f"{self.out.stem}.{name}.parquet")
            (_iso(frame) if not frame.empty else frame).to_parquet(self.staging.path(path), index=False)
            files.append(path)
        return files


class _XlsxWriter(_Writer):
    def __init__(
        self, out: Path, fields: list[dict[str, str]], meta: dict[str, Any], staging: Staging
    ) -> None:
        from openpyxl import Workbook

        self.out, self.fields, self.meta, self.staging = out, fields, meta, staging
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("climate")
        self.sheet.append([f["name"] for f in fields])
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.rows + len(frame) > 1_048_575:
            raise ExportError("more rows than an XLSX sheet holds (1,048,576): use --every, csv or parquet")
        for row in _neutralised(_iso(frame)).itertuples(index=False):
            self.sheet.append([None if isinstance(v, float) and v != v else v for v in row])
        self.rows += len(frame)

    def close(self, extras: dict[str, pd.DataFrame]) -> list[Path]:
        for name, frame in extras.items():
            sheet = self.book.create_sheet(name)
            sheet.append(list(frame.columns))
            for row in (_neutralised(_iso(frame)) if not frame.empty else frame).itertuples(index=False):
                sheet.append([None if isinstance(v, float) and v != v else v for v in row])
        meta = self.book.create_sheet("metadata")
        meta.append(["field", "unit", "description"])
        for f in self.fields:
            meta.append([f["name"], f.get("unit", ""), f["description"]])
        meta.append([])
        for key in ("museum", "timezone", "generator", "exported_at", "query"):
            meta.append([key, "", neutralise_formula(str(self.meta[key]))])
        meta.append(
            [
                "metadata (JSON)",
                "",
                json.dumps({k: v for k, v in self.meta.items() if k != "fields"}, ensure_ascii=False),
            ]
        )
        self.book.save(self.staging.path(self.out))
        return [self.out]
