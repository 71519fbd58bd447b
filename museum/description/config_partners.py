"""Partner museums in ``museum.toml``: ``[[partners]]``, declared once
(:mod:`museum.description.schema`) with the object each becomes (issue 27, docs/partners.md).

A partner is another museum whose broker is bridged to this one's: it may see some of this
museum's cases (a borrower shares the case a loan is in), it may hold some of this museum's
objects (a lender names them with their case there), and its collector's heartbeat is
watched here, so that a partner whose monitoring went silent is noticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from museum.description.config_collection import ID
from museum.description.schema import (
    REQUIRED,
    Duration,
    Key,
    List,
    Name,
    Place,
    Table,
    TableList,
    Text,
    Values,
)
from museum.language.i18n import LocalizedName

#: The topic every collector publishes its retained heartbeat on, on its own broker; a
#: bridge forwards it to each partner under the prefix the partner gave this museum.
HEARTBEAT_TOPIC = "patina/heartbeat"
#: The readings a partner shares arrive under its prefix with their own topic after it.
PARTNER_READINGS = "patina/+/+/climate"
#: A lender asks a borrower for the readings of a gap on this topic, under the prefix the
#: borrower has on the lender's broker; the borrower's bridge brings it ``in`` as
#: ``patina/backfill/<lender's id>/request`` (collector/backfill.py, docs/partners.md).
BACKFILL_REQUEST = "patina/backfill/request"

PREFIX = Text(
    pattern=r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*",
    mismatch="{value} is not a topic prefix such as partners/armee (no wildcard, no leading or trailing /)",
    about="a topic prefix, `partners/armee`",
)
ADDRESS = Text(
    pattern=r"[A-Za-z0-9_.\-]+:[0-9]{1,5}",
    mismatch="{value} is not host:port, such as broker.example.org:8883",
    about="host:port",
)


@dataclass(frozen=True)
class LentObject:
    """One of this museum's objects, on loan at the partner in ``case_id`` there."""

    artefact_id: str
    case_id: str
    #: The sensors of that case as the partner's topics name them; empty: every one it shares.
    sensors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partner:
    id: str
    name: LocalizedName
    #: Where the partner's messages arrive on this museum's broker.
    topic_prefix: str
    #: Where this museum's messages arrive on the partner's broker (the partner's
    #: ``topic_prefix`` for this museum).
    our_prefix: str
    #: The partner's broker, host:port, which this museum's bridge connects to.
    address: str
    #: This museum's user on the partner's broker (the bridge logs in as it).
    bridge_user: str
    #: The partner's user on this museum's broker.
    partner_user: str
    cases: tuple[str, ...]
    objects: tuple[LentObject, ...]
    silent_after_s: float

    @property
    def heartbeat_topic(self) -> str:
        """Where the partner's heartbeat arrives here."""
        return f"{self.topic_prefix}/{HEARTBEAT_TOPIC}"

    @property
    def readings_topic(self) -> str:
        """The filter the partner's shared readings arrive on here."""
        return f"{self.topic_prefix}/{PARTNER_READINGS}"

    @property
    def backfill_topic(self) -> str:
        """Where this museum's back-fill requests to the partner wait on this broker; the
        partner's bridge takes them in."""
        return f"{self.topic_prefix}/{BACKFILL_REQUEST}"

    @property
    def backfill_inbox(self) -> str:
        """Where the partner's back-fill requests arrive on this broker (this museum's bridge
        brings them in). Apart from :attr:`backfill_topic`, so two museums lending each
        other objects never take their own request for the partner's."""
        return f"patina/backfill/{self.id}/request"


def _lent(v: Values) -> LentObject:
    return LentObject(artefact_id=v["artefact"], case_id=v["case"], sensors=tuple(v["sensors"]))


def _partner(v: Values) -> Partner:
    partner_id = v["id"]
    cases = {case.id for case in v.reading.sections.get("cases", ())}
    for case_id in v["cases"]:
        if case_id not in cases:
            raise v.fail("cases", f"unknown case {case_id!r}; known: {', '.join(sorted(cases))}")
    return Partner(
        id=partner_id,
        name=v.name("name", partner_id),
        topic_prefix=v["topic_prefix"] or f"partners/{partner_id}",
        our_prefix=v["our_prefix"],
        address=v["address"] or "",
        # The partner's default name for our user: partner-<our id there>, ``our_prefix``'s last word.
        bridge_user=v["bridge_user"] or f"partner-{v['our_prefix'].rsplit('/', 1)[-1]}",
        partner_user=v["partner_user"] or f"partner-{partner_id}",
        cases=tuple(v["cases"]),
        objects=tuple(v["objects"]),
        silent_after_s=v["silent_after"],
    )


def _partners(partners: list[Partner], at: Place) -> tuple[Partner, ...]:
    seen: set[str] = set()
    for index, partner in enumerate(partners):
        if partner.id in seen:
            raise at.item(index).key("id").fail(f"duplicate id {partner.id!r}")
        seen.add(partner.id)
    return tuple(partners)


OBJECT = Table(
    Key("artefact", ID, "This museum's object (an artefact id) on loan at the partner.", default=REQUIRED),
    Key("case", ID, "The case it is in at the partner (the partner's case id).", default=REQUIRED),
    Key(
        "sensors",
        List(ID),
        "The sensors of that case, as the partner's topics name them.",
        default_doc="every sensor the partner shares",
    ),
    build=_lent,
)

PARTNERS = TableList(
    Table(
        Key("id", ID, "The partner's id, used in its topic prefix and its broker user.", default=REQUIRED),
        Key("name", Name(), "The partner museum's name, per language.", default_doc="its id"),
        Key(
            "our_prefix",
            PREFIX,
            "Where this museum's messages arrive on the partner's broker (its `topic_prefix` for us).",
            default=REQUIRED,
        ),
        Key(
            "topic_prefix",
            PREFIX,
            "Where the partner's messages arrive on this broker.",
            default_doc="partners/<id>",
        ),
        Key("address", ADDRESS, "The partner's broker, host:port, for the bridge.", default_doc="none"),
        Key(
            "bridge_user",
            ID,
            "This museum's user on the partner's broker (the partner's `partner_user` for us).",
            default_doc="partner-<last word of our_prefix>",
        ),
        Key("partner_user", ID, "The partner's bridge user on this broker.", default_doc="partner-<id>"),
        Key(
            "cases", List(ID), "This museum's cases the partner may see (a loan's case).", default_doc="none"
        ),
        Key("objects", TableList(OBJECT, doc="This museum's objects on loan at the partner.")),
        Key(
            "silent_after",
            Duration(),
            "A partner whose heartbeat is older than this opens a `partner_silent` alert.",
            default="10m",
        ),
        build=_partner,
    ),
    build=_partners,
    doc="Partner museums bridged to this one: what they see, what of ours they hold (docs/partners.md).",
)
