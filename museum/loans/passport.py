"""An object's passport: its description, moves and hourly climate as a Frictionless data
package in one zip, which travels with a loan (docs/passport.md).

Layout of the zip: ``datapackage.json`` and five resources, ``artefact.json`` (the
object's description and the lending museum), ``moves.csv``, ``climate.csv`` (one row per
hour, ``time`` ISO 8601 with the museum's UTC offset), ``historic_band.json`` and
``risk.json`` (the risk model over the history). Each
resource states its SHA-256 (``hash``, as Frictionless writes it); the package states a
digest over those (``patina.digest``: SHA-256 of the lines ``<path> <sha256>`` sorted by
path), which a borrower can compare with the one the lender sent. Import refuses a
package whose files do not match what it states. It is an integrity check, not a
signature: whoever can rewrite the file can rewrite the stated hashes, which is why the
digest is printed for the lender to send separately.

Fields and resources a newer Patina adds are ignored on import; a passport whose major
version (``patina.passport_version``) is newer is refused with one line.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import math
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, SupportsFloat
from zoneinfo import ZoneInfo

import pandas as pd

from analysis.history import historic_band, suitable_band
from museum.description.config import MuseumConfig
from museum.files.staging import OutputError, Staging
from museum.loans.moves import (
    AWAY,
    ArtefactInfo,
    Departure,
    MoveError,
    artefact_info,
    check_departure,
    default_start,
    departure_line,
    history,
    history_risk,
    move_events,
    record_move,
    timeline,
)
from museum.loans.passport_checks import PassportCheckError, check_climate, read_member
from museum.storage.schema import ARTEFACT_CLIMATE_FIELDS, MOVE_KINDS, artefact_climate_line, move_line
from museum.storage.store import InfluxStore, StoreError

PASSPORT_VERSION = "1.0"
RESOURCES = ("artefact.json", "moves.csv", "climate.csv", "historic_band.json", "risk.json")

CLIMATE_FIELDS: list[dict[str, str]] = [
    {"name": "time", "type": "datetime", "description": "Start of the hour, ISO 8601 with the UTC offset"},
    {"name": "museum", "type": "string", "description": "Museum whose case (or crate) the object was in"},
    {"name": "site", "type": "string", "description": "Site id in that museum"},
    {"name": "case_id", "type": "string", "description": "Case id there (or the crate of a transit)"},
    {
        "name": "source",
        "type": "string",
        "description": "case: that museum's sensors; transit: a crate's logger",
    },
    *[
        {
            "name": name,
            "type": "number",
            "unit": "°C" if name.startswith("temperature") else "%",
            "description": ("Air temperature" if name.startswith("temperature") else "Relative humidity")
            + f": {name.rsplit('_', 1)[1]} over the hour",
        }
        for name in ARTEFACT_CLIMATE_FIELDS
    ],
    {"name": "readings", "type": "integer", "description": "Number of RH readings in the hour"},
]
MOVE_FIELDS: list[dict[str, str]] = [
    {"name": "time", "type": "datetime", "description": "From when the object was there, ISO 8601"},
    {"name": "museum", "type": "string", "description": "Museum whose case it is"},
    {"name": "site", "type": "string", "description": "Site id in that museum"},
    {"name": "case_id", "type": "string", "description": "Case id in that museum (or a crate)"},
    {
        "name": "kind",
        "type": "string",
        "description": "initial (where it was at the start), move, arrival (a loan), transit, "
        "departure (left on loan to the museum named)",
    },
    {"name": "until", "type": "datetime", "description": "End of a transit, ISO 8601 (empty otherwise)"},
    {"name": "user", "type": "string", "description": "Who recorded it"},
    {"name": "note", "type": "string", "description": "Why"},
    {"name": "recorded_at", "type": "datetime", "description": "When it was recorded, ISO 8601"},
]


class PassportError(ValueError):
    """A passport cannot be written or read as asked; one line says why."""


@dataclass
class PassportResult:
    path: Path
    digest: str
    hours: int
    moves: int
    #: When the object left, if the export recorded its departure.
    departed_at: datetime | None = None


def _iso(moment: pd.Timestamp | None, zone: ZoneInfo) -> str:
    if moment is None or pd.isna(moment):
        return ""
    return pd.Timestamp(moment).tz_convert(zone).isoformat()


def _number(value: SupportsFloat | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    # repr keeps every digit, so the borrower reads back exactly what was measured.
    return repr(float(value))


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def digest_of(hashes: dict[str, str]) -> str:
    """The package digest: SHA-256 of ``<path> <sha256>`` lines, sorted by path."""
    text = "".join(f"{path} {hashes[path]}\n" for path in sorted(hashes))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _band_json(info: ArtefactInfo, climate: pd.DataFrame) -> dict[str, Any]:
    rh = (
        climate.set_index("time")["rh_pct_mean"].astype(float)
        if not climate.empty
        else pd.Series(dtype=float)
    )
    band = historic_band(rh) if not rh.empty else None
    suit = suitable_band(band, info.materials)
    return {
        "standard": "EN 15757:2010 (seasonal cycle: 30-day centred moving average; "
        "band: 7th-93rd percentile of fluctuations, at least ±10 % RH)",
        "historic": None
        if band is None
        else {
            "start": band.start.isoformat(),
            "end": band.end.isoformat(),
            "hours": band.hours,
            "complete": band.complete,
            "seasonal_now_pct": band.seasonal_now_pct,
            "seasonal_min_pct": band.seasonal_min_pct,
            "seasonal_max_pct": band.seasonal_max_pct,
            "lower_offset_pct": band.lower_offset_pct,
            "upper_offset_pct": band.upper_offset_pct,
            "lower_pct": band.lower_pct,
            "upper_pct": band.upper_pct,
        },
        "suitable": asdict(suit),
    }


def export_passport(
    config: MuseumConfig,
    store: InfluxStore,
    artefact_id: str,
    out: Path,
    start: datetime | None = None,
    end: datetime | None = None,
    force: bool = False,
    departure: Departure | None = None,
) -> PassportResult:
    """Write the object's passport to ``out`` (a zip), refusing an existing file unless
    ``force``. Default period: the 13 months before now (before the departure, with one).

    With ``departure``, the passport is the one of a loan leaving: the departure is its last
    move, and once the zip is written it is appended to this museum's move log
    (:func:`museum.loans.moves.record_departure`); nothing is recorded if the zip cannot be."""
    try:
        info = artefact_info(config, store, artefact_id)
        leaving = None if departure is None else check_departure(config, store, artefact_id, departure)
    except MoveError as error:
        raise PassportError(str(error)) from None
    if leaving is not None:
        end = end or leaving[1].to_pydatetime()
    end = end or datetime.now(UTC)
    start = start or default_start(end)
    if end <= start:
        raise PassportError("--end must come after --start")
    zone = config.zone
    try:
        staging = Staging([Path(out)], force)
    except OutputError as error:
        raise PassportError(str(error)) from None
    climate = history(config, store, artefact_id, start, end)
    move_rows = _move_rows(config, store, artefact_id, start, end, leaving)
    climate_rows = _climate_rows(climate, zone)
    files = {
        "artefact.json": _json_bytes(_artefact_json(config, info)),
        "moves.csv": _csv([f["name"] for f in MOVE_FIELDS], move_rows),
        "climate.csv": _csv([f["name"] for f in CLIMATE_FIELDS], climate_rows),
        "historic_band.json": _json_bytes(_band_json(info, climate)),
        "risk.json": _json_bytes(history_risk(climate, info.materials), default=str),
    }
    hashes = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    digest = digest_of(hashes)
    package = _package(config, info, files, hashes, digest, start, end)
    _write_zip(staging, Path(out), package, files)
    if leaving is not None:
        try:
            store.write_lines([departure_line(artefact_id, *leaving)])
        except StoreError as error:
            raise PassportError(
                f"{out} was written, but the departure was not recorded ({error}); "
                f"record it with the same command and --force"
            ) from None
    return PassportResult(
        Path(out),
        digest,
        len(climate_rows),
        len(move_rows),
        None if leaving is None else leaving[1].to_pydatetime(),
    )


def _ns_time(value: Any) -> pd.Timestamp | None:
    """A time stored as nanoseconds (possibly missing) as a UTC timestamp, or None."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(int(value), unit="ns", tz="UTC")


def _move_rows(
    config: MuseumConfig,
    store: InfluxStore,
    artefact_id: str,
    start: datetime,
    end: datetime,
    leaving: tuple[Departure, pd.Timestamp] | None,
) -> list[list[str]]:
    """The rows of ``moves.csv``: where the object was when the period begins, the moves
    inside the period, and the departure of a loan leaving."""
    zone = config.zone
    events = move_events(store, artefact_id)
    places, _ = timeline(config, store, artefact_id, events)
    first = pd.Timestamp(start).tz_convert("UTC")
    before = [p for p in places if p.since <= first]
    move_rows = []
    if before:
        # Where the object was when the period begins, so the borrower knows the first place.
        place = before[-1]
        move_rows.append(
            [_iso(first, zone), place.museum, place.site, place.case_id, "initial", "", "", "", ""]
        )
    for row in events.itertuples(index=False):
        if row.time <= first or row.time >= pd.Timestamp(end).tz_convert("UTC"):
            continue
        move_rows.append(
            [
                _iso(row.time, zone),
                row.museum,
                row.site,
                row.case_id,
                row.kind,
                _iso(_ns_time(row.until_ns), zone),
                row.user,
                row.note,
                _iso(_ns_time(row.recorded_ns), zone),
            ]
        )
    if leaving is not None:
        left, when = leaving
        move_rows.append(
            [
                _iso(when, zone),
                left.to_museum,
                AWAY,
                AWAY,
                "departure",
                "",
                left.user,
                left.note,
                _iso(pd.Timestamp(datetime.now(UTC)), zone),
            ]
        )
    return move_rows


def _climate_rows(climate: pd.DataFrame, zone: ZoneInfo) -> list[list[str]]:
    """The rows of ``climate.csv``, one per hour and place."""
    return [
        [
            _iso(r["time"], zone),
            r["museum"],
            r["site"],
            r["case_id"],
            r["source"],
            *[_number(r[name]) for name in ARTEFACT_CLIMATE_FIELDS],
            str(int(r["readings"])),
        ]
        for r in climate.to_dict("records")
    ]


def _artefact_json(config: MuseumConfig, info: ArtefactInfo) -> dict[str, Any]:
    """``artefact.json``: the object's description and who exported it."""
    return {
        "id": info.id,
        "inventory_number": info.inventory_number,
        "name": info.name,
        "names": info.names,
        "materials": list(info.materials),
        "description": info.description,
        "lending_museum": info.lending_museum,
        "exported_by": config.museum.name,
        "timezone": config.museum.timezone,
    }


def _json_bytes(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=default).encode("utf-8")


def _write_zip(staging: Staging, out: Path, package: dict[str, Any], files: dict[str, bytes]) -> None:
    """The zip written through ``staging``: whole at ``out``, or nothing there."""
    try:
        with zipfile.ZipFile(staging.path(out), "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
            for path, data in files.items():
                archive.writestr(path, data)
        staging.commit()
    except OutputError as error:
        raise PassportError(str(error)) from None
    except OSError as error:
        raise PassportError(f"--out: cannot write {out}: {error.strerror or error}") from None
    finally:
        staging.discard()


def _package(
    config: MuseumConfig,
    info: ArtefactInfo,
    files: dict[str, bytes],
    hashes: dict[str, str],
    digest: str,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    def resource(path: str, name: str, fields: list[dict[str, str]] | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": name,
            "path": path,
            "hash": f"sha256:{hashes[path]}",
            "bytes": len(files[path]),
            "encoding": "utf-8",
        }
        if fields is None:
            entry.update(format="json", mediatype="application/json")
        else:
            entry.update(
                profile="tabular-data-resource", format="csv", mediatype="text/csv", schema={"fields": fields}
            )
        return entry

    return {
        "profile": "data-package",
        "name": "patina-artefact-passport",
        "title": f"{info.name} ({info.inventory_number}): climate passport",
        "created": datetime.now(config.zone).isoformat(),
        "resources": [
            resource("artefact.json", "artefact", None),
            resource("moves.csv", "moves", MOVE_FIELDS),
            resource("climate.csv", "climate", CLIMATE_FIELDS),
            resource("historic_band.json", "historic_band", None),
            resource("risk.json", "risk", None),
        ],
        "patina": {
            "passport_version": PASSPORT_VERSION,
            "generator": f"Patina {importlib.metadata.version('patina')}",
            "artefact_id": info.id,
            "lending_museum": info.lending_museum,
            "exported_by": config.museum.name,
            "period": {
                "start": start.astimezone(config.zone).isoformat(),
                "end": end.astimezone(config.zone).isoformat(),
            },
            "digest": {
                "algorithm": "sha256",
                "over": "lines '<path> <sha256 of the file>' of every resource, sorted by path",
                "value": digest,
            },
        },
    }


@dataclass
class Passport:
    """A passport read and verified."""

    package: dict[str, Any]
    artefact: dict[str, Any]
    moves: list[dict[str, str]]
    climate: list[dict[str, str]]
    band: dict[str, Any]
    digest: str


def read_passport(path: Path) -> Passport:
    """Open a passport zip and check every resource against its stated SHA-256 and the
    package digest; :class:`PassportError` (one line) when anything is off."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "datapackage.json" not in names:
                raise PassportError(f"{path}: not a Patina passport (no datapackage.json)")
            # Every member capped before and while it is read (passport_checks.read_member).
            package = json.loads(read_member(archive, "datapackage.json"))
            contents = {
                r["path"]: read_member(archive, r["path"])
                for r in package.get("resources", [])
                if r.get("path") in names
            }
    except PassportCheckError as error:
        raise PassportError(f"{path}: {error}") from None
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, KeyError, TypeError) as error:
        raise PassportError(f"{path}: cannot be read as a passport ({error})") from None
    meta = package.get("patina") or {}
    version = str(meta.get("passport_version", ""))
    if version.split(".")[0] != PASSPORT_VERSION.split(".")[0]:
        raise PassportError(
            f"{path}: passport version {version or 'missing'} is not one this Patina "
            f"reads ({PASSPORT_VERSION.split('.')[0]}.x)"
        )
    hashes = {}
    for resource in package.get("resources", []):
        name = resource.get("path")
        if name not in contents:
            raise PassportError(f"{path}: the package names {name!r} but the zip lacks it")
        actual = hashlib.sha256(contents[name]).hexdigest()
        if resource.get("hash") != f"sha256:{actual}":
            raise PassportError(f"{path}: {name} was altered: its SHA-256 does not match the package's")
        hashes[name] = actual
    missing = [name for name in RESOURCES if name not in hashes]
    if missing:
        raise PassportError(f"{path}: the passport lacks {', '.join(missing)}")
    digest = digest_of(hashes)
    if (meta.get("digest") or {}).get("value") != digest:
        raise PassportError(f"{path}: the package digest does not match its resources")
    try:
        # The digests say the file was not changed, not that its values are possible.
        check_climate(contents["climate.csv"])
    except PassportCheckError as error:
        raise PassportError(f"{path}: refused, nothing written: {error}") from None

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(contents[name].decode("utf-8"))))

    try:
        return Passport(
            package,
            json.loads(contents["artefact.json"]),
            rows("moves.csv"),
            rows("climate.csv"),
            json.loads(contents["historic_band.json"]),
            digest,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
        raise PassportError(f"{path}: cannot be read as a passport ({error})") from None


def _ns(text: str) -> int | None:
    return None if not text else int(pd.Timestamp(text).tz_convert("UTC").value)


def _float(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


def import_passport(
    config: MuseumConfig,
    store: InfluxStore,
    path: Path,
    case_id: str,
    *,
    user: str,
    note: str,
    at: datetime | None = None,
) -> tuple[Passport, int]:
    """Record the object's history from the passport (what happened at other museums;
    this museum's own hours are in its own database) and its arrival in ``case_id``.
    Returns the passport and the number of hours written."""
    passport = read_passport(Path(path))
    artefact = passport.artefact
    artefact_id = str(artefact.get("id") or "")
    if not artefact_id:
        raise PassportError(f"{path}: the passport names no artefact id")
    arrival = at or datetime.now(UTC)
    arrival_ns = int(pd.Timestamp(arrival).tz_convert("UTC").value)
    try:
        move_lines, moves_last_ns = _history_moves(config, passport, artefact_id)
        climate_lines, climate_last_ns = _history_climate(config, passport, artefact_id)
    except (KeyError, ValueError) as error:
        raise PassportError(f"{path}: a row cannot be read ({error})") from None
    last_ns = max(moves_last_ns, climate_last_ns)
    if arrival_ns <= last_ns:
        raise PassportError(
            f"--at: the arrival must come after the passport's last entry "
            f"({pd.Timestamp(last_ns, unit='ns', tz='UTC').isoformat()})"
        )
    description = {
        key: artefact.get(key)
        for key in ("id", "inventory_number", "name", "names", "materials", "description", "lending_museum")
    }
    if not _known_here(config, artefact_id) and not description.get("lending_museum"):
        description["lending_museum"] = artefact.get("exported_by", "")
    try:
        # Validates case, user and note before anything is written.
        cases = {c.id for c in config.cases}
        if case_id not in cases:
            raise MoveError(f"no case {case_id!r}; known: {', '.join(sorted(cases))}")
        if not user.strip() or not note.strip():
            raise MoveError(f"{'--user' if not user.strip() else '--note'} must not be empty")
        store.create_database()
        store.write_lines([*move_lines, *climate_lines])
        record_move(
            config,
            store,
            artefact_id,
            case_id,
            user=user,
            note=note,
            at=arrival,
            kind="arrival",
            artefact_json=json.dumps(description, ensure_ascii=False),
        )
    except MoveError as error:
        raise PassportError(str(error)) from None
    return passport, len(climate_lines)


def _history_moves(config: MuseumConfig, passport: Passport, artefact_id: str) -> tuple[list[str], int]:
    """The passport's moves at other museums as move points, and the time of its last
    move (this museum's own included), in ns."""
    here = config.museum.name
    known_here = _known_here(config, artefact_id)
    lines = []
    last_ns = 0
    for move in passport.moves:
        moment = _ns(move.get("time", ""))
        if moment is None:
            continue
        last_ns = max(last_ns, moment)
        # This museum's own moves are in its database already.
        if move.get("museum") == here or (move.get("kind") == "initial" and known_here):
            continue
        lines.append(
            move_line(
                moment,
                artefact_id=artefact_id,
                museum=move["museum"],
                site=move.get("site") or "-",
                case_id=move.get("case_id") or "-",
                kind=_kind(move.get("kind")),
                user=move.get("user") or "-",
                note=move.get("note") or "-",
                recorded_ns=_ns(move.get("recorded_at", "")) or time.time_ns(),
                until_ns=_ns(move.get("until", "")),
            )
        )
    return lines, last_ns


def _history_climate(config: MuseumConfig, passport: Passport, artefact_id: str) -> tuple[list[str], int]:
    """The passport's hours (but those in this museum's own cases, which its database
    holds) as the object's climate points, one per hour, and the last hour's time in ns."""
    here = config.museum.name
    lines = []
    last_ns = 0
    for row in passport.climate:
        if row.get("museum") == here and row.get("source") == "case":
            continue
        last_ns = max(last_ns, _ns(row["time"]) or 0)
        lines.append(
            artefact_climate_line(
                _ns(row["time"]) or 0,
                artefact_id=artefact_id,
                museum=row["museum"],
                site=row.get("site") or "-",
                case_id=row.get("case_id") or "-",
                source=row.get("source") or "case",
                values={name: _float(row.get(name)) for name in ARTEFACT_CLIMATE_FIELDS},
                readings=int(row.get("readings") or 0),
            )
        )
    return lines, last_ns


def _kind(kind: str | None) -> str:
    """A move's kind; one a newer Patina added is kept as a plain move (a place from then on)."""
    return kind if kind in MOVE_KINDS else "move"


def _known_here(config: MuseumConfig, artefact_id: str) -> bool:
    return any(a.id == artefact_id for c in config.cases for a in c.artefacts)


def add_transit(
    config: MuseumConfig,
    store: InfluxStore,
    artefact_id: str,
    file: Path,
    start: datetime,
    end: datetime,
    *,
    user: str,
    note: str,
) -> int:
    """Add a crate logger's file as the object's transit from ``start`` to ``end``:
    its hourly climate and a transit event. Returns the hours written."""
    from museum.files.loggers import LoggerFileError, read_logger_file

    if end <= start:
        raise PassportError("--to must come after --from")
    for option, text in (("--user", user), ("--note", note)):
        if not text.strip():
            raise PassportError(f"{option} must not be empty")
    try:
        artefact_info(config, store, artefact_id)
        reading = read_logger_file(file, config.museum.timezone)
    except (MoveError, LoggerFileError) as error:
        raise PassportError(str(error)) from None
    first = pd.Timestamp(start).tz_convert("UTC")
    last = pd.Timestamp(end).tz_convert("UTC")
    frames = []
    for sensor in reading.sensors.values():
        data = sensor.readings.copy()
        if "time" in data.columns:
            data = data.set_index("time")
        frames.append(data)
    if not frames:
        raise PassportError(f"{file}: no readings")
    data = pd.concat(frames).sort_index()
    data.index = pd.DatetimeIndex(data.index).tz_convert("UTC")
    data = data[(data.index >= first) & (data.index < last)]
    if data.empty or "rh_pct" not in data:
        raise PassportError(f"{file}: no RH readings between {first.isoformat()} and {last.isoformat()}")
    crate = Path(file).stem
    lines = []
    for hour, group in data.groupby(data.index.floor("h")):
        values: dict[str, float | None] = {}
        for name in ("temperature_c", "rh_pct"):
            column = group[name].astype(float).dropna() if name in group else pd.Series(dtype=float)
            values[f"{name}_mean"] = float(column.mean()) if not column.empty else None
            values[f"{name}_min"] = float(column.min()) if not column.empty else None
            values[f"{name}_max"] = float(column.max()) if not column.empty else None
        lines.append(
            artefact_climate_line(
                int(hour.value),
                artefact_id=artefact_id,
                museum=config.museum.name,
                site="transit",
                case_id=crate,
                source="transit",
                values=values,
                readings=int(group["rh_pct"].notna().sum()),
            )
        )
    lines.append(
        move_line(
            int(first.value),
            artefact_id=artefact_id,
            museum=config.museum.name,
            site="transit",
            case_id=crate,
            kind="transit",
            user=user.strip(),
            note=note.strip(),
            recorded_ns=time.time_ns(),
            until_ns=int(last.value),
        )
    )
    store.create_database()
    store.write_lines(lines)
    return len(lines) - 1
