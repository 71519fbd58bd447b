"""InfluxQL quoting: the one place where text becomes part of a query.

Queries are built from fixed text plus values passed through :func:`quote_identifier`
or :func:`quote_literal`; user text is never pasted into a query any other way.

Reference: InfluxDB 1.x documentation, "InfluxQL reference", identifiers and literals:
identifiers are double-quoted, string literals single-quoted, and ``\\`` escapes the
quote character and itself inside both.
"""

from __future__ import annotations

from datetime import datetime


def _refuse_nul(text: str) -> None:
    if "\x00" in text:
        raise ValueError("InfluxQL text cannot contain NUL")


def quote_identifier(name: str) -> str:
    """A measurement, tag key, field key or database name, double-quoted."""
    _refuse_nul(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_literal(value: str) -> str:
    """A string literal (a tag value in a WHERE clause), single-quoted."""
    _refuse_nul(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def time_literal(moment: datetime) -> str:
    """An absolute time as an RFC 3339 literal; ``moment`` must be timezone-aware."""
    if moment.tzinfo is None:
        raise ValueError("time literals need a timezone-aware datetime")
    return quote_literal(moment.isoformat())
