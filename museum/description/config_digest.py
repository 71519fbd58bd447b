"""The weekly digest in ``museum.toml``: ``[digest]``, when it is sent (a weekday and a time
in the museum's zone) and to whom, each reader in their language; declared once
(:mod:`museum.description.schema`) with the object it becomes. What the digest says is
:mod:`museum.files.digest`; the collector sends it (collector/digest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from museum.description.config_alerts import RECIPIENT, NotifyConfig, recipients
from museum.description.schema import Boolean, Duration, Key, List, Table, Text, Values

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _digest(v: Values) -> DigestConfig:
    notify: NotifyConfig = v.reading.sections.get("notify") or NotifyConfig()
    museum = v.reading.sections.get("museum")
    language = museum.language if museum is not None else "en"
    if v["to"]:
        addresses, languages = recipients(v["to"])
    else:
        # The readers of the alerts, each in the language they read them in.
        addresses, languages = notify.email_to, list(notify.email_languages)
    chosen = dict(languages)
    readers = tuple((address, chosen.get(address, language)) for address in dict.fromkeys(addresses))
    if v["enabled"]:
        if not notify.smtp_url:
            raise v.fail("enabled", "the digest goes by e-mail: set [notify.email] smtp_url")
        if not readers:
            raise v.fail("to", "nobody to send the digest to: give `to`, or readers in [notify.email] to")
    return DigestConfig(
        enabled=v["enabled"],
        weekday=v["weekday"],
        at=v["at"],
        readers=readers,
        forecast_within_s=v["forecast_within"],
    )


DIGEST = Table(
    Key("enabled", Boolean(), "Send the weekly digest (docs/digest.md).", default=False),
    Key(
        "weekday",
        Text(choices=WEEKDAYS),
        "The day it is sent; it covers the seven days before.",
        default="monday",
    ),
    Key(
        "at",
        Text(
            pattern=r"([01][0-9]|2[0-3]):[0-5][0-9]",
            mismatch="{value} is not a time of day such as 08:00 (24-hour clock)",
            about="a time of day, `08:00`",
        ),
        "The time it is sent, in the museum's time zone.",
        default="08:00",
    ),
    Key(
        "to",
        List(RECIPIENT, of="addresses"),
        'Who receives it: addresses, or { address = "…", language = "fr" } for readers of another language.',
        default_doc="the readers of `[notify.email] to`, each in their language",
    ),
    Key(
        "forecast_within",
        Duration(),
        "Cases forecast to pass their RH limit within this long are listed to look after.",
        default="30d",
    ),
    build=_digest,
    doc="A weekly digest by e-mail: the week's incidents, time at each level, cases to look after.",
)


@dataclass(frozen=True)
class DigestConfig:
    """When the weekly digest is sent and to whom."""

    enabled: bool = DIGEST.default("enabled")
    weekday: str = DIGEST.default("weekday")
    #: The time of day it is sent, ``HH:MM`` in the museum's zone.
    at: str = DIGEST.default("at")
    #: (address, language) of each reader.
    readers: tuple[tuple[str, str], ...] = ()
    forecast_within_s: float = DIGEST.default("forecast_within")

    def sent_on(self, day: date, zone: ZoneInfo) -> datetime:
        """The moment the digest goes on ``day`` (its weekday or not). A time the clocks
        skip that day (02:30 when they go from 02:00 to 03:00) is read with the offset
        before the change, so the digest goes as the clock reads 03:30; a time they repeat
        counts its first occurrence. In UTC: Python subtracts two times of one zone by their
        wall clocks, and never finds a repeated local time equal to another zone's."""
        hours, minutes = (int(part) for part in self.at.split(":"))
        return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)

    def next_send(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first scheduled moment strictly after ``after`` (aware), in UTC."""
        today = after.astimezone(zone).date()
        weekday = WEEKDAYS.index(self.weekday)
        for ahead in range(8):
            day = today + timedelta(days=ahead)
            if day.weekday() == weekday and self.sent_on(day, zone) > after:
                return self.sent_on(day, zone)
        raise AssertionError("a weekday comes back within eight days")  # pragma: no cover

    def previous_send(self, at: datetime, zone: ZoneInfo) -> datetime:
        """The last scheduled moment at or before ``at`` (aware), in UTC."""
        today = at.astimezone(zone).date()
        weekday = WEEKDAYS.index(self.weekday)
        for back in range(8):
            day = today - timedelta(days=back)
            if day.weekday() == weekday and self.sent_on(day, zone) <= at:
                return self.sent_on(day, zone)
        raise AssertionError("a weekday comes back within eight days")  # pragma: no cover
