"""The museum's config file (``museum.toml``), read with :mod:`tomllib` into typed objects.

The file is declared once, section by section (``config_collection``, ``config_connections``,
``config_alerts``, ``config_dashboard``, ``config_digest``) in the words of :mod:`museum.description.schema`;
:data:`FILE` puts the sections together. The same declaration gives the checks, the
defaults, ``museum.schema.json`` for editors and the reference in docs/config.md
(``python -m museum.description.schema_files``).

A wrong file fails at start with a :class:`ConfigError` that names the file, the key
(``cases[3].artefacts[0].materials[1]``) or the line, and what is wrong. Secrets never
come from the file: MQTT and InfluxDB credentials are read from the environment, and
``PATINA_MQTT_URL``, ``PATINA_INFLUX_URL`` and ``PATINA_INFLUX_DB`` override the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from museum.description.config_alerts import ALERTS, NOTIFY, AlertsConfig, CaseRule, NotifyConfig
from museum.description.config_backup import (
    BACKUP,
    CONFIG_VERSION,
    CONFIG_VERSION_KEY,
    BackupConfig,
    check_config_version,
)
from museum.description.config_collection import (
    CASE_KINDS,
    CASES,
    MUSEUM,
    SITES,
    SOURCE_FIELDS,
    SOURCES,
    UNASSIGNED_CASE,
    Artefact,
    Case,
    CaseFacts,
    MuseumInfo,
    Site,
    Source,
    topic_filter_problem,
)
from museum.description.config_connections import (
    COLLECTOR,
    INFLUXDB,
    MQTT,
    CollectorConfig,
    InfluxConfig,
    MqttConfig,
)
from museum.description.config_dashboard import DASHBOARD, DashboardConfig, DashboardUser
from museum.description.config_digest import DIGEST, DigestConfig
from museum.description.config_galleries import GALLERIES, Gallery
from museum.description.config_light import LIGHT, OPENING_HOURS, LightConfig, OpeningHours
from museum.description.config_partners import PARTNERS, Partner
from museum.description.config_sensors import SENSORS, SensorsConfig
from museum.description.schema import ConfigError, Key, Place, Reading, Table, Values, parse_duration_s
from museum.language.i18n import LANGUAGES

__all__ = [
    "CASE_KINDS",
    "FILE",
    "SOURCE_FIELDS",
    "UNASSIGNED_CASE",
    "AlertsConfig",
    "Artefact",
    "BackupConfig",
    "Case",
    "CaseFacts",
    "CaseRule",
    "CollectorConfig",
    "ConfigError",
    "DashboardConfig",
    "DashboardUser",
    "DigestConfig",
    "Gallery",
    "InfluxConfig",
    "MqttConfig",
    "MuseumConfig",
    "MuseumInfo",
    "NotifyConfig",
    "Partner",
    "SensorsConfig",
    "Site",
    "Source",
    "load_config",
    "parse_config",
    "parse_duration_s",
    "topic_filter_problem",
]


@dataclass(frozen=True)
class MuseumConfig:
    """The whole file: one attribute per section of :data:`FILE`, under the same name."""

    museum: MuseumInfo
    mqtt: MqttConfig
    influxdb: InfluxConfig
    sources: tuple[Source, ...]
    sites: tuple[Site, ...]
    cases: tuple[Case, ...]
    collector: CollectorConfig
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    sensors: SensorsConfig = field(default_factory=SensorsConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    #: The layout version of the file (museum.description.config_backup.CONFIG_VERSION).
    config_version: int = CONFIG_VERSION
    light: LightConfig = field(default_factory=LightConfig)
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    #: Floor plans (museum.description.config_galleries).
    floorplans: tuple[Gallery, ...] = ()
    partners: tuple[Partner, ...] = ()
    path: Path | None = None

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    def reference_for(self, case_id: str) -> Case | None:
        """The case whose air ``case_id`` exchanges with: its own ``reference``, else the
        first room of its gallery (None for a room, or when the gallery has none)."""
        case = self.case(case_id)
        if case.facts.reference is not None:
            return self.case(case.facts.reference)
        if case.is_room:
            return None
        return next((c for c in self.cases if c.is_room and c.gallery == case.gallery), None)

    def case_for_sensor(self, sensor_id: str) -> Case | None:
        return self._sensor_index().get(sensor_id)

    def _sensor_index(self) -> dict[str, Case]:
        return {sensor: case for case in self.cases for sensor in case.sensors}

    @property
    def galleries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(case.gallery for case in self.cases))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.museum.timezone)


def _museum_config(v: Values) -> MuseumConfig:
    check_config_version(v["config_version"], v.at)
    return MuseumConfig(**v.fields(), path=v.reading.file)


#: The whole of ``museum.toml``. Sections are read in this order, and a section's checks
#: see those read before it (cases see sites; alert rules see cases).
FILE = Table(
    CONFIG_VERSION_KEY,
    Key("museum", MUSEUM),
    Key("mqtt", MQTT),
    Key("influxdb", INFLUXDB),
    Key("sites", SITES),
    Key("sources", SOURCES, default_doc="`patina/+/+/climate`, format `patina`"),
    Key("cases", CASES),
    Key("collector", COLLECTOR),
    Key("alerts", ALERTS),
    Key("notify", NOTIFY),
    Key("dashboard", DASHBOARD),
    Key("digest", DIGEST),
    Key("sensors", SENSORS),
    Key("backup", BACKUP),
    Key("light", LIGHT),
    Key("opening_hours", OPENING_HOURS),
    Key("galleries", GALLERIES, attr="floorplans"),
    Key("partners", PARTNERS),
    build=_museum_config,
    doc="A museum for Patina: its cases, sensors and objects, its services and its alerts (docs/config.md).",
)


def parse_config(
    data: Mapping[str, Any],
    origin: str = "<config>",
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> MuseumConfig:
    """Validate an already-parsed TOML mapping into a :class:`MuseumConfig`."""
    environ = os.environ if environ is None else environ
    reading = Reading(origin, environ, path, language=_museum_language(data))
    config: MuseumConfig = FILE.read(data, Place(reading))
    return config


def _museum_language(data: Mapping[str, Any]) -> str:
    """The language names are read in: the museum's, which its table may give after its
    name (a wrong one is refused with ``museum.language`` itself)."""
    museum = data.get("museum") if isinstance(data, Mapping) else None
    language = museum.get("language") if isinstance(museum, Mapping) else None
    return language if language in LANGUAGES else str(MUSEUM.default("language"))


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> MuseumConfig:
    """Read and validate a ``museum.toml``; raise :class:`ConfigError` naming what is wrong."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already carries "(at line L, column C)".
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    return parse_config(data, origin=str(file), environ=environ, path=file.resolve())
