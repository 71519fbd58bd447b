"""How much disk the database takes, policy by policy, and what it will take in a year
(the data-quality page; docs/backup.md, "Disk").

InfluxDB 1.x reports each shard's bytes on disk (``SHOW STATS FOR 'shard'``, ``diskBytes``:
its TSM files and write-ahead log) and each policy's retention (``SHOW RETENTION
POLICIES``); both need an administrator's account. The projection assumes the data keep
coming at the rate they came so far: a policy kept for ever grows by what it took per year
of its data; a policy with a retention grows until it holds that much time, then stays
(as much expires each day as arrives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from museum.storage.hourly import _duration_s
from museum.storage.influxql import quote_identifier, time_literal
from museum.storage.store import InfluxStore

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class PolicyDisk:
    """A retention policy's bytes on disk, since when it holds data, and how long it keeps them."""

    policy: str
    bytes: int
    first: datetime | None
    #: None: kept for ever.
    retention: timedelta | None

    def in_a_year(self, now: datetime) -> int:
        """Its bytes a year from ``now`` at the rate of the data so far."""
        if self.first is None or self.bytes == 0:
            return self.bytes
        held = max(now - self.first, timedelta(days=1))
        later = held + YEAR
        if self.retention is not None:
            later = min(later, max(self.retention, held))
        return round(self.bytes * (later / held))


def disk_use(store: InfluxStore) -> list[PolicyDisk]:
    """Every retention policy of the database with its bytes on disk (admin rights needed)."""
    bytes_by_policy: dict[str, int] = {}
    for series in store.execute("SHOW STATS FOR 'shard'"):
        tags = series.get("tags") or {}
        if tags.get("database") != store.database:
            continue
        column = series["columns"].index("diskBytes")
        policy = str(tags.get("retentionPolicy"))
        bytes_by_policy[policy] = bytes_by_policy.get(policy, 0) + sum(
            int(row[column]) for row in series["values"]
        )
    periods = _shard_periods(store)
    found = []
    for series in store.execute("SHOW RETENTION POLICIES"):
        for row in series.get("values", []):
            name, duration = str(row[0]), _duration_s(row[1])
            found.append(
                PolicyDisk(
                    name,
                    bytes_by_policy.get(name, 0),
                    _first_point(store, name, periods.get(name, [])),
                    timedelta(seconds=duration) if duration else None,
                )
            )
    return found


def _first_point(
    store: InfluxStore, policy: str, periods: list[tuple[datetime, datetime]]
) -> datetime | None:
    """The time of the oldest point of any measurement of ``policy``.

    One ``SELECT * … LIMIT 1`` over the whole policy opens every shard of it: 1.5 s at a year
    of 200 sensors (docs/dashboard-at-scale.md). The oldest point lies in the oldest shard
    that holds any, so the shards are asked oldest first, one period at a time: one query of
    one shard (about 20 ms), unless the oldest shards have been emptied. ``periods``: the
    policy's shard periods, oldest first (:func:`_shard_periods`)."""
    source = f"{quote_identifier(store.database)}.{quote_identifier(policy)}./.*/"
    for start, end in periods:
        times = [
            series["values"][0][0]
            for series in store.execute(
                f"SELECT * FROM {source} WHERE time >= {time_literal(start)} "
                f"AND time < {time_literal(end)} LIMIT 1"
            )
        ]
        if times:
            return datetime.fromtimestamp(min(times) / 1e9, UTC)
    return None


def _shard_periods(store: InfluxStore) -> dict[str, list[tuple[datetime, datetime]]]:
    """The periods of each retention policy's shard groups, oldest first (one SHOW SHARDS
    for every policy)."""
    periods: dict[str, set[tuple[datetime, datetime]]] = {}
    for shard in store.shards():
        period = (datetime.fromisoformat(shard["start_time"]), datetime.fromisoformat(shard["end_time"]))
        periods.setdefault(shard["retention_policy"], set()).add(period)
    return {policy: sorted(found) for policy, found in periods.items()}


def projection(policies: list[PolicyDisk], now: datetime) -> tuple[int, int]:
    """Bytes on disk now and a year from ``now``."""
    return sum(p.bytes for p in policies), sum(p.in_a_year(now) for p in policies)
