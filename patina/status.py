"""`patina status`: the collectors' health, read from three places so that it answers
while InfluxDB is down: the local collector's state file beside its spool, the latest
collector_stats in InfluxDB, and the local spool and quarantine."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from patina.options import config_option, load


def local_line(local: dict[str, Any], age_s: float) -> str:
    """The local collector's state file (collector.stats), written ``age_s`` ago, on one line."""
    writer = local.get("writer_blocked")
    return (
        f"local collector {local.get('instance')} (pid {local.get('pid')}), {age_s:.0f} s ago: "
        f"broker {'connected' if local.get('connected') else 'NOT connected'}; writer "
        + (f"BLOCKED ({writer}: {local.get('writer_blocked_detail')})" if writer else "writing")
        + ("; spool FULL (messages wait at the broker)" if local.get("spool_full") else "")
        + f"; spool_depth {local.get('spool_depth')}, received {local.get('received')}, "
        f"written {local.get('written')}, redelivered {local.get('redelivered')}, "
        f"quarantine_dropped {local.get('quarantine_dropped')}"
    )


def stats_line(row: dict[str, Any]) -> str:
    """A collector's latest collector_stats point: its instance, when, where, and each
    figure as a whole number (figures it did not report are left out)."""
    figures = ", ".join(
        f"{key} {int(value)}"
        for key, value in row.items()
        if key not in ("time", "instance") and isinstance(value, int | float) and value == value
    )
    host = row.get("host")
    where = f" on {host}" if isinstance(host, str) and host else ""
    return f"{row['instance']}: at {row['time'].isoformat()}{where}: {figures}"


def spool_line(path: str, depth: int, counts: dict[str, int], dropped: int) -> str:
    """The local spool: readings waiting for InfluxDB, and the quarantine by reason."""
    return (
        f"spool {path}: {depth} readings waiting; quarantine: "
        + (", ".join(f"{k} {v}" for k, v in counts.items()) or "empty")
        + (f"; {dropped} records dropped (quarantine full)" if dropped else "")
    )


@click.command()
@config_option
def status(config_path: str) -> None:
    """The collectors' health: the local collector's state beside its spool (readable
    while InfluxDB is down), the latest collector_stats in InfluxDB, and the local spool
    and quarantine."""
    from collector.spool import Spool
    from collector.stats import read_status, status_path
    from museum.description.secrets import redact_url
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    local = read_status(status_path(config.collector.spool_path))
    if local is not None:
        click.echo(local_line(local, time.time() - float(local.get("time_s", 0))))
    store = open_store(config.influxdb, timeout_s=5)
    try:
        latest = store.latest_collector_stats()
    except StoreError as error:
        latest = None
        click.echo(f"InfluxDB: {error}")
    if latest is not None and latest.empty:
        click.echo(
            f"no collector has reported to {redact_url(config.influxdb.url)} "
            f"database {config.influxdb.database!r}"
        )
    for row in [] if latest is None else latest.to_dict("records"):
        click.echo(stats_line(row))
    spool = Spool(config.collector.spool_path)
    dropped = spool.quarantine_dropped()
    click.echo(spool_line(str(spool.path), spool.depth(), spool.quarantine_counts(), dropped))
    spool.close()
    if latest is None and local is None:
        sys.exit(1)
