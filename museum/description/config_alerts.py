"""Alerts in ``museum.toml``: ``[alerts]`` with its ``[[alerts.rules]]`` (when alerts open,
repeat and escalate) and ``[notify]`` (where they go), declared once
(:mod:`museum.description.schema`) with the objects they become."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from museum.description.schema import (
    REQUIRED,
    Boolean,
    Duration,
    Integer,
    Key,
    List,
    Number,
    Secret,
    Table,
    TableList,
    Text,
    TextOrTable,
    Url,
    Values,
)
from museum.language.i18n import LANGUAGES

PERCENT = Number(minimum=0, maximum=100)

# --- [[alerts.rules]] -----------------------------------------------------------------------


def _rule(v: Values) -> CaseRule:
    case_ids = [case.id for case in v.reading.sections.get("cases", ())]
    if v["case"] not in case_ids:
        raise v.fail("case", f"unknown case {v['case']!r}")
    low, high = v["rh_min_pct"], v["rh_max_pct"]
    if low is not None and high is not None and low >= high:
        raise v.fail("rh_min_pct", f"{low!r} is not below rh_max_pct {high!r}")
    return CaseRule(**v.fields())


RULE = Table(
    Key("case", Text(), "The case the limits are for.", default=REQUIRED),
    Key("rh_max_pct", PERCENT, "Its upper RH limit, %.", default_doc="the strictest of its materials"),
    Key("rh_min_pct", PERCENT, "Its lower RH limit, %.", default_doc="the strictest of its materials"),
    Key(
        "min_duration",
        Duration(),
        "How long RH stays beyond a limit before the alert opens.",
        default_doc="`[alerts] min_duration`",
        attr="min_duration_s",
    ),
    build=_rule,
)


@dataclass(frozen=True)
class CaseRule:
    """A case's own alert limits, replacing the defaults from its materials."""

    case: str
    rh_max_pct: float | None = None
    rh_min_pct: float | None = None
    min_duration_s: float | None = None


# --- [alerts] -------------------------------------------------------------------------------


def _alerts(v: Values) -> AlertsConfig:
    return AlertsConfig(**v.fields())


ALERTS = Table(
    Key(
        "min_duration",
        Duration(),
        "How long a condition lasts before its alert opens.",
        default="10m",
        attr="min_duration_s",
    ),
    Key(
        "sensor_silent_after",
        Duration(),
        "How long without a reading before a sensor is silent.",
        default="15m",
        attr="sensor_silent_after_s",
    ),
    Key(
        "repeat_after",
        Duration(),
        "How often an open, unacknowledged alert is sent again.",
        default="4h",
        attr="repeat_after_s",
    ),
    Key(
        "escalate_after",
        Duration(),
        "How long an unacknowledged alert waits before it goes to `escalate_to` too.",
        default="1h",
        attr="escalate_after_s",
    ),
    Key(
        "hysteresis_pct",
        PERCENT,
        "How far back inside a limit RH must come before its alert resolves, %.",
        default=3,
    ),
    Key("battery_low_pct", PERCENT, "The battery level that opens a low-battery alert, %.", default=15),
    Key(
        "condensation_margin_k",
        Number(minimum=0, maximum=50),
        "How close to its dew point a case may come before a condensation alert, K.",
        default=3,
    ),
    Key(
        "rate_of_change_pct_per_h",
        PERCENT,
        "A change of RH within an hour that opens a rate-of-change alert, %.",
        default=5,
    ),
    Key(
        "stuck_after",
        Duration(),
        "How long a sensor may report identical readings before it is stuck.",
        default="6h",
        attr="stuck_after_s",
    ),
    Key(
        "spool_alert_depth",
        Integer(minimum=1),
        "The spool depth that opens a collector-health alert (InfluxDB not keeping up).",
        default=100_000,
    ),
    Key(
        # A forecast further out than a year rests on a room that stays as it was for longer
        # than a season: not a basis for an alert.
        "forecast_days",
        Number(minimum=0, exclusive_minimum=True, maximum=365, unit="days"),
        "Alert when a case is forecast to pass its RH limit within this many days (docs/diagnostics.md).",
        default_doc="the forecast rule is off",
    ),
    Key("rules", TableList(RULE, doc="A case's own limits, replacing those of its materials.")),
    build=_alerts,
    doc="When alerts open, repeat and escalate.",
)


@dataclass(frozen=True)
class AlertsConfig:
    """When alerts open, repeat and escalate (durations in seconds)."""

    min_duration_s: float = ALERTS.default("min_duration")
    sensor_silent_after_s: float = ALERTS.default("sensor_silent_after")
    repeat_after_s: float = ALERTS.default("repeat_after")
    escalate_after_s: float = ALERTS.default("escalate_after")
    #: RH must come back this far inside a limit before its alert resolves.
    hysteresis_pct: float = ALERTS.default("hysteresis_pct")
    battery_low_pct: float = ALERTS.default("battery_low_pct")
    condensation_margin_k: float = ALERTS.default("condensation_margin_k")
    #: RH change within an hour that opens a rate-of-change alert.
    rate_of_change_pct_per_h: float = ALERTS.default("rate_of_change_pct_per_h")
    #: Identical readings from a sensor for this long: stuck.
    stuck_after_s: float = ALERTS.default("stuck_after")
    #: The collector's own health: spool depth that opens an alert (InfluxDB not keeping up).
    spool_alert_depth: int = ALERTS.default("spool_alert_depth")
    #: The forecast rule: alert when a case is forecast to pass its RH limit within this
    #: many days (docs/diagnostics.md); None: the rule is off.
    forecast_days: float | None = None
    rules: tuple[CaseRule, ...] = ()

    def rule_for(self, case_id: str) -> CaseRule | None:
        return next((rule for rule in self.rules if rule.case == case_id), None)


# --- [notify] -------------------------------------------------------------------------------

#: An e-mail address, or an address and the language its reader reads.
RECIPIENT = TextOrTable(
    Text(),
    Table(
        Key("address", Text(), "The e-mail address.", default=REQUIRED),
        Key("language", Text(choices=LANGUAGES), "The language its reader reads.", default=REQUIRED),
    ),
    expected="an address or { address = …, language = … }",
)


def recipients(items: tuple[Any, ...]) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The addresses, and (address, language) for those given with a language."""
    addresses = tuple(item if isinstance(item, str) else item["address"] for item in items)
    languages = [(item["address"], item["language"]) for item in items if not isinstance(item, str)]
    return addresses, languages


def _notify(v: Values) -> NotifyConfig:
    email = v["email"]
    email_to, to_languages = recipients(email["to"])
    escalate_to, escalate_languages = recipients(email["escalate_to"])
    return NotifyConfig(
        smtp_url=email["smtp_url"],
        email_from=email["from"],
        email_to=email_to,
        escalate_to=escalate_to,
        email_languages=tuple(dict(to_languages + escalate_languages).items()),
        webhook_url=v["webhook"]["url"],
        mqtt_alerts=v["mqtt"]["enabled"],
        dashboard_url=v["dashboard_url"],
        smtp_username=email["smtp_username"],
        smtp_password=email["smtp_password"],
    )


EMAIL = Table(
    Key(
        "smtp_url",
        Url(("smtp", "smtps"), credentials="set PATINA_SMTP_USERNAME and PATINA_SMTP_PASSWORD"),
        "The mail server: `smtp://host:25`, or `smtps://` for TLS.",
        default_doc="no e-mail",
    ),
    Key("from", Text(), "The sender's address.", default="patina@localhost"),
    Key(
        "to",
        List(RECIPIENT, of="addresses"),
        'Who receives alerts: addresses, or { address = "…", language = "fr" } for readers of another.',
        default_doc="nobody",
    ),
    Key(
        "escalate_to",
        List(RECIPIENT, of="addresses"),
        "Who receives escalated alerts, as `to`.",
        default_doc="nobody",
    ),
    secrets=(
        Secret("PATINA_SMTP_USERNAME", "smtp_username", "The mail server account's user name."),
        Secret("PATINA_SMTP_PASSWORD", "smtp_password", "That account's password."),
    ),
    doc="Alerts by e-mail.",
)

WEBHOOK = Table(
    Key(
        "url",
        Url(("http", "https")),
        "Where alerts are POSTed as JSON. It usually holds a token: better in the environment.",
        default_doc="no webhook",
        env="PATINA_WEBHOOK_URL",
    ),
    doc="Alerts to a webhook.",
)

NOTIFY_MQTT = Table(
    Key("enabled", Boolean(), "Publish open alerts, retained, on `patina/<site>/alerts`.", default=True),
    doc="Alerts on MQTT.",
)

NOTIFY = Table(
    Key(
        "dashboard_url",
        Text(),
        "The dashboard's address, for links in notifications.",
        default="http://127.0.0.1:8501",
    ),
    Key("email", EMAIL),
    Key("webhook", WEBHOOK),
    Key("mqtt", NOTIFY_MQTT),
    build=_notify,
    doc="Where notifications go.",
)


@dataclass(frozen=True)
class NotifyConfig:
    """Where notifications go. Credentials come from PATINA_SMTP_USERNAME/PASSWORD."""

    smtp_url: str | None = None
    email_from: str = EMAIL.default("from")
    email_to: tuple[str, ...] = ()
    escalate_to: tuple[str, ...] = ()
    #: (address, language) for recipients who read another language than the museum's.
    email_languages: tuple[tuple[str, str], ...] = ()
    #: Often holds a token: never printed, logged or stored (see museum.description.secrets).
    webhook_url: str | None = field(default=None, repr=False)
    mqtt_alerts: bool = NOTIFY_MQTT.default("enabled")
    dashboard_url: str = NOTIFY.default("dashboard_url")
    smtp_username: str | None = field(default=None, repr=False)
    smtp_password: str | None = field(default=None, repr=False)
