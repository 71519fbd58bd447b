"""Notifiers: e-mail (SMTP), webhook (HTTP POST of JSON) and an MQTT alert topic.

Notifications are queued and sent by a thread of their own, so a slow or failing mail
server never blocks ingestion. Each channel is retried (three tries, backoff 1 s, 4 s);
a channel that still fails is logged, counted, and recorded in the alert log as a
``notify_failed`` event, so the failure is itself visible. Texts are in the museum's
language (museum/locales).
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
from museum.config import MuseumConfig
from museum.i18n import Translator
from museum.secrets import redact_url

log = logging.getLogger("patina.notify")

RETRY_DELAYS_S = (1.0, 4.0)


def case_link(config: MuseumConfig, case_id: str) -> str:
    """The dashboard's page of a case; the id is URL-encoded (spaces, ``&``, ``#``)."""
    return f"{config.notify.dashboard_url}/case?{urlencode({'case': case_id}, quote_via=quote)}"


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
    subject = t(f"alert.subject.{notification.kind}", case=case.id, rule=rule, name=case.name)
    artefacts = "; ".join(f"{a.id} {a.name} ({', '.join(t.material(m) for m in a.materials)})"
                          for a in case.artefacts) or "—"
    since = datetime.fromtimestamp(notification.since_s, config.zone)
    lines = [
        t("alert.body.what", case=case.id, name=case.name, gallery=case.gallery, rule=rule),
        t(f"alert.body.value.{notification.rule}", value=t.number(notification.value, 1),
          threshold=t.number(notification.threshold, 1), detail=notification.detail),
        t("alert.body.source", source=f"{t.material(notification.material)} — {notification.source}"
          if notification.material else notification.source),
        t("alert.body.artefacts", artefacts=artefacts),
        t("alert.body.check", advice=t(f"advice.{notification.rule}")),
        t("alert.body.since", since=t.moment(since, "medium"), timezone=config.museum.timezone),
        t("alert.body.link", link=case_link(config, case.id)),
        t("alert.body.ack", alert_id=shlex.quote(notification.alert_id)),
    ]
    return subject, "\n".join(lines)


def webhook_body(notification: Notification, config: MuseumConfig, subject: str, body: str) -> dict[str, Any]:
    case = notification.case
    return {
        "alert_id": notification.alert_id, "kind": notification.kind, "rule": notification.rule,
        "severity": notification.severity, "site": case.site, "case_id": case.id, "case_name": case.name,
        "gallery": case.gallery,
        "artefacts": [{"id": a.id, "name": a.name, "materials": list(a.materials)} for a in case.artefacts],
        "value": notification.value, "threshold": notification.threshold, "source": notification.source,
        "detail": notification.detail, "material": notification.material,
        "since": datetime.fromtimestamp(notification.since_s, config.zone).isoformat(),
        "language": config.museum.language, "subject": subject, "message": body,
        "dashboard_url": case_link(config, case.id),
    }


class Notifier:
    """Sends queued notifications on every configured channel."""

    def __init__(self, config: MuseumConfig, publish_mqtt: Callable[[str, bytes], None] | None = None,
                 on_failure: Callable[[Notification, str, str], None] | None = None,
                 on_sent: Callable[[Notification, list[str]], None] | None = None) -> None:
        self.config = config
        self.translator = Translator(config.museum.language)
        self.publish_mqtt = publish_mqtt
        self.on_failure = on_failure or (lambda notification, channel, error: None)
        self.on_sent = on_sent or (lambda notification, channels: None)
        self.sent: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._queue: queue.Queue[Notification | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._open: dict[str, dict[str, dict[str, Any]]] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)

    def __call__(self, notification: Notification) -> None:
        self._queue.put(notification)

    def _run(self) -> None:
        while True:
            notification = self._queue.get()
            if notification is None:
                return
            self.send(notification)

    def send(self, notification: Notification) -> None:
        subject, body = render(notification, self.config, self.translator)
        channels: list[tuple[str, Callable[[], None]]] = []
        notify = self.config.notify
        recipients = list(notify.email_to) + (list(notify.escalate_to) if notification.escalate else [])
        if notify.smtp_url and recipients:
            channels.append(("email", lambda: self._email(subject, body, recipients)))
        if notify.webhook_url:
            payload = webhook_body(notification, self.config, subject, body)
            channels.append(("webhook", lambda: self._webhook(payload)))
        if notify.mqtt_alerts and self.publish_mqtt is not None:
            channels.append(("mqtt", lambda: self._mqtt(notification, subject)))
        delivered = []
        for channel, send in channels:
            for attempt, delay in enumerate((*RETRY_DELAYS_S, None)):
                try:
                    send()
                    self.sent[channel] += 1
                    delivered.append(channel)
                    break
                except Exception as error:
                    if delay is None:
                        self.failed[channel] += 1
                        log.error("%s notification for %s failed after %d tries: %s", channel,
                                  notification.alert_id, attempt + 1, failure_reason(error))
                        self.on_failure(notification, channel, failure_reason(error))
                    else:
                        time.sleep(delay)
        if delivered:
            self.on_sent(notification, delivered)

    def _email(self, subject: str, body: str, recipients: list[str]) -> None:
        notify = self.config.notify
        assert notify.smtp_url is not None
        url = urlsplit(notify.smtp_url)
        smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = notify.email_from
        message["To"] = ", ".join(recipients)
        message.set_content(body)
        with smtp_class(url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25),
                        timeout=15) as smtp:
            if notify.smtp_username:
                smtp.login(notify.smtp_username, notify.smtp_password or "")
            smtp.send_message(message)

    def _webhook(self, payload: dict[str, Any]) -> None:
        assert self.config.notify.webhook_url is not None
        response = requests.post(self.config.notify.webhook_url, json=payload, timeout=10)
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
                "alert_id": notification.alert_id, "case_id": notification.case.id,
                "rule": notification.rule, "severity": notification.severity,
                "value": notification.value, "threshold": notification.threshold, "subject": subject}
        self.publish_mqtt(f"patina/{site}/alerts",
                          json.dumps({"open": list(open_alerts.values())}, ensure_ascii=False).encode())
