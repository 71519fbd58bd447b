"""`patina downsample`: the hourly aggregates kept for ever and the raw retention of the
config, set up in InfluxDB, and the aggregates of readings already stored computed (the
store does it: :meth:`museum.storage.store.InfluxStore.ensure_downsampling`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from patina.options import Duration, config_option, load


@click.command()
@config_option
@click.option(
    "--since",
    "since",
    type=Duration(),
    default="400d",
    show_default=True,
    help="Compute hourly aggregates of readings this far back.",
)
def downsample(config_path: str, since: float) -> None:
    """Set up hourly aggregates (kept for ever) and the raw retention of the config, and
    compute the aggregates of readings already stored (after an import or a replay)."""
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    store = open_store(config.influxdb, timeout_s=3600)
    retention = config.influxdb.raw_retention_s
    end = datetime.now().astimezone()
    try:
        store.create_database()
        store.ensure_downsampling(timedelta(seconds=retention) if retention else None)
        store.backfill_hourly(end - timedelta(seconds=since), end)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"hourly aggregates ready from {(end - timedelta(seconds=since)).isoformat(timespec='minutes')}"
    )
