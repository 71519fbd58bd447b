"""Secrets never leave Patina through what it prints, logs, stores or shows.

A URL may carry credentials (``http://user:password@host``, a token in the query of a
webhook URL). :func:`redact_url` is the one function every message that names a URL
goes through: it keeps the user name (so a reader can tell which account) and replaces
the password with ``***`` (a user name without a password is often a token, and is
hidden too); a query string (where webhook services put their tokens) is
replaced by ``?***`` as a whole.
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

REDACTED = "***"


def redact_url(url: str | None) -> str:
    """``url`` without the secrets it may hold: ``scheme://user:***@host:port/path``."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port, which we then hide whole
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        # A user name alone is often a token itself (https://TOKEN@host): hidden too.
        netloc = f"{user}:{REDACTED}@{host}" if has_password else f"{REDACTED}@{host}"
    query = REDACTED if parts.query else ""
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, ""))


def url_credentials(url: str) -> tuple[str | None, str | None]:
    """The user name and password written in a URL, if any (percent-decoded)."""
    parts = urlsplit(url)
    return (
        None if parts.username is None else unquote(parts.username),
        None if parts.password is None else unquote(parts.password),
    )


def without_credentials(url: str) -> str:
    """``url`` with its user-info removed."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(SplitResult(parts.scheme, host, parts.path, parts.query, parts.fragment))
