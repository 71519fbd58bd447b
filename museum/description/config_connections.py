"""The services in ``museum.toml``: ``[mqtt]``, ``[influxdb]`` and ``[collector]``, declared once
(:mod:`museum.description.schema`) with the objects they become. Credentials never come from
the file: they are :class:`~museum.description.schema.Secret`\\ s of the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from museum.description.schema import (
    Duration,
    Forbidden,
    Integer,
    Key,
    Number,
    Place,
    Secret,
    Table,
    Text,
    Url,
    Values,
)
from museum.description.secrets import redact_url, url_credentials, without_credentials

# --- [mqtt] ---------------------------------------------------------------------------------


def _mqtt(v: Values) -> MqttConfig:
    url, username, password = v["url"], v["username"], v["password"]
    in_url = url_credentials(url)
    # Only PATINA_MQTT_URL may hold credentials (the file's are refused as they are read);
    # given there and in PATINA_MQTT_USERNAME too, they are refused, never silently dropped.
    if any(part is not None for part in in_url):
        if username or password:
            raise Place(v.reading, "PATINA_MQTT_URL").fail(
                f"{redact_url(url)} holds credentials and PATINA_MQTT_USERNAME/_PASSWORD are set "
                "too: give them once"
            )
        username, password = in_url
        url = without_credentials(url)
    return MqttConfig(
        url=url,
        client_id=v["client_id"],
        protocol=v["protocol"],
        username=username,
        password=password,
        ca_file=v["ca_file"],
        cert_file=v["cert_file"],
        key_file=v["key_file"],
    )


MQTT = Table(
    Key(
        "url",
        Url(("mqtt", "mqtts"), credentials="set PATINA_MQTT_USERNAME and PATINA_MQTT_PASSWORD"),
        "The broker: `mqtt://host:1883`, or `mqtts://host:8883` for TLS.",
        default="mqtt://127.0.0.1:1883",
        env="PATINA_MQTT_URL",
    ),
    Key(
        "client_id",
        Text(),
        "The collector's MQTT client id (its persistent session at the broker).",
        default="patina-collector",
        env="PATINA_MQTT_CLIENT_ID",
    ),
    Key(
        "protocol",
        Text(choices=("5", "3.1.1")),
        'The MQTT version: "3.1.1" for brokers without MQTT 5.',
        default="5",
    ),
    Key(
        "ca_file",
        Text(),
        "The certificate authority that signed the broker's certificate (mqtts://).",
        default_doc="the system's authorities",
        env="PATINA_MQTT_CA_FILE",
    ),
    secrets=(
        Secret("PATINA_MQTT_USERNAME", "username", "The broker account's user name."),
        Secret("PATINA_MQTT_PASSWORD", "password", "The broker account's password."),
        Secret("PATINA_MQTT_CERT_FILE", "cert_file", "A client certificate, for brokers that ask one."),
        Secret("PATINA_MQTT_KEY_FILE", "key_file", "The client certificate's private key."),
    ),
    build=_mqtt,
    doc="The MQTT broker the sensors publish to.",
)


@dataclass(frozen=True)
class MqttConfig:
    url: str
    client_id: str
    #: "5" (default) or "3.1.1" for brokers without MQTT 5.
    protocol: str = MQTT.default("protocol")
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


# --- [influxdb] -----------------------------------------------------------------------------


def _influxdb(v: Values) -> InfluxConfig:
    api, database = v["api"], v["database"]
    org = token = None
    if api == "v2":
        database = v["bucket"] or database
        if "/" in database:
            raise v.fail("bucket", f"{database!r}: a bucket name for Patina has no '/'")
        org, token = v["org"], v["token"]
        if not org:
            raise v.fail("org", 'api = "v2" needs the organisation (org, or PATINA_INFLUX_ORG)')
        if not token:
            raise v.fail("api", 'api = "v2" needs a token in PATINA_INFLUX_TOKEN')
    elif v.given("bucket") or v.given("org"):
        raise v.fail("bucket" if v.given("bucket") else "org", 'only with api = "v2"')
    return InfluxConfig(
        url=v["url"],
        database=database,
        username=v["username"],
        password=v["password"],
        raw_retention_s=v["raw_retention"] or None,
        backup_address=v["backup_address"] or f"{urlsplit(v['url']).hostname or '127.0.0.1'}:8088",
        api=api,
        org=org,
        token=token,
    )


INFLUXDB = Table(
    Key(
        "url",
        Url(("http", "https")),
        "The InfluxDB server.",
        default="http://127.0.0.1:8086",
        env="PATINA_INFLUX_URL",
    ),
    Key(
        "database",
        Text(),
        "The database (1.x) readings are written to.",
        default="patina",
        env="PATINA_INFLUX_DB",
    ),
    Key(
        "raw_retention",
        Duration(),
        "How long raw readings and risk points are kept (`400d`); hourly aggregates and the alert, "
        "move and calibration logs are kept for ever (docs/backup.md).",
        default_doc="for ever",
    ),
    Key(
        "api",
        Text(choices=("v1", "v2")),
        '"v1": the 1.x HTTP API (also 2.x, 3.x compatibility); "v2": 2.x and Cloud (docs/scaling.md).',
        default="v1",
        env="PATINA_INFLUX_API",
    ),
    Key("org", Text(), 'The organisation, with api = "v2".', env="PATINA_INFLUX_ORG"),
    Key(
        "bucket",
        Text(pattern="[^/]+", mismatch="{value}: a bucket name for Patina has no '/'", about="no `/`"),
        'The bucket, with api = "v2".',
        default_doc="`database`",
        env="PATINA_INFLUX_BUCKET",
    ),
    Key(
        "backup_address",
        Text(),
        "InfluxDB 1.x's backup service, `host:port`, for `patina backup` and `restore` (docs/backup.md).",
        default_doc="the URL's host, port 8088",
        env="PATINA_INFLUX_BACKUP_ADDRESS",
    ),
    Key("token", Forbidden("never store a token in the file: set PATINA_INFLUX_TOKEN")),
    secrets=(
        Secret("PATINA_INFLUX_USERNAME", "username", "The InfluxDB user (1.x API)."),
        Secret("PATINA_INFLUX_PASSWORD", "password", "That user's password."),
        Secret("PATINA_INFLUX_TOKEN", "token", 'The API token, with api = "v2".'),
    ),
    build=_influxdb,
    doc="The InfluxDB database readings, risks and alerts are stored in.",
)


@dataclass(frozen=True)
class InfluxConfig:
    url: str
    database: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    #: How long raw readings are kept (None: for ever). Hourly aggregates are kept for ever.
    raw_retention_s: float | None = None
    #: InfluxDB 1.x's backup service (``influxd backup -host``), ``host:port``.
    backup_address: str = "127.0.0.1:8088"
    #: "v1" (InfluxDB 1.x HTTP API; also Enterprise, 3.x) or "v2" (2.x and Cloud through
    #: influxdb-client; ``database`` is then the bucket).
    api: str = INFLUXDB.default("api")
    org: str | None = None
    token: str | None = field(default=None, repr=False)


# --- [collector] ----------------------------------------------------------------------------


def _collector(v: Values) -> CollectorConfig:
    instances, index = v["instances"], v["instance_index"]
    if index >= instances:
        raise v.fail("instance_index", f"{index} is not between 0 and {instances - 1}")
    if instances > 1 and v["share_group"] is None:
        raise v.fail("instances", "several instances need a share_group")
    client_id = v.reading.sections["mqtt"].client_id
    spool_path = Path(
        v["spool_path"] or Path(platformdirs.user_data_dir("patina")) / "spool" / f"{client_id}.sqlite3"
    )
    if v.reading.file is not None and not spool_path.is_absolute():
        spool_path = v.reading.file.parent / spool_path
    return CollectorConfig(
        spool_path=spool_path,
        share_group=v["share_group"],
        instances=instances,
        instance_index=index,
        spool_max_mb=v["spool_max_mb"],
        quarantine_payload_bytes=v["quarantine_payload_bytes"],
        quarantine_max_mb=v["quarantine_max_mb"],
        name=v["name"].strip() if v["name"] else None,
        heartbeat_every_s=v["heartbeat_every"],
    )


COLLECTOR = Table(
    Key(
        "spool_path",
        Text(),
        "The collector's durable spool (SQLite); relative to the config file's folder.",
        default_doc="`spool/<client_id>.sqlite3` in the user's data folder (Linux: `~/.local/share/patina`)",
        env="PATINA_SPOOL_PATH",
    ),
    Key(
        "share_group",
        Text(pattern="[^/+#]+", mismatch="{value} is not a name (no /, + or #)", about="no `/`, `+` or `#`"),
        "The MQTT shared-subscription group of several collectors (docs/scaling.md).",
    ),
    Key("instances", Integer(minimum=1), "How many collectors share the work.", default=1),
    Key(
        "instance_index",
        Integer(minimum=0),
        "This collector's place among them, from 0.",
        default=0,
        env="PATINA_INSTANCE_INDEX",
    ),
    Key(
        "spool_max_mb",
        Number(minimum=0, exclusive_minimum=True),
        "A cap of the spool, MB: when full, messages wait unacknowledged at the broker.",
        default_doc="the disk is the cap",
    ),
    Key(
        "quarantine_payload_bytes",
        Integer(minimum=1),
        "Bytes of a quarantined payload kept (with its full size and SHA-256).",
        default=64 * 1024,
    ),
    Key(
        "quarantine_max_mb",
        Number(minimum=0, exclusive_minimum=True),
        "A cap of the quarantine, MB; records beyond it are counted, not kept.",
        default=100,
    ),
    Key(
        "name",
        Text(),
        'What people call this collector on the dashboard ("Server in the basement").',
        default_doc="the machine's host name",
        env="PATINA_COLLECTOR_NAME",
    ),
    Key(
        "heartbeat_every",
        Duration(),
        "How often the collector publishes its retained heartbeat (docs/partners.md).",
        default="60s",
    ),
    build=_collector,
    doc="The collector service: its spool, its quarantine, and how several share the work.",
)


@dataclass(frozen=True)
class CollectorConfig:
    """Where the collector keeps its durable spool and quarantine (SQLite, WAL), and how
    several collectors share the work (docs/scaling.md): with ``share_group`` they subscribe
    through MQTT shared subscriptions (``$share/<group>/…``) and each evaluates the alerts
    of the cases it owns (``instance_index`` of ``instances``)."""

    spool_path: Path
    share_group: str | None = None
    instances: int = COLLECTOR.default("instances")
    instance_index: int = COLLECTOR.default("instance_index")
    #: Cap of the spool file (None: the disk is the cap); a full spool refuses commits and
    #: messages wait, unacknowledged, at the broker.
    spool_max_mb: float | None = None
    #: Bytes of a quarantined payload kept (with its full size and SHA-256).
    quarantine_payload_bytes: int = COLLECTOR.default("quarantine_payload_bytes")
    #: Cap of the quarantine; records beyond it are counted (quarantine_dropped), not kept.
    quarantine_max_mb: float = COLLECTOR.default("quarantine_max_mb")
    #: What people call this collector on the dashboard ("Server in the basement"); by
    #: default the machine's host name (collector.service.collector_name).
    name: str | None = None
    #: How often the retained heartbeat is published (collector/partners.py, issue 27).
    heartbeat_every_s: float = COLLECTOR.default("heartbeat_every")
