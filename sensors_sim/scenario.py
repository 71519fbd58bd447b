"""Scenarios: a building, what happens to it and to its sensors, and the alerts Patina
should raise, in one TOML file (``sensors_sim/scenarios/*.toml``).

A scenario file has these tables (all optional but ``[scenario]``):

``[scenario]``
    ``title`` and ``description`` (tables with ``en``, ``fr``, ``vi``), ``start`` (a TOML
    date-time with offset), ``duration``, ``interval`` (durations such as ``7d``, ``5m``),
    ``seed``.
``[outdoor]``
    Overrides of :class:`~sensors_sim.outdoor.OutdoorClimate` (default: Hà Nội).
``[room_defaults]`` and ``[[rooms]]`` (with ``gallery``)
    :class:`~sensors_sim.building.RoomSpec` fields.
``[case_defaults]`` and ``[[case_physics]]`` (with ``case``)
    :class:`~sensors_sim.building.CaseSpec` fields.
``[[sensors]]`` (with ``id``)
    :class:`~sensors_sim.model.SensorSpec` fields: format, offsets, battery.
``[[events]]``
    ``kind`` (hvac_failure, dehumidifier_full, power_cut, door_open, gel_reconditioned),
    ``target`` (gallery, case or ``*``), ``at`` (a date-time, or a duration after the start
    such as ``"3d20h"`` written ``"92h"``) and ``duration``; or, instead of ``at``,
    ``per_day`` for events at seeded random times. ``gel_reconditioned`` may give the fresh
    gel's ``rh_pct`` (default: the case's ``gel_conditioned_rh_pct``).
``[[faults]]``
    :class:`~sensors_sim.faults.SensorFault`: ``kind``, ``sensor``, ``at`` and ``duration``
    (both optional: from the start, for ever) and the fault's own numbers.
``[[expect]]``
    The alerts Patina must raise during the run, each ``case``, ``rule`` and, for sensor
    rules, ``sensor``; no other alert may open.
``[museum]``
    The museum the scenario is written for, in ``museum.toml``'s own form (``sites``,
    ``cases``, ``sources``, ``alerts``); it replaces those parts of the config the scenario
    runs with, which gives the broker, database and time zone.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from analysis.materials import profile
from museum.description.config import MuseumConfig, parse_config, parse_duration_s
from museum.language.i18n import LANGUAGES
from sensors_sim.building import CaseSpec, Event, RoomSpec
from sensors_sim.faults import SensorFault
from sensors_sim.formats import ENCODERS
from sensors_sim.model import SensorSpec, stable_seed
from sensors_sim.outdoor import HANOI, OutdoorClimate

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Expectation:
    case: str
    rule: str
    sensor: str | None = None

    @property
    def rule_key(self) -> str:
        return f"{self.rule}:{self.sensor}" if self.sensor else self.rule


@dataclass(frozen=True)
class Scenario:
    name: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    start_s: float | None
    duration_s: float | None
    interval_s: float
    seed: int
    outdoor: OutdoorClimate = HANOI
    room_defaults: Mapping[str, Any] = field(default_factory=dict)
    rooms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    case_defaults: Mapping[str, Any] = field(default_factory=dict)
    case_physics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sensors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    faults: tuple[SensorFault, ...] = ()
    expect: tuple[Expectation, ...] = ()
    museum: Mapping[str, Any] = field(default_factory=dict)

    # --- what the scenario builds ----------------------------------------------------------
    def museum_config(self, base: MuseumConfig) -> MuseumConfig:
        """``base`` with the scenario's own sites, cases, sources and alert rules."""
        if not self.museum:
            return base
        data = {
            "museum": {
                "name": base.museum.name,
                "timezone": base.museum.timezone,
                "language": base.museum.language,
            },
            "mqtt": {"url": "mqtt://127.0.0.1:1883"},
            "influxdb": {"url": "http://127.0.0.1:8086"},
            **self.museum,
        }
        parsed = parse_config(data, origin=f"scenario {self.name}: [museum]", environ={})
        replaced = {"sites": parsed.sites, "cases": parsed.cases}
        if "sources" in self.museum:
            replaced["sources"] = parsed.sources
        for section in ("alerts", "opening_hours", "light"):
            if section in self.museum:
                replaced[section] = getattr(parsed, section)
        return dataclasses.replace(base, **replaced)

    def room_specs(self, config: MuseumConfig) -> list[RoomSpec]:
        return [
            _build(
                RoomSpec,
                {**self.room_defaults, **self.rooms.get(gallery, {}), "gallery": gallery},
                f"room {gallery!r}",
            )
            for gallery in config.galleries
        ]

    def case_specs(self, config: MuseumConfig) -> list[CaseSpec]:
        specs = []
        for case in config.cases:
            settings = {
                **default_case_physics(case.id, [m for a in case.artefacts for m in a.materials], self.seed),
                **(ROOM_AIR_PHYSICS if case.is_room else self.case_defaults),
                **self.case_physics.get(case.id, {}),
            }
            specs.append(
                _build(
                    CaseSpec, {**settings, "case_id": case.id, "gallery": case.gallery}, f"case {case.id!r}"
                )
            )
        return specs

    def sensor_specs(self, config: MuseumConfig) -> list[SensorSpec]:
        return [
            _build(
                SensorSpec,
                {**self.sensors.get(sensor, {}), "sensor_id": sensor, "case_id": case.id, "site": case.site},
                f"sensor {sensor!r}",
            )
            for case in config.cases
            for sensor in case.sensors
        ]

    def unknown_targets(self, config: MuseumConfig) -> list[str]:
        """Events, faults and settings that name a case, gallery or sensor the config lacks."""
        cases = {c.id for c in config.cases}
        sensors = {s for c in config.cases for s in c.sensors}
        galleries = set(config.galleries)
        problems = [
            f"event {e.kind} targets {e.target!r}"
            for e in self.events
            if e.target != "*" and e.target not in cases | galleries
        ]
        problems += [
            f"fault {f.kind} names sensor {f.sensor!r}" for f in self.faults if f.sensor not in sensors
        ]
        problems += [f"[[case_physics]] names case {c!r}" for c in self.case_physics if c not in cases]
        problems += [f"[[rooms]] names gallery {g!r}" for g in self.rooms if g not in galleries]
        problems += [f"[[sensors]] names sensor {s!r}" for s in self.sensors if s not in sensors]
        return problems


#: Sensors in a gallery's own air (``kind = "room"``): a "case" that is all room, with no
#: lag of its own and no lights of its own.
ROOM_AIR_PHYSICS: Mapping[str, Any] = {
    "air_exchange_per_day": 2000.0,
    "thermal_time_constant_h": 0.1,
    "lights_heat_k": 0.0,
    "silica_gel_kg": 0.0,
}


def default_case_physics(case_id: str, materials: Sequence[str], seed: int) -> dict[str, Any]:
    """A plausible case when a scenario says nothing: seeded air tightness, and silica gel
    conditioned to the safe RH of its most demanding metal, as conservators condition it
    (clipped to 15–50 %: gel drier than that is rarely kept in a display case)."""
    rng = np.random.default_rng(stable_seed(seed, "case-physics", case_id))
    metals = [profile(m) for m in materials if profile(m).rh_too_dry_pct is None]
    settings: dict[str, Any] = {"air_exchange_per_day": float(np.round(rng.uniform(0.3, 3.0), 2))}
    if metals:
        target = min(m.rh_safe_pct for m in metals)
        settings.update(
            silica_gel_kg=float(np.round(rng.uniform(0.5, 2.0), 1)),
            gel_conditioned_rh_pct=float(np.clip(target, 15.0, 50.0)),
        )
    return settings


def default_scenario(seed: int = 0, interval_s: float = 60.0) -> Scenario:
    """No events or faults, the config's own museum: what ``patina simulate`` runs."""
    text = {
        "en": "The museum's own cases, no incident",
        "fr": "Les vitrines du musée, sans incident",
        "vi": "Các tủ trưng bày của bảo tàng, không có sự cố",
    }
    return Scenario(
        name="default",
        title=text,
        description=text,
        start_s=None,
        duration_s=None,
        interval_s=interval_s,
        seed=seed,
    )


def _build(cls: type, settings: Mapping[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(names))}"
        )
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ScenarioError(f"{where}: {error}") from None


# --- reading a file ------------------------------------------------------------------------------


def available() -> list[str]:
    """Names of the scenarios shipped with Patina."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise ScenarioError(f"no scenario {str(name_or_path)!r}; known: {', '.join(available())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    return parse_scenario(data, path.stem, str(path))


def _seconds(value: Any, where: str) -> float:
    try:
        return parse_duration_s(value)
    except ValueError as error:
        raise ScenarioError(f"{where}: {error}") from None


def _instant(value: Any, start_s: float | None, where: str) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ScenarioError(f"{where}: {value} needs a UTC offset (e.g. +07:00)")
        return value.timestamp()
    if start_s is None:
        raise ScenarioError(f"{where}: a time after the start needs [scenario] start")
    return start_s + _seconds(value, where)


def _texts(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        value = dict.fromkeys(LANGUAGES, value)
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise ScenarioError(f"{where}: expected a table with {', '.join(LANGUAGES)}")
    return {k: str(v) for k, v in value.items()}


def _keyed(tables: Any, key: str, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(tables, list):
        raise ScenarioError(f"{where}: expected an array of tables ([[{where}]])")
    keyed = {}
    for index, table in enumerate(tables):
        if not isinstance(table, dict) or not isinstance(table.get(key), str):
            raise ScenarioError(f'{where}[{index}]: needs {key} = "…"')
        keyed[table[key]] = {k: v for k, v in table.items() if k != key}
    return keyed


def parse_scenario(data: Mapping[str, Any], name: str, origin: str = "<scenario>") -> Scenario:
    allowed = {
        "scenario",
        "outdoor",
        "room_defaults",
        "rooms",
        "case_defaults",
        "case_physics",
        "sensors",
        "events",
        "faults",
        "expect",
        "museum",
    }
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScenarioError(
            f"{origin}: unknown table {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
        )
    head = data.get("scenario")
    if not isinstance(head, dict):
        raise ScenarioError(f"{origin}: needs a [scenario] table")
    start = head.get("start")
    start_s = _instant(start, None, f"{origin}: scenario.start") if start is not None else None
    seed = head.get("seed", 0)
    if not isinstance(seed, int):
        raise ScenarioError(f"{origin}: scenario.seed must be an integer")
    outdoor = _build(
        OutdoorClimate, {**dataclasses.asdict(HANOI), **data.get("outdoor", {})}, f"{origin}: [outdoor]"
    )
    random = np.random.default_rng(stable_seed(seed, "events"))
    duration_s = _seconds(head["duration"], f"{origin}: scenario.duration") if "duration" in head else None
    events: list[Event] = []
    for index, table in enumerate(data.get("events", [])):
        where = f"{origin}: events[{index}]"
        table = dict(table)
        length = _seconds(table.pop("duration", "1h"), where)
        per_day = table.pop("per_day", None)
        if per_day is not None:
            if start_s is None or duration_s is None:
                raise ScenarioError(f"{where}: per_day needs [scenario] start and duration")
            count = random.poisson(float(per_day) * duration_s / 86_400.0)
            times = np.sort(random.uniform(start_s, start_s + duration_s, count))
        else:
            times = np.array([_instant(table.pop("at", 0), start_s, where)])
        for at in times:
            events.append(_build(Event, {**table, "start_s": float(at), "end_s": float(at) + length}, where))
    faults: list[SensorFault] = []
    for index, table in enumerate(data.get("faults", [])):
        where = f"{origin}: faults[{index}]"
        table = dict(table)
        begin = _instant(table.pop("at"), start_s, where) if "at" in table else -math.inf
        end = begin + _seconds(table.pop("duration"), where) if "duration" in table else math.inf
        faults.append(_build(SensorFault, {**table, "start_s": begin, "end_s": end}, where))
    expect = [
        _build(Expectation, table, f"{origin}: expect[{i}]") for i, table in enumerate(data.get("expect", []))
    ]
    sensors = _keyed(data.get("sensors", []), "id", f"{origin}: sensors")
    for sensor, settings in sensors.items():
        if settings.get("format", "patina") not in ENCODERS:
            raise ScenarioError(
                f"{origin}: sensor {sensor!r}: unknown format {settings['format']!r}; "
                f"known: {', '.join(ENCODERS)}"
            )
    scenario = Scenario(
        name=name,
        title=_texts(head.get("title", name), f"{origin}: scenario.title"),
        description=_texts(head.get("description", ""), f"{origin}: scenario.description"),
        start_s=start_s,
        duration_s=duration_s,
        interval_s=_seconds(head.get("interval", "1m"), f"{origin}: scenario.interval"),
        seed=seed,
        outdoor=outdoor,
        room_defaults=dict(data.get("room_defaults", {})),
        rooms=_keyed(data.get("rooms", []), "gallery", f"{origin}: rooms"),
        case_defaults=dict(data.get("case_defaults", {})),
        case_physics=_keyed(data.get("case_physics", []), "case", f"{origin}: case_physics"),
        sensors=sensors,
        events=tuple(events),
        faults=tuple(faults),
        expect=tuple(expect),
        museum=dict(data.get("museum", {})),
    )
    if scenario.interval_s <= 0:
        raise ScenarioError(f"{origin}: scenario.interval must be above 0")
    return scenario
