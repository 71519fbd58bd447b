"""`patina collect`: the collector service, run until stopped (the service itself is
:mod:`collector.service`; this is the command around it)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

import click

from patina.options import config_option, load

log = logging.getLogger("patina")


@click.command()
@config_option
@click.option(
    "--event-time",
    is_flag=True,
    help="Judge alert durations and silence by the readings' own times, not the clock: "
    "for replayed history and scenarios published faster than real time. Notifications "
    "are then not sent (the log says what would have been) unless --notify is given.",
)
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Send notifications (default: yes, except with --event-time).",
)
def collect(config_path: str, event_time: bool, notify: bool | None) -> None:
    """Subscribe to the sensors and store every reading in InfluxDB (runs until stopped).
    Exits non-zero when a part of the collector fails for good, so systemd restarts it."""
    # pandas 3 loads pyarrow whenever it is installed (for its string type): 65 MB of a
    # collector's memory for a library it never uses (pyarrow is there for Parquet export).
    # Without it pandas uses its own string storage, with the same behaviour.
    if "pandas" not in sys.modules:
        sys.modules.setdefault("pyarrow", None)  # type: ignore[arg-type]
    from collector.service import Collector
    from collector.spool import SpoolInUse

    try:
        collector = Collector(load(config_path), event_time=event_time, notify=notify)
    except SpoolInUse as error:
        raise click.ClickException(str(error)) from None
    done = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    collector.start()
    failure = None
    try:
        failure = collector.run(done)
    finally:
        collector.stop()
        stats = collector.stats()
        log.info(
            "received %d, written %d, rejected %d %s, redelivered %d, in the spool %d",
            stats.received,
            stats.written,
            stats.rejected_total,
            dict(stats.rejected),
            stats.redelivered,
            stats.spool_depth,
        )
    if failure:
        log.critical("the collector stopped because %s", failure)
        sys.exit(3)
