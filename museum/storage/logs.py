"""The logs kept for ever: which measurements live in ``patina_forever`` rather than in the
default (raw) retention policy, where a write of their points goes, where a read finds
them, and the statement that moves an older database's logs there (docs/backup.md,
"What is kept for how long").

The default policy is the one ``[influxdb] raw_retention`` shortens: raw readings are worth
keeping for a year or two, but the alert log (every acknowledgement and its note), the move
log and the climate history an object brought with its passport are the museum's record and
must outlive them. Schema version 1 wrote these logs into the default policy, so a raw
retention expired them; from schema version 2 they are written into ``patina_forever``, and
the upgrade from 1 to 2 copies the points already written (:data:`MOVED_TO_FOREVER`).

A read looks in ``patina_forever`` and, until the database is upgraded, in the default
policy too (a dashboard may run against a database its collector has not upgraded yet).
Nothing is deleted from the default policy after the copy: InfluxDB 1.x's ``DELETE`` cannot
name a retention policy and would delete the copies as well; the old points expire with
the raw retention, or stay as duplicates that reads drop.

Nothing here talks to InfluxDB: :class:`museum.storage.store.InfluxStore` runs it. Every
name in the text is quoted by :mod:`museum.storage.influxql`.
"""

from __future__ import annotations

from collections.abc import Sequence

from museum.storage.hourly import HOURLY_POLICY
from museum.storage.influxql import quote_identifier
from museum.storage.schema import ALERT_EVENTS, ARTEFACT_CLIMATE, ARTEFACT_MOVES, SENSOR_CALIBRATIONS

#: The logs schema version 1 wrote into the default policy and version 2 into the policy
#: kept for ever. ``risk`` is not among them: it is a time series (a point per object at
#: every evaluation, as many as the readings), computed again from the climate; what a
#: person decided about it is in the alert log, which is kept.
MOVED_TO_FOREVER = (ALERT_EVENTS, ARTEFACT_MOVES, ARTEFACT_CLIMATE)
#: Every measurement whose points a write without a named policy sends to ``patina_forever``.
FOREVER_LOGS = frozenset((*MOVED_TO_FOREVER, SENSOR_CALIBRATIONS))
#: The schema version from which the logs are in ``patina_forever`` only.
LOGS_FOREVER_SINCE = 2
#: The schema version history (museum.storage.versions), kept for ever too.
META = "patina_meta"
META_TARGET = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(META)}"


def measurement_of(line: str) -> str:
    """The measurement of a line of line protocol: up to the first comma or space that no
    backslash escapes (museum.storage.lineprotocol escapes both in names)."""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ", ":
            return line[:index].replace("\\,", ",").replace("\\ ", " ")
    return line


def policy_of(line: str) -> str | None:
    """Where a point is written when its writer names no policy: ``patina_forever`` for the
    logs kept for ever, the default policy (None) for the rest."""
    return HOURLY_POLICY if measurement_of(line) in FOREVER_LOGS else None


def by_policy(lines: Sequence[str]) -> dict[str | None, list[str]]:
    """The lines grouped by the policy they go to, each group in the order given."""
    groups: dict[str | None, list[str]] = {}
    for line in lines:
        groups.setdefault(policy_of(line), []).append(line)
    return groups


def log_sources(measurement: str, migrated: bool) -> list[str]:
    """The ``FROM`` sources a read of a log queries, one query each: the policy kept for
    ever, and the default policy until the database is upgraded (``migrated``)."""
    forever = f"{quote_identifier(HOURLY_POLICY)}.{quote_identifier(measurement)}"
    return [forever] if migrated else [forever, quote_identifier(measurement)]


def copy_statement(measurement: str) -> str:
    """The InfluxQL copying every point of ``measurement`` from the default policy into
    ``patina_forever``, tags kept as tags (``GROUP BY *``); a point already there is
    overwritten by the same point, so running it twice does no harm."""
    name = quote_identifier(measurement)
    return f"SELECT * INTO {quote_identifier(HOURLY_POLICY)}.{name} FROM {name} GROUP BY *"
