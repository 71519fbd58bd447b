"""The museum's config file (``museum.toml``), read with :mod:`tomllib` into typed objects.

A wrong file fails at start with a :class:`ConfigError` that names the file, the key
(``cases[3].artefacts[0].materials[1]``) or the line, and what is wrong. Secrets never
come from the file: MQTT and InfluxDB credentials are read from the environment, and
``PATINA_MQTT_URL``, ``PATINA_INFLUX_URL`` and ``PATINA_INFLUX_DB`` override the file.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import platformdirs

from analysis.materials import MATERIAL_NAMES
from museum.description.formats import FORMAT_NAMES
from museum.description.secrets import redact_url, url_credentials, without_credentials
from museum.description.times import zone_named
from museum.language.i18n import LANGUAGES, LocalizedName, localized_name

#: Fields a source may map from a device's own names (ttn-v3 decoded payloads).
SOURCE_FIELDS = ("temperature_c", "rh_pct", "battery_pct")
#: Case id given to readings from sensors the config does not place in any case.
UNASSIGNED_CASE = "unassigned"


_DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)([smhdw])")


def parse_duration_s(text: str | float | int) -> float:
    """Seconds in a duration such as ``"90s"``, ``"15m"``, ``"4h"``, ``"30d"``, a compound
    such as ``"1d10h"`` or ``"2h30m"``, or a bare number of seconds. Raises ValueError
    naming the text."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        value = str(text).strip().lower()
        parts = _DURATION_PART.findall(value)
        if re.fullmatch(r"[0-9.]+", value):
            seconds = float(value)
        elif parts and "".join(number + unit for number, unit in parts) == value:
            try:
                seconds = sum(float(number) * _DURATION_UNITS_S[unit] for number, unit in parts)
            except ValueError:
                raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 4h or 30d") from None
        else:
            raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 4h or 30d")
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a positive, finite duration")
    return seconds


class ConfigError(ValueError):
    """The config file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class MuseumInfo:
    name: str
    timezone: str
    language: str


@dataclass(frozen=True)
class MqttConfig:
    url: str
    client_id: str
    #: "5" (default) or "3.1.1" for brokers without MQTT 5.
    protocol: str = "5"
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    #: Client certificate and key for brokers that authenticate clients by TLS.
    cert_file: str | None = None
    key_file: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "localhost"

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


@dataclass(frozen=True)
class InfluxConfig:
    url: str
    database: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    #: How long raw readings are kept (None: for ever). Hourly aggregates are kept for ever.
    raw_retention_s: float | None = None
    #: "v1" (InfluxDB 1.x HTTP API; also Enterprise, 3.x) or "v2" (2.x and Cloud through
    #: influxdb-client; ``database`` is then the bucket).
    api: str = "v1"
    org: str | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Source:
    """A topic filter bound to a payload format. ``site`` is the site of readings whose
    topic names none (every format but ``patina``); ``fields`` maps Patina's field names
    to a device's own (for ``ttn-v3`` decoded payloads)."""

    topic: str
    format: str
    site: str = "unknown"
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CollectorConfig:
    """Where the collector keeps its durable spool and quarantine (SQLite, WAL), and how
    several collectors share the work (docs/scaling.md): with ``share_group`` they subscribe
    through MQTT shared subscriptions (``$share/<group>/…``) and each evaluates the alerts
    of the cases it owns (``instance_index`` of ``instances``)."""

    spool_path: Path
    share_group: str | None = None
    instances: int = 1
    instance_index: int = 0
    #: Cap of the spool file (None: the disk is the cap); a full spool refuses commits and
    #: messages wait, unacknowledged, at the broker.
    spool_max_mb: float | None = None
    #: Bytes of a quarantined payload kept (with its full size and SHA-256).
    quarantine_payload_bytes: int = 64 * 1024
    #: Cap of the quarantine; records beyond it are counted (quarantine_dropped), not kept.
    quarantine_max_mb: float = 100.0
    #: What people call this collector on the dashboard ("Server in the basement"); by
    #: default the machine's host name (collector.service.collector_name).
    name: str | None = None


@dataclass(frozen=True)
class Site:
    id: str
    name: str


@dataclass(frozen=True)
class Artefact:
    id: str
    name: str
    materials: tuple[str, ...]
    description: str = ""


CASE_KINDS = ("case", "room")


@dataclass(frozen=True)
class CaseFacts:
    """Optional facts about a case, used by the diagnostics (``patina diagnose``):
    ``reference`` is the case whose air it exchanges with (default: the room of its
    gallery); the rest describe the case and its silica gel."""

    reference: str | None = None
    volume_m3: float | None = None
    silica_gel_kg: float | None = None
    gel_conditioned_rh_pct: float | None = None
    last_reconditioned: date | None = None


@dataclass(frozen=True)
class Case:
    id: str
    site: str
    gallery: str
    name: str
    sensors: tuple[str, ...]
    artefacts: tuple[Artefact, ...] = ()
    #: "case" (a display case) or "room" (sensors in the gallery's own air).
    kind: str = "case"
    #: What a conservator knows of the case, for diagnostics (see :class:`CaseFacts`).
    facts: CaseFacts = field(default_factory=CaseFacts)

    @property
    def is_room(self) -> bool:
        return self.kind == "room"


@dataclass(frozen=True)
class CaseRule:
    """A case's own alert limits, replacing the defaults from its materials."""

    case: str
    rh_max_pct: float | None = None
    rh_min_pct: float | None = None
    min_duration_s: float | None = None


@dataclass(frozen=True)
class AlertsConfig:
    """When alerts open, repeat and escalate (durations in seconds)."""

    min_duration_s: float = 600.0
    sensor_silent_after_s: float = 900.0
    repeat_after_s: float = 4 * 3600.0
    escalate_after_s: float = 3600.0
    #: RH must come back this far inside a limit before its alert resolves.
    hysteresis_pct: float = 3.0
    battery_low_pct: float = 15.0
    condensation_margin_k: float = 3.0
    #: RH change within an hour that opens a rate-of-change alert.
    rate_of_change_pct_per_h: float = 5.0
    #: Identical readings from a sensor for this long: stuck.
    stuck_after_s: float = 6 * 3600.0
    #: The collector's own health: spool depth that opens an alert (InfluxDB not keeping up).
    spool_alert_depth: int = 100_000
    #: The forecast rule: alert when a case is forecast to pass its RH limit within this
    #: many days (docs/diagnostics.md); None: the rule is off.
    forecast_days: float | None = None
    rules: tuple[CaseRule, ...] = ()

    def rule_for(self, case_id: str) -> CaseRule | None:
        return next((rule for rule in self.rules if rule.case == case_id), None)


@dataclass(frozen=True)
class NotifyConfig:
    """Where notifications go. Credentials come from PATINA_SMTP_USERNAME/PASSWORD."""

    smtp_url: str | None = None
    email_from: str = "patina@localhost"
    email_to: tuple[str, ...] = ()
    escalate_to: tuple[str, ...] = ()
    #: (address, language) for recipients who read another language than the museum's.
    email_languages: tuple[tuple[str, str], ...] = ()
    #: Often holds a token: never printed, logged or stored (see museum.description.secrets).
    webhook_url: str | None = field(default=None, repr=False)
    mqtt_alerts: bool = True
    dashboard_url: str = "http://127.0.0.1:8501"
    smtp_username: str | None = field(default=None, repr=False)
    smtp_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DashboardUser:
    name: str
    role: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class DashboardConfig:
    anonymous_viewing: bool = True
    users: tuple[DashboardUser, ...] = ()

    def user(self, name: str) -> DashboardUser | None:
        return next((u for u in self.users if u.name == name), None)


@dataclass(frozen=True)
class MuseumConfig:
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


class _Reader:
    """Walks the parsed TOML, remembering the key path for error messages."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {key}: {message}")

    def table(self, data: Any, key: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(key, f"expected a table, got {type(data).__name__}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0],
                f"unknown key; expected one of {', '.join(sorted(allowed))}",
            )
        return data

    def string(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str:
        full = f"{path}.{key}" if path else key
        if key not in data:
            if default is None:
                raise self.fail(full, "missing")
            return default
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(full, f"expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(full, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def string_list(
        self, data: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...] | None = None
    ) -> tuple[str, ...]:
        full = f"{path}.{key}"
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(full, f"expected a list of strings, got {value!r}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{full}[{index}]", f"expected a non-empty string, got {item!r}")
            if choices is not None and item not in choices:
                raise self.fail(
                    f"{full}[{index}]", f"unknown {key[:-1]} {item!r}; known: {', '.join(choices)}"
                )
        return tuple(value)

    def array_of_tables(self, data: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{path}{key}", "expected an array of tables ([[...]])")
        return value


def _name(reader: _Reader, data: Mapping[str, Any], key: str, path: str, default: str, language: str) -> str:
    """A name that may be given per language (``name = { vi = "…", en = "…" }``): a
    :class:`~museum.language.i18n.LocalizedName`, which is the name in the museum's language."""
    if key not in data:
        return LocalizedName(default)
    try:
        return localized_name(data[key], language)
    except ValueError as error:
        raise reader.fail(f"{path}.{key}", str(error)) from None


def _check_url(reader: _Reader, key: str, url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise reader.fail(key, f"{redact_url(url)!r} is not a URL of the form {schemes[0]}://host:port")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as error:
        raise reader.fail(key, f"{redact_url(url)!r}: {error}") from None
    return url


def parse_config(
    data: Mapping[str, Any],
    origin: str = "<config>",
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> MuseumConfig:
    """Validate an already-parsed TOML mapping into a :class:`MuseumConfig`."""
    env = os.environ if environ is None else environ
    r = _Reader(origin)
    top = r.table(
        data,
        "",
        {
            "museum",
            "mqtt",
            "influxdb",
            "sources",
            "sites",
            "cases",
            "collector",
            "alerts",
            "notify",
            "dashboard",
        },
    )

    m = r.table(top.get("museum", {}), "museum", {"name", "timezone", "language"})
    timezone = r.string(m, "timezone", "museum", default="UTC")
    try:
        zone_named(timezone)
    except ValueError:
        raise r.fail(
            "museum.timezone",
            f"{timezone!r} is not an IANA time zone such as 'Asia/Ho_Chi_Minh' or 'Europe/Paris'",
        ) from None
    language = r.string(m, "language", "museum", default="en", choices=LANGUAGES)
    museum = MuseumInfo(
        name=_name(r, m, "name", "museum", "Museum", language),
        timezone=timezone,
        language=language,
    )

    q = r.table(top.get("mqtt", {}), "mqtt", {"url", "client_id", "ca_file", "protocol"})
    mqtt_url = env.get("PATINA_MQTT_URL") or r.string(q, "url", "mqtt", default="mqtt://127.0.0.1:1883")
    mqtt_url = _check_url(r, "mqtt.url (or PATINA_MQTT_URL)", mqtt_url, ("mqtt", "mqtts"))
    mqtt_username = env.get("PATINA_MQTT_USERNAME") or None
    mqtt_password = env.get("PATINA_MQTT_PASSWORD") or None
    url_username, url_password = url_credentials(mqtt_url)
    if url_username is not None or url_password is not None:
        # Credentials in PATINA_MQTT_URL are used; in the file (readable by many) or
        # alongside PATINA_MQTT_USERNAME they are refused, never silently dropped.
        if not env.get("PATINA_MQTT_URL"):
            raise r.fail(
                "mqtt.url",
                f"{redact_url(mqtt_url)} holds credentials: never store them in the file; "
                "set PATINA_MQTT_USERNAME and PATINA_MQTT_PASSWORD",
            )
        if mqtt_username or mqtt_password:
            raise r.fail(
                "PATINA_MQTT_URL",
                f"{redact_url(mqtt_url)} holds credentials and PATINA_MQTT_USERNAME/_PASSWORD are set "
                "too: give them once",
            )
        mqtt_username, mqtt_password = url_username, url_password
        mqtt_url = without_credentials(mqtt_url)
    mqtt = MqttConfig(
        url=mqtt_url,
        client_id=env.get("PATINA_MQTT_CLIENT_ID")
        or r.string(q, "client_id", "mqtt", default="patina-collector"),
        protocol=r.string(q, "protocol", "mqtt", default="5", choices=("5", "3.1.1")),
        username=mqtt_username,
        password=mqtt_password,
        ca_file=env.get("PATINA_MQTT_CA_FILE")
        or (r.string(q, "ca_file", "mqtt") if "ca_file" in q else None),
        cert_file=env.get("PATINA_MQTT_CERT_FILE") or None,
        key_file=env.get("PATINA_MQTT_KEY_FILE") or None,
    )

    i = r.table(
        top.get("influxdb", {}),
        "influxdb",
        {"url", "database", "raw_retention", "api", "org", "bucket", "token"},
    )
    if "token" in i:
        raise r.fail("influxdb.token", "never store a token in the file: set PATINA_INFLUX_TOKEN")
    influx_url = env.get("PATINA_INFLUX_URL") or r.string(
        i, "url", "influxdb", default="http://127.0.0.1:8086"
    )
    api = env.get("PATINA_INFLUX_API") or r.string(i, "api", "influxdb", default="v1", choices=("v1", "v2"))
    database = env.get("PATINA_INFLUX_DB") or r.string(i, "database", "influxdb", default="patina")
    org = token = None
    if api == "v2":
        database = env.get("PATINA_INFLUX_BUCKET") or r.string(i, "bucket", "influxdb", default=database)
        if "/" in database:
            raise r.fail("influxdb.bucket", f"{database!r}: a bucket name for Patina has no '/'")
        org = env.get("PATINA_INFLUX_ORG") or r.string(i, "org", "influxdb", default="")
        token = env.get("PATINA_INFLUX_TOKEN")
        if not org:
            raise r.fail("influxdb.org", 'api = "v2" needs the organisation (org, or PATINA_INFLUX_ORG)')
        if not token:
            raise r.fail("influxdb.api", 'api = "v2" needs a token in PATINA_INFLUX_TOKEN')
    elif "bucket" in i or "org" in i:
        raise r.fail("influxdb.bucket" if "bucket" in i else "influxdb.org", 'only with api = "v2"')
    influxdb = InfluxConfig(
        url=_check_url(r, "influxdb.url (or PATINA_INFLUX_URL)", influx_url, ("http", "https")),
        database=database,
        username=env.get("PATINA_INFLUX_USERNAME") or None,
        password=env.get("PATINA_INFLUX_PASSWORD") or None,
        raw_retention_s=_duration(r, i, "raw_retention", "influxdb", 0.0) or None,
        api=api,
        org=org,
        token=token,
    )

    sites = []
    for n, raw in enumerate(r.array_of_tables(top, "sites")):
        key = f"sites[{n}]"
        s = r.table(raw, key, {"id", "name"})
        site_id = r.string(s, "id", key)
        sites.append(Site(id=site_id, name=_name(r, s, "name", key, site_id, language)))
    site_ids = [site.id for site in sites]
    _no_duplicates(r, "sites", site_ids)

    sources = []
    for n, raw in enumerate(r.array_of_tables(top, "sources")):
        key = f"sources[{n}]"
        s = r.table(raw, key, {"topic", "format", "site", "fields"})
        site = r.string(s, "site", key, default=site_ids[0] if len(site_ids) == 1 else "unknown")
        if "site" in s and site not in site_ids:
            raise r.fail(f"{key}.site", f"unknown site {site!r}; known: {', '.join(site_ids)}")
        fields = r.table(s.get("fields", {}), f"{key}.fields", set(SOURCE_FIELDS))
        for field_name, device_name in fields.items():
            if not isinstance(device_name, str) or not device_name:
                raise r.fail(f"{key}.fields.{field_name}", f"expected a field name, got {device_name!r}")
        sources.append(
            Source(
                topic=r.string(s, "topic", key),
                format=r.string(s, "format", key, default="patina", choices=FORMAT_NAMES),
                site=site,
                fields=tuple(sorted(fields.items())),
            )
        )
    if not sources:
        sources.append(Source(topic="patina/+/+/climate", format="patina"))

    cases = []
    sensor_owner: dict[str, str] = {}
    artefact_owner: dict[str, str] = {}
    for n, raw in enumerate(r.array_of_tables(top, "cases")):
        key = f"cases[{n}]"
        c = r.table(raw, key, {"id", "site", "gallery", "name", "sensors", "artefacts", *CASE_FACT_KEYS})
        case_id = r.string(c, "id", key)
        if case_id == UNASSIGNED_CASE:
            raise r.fail(f"{key}.id", f"{UNASSIGNED_CASE!r} is reserved for unknown sensors")
        site = r.string(c, "site", key, default=site_ids[0] if len(site_ids) == 1 else None)
        if site not in site_ids:
            raise r.fail(f"{key}.site", f"unknown site {site!r}; known: {', '.join(site_ids)}")
        sensors = r.string_list(c, "sensors", key)
        for m_index, sensor in enumerate(sensors):
            if sensor in sensor_owner:
                raise r.fail(
                    f"{key}.sensors[{m_index}]",
                    f"sensor {sensor!r} is already in case {sensor_owner[sensor]!r}",
                )
            sensor_owner[sensor] = case_id
        artefacts = []
        for a_index, raw_artefact in enumerate(r.array_of_tables(c, "artefacts", f"{key}.")):
            akey = f"{key}.artefacts[{a_index}]"
            a = r.table(raw_artefact, akey, {"id", "name", "materials", "description"})
            artefact_id = r.string(a, "id", akey)
            if artefact_id in artefact_owner:
                raise r.fail(
                    f"{akey}.id",
                    f"artefact {artefact_id!r} is already in case {artefact_owner[artefact_id]!r}",
                )
            artefact_owner[artefact_id] = case_id
            materials = r.string_list(a, "materials", akey, choices=MATERIAL_NAMES)
            if not materials:
                raise r.fail(f"{akey}.materials", "an artefact needs at least one material")
            artefacts.append(
                Artefact(
                    id=artefact_id,
                    name=_name(r, a, "name", akey, artefact_id, language),
                    materials=materials,
                    description=str(a.get("description", "")),
                )
            )
        cases.append(
            Case(
                id=case_id,
                site=site,
                gallery=_name(r, c, "gallery", key, "—", language),
                name=_name(r, c, "name", key, case_id, language),
                sensors=sensors,
                artefacts=tuple(artefacts),
                kind=r.string(c, "kind", key, default="case", choices=CASE_KINDS),
                facts=_case_facts(r, c, key),
            )
        )
    _no_duplicates(r, "cases", [case.id for case in cases])
    _check_references(r, cases)

    c = r.table(
        top.get("collector", {}),
        "collector",
        {
            "spool_path",
            "share_group",
            "instances",
            "instance_index",
            "spool_max_mb",
            "quarantine_payload_bytes",
            "quarantine_max_mb",
            "name",
        },
    )
    default_spool = Path(platformdirs.user_data_dir("patina")) / "spool" / f"{mqtt.client_id}.sqlite3"
    spool_path = Path(
        env.get("PATINA_SPOOL_PATH") or r.string(c, "spool_path", "collector", default=str(default_spool))
    )
    if path is not None and not spool_path.is_absolute():
        spool_path = path.parent / spool_path

    config = MuseumConfig(
        museum=museum,
        mqtt=mqtt,
        influxdb=influxdb,
        sources=tuple(sources),
        sites=tuple(sites),
        cases=tuple(cases),
        collector=_collector_config(r, c, env, spool_path),
        alerts=_alerts(r, top.get("alerts", {}), [c.id for c in cases]),
        notify=_notify(r, top.get("notify", {}), env),
        dashboard=_dashboard(r, top.get("dashboard", {})),
        path=path,
    )
    _check_usable(r, config)
    return config


CASE_FACT_KEYS = (
    "kind",
    "reference",
    "volume_m3",
    "silica_gel_kg",
    "gel_conditioned_rh_pct",
    "last_reconditioned",
)


def _case_facts(r: _Reader, c: Mapping[str, Any], key: str) -> CaseFacts:
    """The diagnostics' facts of one ``[[cases]]`` table (all optional)."""
    numbers = {}
    for name, upper in (("volume_m3", None), ("silica_gel_kg", None), ("gel_conditioned_rh_pct", 100.0)):
        value = _number_value(r, c, name, key, None)
        if value is not None and (value < 0 or (upper is not None and value > upper)):
            bound = f"between 0 and {upper:g}" if upper is not None else "0 or more"
            raise r.fail(f"{key}.{name}", f"{value:g} is not {bound}")
        numbers[name] = value
    if numbers["volume_m3"] == 0:
        raise r.fail(f"{key}.volume_m3", "a case has a volume above 0")
    last = c.get("last_reconditioned")
    if last is not None and (not isinstance(last, date) or isinstance(last, datetime)):
        raise r.fail(f"{key}.last_reconditioned", f"expected a date such as 2026-03-14, got {last!r}")
    reference = r.string(c, "reference", key, default="") or None
    return CaseFacts(reference=reference, last_reconditioned=last, **numbers)


def _check_references(r: _Reader, cases: list[Case]) -> None:
    ids = [case.id for case in cases]
    for index, case in enumerate(cases):
        reference = case.facts.reference
        if reference is None:
            continue
        if reference not in ids:
            raise r.fail(f"cases[{index}].reference", f"unknown case {reference!r}; known: {', '.join(ids)}")
        if reference == case.id:
            raise r.fail(f"cases[{index}].reference", "a case cannot be its own reference")


def _dashboard(r: _Reader, raw: Any) -> DashboardConfig:
    from museum.description.users import ROLES

    d = r.table(raw, "dashboard", {"anonymous_viewing", "users"})
    anonymous = d.get("anonymous_viewing", True)
    if not isinstance(anonymous, bool):
        raise r.fail("dashboard.anonymous_viewing", f"expected true or false, got {anonymous!r}")
    users = []
    for n, raw_user in enumerate(r.array_of_tables(d, "users", "dashboard.")):
        key = f"dashboard.users[{n}]"
        u = r.table(raw_user, key, {"name", "role", "password_hash", "password"})
        if "password" in u:
            raise r.fail(
                f"{key}.password",
                "never store a password: use password_hash (made by `patina hash-password`)",
            )
        password_hash = r.string(u, "password_hash", key)
        if not password_hash.startswith("scrypt$"):
            raise r.fail(f"{key}.password_hash", "not a hash made by `patina hash-password`")
        users.append(
            DashboardUser(
                name=r.string(u, "name", key),
                role=r.string(u, "role", key, default="viewer", choices=ROLES),
                password_hash=password_hash,
            )
        )
    return DashboardConfig(anonymous_viewing=anonymous, users=tuple(users))


def _duration(r: _Reader, table: Mapping[str, Any], key: str, path: str, default: float) -> float:
    if key not in table:
        return default
    try:
        return parse_duration_s(table[key])
    except ValueError as error:
        raise r.fail(f"{path}.{key}", str(error)) from None


def _number_value(
    r: _Reader, table: Mapping[str, Any], key: str, path: str, default: float | None
) -> float | None:
    value = table.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise r.fail(f"{path}.{key}", f"expected a number, got {value!r}")
    if value is not None and not math.isfinite(value):
        raise r.fail(f"{path}.{key}", f"expected a finite number, got {value!r}")
    return None if value is None else float(value)


def _alerts(r: _Reader, raw: Any, case_ids: list[str]) -> AlertsConfig:
    a = r.table(
        raw,
        "alerts",
        {
            "min_duration",
            "sensor_silent_after",
            "repeat_after",
            "escalate_after",
            "hysteresis_pct",
            "battery_low_pct",
            "condensation_margin_k",
            "rules",
            "rate_of_change_pct_per_h",
            "stuck_after",
            "spool_alert_depth",
            "forecast_days",
        },
    )
    defaults = AlertsConfig()
    rules = []
    for n, raw_rule in enumerate(r.array_of_tables(a, "rules", "alerts.")):
        key = f"alerts.rules[{n}]"
        rule = r.table(raw_rule, key, {"case", "rh_max_pct", "rh_min_pct", "min_duration"})
        case = r.string(rule, "case", key)
        if case not in case_ids:
            raise r.fail(f"{key}.case", f"unknown case {case!r}")
        rules.append(
            CaseRule(
                case=case,
                rh_max_pct=_number_value(r, rule, "rh_max_pct", key, None),
                rh_min_pct=_number_value(r, rule, "rh_min_pct", key, None),
                min_duration_s=_duration(r, rule, "min_duration", key, -1.0)
                if "min_duration" in rule
                else None,
            )
        )
    return AlertsConfig(
        min_duration_s=_duration(r, a, "min_duration", "alerts", defaults.min_duration_s),
        sensor_silent_after_s=_duration(
            r, a, "sensor_silent_after", "alerts", defaults.sensor_silent_after_s
        ),
        repeat_after_s=_duration(r, a, "repeat_after", "alerts", defaults.repeat_after_s),
        escalate_after_s=_duration(r, a, "escalate_after", "alerts", defaults.escalate_after_s),
        hysteresis_pct=_number_value(r, a, "hysteresis_pct", "alerts", defaults.hysteresis_pct) or 0.0,
        battery_low_pct=_number_value(r, a, "battery_low_pct", "alerts", defaults.battery_low_pct) or 0.0,
        condensation_margin_k=_number_value(
            r, a, "condensation_margin_k", "alerts", defaults.condensation_margin_k
        )
        or 0.0,
        rate_of_change_pct_per_h=_number_value(
            r, a, "rate_of_change_pct_per_h", "alerts", defaults.rate_of_change_pct_per_h
        )
        or 0.0,
        stuck_after_s=_duration(r, a, "stuck_after", "alerts", defaults.stuck_after_s),
        spool_alert_depth=int(
            _number_value(r, a, "spool_alert_depth", "alerts", defaults.spool_alert_depth) or 0
        ),
        forecast_days=_number_value(r, a, "forecast_days", "alerts", None),
        rules=tuple(rules),
    )


def _recipients(
    r: _Reader, email: Mapping[str, Any], key: str
) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """E-mail addresses, each a string (written in the museum's language) or
    ``{ address = "…", language = "fr" }`` for a reader of another language."""
    path = f"notify.email.{key}"
    value = email.get(key, [])
    if not isinstance(value, list):
        raise r.fail(path, f"expected a list of addresses, got {value!r}")
    addresses: list[str] = []
    languages: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if isinstance(item, dict):
            entry = r.table(item, where, {"address", "language"})
            address = r.string(entry, "address", where)
            if not address.strip():
                raise r.fail(f"{where}.address", "expected a non-empty address")
            languages.append((address, r.string(entry, "language", where, choices=LANGUAGES)))
        elif isinstance(item, str) and item.strip():
            address = item
        else:
            raise r.fail(where, f"expected an address or {{ address = …, language = … }}, got {item!r}")
        addresses.append(address)
    return tuple(addresses), languages


def _notify(r: _Reader, raw: Any, env: Mapping[str, str]) -> NotifyConfig:
    n = r.table(raw, "notify", {"email", "webhook", "mqtt", "dashboard_url"})
    email = r.table(n.get("email", {}), "notify.email", {"smtp_url", "from", "to", "escalate_to"})
    webhook = r.table(n.get("webhook", {}), "notify.webhook", {"url"})
    mqtt_alerts = r.table(n.get("mqtt", {}), "notify.mqtt", {"enabled"})
    smtp_url = r.string(email, "smtp_url", "notify.email", default="") or None
    if smtp_url:
        _check_url(r, "notify.email.smtp_url", smtp_url, ("smtp", "smtps"))
        if any(part is not None for part in url_credentials(smtp_url)):
            # Never used for the login (that takes PATINA_SMTP_USERNAME): refused, not ignored.
            raise r.fail(
                "notify.email.smtp_url",
                f"{redact_url(smtp_url)} holds credentials: never store them in the file; "
                "set PATINA_SMTP_USERNAME and PATINA_SMTP_PASSWORD",
            )
    # A webhook URL usually holds its token: it can come from the environment instead.
    webhook_url = (
        env.get("PATINA_WEBHOOK_URL") or r.string(webhook, "url", "notify.webhook", default="") or None
    )
    if webhook_url:
        _check_url(r, "notify.webhook.url (or PATINA_WEBHOOK_URL)", webhook_url, ("http", "https"))
    email_to, to_languages = _recipients(r, email, "to")
    escalate_to, escalate_languages = _recipients(r, email, "escalate_to")
    return NotifyConfig(
        smtp_url=smtp_url,
        email_from=r.string(email, "from", "notify.email", default="patina@localhost"),
        email_to=email_to,
        escalate_to=escalate_to,
        email_languages=tuple(dict(to_languages + escalate_languages).items()),
        webhook_url=webhook_url,
        mqtt_alerts=_boolean(r, mqtt_alerts, "enabled", "notify.mqtt", True),
        dashboard_url=r.string(n, "dashboard_url", "notify", default="http://127.0.0.1:8501"),
        smtp_username=env.get("PATINA_SMTP_USERNAME") or None,
        smtp_password=env.get("PATINA_SMTP_PASSWORD") or None,
    )


def _collector_config(
    r: _Reader, c: Mapping[str, Any], env: Mapping[str, str], spool_path: Path
) -> CollectorConfig:
    group = c.get("share_group")
    if group is not None and (not isinstance(group, str) or not group or any(ch in group for ch in "/+#")):
        raise r.fail("collector.share_group", f"{group!r} is not a name (no /, + or #)")
    instances = c.get("instances", 1)
    index = env.get("PATINA_INSTANCE_INDEX", c.get("instance_index", 0))
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise r.fail(
            "collector.instance_index (or PATINA_INSTANCE_INDEX)", f"{index!r} is not a number"
        ) from None
    if not isinstance(instances, int) or instances < 1:
        raise r.fail("collector.instances", f"{instances!r} is not a positive integer")
    if not 0 <= index < instances:
        raise r.fail("collector.instance_index", f"{index} is not between 0 and {instances - 1}")
    if instances > 1 and group is None:
        raise r.fail("collector.instances", "several instances need a share_group")
    name = env.get("PATINA_COLLECTOR_NAME") or c.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise r.fail("collector.name", f"{name!r} is not a name")
    return CollectorConfig(
        spool_path=spool_path,
        share_group=group,
        instances=instances,
        instance_index=index,
        name=name.strip() if name else None,
        **_spool_limits(r, c),
    )


def _no_duplicates(r: _Reader, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            raise r.fail(f"{key}[{index}].id", f"duplicate id {item!r}")
        seen.add(item)


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


# --- values that parse but cannot work ------------------------------------------------------
# Kept apart from the parsing above: each check names the key and the value it refuses.

#: Characters an id cannot hold: InfluxDB 1.x cannot carry them in a tag (museum.storage.lineprotocol).
_ID_FORBIDDEN = re.compile(r"[\\\x00-\x1f\x7f]")
_SCRYPT_HASH = re.compile(r"scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}")


def _boolean(r: _Reader, table: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise r.fail(f"{path}.{key}", f"expected true or false, got {value!r}")
    return value


def _positive_number(r: _Reader, table: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = _number_value(r, table, key, "collector", default)
    if value is not None and value <= 0:
        raise r.fail(f"collector.{key}", f"{value!r} is not a positive number")
    return value


def _spool_limits(r: _Reader, c: Mapping[str, Any]) -> dict[str, Any]:
    payload_bytes = _positive_number(r, c, "quarantine_payload_bytes", 64 * 1024)
    assert payload_bytes is not None
    if payload_bytes != int(payload_bytes):
        raise r.fail("collector.quarantine_payload_bytes", f"{payload_bytes!r} is not a whole number")
    return {
        "spool_max_mb": _positive_number(r, c, "spool_max_mb", None),
        "quarantine_payload_bytes": int(payload_bytes),
        "quarantine_max_mb": _positive_number(r, c, "quarantine_max_mb", 100.0),
    }


def topic_filter_problem(topic: str) -> str | None:
    """Why an MQTT topic filter is invalid (MQTT 5.0, 4.7.1), or None: ``#`` only as the
    whole last level, ``+`` only as a whole level, no NUL, at most 65535 bytes."""
    if not topic:
        return "is empty"
    if len(topic.encode()) > 65535:
        return "is longer than 65535 bytes"
    if "\x00" in topic:
        return "contains a NUL character"
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return "has '#' other than as the whole last level"
        if "+" in level and level != "+":
            return "has '+' other than as a whole level"
    return None


def _check_id(r: _Reader, key: str, value: str) -> None:
    if _ID_FORBIDDEN.search(value):
        raise r.fail(key, f"{value!r} contains a backslash or a control character (a line break, a tab)")


def _check_usable(r: _Reader, config: MuseumConfig) -> None:
    for n, source in enumerate(config.sources):
        problem = topic_filter_problem(source.topic)
        if problem:
            raise r.fail(f"sources[{n}].topic", f"{source.topic!r} is not an MQTT topic filter: it {problem}")
    for n, site in enumerate(config.sites):
        _check_id(r, f"sites[{n}].id", site.id)
    for n, case in enumerate(config.cases):
        _check_id(r, f"cases[{n}].id", case.id)
        for m, sensor in enumerate(case.sensors):
            _check_id(r, f"cases[{n}].sensors[{m}]", sensor)
        for m, artefact in enumerate(case.artefacts):
            _check_id(r, f"cases[{n}].artefacts[{m}].id", artefact.id)
    _check_alerts(r, config.alerts)
    names: dict[str, int] = {}
    for n, user in enumerate(config.dashboard.users):
        if user.name in names:
            raise r.fail(
                f"dashboard.users[{n}].name",
                f"{user.name!r} is already dashboard.users[{names[user.name]}]",
            )
        names[user.name] = n
        if not _SCRYPT_HASH.fullmatch(user.password_hash):
            raise r.fail(
                f"dashboard.users[{n}].password_hash",
                "malformed: expected scrypt$N$r$p$salt$hash as `patina hash-password` prints it",
            )


def _check_alerts(r: _Reader, alerts: AlertsConfig) -> None:
    percentages = {
        "hysteresis_pct": alerts.hysteresis_pct,
        "battery_low_pct": alerts.battery_low_pct,
        "rate_of_change_pct_per_h": alerts.rate_of_change_pct_per_h,
    }
    for key, value in percentages.items():
        if not 0 <= value <= 100:
            raise r.fail(f"alerts.{key}", f"{value!r} is not between 0 and 100")
    if not 0 <= alerts.condensation_margin_k <= 50:
        raise r.fail(
            "alerts.condensation_margin_k", f"{alerts.condensation_margin_k!r} is not between 0 and 50"
        )
    if alerts.spool_alert_depth < 1:
        raise r.fail("alerts.spool_alert_depth", f"{alerts.spool_alert_depth!r} is not a positive number")
    # A forecast further out than a year rests on a room that stays as it was for longer
    # than a season: not a basis for an alert.
    if alerts.forecast_days is not None and not 0 < alerts.forecast_days <= 365:
        raise r.fail(
            "alerts.forecast_days", f"{alerts.forecast_days!r} is not between 0 (excluded) and 365 days"
        )
    for n, rule in enumerate(alerts.rules):
        key = f"alerts.rules[{n}]"
        for name in ("rh_min_pct", "rh_max_pct"):
            value = getattr(rule, name)
            if value is not None and not 0 <= value <= 100:
                raise r.fail(f"{key}.{name}", f"{value!r} is not between 0 and 100")
        if rule.rh_min_pct is not None and rule.rh_max_pct is not None and rule.rh_min_pct >= rule.rh_max_pct:
            raise r.fail(
                f"{key}.rh_min_pct",
                f"{rule.rh_min_pct!r} is not below rh_max_pct {rule.rh_max_pct!r}",
            )
