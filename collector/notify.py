"""Notifiers: e-mail (SMTP), webhook (HTTP POST of JSON) and an MQTT alert topic.

Each channel has its own queue and worker thread, so an unresponsive mail server delays
only e-mail, never the webhook. Every attempt is bounded (``CHANNEL_TIMEOUT_S``), each
channel is retried (three tries, backoff 1 s, 4 s); a channel that still fails is logged,
counted, and recorded in the alert log as a ``notify_failed`` event, so the failure is
itself visible. Texts are in the museum's language (museum/language/locales).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import shlex
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from collector.alerts import Notification
from museum.description.config import MuseumConfig, NotifyConfig
from museum.description.limits import case_limits
from museum.description.secrets import redact_url
from museum.language.i18n import Translator
from museum.language.sources import source_text

log = logging.getLogger("patina.notify")

RETRY_DELAYS_S = (1.0, 4.0)
#: What keeps readings from InfluxDB (CollectorStats.problem), told in the museum's language.
HEALTH_PROBLEMS = (
    "spool_full",
    "writer_blocked:access_denied",
    "writer_blocked:database_missing",
    "writer_blocked:spool_error",
)
#: Longest wait for one attempt on a channel (connect, and each read of an answer).
CHANNEL_TIMEOUT_S = 10.0


def case_link(config: MuseumConfig, case_id: str, language: str | None = None) -> str:
    """The dashboard's page of a case, opening in the language the message is written in
    (the museum's unless given); the id is URL-encoded (spaces, ``&``, ``#``)."""
    query = urlencode({"case": case_id, "lang": language or config.museum.language}, quote_via=quote)
    return f"{config.notify.dashboard_url}/case?{query}"


def failure_reason(error: Exception) -> str:
    """What went wrong, without the URL (a webhook URL holds its token): the HTTP status,
    or the kind of error."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    if isinstance(error, requests.RequestException):
        return type(error).__name__
    return redact_secrets(str(error))[:300]


def redact_secrets(text: str) -> str:
    """``text`` with the webhook and SMTP URLs it may quote replaced by redacted forms."""
    return _URL.sub(lambda match: redact_url(match.group(0)), text)


_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)


def render(notification: Notification, config: MuseumConfig, t: Translator) -> tuple[str, str]:
    """Subject and body of a notification, in the translator's language."""
    case = notification.case
    rule = t(f"rule.{notification.rule}")
    name = t.name(case.name)
    subject = t(f"alert.subject.{notification.kind}", case=case.id, rule=rule, name=name)
    artefacts = (
        "; ".join(
            f"{a.id} {t.name(a.name)} ({', '.join(t.material(m) for m in a.materials)})"
            for a in case.artefacts
        )
        or "—"
    )
    since = datetime.fromtimestamp(notification.since_s, config.zone)
    detail = notification.detail
    if notification.rule == "collector_health" and detail in HEALTH_PROBLEMS:
        detail = t(f"health.{detail.replace(':', '.')}")
    elif notification.rule == "partner_silent":
        detail = partner_silence(config, t, detail)
    elif notification.rule != "forecast":
        # The objects at risk ("DBP-1 Excavated bayonet (risk)") named and rated in the reader's language.
        detail = t.objects_at_risk(detail, {a.id: a.name for a in case.artefacts})
    advice = t(f"advice.{notification.rule}")
    forecast = notification.rule == "forecast"
    if forecast and detail == "unbuffered":
        # A case without gel: the leak itself (seals, door), not the gel, needs looking at.
        advice = t("advice.forecast_unbuffered")
    # The limit's source: its citation kept, the sentence in the reader's language.
    source = source_text(t, notification.source)
    lines = [
        t("alert.body.what", case=case.id, name=name, gallery=t.name(case.gallery), rule=rule),
        t(
            f"alert.body.value.{notification.rule}",
            value=t.number(notification.value, 0 if forecast else 1),
            threshold=t.number(notification.threshold, 0 if forecast else 1),
            detail=detail,
        ),
    ]
    limit = case_limits(config, case).rh_max_pct if forecast else None
    if forecast and notification.due_s is not None and limit is not None:
        due = datetime.fromtimestamp(notification.due_s, config.zone).date()
        if notification.early_s is not None:
            # The day to act by, erring early (the forecast's lower quartile), beside the
            # central estimate: docs/alerts.md.
            early = datetime.fromtimestamp(min(notification.early_s, notification.due_s), config.zone).date()
            lines.append(
                t("forecast_alert.due", limit=t.number(limit, 0), early=t.date(early), date=t.date(due))
            )
        else:
            lines.append(t("alert.body.due", limit=t.number(limit, 0), date=t.date(due)))
    lines += [
        t(
            "alert.body.source",
            source=f"{t.material(notification.material)} — {source}" if notification.material else source,
        ),
        t("alert.body.artefacts", artefacts=artefacts),
        t("alert.body.check", advice=advice),
        t(
            "alert.body.since",
            since=t.moment(since, "medium"),
            timezone=t.zone(config.museum.timezone, since),
        ),
        t("alert.body.link", link=case_link(config, case.id, t.language)),
        t("alert.body.ack", alert_id=shlex.quote(notification.alert_id)),
    ]
    return subject, "\n".join(lines)


def partner_silence(config: MuseumConfig, t: Translator, detail: str) -> str:
    """``<partner id>@<last heartbeat, epoch s>`` as the partner's name, in the reader's
    language, and the moment it was last heard."""
    partner_id, _, last_s = detail.partition("@")
    partner = next((p for p in config.partners if p.id == partner_id), None)
    name = partner.name.get(t.language) if partner is not None else partner_id
    since = datetime.fromtimestamp(float(last_s or 0), config.zone)
    return t("partner.silent_since", partner=name, since=t.moment(since, "medium"))


def webhook_body(notification: Notification, config: MuseumConfig, subject: str, body: str) -> dict[str, Any]:
    case = notification.case
    return {
        "alert_id": notification.alert_id,
        "kind": notification.kind,
        "rule": notification.rule,
        "severity": notification.severity,
        "site": case.site,
        "case_id": case.id,
        "case_name": case.name,
        "gallery": case.gallery,
        "artefacts": [{"id": a.id, "name": a.name, "materials": list(a.materials)} for a in case.artefacts],
        "value": notification.value,
        "threshold": notification.threshold,
        "source": notification.source,
        "detail": notification.detail,
        "material": notification.material,
        "since": datetime.fromtimestamp(notification.since_s, config.zone).isoformat(),
        "language": config.museum.language,
        "subject": subject,
        "message": body,
        "dashboard_url": case_link(config, case.id),
        # The forecast rule: the day the case is expected to pass its RH limit.
        **(
            {"due": datetime.fromtimestamp(notification.due_s, config.zone).date().isoformat()}
            if notification.due_s is not None
            else {}
        ),
        # ... and the day by which it likely will (one chance in four sooner).
        **(
            {"due_early": datetime.fromtimestamp(notification.early_s, config.zone).date().isoformat()}
            if notification.early_s is not None
            else {}
        ),
    }


def send_email(notify: NotifyConfig, message: EmailMessage) -> None:
    """One message through ``[notify.email]``'s server (the alerts' and the weekly digest's),
    each attempt bounded by :data:`CHANNEL_TIMEOUT_S`; raises what the server or the
    connection raised."""
    assert notify.smtp_url is not None
    url = urlsplit(notify.smtp_url)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(
        url.hostname or "localhost",
        url.port or (465 if url.scheme == "smtps" else 25),
        timeout=CHANNEL_TIMEOUT_S,
    ) as smtp:
        if notify.smtp_username:
            smtp.login(notify.smtp_username, notify.smtp_password or "")
        smtp.send_message(message)


class Notifier:
    """Sends notifications on every configured channel, one worker thread per channel.
    ``on_sent``/``on_failure`` receive the notification, the channel and the time the
    notification belongs to (the event time in replays)."""

    def __init__(
        self,
        config: MuseumConfig,
        publish_mqtt: Callable[[str, bytes], None] | None = None,
        on_failure: Callable[[Notification, str, str, float], None] | None = None,
        on_sent: Callable[[Notification, str, float], None] | None = None,
    ) -> None:
        self.config = config
        self.translator = Translator(config.museum.language)
        self.publish_mqtt = publish_mqtt
        self.on_failure = on_failure or (lambda notification, channel, error, time_s: None)
        self.on_sent = on_sent or (lambda notification, channel, time_s: None)
        self._counts_lock = threading.Lock()
        self.sent: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._open: dict[str, dict[str, dict[str, Any]]] = {}
        notify = config.notify
        self.channels = [
            name
            for name, on in (
                ("email", bool(notify.smtp_url and (notify.email_to or notify.escalate_to))),
                ("webhook", bool(notify.webhook_url)),
                ("mqtt", notify.mqtt_alerts and publish_mqtt is not None),
            )
            if on
        ]
        self._queues: dict[str, queue.Queue[tuple[Notification, float | None] | None]] = {
            name: queue.Queue() for name in self.channels
        }
        self._threads = [
            threading.Thread(target=self._run, args=(name,), name=f"notify-{name}", daemon=True)
            for name in self.channels
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        for channel_queue in self._queues.values():
            channel_queue.put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __call__(self, notification: Notification, time_s: float | None = None) -> None:
        """Queue on every channel. ``time_s`` is the moment the notification belongs to
        (event time in a replay); None: the moment it is sent."""
        for channel_queue in self._queues.values():
            channel_queue.put((notification, time_s))

    def _run(self, channel: str) -> None:
        channel_queue = self._queues[channel]
        while True:
            item = channel_queue.get()
            if item is None:
                return
            try:
                self.send_on(channel, *item)
            except Exception:
                log.exception("%s notification failed unexpectedly", channel)

    def send(self, notification: Notification) -> None:
        """Send on every channel, one after the other (for tools and tests)."""
        for channel in self.channels:
            self.send_on(channel, notification, None)

    def send_on(self, channel: str, notification: Notification, time_s: float | None) -> None:
        subject, body = render(notification, self.config, self.translator)
        notify = self.config.notify
        send: Callable[[], None]
        if channel == "email":
            recipients = list(notify.email_to) + (list(notify.escalate_to) if notification.escalate else [])
            if not recipients:
                return
            # One message per language: each reader gets the text and the link in theirs.
            chosen = dict(notify.email_languages)
            by_language: dict[str, list[str]] = {}
            for address in dict.fromkeys(recipients):
                by_language.setdefault(chosen.get(address, self.translator.language), []).append(address)
            messages = [
                (
                    render(notification, self.config, Translator(language))
                    if language != self.translator.language
                    else (subject, body),
                    addresses,
                )
                for language, addresses in by_language.items()
            ]

            def send_emails() -> None:
                for (language_subject, language_body), addresses in messages:
                    self._email(language_subject, language_body, addresses)

            send = send_emails
        elif channel == "webhook":
            payload = webhook_body(notification, self.config, subject, body)
            send = lambda: self._webhook(payload)  # noqa: E731
        else:
            send = lambda: self._mqtt(notification, subject)  # noqa: E731
        for attempt, delay in enumerate((*RETRY_DELAYS_S, None)):
            try:
                send()
            except Exception as error:
                if delay is None:
                    with self._counts_lock:
                        self.failed[channel] += 1
                    log.error(
                        "%s notification for %s failed after %d tries: %s",
                        channel,
                        notification.alert_id,
                        attempt + 1,
                        failure_reason(error),
                    )
                    self.on_failure(
                        notification,
                        channel,
                        failure_reason(error),
                        time.time() if time_s is None else time_s,
                    )
                else:
                    time.sleep(delay)
            else:
                with self._counts_lock:
                    self.sent[channel] += 1
                self.on_sent(notification, channel, time.time() if time_s is None else time_s)
                return

    def _email(self, subject: str, body: str, recipients: list[str]) -> None:
        notify = self.config.notify
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = notify.email_from
        message["To"] = ", ".join(recipients)
        message.set_content(body)
        send_email(notify, message)

    def _webhook(self, payload: dict[str, Any]) -> None:
        assert self.config.notify.webhook_url is not None
        response = requests.post(self.config.notify.webhook_url, json=payload, timeout=CHANNEL_TIMEOUT_S)
        response.raise_for_status()

    def _mqtt(self, notification: Notification, subject: str) -> None:
        """The retained state of a site's open alerts on ``patina/<site>/alerts``."""
        assert self.publish_mqtt is not None
        site = notification.case.site
        open_alerts = self._open.setdefault(site, {})
        if notification.kind == "resolved":
            open_alerts.pop(notification.alert_id, None)
        else:
            open_alerts[notification.alert_id] = {
                "alert_id": notification.alert_id,
                "case_id": notification.case.id,
                "rule": notification.rule,
                "severity": notification.severity,
                "value": notification.value,
                "threshold": notification.threshold,
                "subject": subject,
            }
        self.publish_mqtt(
            f"patina/{site}/alerts",
            json.dumps({"open": list(open_alerts.values())}, ensure_ascii=False).encode(),
        )
