"""Which version of Patina's schema wrote a database, and the upgrades from one to the next
(docs/backup.md, "Versions and upgrades").

The database carries its schema version in ``patina_meta``, a measurement of the retention
policy kept for ever (``patina_forever``): one point per version ever written, so the last
point is the version of the data and the others are the database's upgrade history. A
database without it was written before versions were recorded (schema version 1, the
first) or is new; either way it is stamped with the current version.

A newer Patina upgrades an older database on start by running the steps of
:data:`UPGRADES` in turn; an older Patina refuses a database (or a backup) a newer one
wrote, with what to do, rather than write into a layout it does not know.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata

from museum.storage.hourly import HOURLY_POLICY
from museum.storage.lineprotocol import encode_point
from museum.storage.logs import LOGS_FOREVER_SINCE, META, META_TARGET, MOVED_TO_FOREVER
from museum.storage.store import InfluxStore, StoreError

#: The layout of the database this code writes and reads. Version 1: the measurements and
#: policies of docs/architecture.md ("What is stored"). Version 2: the alert log, the move
#: log and passport histories in ``patina_forever`` (museum.storage.logs), out of reach of
#: the raw retention.
SCHEMA_VERSION = LOGS_FOREVER_SINCE


def logs_into_forever(store: InfluxStore) -> list[str]:
    """Version 1 to 2: copy the logs version 1 wrote into the default policy into
    ``patina_forever``; what was copied, one line per log that had points."""
    done = []
    for measurement in MOVED_TO_FOREVER:
        copied = store.copy_to_forever(measurement)
        if copied is None:
            done.append(f"{measurement}: copied into {HOURLY_POLICY}")
        elif copied:
            done.append(f"{measurement}: {copied:,} points copied into {HOURLY_POLICY}")
    return done


#: Upgrade steps by the version they upgrade *from*: ``UPGRADES[n]`` turns a database of
#: version n into version n + 1 and returns what it did, one line each.
UPGRADES: dict[int, Callable[[InfluxStore], list[str]]] = {1: logs_into_forever}


def patina_version() -> str:
    """The installed Patina's version (the package's metadata: museum/ does not import patina/)."""
    try:
        return metadata.version("patina")
    except metadata.PackageNotFoundError:
        return "unknown"


class SchemaTooNew(RuntimeError):
    """The data was written by a newer Patina than this one; the message says what to do."""


def too_new_message(found: int, written_by: str, what: str) -> str:
    """What to tell someone whose ``what`` (a database, a backup) a newer Patina wrote."""
    return (
        f"{what} holds schema version {found}, written by Patina {written_by or 'unknown'}; "
        f"this Patina reads schema versions up to {SCHEMA_VERSION}. Upgrade Patina to "
        f"{written_by or 'the version that wrote it'} or later (pip install --upgrade patina), "
        "or use a backup made by this version."
    )


def stored_version(store: InfluxStore) -> tuple[int | None, str]:
    """The schema version recorded in the database and the Patina version that recorded it;
    (None, "") when none is (a new database, or one older than versions)."""
    try:
        series = store.execute(f"SELECT last(schema_version), patina_version FROM {META_TARGET}")
    except StoreError as error:
        if "retention policy not found" in str(error) or "database not found" in str(error):
            return None, ""
        raise
    if not series:
        return None, ""
    row = series[0]["values"][0]
    return int(row[1]), str(row[2] or "")


def stamp_version(store: InfluxStore, patina_version: str, version: int | None = None) -> None:
    """Record ``version`` (by default this Patina's) as the database's schema version (a new
    point of the history)."""
    version = SCHEMA_VERSION if version is None else version
    store.write_lines(
        [
            encode_point(
                META,
                {"key": "schema"},
                {"schema_version": version, "patina_version": patina_version},
                time.time_ns(),
            )
        ],
        policy=HOURLY_POLICY,
    )


def ensure_schema_version(store: InfluxStore, patina_version: str) -> list[str]:
    """Check the database's schema version at start: stamp a database without one, upgrade
    an older one step by step, refuse a newer one (:class:`SchemaTooNew`). Returns what was
    done, one line each (empty when the database was already current). The policy kept for
    ever must exist (``ensure_downsampling`` makes it)."""
    found, written_by = stored_version(store)
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(too_new_message(found, written_by, f"database {store.database!r}"))
    done: list[str] = []
    # A database without a version is new or older than versions: version 1's layout.
    version = 1 if found is None else found
    while version < SCHEMA_VERSION:
        details = UPGRADES[version](store) or []
        if found is not None or details:
            done.append(
                f"database {store.database!r} upgraded from schema version {version} to {version + 1}"
            )
        done += [f"  {line}" for line in details]
        version += 1
    if found != SCHEMA_VERSION:
        stamp_version(store, patina_version)
        if found is None:
            done.append(f"database {store.database!r} stamped with schema version {SCHEMA_VERSION}")
    return done
