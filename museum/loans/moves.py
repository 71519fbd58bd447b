"""Where an artefact is and has been, and the climate it lived in (docs/passport.md).

The config describes an object (id, name, materials) and the case it starts in; from
then on its location is the latest event of the append-only ``artefact_moves`` log at or
before the moment asked about. :func:`locations` is the one source of truth for where
objects are: the dashboard, the risk assessment and the alert evaluator should call it
rather than read ``case.artefacts`` from the config.

An object's history (:func:`history`) gives each hour the place the object was in when
the hour began, and that place's hourly climate: from this museum's own readings
(``climate``/``climate_hourly``) while it was in one of its cases, otherwise from the
hours recorded for the object (``artefact_climate``: a passport's history from other
museums, a crate logger's transit).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analysis.history import HistoricBand, SuitableBand, historic_band, loan_bands, suitable_band
from analysis.metrics import LoanBands
from museum.description.config import Artefact, MuseumConfig
from museum.language.i18n import LocalizedName
from museum.storage.influxql import quote_literal, time_literal
from museum.storage.schema import ARTEFACT_CLIMATE, ARTEFACT_CLIMATE_FIELDS, ARTEFACT_MOVES, move_line
from museum.storage.store import DatabaseMissing, InfluxStore, decode_text_columns

#: Columns of an object's hourly history, in order.
HISTORY_COLUMNS = ["time", "museum", "site", "case_id", "source", *ARTEFACT_CLIMATE_FIELDS, "readings"]
MOVE_COLUMNS = ["time", "museum", "site", "case_id", "kind", "user", "note", "recorded_ns", "until_ns"]
#: The beginning of time for an object the config places in a case.
BEGINNING = pd.Timestamp("1900-01-01", tz="UTC")


class MoveError(ValueError):
    """A move cannot be recorded as asked; the message says why in one line."""


@dataclass(frozen=True)
class Location:
    """Where an object was from ``since`` on (``museum`` names whose case it is)."""

    artefact_id: str
    museum: str
    site: str
    case_id: str
    since: pd.Timestamp
    kind: str


@dataclass(frozen=True)
class ArtefactInfo:
    """What is known of an object: from the config, or from the passport it arrived with."""

    id: str
    name: str
    materials: tuple[str, ...]
    names: dict[str, str]
    inventory_number: str
    lending_museum: str
    description: str = ""


def _config_artefacts(config: MuseumConfig) -> dict[str, tuple[Artefact, str, str]]:
    return {a.id: (a, c.site, c.id) for c in config.cases for a in c.artefacts}


def move_events(store: InfluxStore, artefact_id: str | None = None) -> pd.DataFrame:
    """The move log, oldest first (all objects, or one)."""
    where = "" if artefact_id is None else f" WHERE artefact_id = {quote_literal(artefact_id)}"
    try:
        data = store.log_frame(ARTEFACT_MOVES, where)
    except DatabaseMissing:
        return pd.DataFrame(columns=["artefact_id", *MOVE_COLUMNS])
    if data.empty:
        return pd.DataFrame(columns=["artefact_id", *MOVE_COLUMNS])
    for column in ("until_ns", "artefact", "recorded_ns"):
        if column not in data:
            data[column] = None
    return decode_text_columns(data.sort_values("time", kind="stable", ignore_index=True))


def artefact_info(config: MuseumConfig, store: InfluxStore, artefact_id: str) -> ArtefactInfo:
    """The object's description; :class:`MoveError` if neither the config nor an arrival
    knows it."""
    known = _config_artefacts(config)
    if artefact_id in known:
        artefact = known[artefact_id][0]
        names = dict(artefact.name.names) if isinstance(artefact.name, LocalizedName) else {}
        names = names or {config.museum.language: str(artefact.name)}
        return ArtefactInfo(
            artefact.id,
            LocalizedName(str(artefact.name), names),
            tuple(artefact.materials),
            names,
            artefact.id,
            config.museum.name,
            artefact.description,
        )
    events = move_events(store, artefact_id)
    described = events[events["artefact"].notna()] if not events.empty else events
    if described.empty:
        raise MoveError(
            f"no artefact {artefact_id!r} in the config or arrived by passport; "
            f"known: {', '.join(sorted(known)) or 'none'}"
        )
    data = json.loads(described.iloc[-1]["artefact"])
    # The names per language travel with the passport: the page reads the reader's one.
    names = {str(k): str(v) for k, v in (data.get("names") or {}).items() if v}
    default = names.get(config.museum.language) or str(data.get("name") or data["id"])
    return ArtefactInfo(
        str(data["id"]),
        LocalizedName(default, names),
        tuple(data.get("materials", ())),
        names,
        str(data.get("inventory_number", data["id"])),
        str(data.get("lending_museum", "")),
        str(data.get("description", "")),
    )


def timeline(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, events: pd.DataFrame | None = None
) -> tuple[list[Location], list[tuple[pd.Timestamp, pd.Timestamp, Location]]]:
    """The object's places in order (its config case first, then each move and arrival)
    and its transits as (start, end, place)."""
    events = move_events(store, artefact_id) if events is None else events
    places: list[Location] = []
    known = _config_artefacts(config)
    if artefact_id in known:
        _, site, case_id = known[artefact_id]
        places.append(Location(artefact_id, config.museum.name, site, case_id, BEGINNING, "config"))
    transits = []
    for row in events.itertuples(index=False):
        place = Location(artefact_id, row.museum, row.site, row.case_id, row.time, row.kind)
        if row.kind == "transit":
            until = pd.Timestamp(int(row.until_ns), unit="ns", tz="UTC")
            transits.append((row.time, until, place))
        else:
            places.append(place)
    places.sort(key=lambda p: p.since)
    return places, transits


def location_at(
    places: list[Location],
    transits: Iterable[tuple[pd.Timestamp, pd.Timestamp, Location]],
    moment: pd.Timestamp,
) -> Location | None:
    """The place of an object at ``moment``: a transit covering it, else the latest place
    at or before it (None before the object is known anywhere)."""
    for start, end, place in transits:
        if start <= moment < end:
            return place
    current = None
    for place in places:
        if place.since <= moment:
            current = place
        else:
            break
    return current


def locations(config: MuseumConfig, store: InfluxStore, at: datetime | None = None) -> dict[str, Location]:
    """Where every object is at ``at`` (default now): the config's objects and the objects
    that arrived by passport. Objects that are elsewhere (lent, not yet arrived) are
    included with the other museum's name; filter on ``museum`` for this museum's."""
    moment = pd.Timestamp(at or datetime.now(UTC)).tz_convert("UTC")
    events = move_events(store)
    ids = set(_config_artefacts(config)) | (set(events["artefact_id"]) if not events.empty else set())
    result = {}
    for artefact_id in sorted(ids):
        own = events[events["artefact_id"] == artefact_id] if not events.empty else events
        places, transits = timeline(config, store, artefact_id, own)
        place = location_at(places, transits, moment)
        if place is not None:
            result[artefact_id] = place
    return result


def artefacts_in_case(
    config: MuseumConfig, store: InfluxStore, case_id: str, at: datetime | None = None
) -> list[ArtefactInfo]:
    """The objects in one of this museum's cases at ``at`` (default now), for the risk
    assessment and the alerts: what the config's ``case.artefacts`` said before moves."""
    here = [
        loc
        for loc in locations(config, store, at).values()
        if loc.museum == config.museum.name and loc.case_id == case_id
    ]
    return [artefact_info(config, store, loc.artefact_id) for loc in here]


def with_locations(config: MuseumConfig, store: InfluxStore, at: datetime | None = None) -> MuseumConfig:
    """The config with each case holding the objects that are in it at ``at`` (default
    now) after the move log: what the collector's risk assessment and alerts, and the
    dashboard's pages, read as ``case.artefacts``. Objects lent away leave their case;
    objects that arrived by passport join theirs. Without any move it is ``config``."""
    events = move_events(store)
    if events.empty:
        return config
    here = {
        artefact_id: place
        for artefact_id, place in locations(config, store, at).items()
        if place.museum == config.museum.name
    }
    known = _config_artefacts(config)
    placed: dict[str, list[Artefact]] = {case.id: [] for case in config.cases}
    for artefact_id, place in sorted(here.items()):
        if place.case_id not in placed:
            continue  # a crate or a case this config no longer has
        if artefact_id in known:
            artefact = known[artefact_id][0]
        else:
            info = artefact_info(config, store, artefact_id)
            artefact = Artefact(info.id, info.name, info.materials, info.description)
        placed[place.case_id].append(artefact)
    cases = tuple(replace(case, artefacts=tuple(placed[case.id])) for case in config.cases)
    return replace(config, cases=cases)


def _require_text(option: str, text: str) -> str:
    if not text or not text.strip():
        raise MoveError(f"{option} must not be empty")
    return text.strip()


def record_move(
    config: MuseumConfig,
    store: InfluxStore,
    artefact_id: str,
    case_id: str,
    *,
    user: str,
    note: str,
    at: datetime | None = None,
    kind: str = "move",
    artefact_json: str | None = None,
) -> Location:
    """Append a move (or an arrival) of an object to one of this museum's cases."""
    user, note = _require_text("--user", user), _require_text("--note", note)
    cases = {c.id: c for c in config.cases}
    if case_id not in cases:
        raise MoveError(f"no case {case_id!r}; known: {', '.join(sorted(cases))}")
    if kind == "move":
        artefact_info(config, store, artefact_id)
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise MoveError("--at needs a UTC offset or a time zone")
    time_ns = int(pd.Timestamp(moment).value)
    store.create_database()
    store.write_lines(
        [
            move_line(
                time_ns,
                artefact_id=artefact_id,
                museum=config.museum.name,
                site=cases[case_id].site,
                case_id=case_id,
                kind=kind,
                user=user,
                note=note,
                recorded_ns=time.time_ns(),
                artefact=artefact_json,
            )
        ]
    )
    return Location(
        artefact_id,
        config.museum.name,
        cases[case_id].site,
        case_id,
        pd.Timestamp(time_ns, unit="ns", tz="UTC"),
        kind,
    )


#: ``site`` and ``case_id`` of a departure: the object is in no case this museum knows.
AWAY = "-"


@dataclass(frozen=True)
class Departure:
    """An object leaving on loan: from ``at`` (default now) it is at ``to_museum``."""

    to_museum: str
    user: str
    note: str
    at: datetime | None = None


def check_departure(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, departure: Departure
) -> tuple[Departure, pd.Timestamp]:
    """The departure with its texts trimmed and its moment, or :class:`MoveError` (one
    line) when it cannot be recorded: empty texts, this museum named as the borrower, an
    object that is not in one of this museum's cases then, or a moment before its last event
    (the log only grows forward in time: a departure before a later move would be undone)."""
    user, note = _require_text("--user", departure.user), _require_text("--note", departure.note)
    to_museum = _require_text("--to-museum", departure.to_museum)
    if to_museum == config.museum.name:
        raise MoveError(f"--to-museum: {to_museum!r} is this museum; name the borrowing museum")
    moment = departure.at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise MoveError("--at needs a UTC offset or a time zone")
    when = pd.Timestamp(moment).tz_convert("UTC")
    artefact_info(config, store, artefact_id)
    events = move_events(store, artefact_id)
    places, transits = timeline(config, store, artefact_id, events)
    if not events.empty and when <= events["time"].max():
        raise MoveError(
            f"--at: the departure must come after the object's last recorded event "
            f"({events['time'].max().isoformat()})"
        )
    place = location_at(places, transits, when)
    if place is None or place.museum != config.museum.name or place.kind in ("departure", "transit"):
        where = "nowhere yet" if place is None else f"at {place.museum}, {place.case_id}"
        raise MoveError(f"{artefact_id} is not in one of this museum's cases then ({where})")
    return Departure(to_museum, user, note, when.to_pydatetime()), when


def departure_line(artefact_id: str, departure: Departure, when: pd.Timestamp) -> str:
    """The move-log event of a checked departure (:func:`check_departure`)."""
    return move_line(
        int(when.value),
        artefact_id=artefact_id,
        museum=departure.to_museum,
        site=AWAY,
        case_id=AWAY,
        kind="departure",
        user=departure.user,
        note=departure.note,
        recorded_ns=time.time_ns(),
    )


def record_departure(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, departure: Departure
) -> Location:
    """Append an object's departure on loan: from then on :func:`locations` puts it at the
    borrowing museum, in none of this museum's cases, so the pages, the risk assessment and
    the alerts no longer count it in its old case. Its return is a later move or a passport
    import (``patina passport import``)."""
    departure, when = check_departure(config, store, artefact_id, departure)
    store.write_lines([departure_line(artefact_id, departure, when)])
    return Location(artefact_id, departure.to_museum, AWAY, AWAY, when, "departure")


def _floor_hour(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_convert("UTC").floor("h")


def case_hours(store: InfluxStore, case_id: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """One case's hourly climate, every sensor together: mean weighted by each sensor's
    readings (a lone sensor's mean as it is), the lowest minimum, the highest maximum and
    the number of readings."""
    columns = ["time", *ARTEFACT_CLIMATE_FIELDS, "readings"]
    series = store.hourly_series(case_id, start.to_pydatetime(), end.to_pydatetime())
    if series.empty:
        return pd.DataFrame(columns=columns)
    series = series.copy()
    series["readings"] = series["readings"].fillna(0).astype("int64")
    by_hour = series.groupby("time", sort=True)
    out = pd.DataFrame({"readings": by_hour["readings"].sum()})
    for name in ("temperature_c", "rh_pct"):
        means = series[name].astype(float)
        weights = series["readings"].where(means.notna() & (series["readings"] > 0), 0).astype(float)
        weighted = (means.fillna(0.0) * weights).groupby(series["time"]).sum()
        total = weights.groupby(series["time"]).sum()
        sensors = (weights > 0).groupby(series["time"]).sum()
        lone = means.where(weights > 0).groupby(series["time"]).max()
        out[f"{name}_mean"] = np.where(sensors == 1, lone, weighted / total.where(total > 0))
        out[f"{name}_min"] = by_hour[f"{name}_min"].min()
        out[f"{name}_max"] = by_hour[f"{name}_max"].max()
    out = out.reset_index()
    out = out.astype({c: float for c in ARTEFACT_CLIMATE_FIELDS})
    return out.replace({np.nan: None})[columns]


def recorded_hours(
    store: InfluxStore, artefact_id: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The hours recorded for the object (passport history, transits)."""
    try:
        data = store.log_frame(
            ARTEFACT_CLIMATE,
            f" WHERE artefact_id = {quote_literal(artefact_id)} AND time >= "
            f"{time_literal(start.to_pydatetime())} AND time < {time_literal(end.to_pydatetime())}",
        )
    except DatabaseMissing:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    if data.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    data = data.sort_values("time", kind="stable", ignore_index=True)
    data["readings"] = data["readings"].fillna(0).astype("int64")
    return data.reindex(columns=HISTORY_COLUMNS)


def history(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """The object's hourly climate over ``start``…``end``: each hour from the place it
    was in when the hour began (columns :data:`HISTORY_COLUMNS`; ``source`` is ``case``
    for hours measured by a museum's case sensors, this one's or, through a passport,
    another's; ``transit`` for a crate logger's). Hours without readings are left out."""
    artefact_info(config, store, artefact_id)
    first, last = _floor_hour(start), pd.Timestamp(end).tz_convert("UTC")
    places, transits = timeline(config, store, artefact_id)
    hours = pd.date_range(first, last, freq="h", inclusive="left")
    if len(hours) == 0:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    where = [location_at(places, transits, hour) for hour in hours]
    frames = []
    recorded = recorded_hours(store, artefact_id, first, last)
    # Consecutive hours in the same place of this museum are read from its case at once.
    runs: list[tuple[Location, int, int]] = []
    for index, place in enumerate(where):
        if place is None:
            continue
        if runs and runs[-1][0] == place and runs[-1][2] == index:
            runs[-1] = (place, runs[-1][1], index + 1)
        else:
            runs.append((place, index, index + 1))
    for place, begin, stop in runs:
        span_start, span_end = hours[begin], hours[stop - 1] + pd.Timedelta(hours=1)
        local = place.museum == config.museum.name and place.kind != "transit"
        if local:
            data = case_hours(store, place.case_id, span_start, min(span_end, last))
            data = data[(data["time"] >= span_start) & (data["time"] < span_end)]
            if data.empty:
                continue
            data = data.assign(museum=place.museum, site=place.site, case_id=place.case_id, source="case")
        else:
            data = recorded[
                (recorded["time"] >= span_start)
                & (recorded["time"] < span_end)
                & (recorded["museum"] == place.museum)
                & (recorded["case_id"] == place.case_id)
            ]
        frames.append(data.reindex(columns=HISTORY_COLUMNS))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(frames, ignore_index=True).sort_values("time", ignore_index=True)
    out["readings"] = out["readings"].astype("int64")
    return out


def history_risk(hours: pd.DataFrame, materials: Iterable[str]) -> dict[str, Any]:
    """The risk model (:func:`analysis.risk.assess`) over an object's stitched history,
    on hourly means: hours at each level, the worst moment, the corrosion dose per metal."""
    from analysis.risk import assess

    names = list(materials)
    if hours.empty or not names:
        return {"hours_per_level": {}, "worst": None, "corrosion_dose": {}, "basis": "hourly means"}
    readings = (
        hours.set_index("time")[["temperature_c_mean", "rh_pct_mean"]]
        .rename(columns={"temperature_c_mean": "temperature_c", "rh_pct_mean": "rh_pct"})
        .astype(float)
    )
    summary = assess(readings, names).summary
    return {
        "hours_per_level": summary["hours_per_level"],
        "worst": summary["worst"],
        "corrosion_dose": summary["corrosion_dose"],
        "basis": "hourly means",
    }


def bands_for(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, until: datetime
) -> tuple[HistoricBand | None, SuitableBand]:
    """The object's historic band over the 13 months before ``until`` and the band that
    suits it and its materials (:mod:`analysis.history`): the bands of a loan report."""
    info = artefact_info(config, store, artefact_id)
    hours = history(config, store, artefact_id, default_start(until), until)
    band = historic_band(hours.set_index("time")["rh_pct_mean"].astype(float)) if not hours.empty else None
    return band, suitable_band(band, info.materials)


def loan_bands_for(
    config: MuseumConfig, store: InfluxStore, artefact_id: str, until: datetime
) -> tuple[LoanBands, SuitableBand]:
    """The RH band of a loan (target ± tolerance) taken from the band that suits the object,
    its history over the 13 months before ``until`` and its materials (:func:`bands_for`):
    what ``patina report --bands-from`` and the Reports page use."""
    suitable = bands_for(config, store, artefact_id, until)[1]
    return loan_bands(suitable), suitable


def default_start(end: datetime) -> datetime:
    """Thirteen months before ``end``: what EN 15757's historic band needs."""
    return end - timedelta(days=395)
