"""The Mosquitto bridge between two partner museums and the ACL of a partner's bridge user
(issue 27, docs/partners.md): what `patina partner bridge-config` prints.

Each museum runs one bridge per partner, from its own broker to the partner's, carrying
``out`` only the topics it shares: the sensors of the cases ``[[partners]] cases`` names and
its heartbeat, each under the prefix the partner gave it (``our_prefix``). One topic comes
``in``, when this museum shares cases: the partner's back-fill requests (its lender asking
for a gap the queue could not hold, collector/backfill.py), as ``patina/backfill/<id>/request``.
What the partner shares arrives by the partner's own bridge, as the partner's bridge user,
whose ACL on this broker lets it write under its prefix only (its heartbeat, and the
readings of the cases holding this museum's objects) and read only the back-fill requests
this museum sends it.

The bridge's session is persistent (``cleansession false``) and its messages QoS 1, so
while the link is down the local broker queues them for the bridge, up to
``max_queued_messages`` (a global option of mosquitto.conf, per client, the bridge
included); beyond it Mosquitto drops them silently, which is why the lender can back-fill a
gap from the borrower's database (docs/partners.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from museum.description.config import MuseumConfig, Partner
from museum.description.config_partners import BACKFILL_REQUEST, HEARTBEAT_TOPIC

#: What deploy/mosquitto.conf sets; the bound the generated stanza states.
DEFAULT_QUEUE_MESSAGES = 1_000_000


@dataclass(frozen=True)
class BridgeFiles:
    stanza: str
    acl: str


def shared_topics(config: MuseumConfig, partner: Partner) -> list[str]:
    """The local topics the bridge carries to ``partner``: each sensor of each shared case
    (``patina/<site>/<sensor>/climate``) and this museum's heartbeat."""
    topics = []
    for case_id in partner.cases:
        case = config.case(case_id)
        topics += [f"patina/{case.site}/{sensor}/climate" for sensor in case.sensors]
    return [*topics, HEARTBEAT_TOPIC]


def bridge_stanza(
    config: MuseumConfig,
    partner: Partner,
    *,
    tls: bool = True,
    cafile: str = "/etc/mosquitto/certs/partner-ca.crt",
    password: str | None = None,
    queue_messages: int = DEFAULT_QUEUE_MESSAGES,
) -> str:
    """The ``connection`` stanza for this museum's mosquitto.conf (or a file of its include_dir)."""
    if not partner.address:
        raise ValueError(f"partner {partner.id!r}: set its broker's address (host:port) in [[partners]]")
    lines = [
        f"# Patina bridge to {partner.name} (patina partner bridge-config --partner {partner.id}).",
        f"# Carries out only: the shared cases ({', '.join(partner.cases) or 'none'}) and the heartbeat,",
        f"# under {partner.our_prefix}/ on the partner's broker."
        + (" In: only the partner's back-fill requests." if partner.cases else " Nothing comes in."),
        "#",
        "# Queue bound while the link is down: max_queued_messages, a global option of",
        f"# mosquitto.conf (per client, this bridge included): {queue_messages} QoS 1 messages;",
        "# beyond it Mosquitto drops the newest silently. deploy/mosquitto.conf sets",
        f"# max_queued_messages {DEFAULT_QUEUE_MESSAGES} and max_queued_bytes 0.",
        f"connection patina-{partner.id}",
        f"address {partner.address}",
        "bridge_protocol_version mqttv311",
        f"remote_clientid {partner.bridge_user}",
        f"remote_username {partner.bridge_user}",
        f"remote_password {password}"
        if password
        else "# remote_password: give PATINA_BRIDGE_PASSWORD to the command, or write it here",
        "cleansession false",
        "keepalive_interval 30",
        "restart_timeout 2 30",
        # The partner's ACL gives the bridge user its prefix only: no $SYS notices there.
        "notifications true",
        "notifications_local_only true",
        f"notification_topic patina/bridge/{partner.id}/state",
    ]
    if tls:
        lines += [f"bridge_cafile {cafile}", "bridge_tls_version tlsv1.2", "bridge_insecure false"]
    else:
        lines.append("# TLS OFF (--no-tls): only on a private network or for tests.")
    lines += [f'topic {topic} out 1 "" {partner.our_prefix}/' for topic in shared_topics(config, partner)]
    if partner.cases:
        # The partner's requests for a gap of what we share: our collector answers them from
        # our database (collector/backfill.py). Mosquitto maps a topic by its prefixes: the
        # request's last word stays, the rest becomes our inbox for that partner.
        inbox = partner.backfill_inbox.rsplit("/", 1)[0]
        remote = f"{partner.our_prefix}/{BACKFILL_REQUEST}".rsplit("/", 1)[0]
        lines.append(f"topic request in 1 {inbox}/ {remote}/")
    return "\n".join(lines) + "\n"


def partner_acl(partner: Partner) -> str:
    """The lines of this broker's acl_file for the partner's bridge user: it writes its
    heartbeat and, when it holds objects of this museum, the readings it shares, all under
    its prefix; it reads only the back-fill requests this museum sends it (when it holds
    objects of ours), nothing else."""
    lines = [
        f"# {partner.name}'s bridge user (patina partner bridge-config --partner {partner.id}).",
        "# An acl_file applies to every client: keep the lines of this museum's own clients.",
        f"user {partner.partner_user}",
        f"topic write {partner.heartbeat_topic}",
    ]
    if partner.objects:
        lines.append(f"topic write {partner.readings_topic}")
        lines.append(f"topic read {partner.backfill_topic}")
    return "\n".join(lines) + "\n"


def bridge_files(config: MuseumConfig, partner_id: str, **stanza: object) -> BridgeFiles:
    partner = next((p for p in config.partners if p.id == partner_id), None)
    if partner is None:
        known = ", ".join(p.id for p in config.partners) or "none"
        raise ValueError(f"no partner {partner_id!r} in [[partners]]; known: {known}")
    return BridgeFiles(bridge_stanza(config, partner, **stanza), partner_acl(partner))  # type: ignore[arg-type]
