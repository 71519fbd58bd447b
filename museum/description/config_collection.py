"""The collection in ``museum.toml``: ``[museum]``, ``[[sites]]``, ``[[sources]]`` and
``[[cases]]`` with their ``[[cases.artefacts]]``, declared once (:mod:`museum.description.schema`)
with the objects they become and the checks across them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from analysis.materials import MATERIAL_NAMES
from museum.description.config_light import ARTEFACT_LIGHT_KEYS, ArtefactLight, artefact_light
from museum.description.formats import FORMAT_NAMES
from museum.description.schema import (
    REQUIRED,
    Date,
    Key,
    Kind,
    List,
    Name,
    Number,
    Place,
    Table,
    TableList,
    Text,
    Values,
)
from museum.description.times import zone_named
from museum.language.i18n import LANGUAGES

#: Fields a source may map from a device's own names (ttn-v3 decoded payloads).
SOURCE_FIELDS = ("temperature_c", "rh_pct", "battery_pct", "illuminance_lux")
#: Case id given to readings from sensors the config does not place in any case.
UNASSIGNED_CASE = "unassigned"
CASE_KINDS = ("case", "room")


def _zone_problem(name: str) -> str | None:
    try:
        zone_named(name)
    except ValueError:
        return f"{name!r} is not an IANA time zone such as 'Asia/Ho_Chi_Minh' or 'Europe/Paris'"
    return None


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


def _topic_problem(topic: str) -> str | None:
    problem = topic_filter_problem(topic)
    return f"{topic!r} is not an MQTT topic filter: it {problem}" if problem else None


#: An id InfluxDB 1.x can carry in a tag (museum.storage.lineprotocol): no backslash, no
#: control character.
ID = Text(
    pattern=r"[^\\\x00-\x1f\x7f]+",
    mismatch="{value} contains a backslash or a control character (a line break, a tab)",
    about="no backslash or control character",
)


# --- [museum] -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MuseumInfo:
    name: str
    timezone: str
    language: str


def _museum(v: Values) -> MuseumInfo:
    return MuseumInfo(
        name=v.name("name", "Museum"),
        timezone=v["timezone"],
        language=v["language"],
    )


MUSEUM = Table(
    Key(
        "name",
        Name(),
        "The museum's name, shown on every page and report.",
        default_doc="`Museum`",
    ),
    Key(
        "timezone",
        Text(check=_zone_problem, about="an IANA time zone such as `Asia/Ho_Chi_Minh`"),
        "The museum's time zone: days, reports and typed times are in it.",
        default="UTC",
    ),
    Key(
        "language",
        Text(choices=LANGUAGES),
        "The museum's language: names without one of the reader's, notifications.",
        default="en",
    ),
    build=_museum,
    doc="The museum itself.",
)


# --- [[sites]] ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    id: str
    name: str


def _site(v: Values) -> Site:
    return Site(id=v["id"], name=v.name("name", v["id"]))


def _no_duplicates(at: Place, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            raise at.item(index).key("id").fail(f"duplicate id {item!r}")
        seen.add(item)


def _sites(sites: list[Site], at: Place) -> tuple[Site, ...]:
    _no_duplicates(at, [site.id for site in sites])
    return tuple(sites)


SITES = TableList(
    Table(
        Key("id", ID, "The site's id: the `<site>` of topics, a tag of every reading.", default=REQUIRED),
        Key("name", Name(), "The site's name.", default_doc="its id"),
        build=_site,
    ),
    build=_sites,
    doc="The museum's sites (buildings).",
)


# --- [[sources]] ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A topic filter bound to a payload format. ``site`` is the site of readings whose
    topic names none (every format but ``patina``); ``fields`` maps Patina's field names
    to a device's own (for ``ttn-v3`` decoded payloads)."""

    topic: str
    format: str
    site: str = "unknown"
    fields: tuple[tuple[str, str], ...] = ()


def _site_ids(v: Values) -> list[str]:
    return [site.id for site in v.reading.sections.get("sites", ())]


def _source(v: Values) -> Source:
    site_ids = _site_ids(v)
    if v.given("site"):
        site = v["site"]
        if site not in site_ids:
            raise v.fail("site", f"unknown site {site!r}; known: {', '.join(site_ids)}")
    else:
        site = site_ids[0] if len(site_ids) == 1 else "unknown"
    fields = v["fields"]
    return Source(
        topic=v["topic"],
        format=v["format"],
        site=site,
        fields=tuple(sorted((name, fields[name]) for name in SOURCE_FIELDS if fields.given(name))),
    )


def _sources(sources: list[Source], at: Place) -> tuple[Source, ...]:
    return tuple(sources) or (Source(topic="patina/+/+/climate", format="patina"),)


SOURCES = TableList(
    Table(
        Key(
            "topic",
            Text(check=_topic_problem, about="an MQTT topic filter"),
            "The MQTT topic filter to subscribe to.",
            default=REQUIRED,
        ),
        Key("format", Text(choices=FORMAT_NAMES), "The devices' payload format.", default="patina"),
        Key(
            "site",
            Text(),
            "The site of readings whose topic names none (every format but `patina`).",
            default_doc="the only site, when there is one",
        ),
        Key(
            "fields",
            Table(
                *(
                    Key(
                        name,
                        Text(expected="a field name"),
                        f"The device's name for `{name}`.",
                        default_doc="the names of Dragino LHT65/LHT52 and Elsys ERS payloads",
                    )
                    for name in SOURCE_FIELDS
                ),
                doc="A device's own names for Patina's fields (ttn-v3 decoded payloads).",
            ),
        ),
        build=_source,
    ),
    build=_sources,
    doc="Where readings come from: MQTT topic filters and their payload formats.",
)


# --- [[cases]] and [[cases.artefacts]] ------------------------------------------------------


@dataclass(frozen=True)
class Artefact:
    id: str
    name: str
    materials: tuple[str, ...]
    description: str = ""
    #: Its light sensitivity as its record gives it (docs/light.md).
    light: ArtefactLight = field(default_factory=ArtefactLight)


def _artefact(v: Values) -> Artefact:
    return Artefact(
        id=v["id"],
        name=v.name("name", v["id"]),
        materials=v["materials"],
        description=v["description"],
        light=artefact_light(v),
    )


ARTEFACT = Table(
    Key("id", ID, "The inventory number.", default=REQUIRED),
    Key("name", Name(), "The object's name.", default_doc="its id"),
    Key(
        "materials",
        List(
            Text(choices=MATERIAL_NAMES, noun="material"),
            at_least_one="an artefact needs at least one material",
        ),
        "What the object is made of: each material's limits apply (docs/risk-model.md).",
        default=REQUIRED,
    ),
    Key("description", Text(blank=True), "A description, for the object's page.", default=""),
    *ARTEFACT_LIGHT_KEYS,
    build=_artefact,
)


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


FACT_KEYS = ("reference", "volume_m3", "silica_gel_kg", "gel_conditioned_rh_pct", "last_reconditioned")


def _case(v: Values) -> Case:
    if v["id"] == UNASSIGNED_CASE:
        raise v.fail("id", f"{UNASSIGNED_CASE!r} is reserved for unknown sensors")
    site_ids = _site_ids(v)
    site = v["site"] if v.given("site") else (site_ids[0] if len(site_ids) == 1 else None)
    if site is None:
        raise v.fail("site", "missing")
    if site not in site_ids:
        raise v.fail("site", f"unknown site {site!r}; known: {', '.join(site_ids)}")
    return Case(
        id=v["id"],
        site=site,
        gallery=v.name("gallery", "—"),
        name=v.name("name", v["id"]),
        sensors=v["sensors"],
        artefacts=v["artefacts"],
        kind=v["kind"],
        facts=CaseFacts(**{name: v[name] for name in FACT_KEYS}),
    )


def _cases(cases: list[Case], at: Place) -> tuple[Case, ...]:
    """A sensor and an artefact are in one case only; ids are unique; references exist."""
    sensor_owner: dict[str, str] = {}
    artefact_owner: dict[str, str] = {}
    for n, case in enumerate(cases):
        for m, sensor in enumerate(case.sensors):
            if sensor in sensor_owner:
                raise (
                    at.item(n)
                    .key("sensors")
                    .item(m)
                    .fail(f"sensor {sensor!r} is already in case {sensor_owner[sensor]!r}")
                )
            sensor_owner[sensor] = case.id
        for m, artefact in enumerate(case.artefacts):
            if artefact.id in artefact_owner:
                raise (
                    at.item(n)
                    .key("artefacts")
                    .item(m)
                    .key("id")
                    .fail(f"artefact {artefact.id!r} is already in case {artefact_owner[artefact.id]!r}")
                )
            artefact_owner[artefact.id] = case.id
    ids = [case.id for case in cases]
    _no_duplicates(at, ids)
    for n, case in enumerate(cases):
        reference = case.facts.reference
        if reference is not None and reference not in ids:
            raise at.item(n).key("reference").fail(f"unknown case {reference!r}; known: {', '.join(ids)}")
        if reference == case.id:
            raise at.item(n).key("reference").fail("a case cannot be its own reference")
    return tuple(cases)


def _fact(name: str, kind: Kind, doc: str) -> Key:
    return Key(name, kind, f"For the diagnosis (docs/diagnostics.md): {doc}")


CASES = TableList(
    Table(
        Key("id", ID, "The case's id, a tag of every reading and alert.", default=REQUIRED),
        Key("site", Text(), "The site the case is in.", default_doc="the only site, when there is one"),
        Key("gallery", Name(), "The gallery (room) the case stands in.", default_doc="`—`"),
        Key("name", Name(), "The case's name.", default_doc="its id"),
        Key("sensors", List(ID), "The ids of the sensors in the case.", default_doc="none"),
        Key("artefacts", TableList(ARTEFACT, doc="The objects in the case.")),
        Key(
            "kind",
            Text(choices=CASE_KINDS),
            "`case` (a display case) or `room` (a sensor in the gallery's own air).",
            default="case",
        ),
        _fact(
            "reference", Text(), "the case whose air this one exchanges with (default: its gallery's room)."
        ),
        _fact("volume_m3", Number(minimum=0, exclusive_minimum=True, compact=True), "the case's volume, m³."),
        _fact("silica_gel_kg", Number(minimum=0, compact=True), "the silica gel in the case, kg (0: none)."),
        _fact(
            "gel_conditioned_rh_pct",
            Number(minimum=0, maximum=100, compact=True),
            "the RH the gel was conditioned to, %.",
        ),
        _fact("last_reconditioned", Date(), "when the gel was last reconditioned."),
        build=_case,
    ),
    build=_cases,
    doc="Display cases (and rooms), their sensors and the objects in them.",
)
