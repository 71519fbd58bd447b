"""`patina quarantine list` and `patina quarantine replay`: the messages that could not
become readings, kept in the spool with their reason, and their second chance under the
current config (the table is :class:`collector.spool.Spool`'s; this is the command around it)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from patina.options import config_option, load

if TYPE_CHECKING:
    from collector.spool import QuarantineRecord


@click.group()
def quarantine() -> None:
    """Messages that could not become readings, kept with their reason."""


def quarantine_record(record: QuarantineRecord) -> dict[str, Any]:
    """One quarantined message as `quarantine list --json` gives it."""
    return {
        "id": record.id,
        "topic": record.topic,
        "reason": record.reason,
        "detail": record.detail,
        "received_at": datetime.fromtimestamp(record.received_ns / 1e9, UTC).isoformat(),
        "payload_b64": base64.b64encode(record.payload).decode("ascii"),
        "payload_size": record.payload_size if record.payload_size is not None else len(record.payload),
        "payload_sha256": record.payload_sha256,
        "truncated": record.truncated,
    }


def counts_line(path: str, counts: dict[str, int]) -> str:
    """How many messages the spool at ``path`` holds, and how many for each reason."""
    return f"{sum(counts.values())} quarantined in {path}: " + ", ".join(
        f"{reason} {n}" for reason, n in counts.items()
    )


def quarantine_line(record: dict[str, Any]) -> str:
    """One quarantined message on one line: its first 80 bytes, as Python writes bytes."""
    payload = base64.b64decode(record["payload_b64"])
    return (
        f"{record['id']:>6}  {record['received_at']}  {record['reason']:<24} "
        f"{record['topic']}  {payload[:80]!r}  ({record['detail']})"
    )


@quarantine.command("list")
@config_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON list of {id, topic, reason, detail, received_at, payload_b64, payload_size, "
    "payload_sha256, truncated}: payload_b64 holds at most the kept prefix.",
)
@click.option("--limit", type=int, default=None, help="At most this many, oldest first.")
def quarantine_list(config_path: str, as_json: bool, limit: int | None) -> None:
    """List quarantined messages."""
    from collector.spool import Spool

    config = load(config_path)
    spool = Spool(config.collector.spool_path)
    records = [quarantine_record(r) for r in spool.quarantined(limit)]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    click.echo(counts_line(str(spool.path), spool.quarantine_counts()))
    for record in records:
        click.echo(quarantine_line(record))


@quarantine.command("replay")
@config_option
def quarantine_replay(config_path: str) -> None:
    """Decode quarantined messages again with the current config; those that now become
    readings go to the spool, and the collector writes them."""
    from collector.service import replay_quarantine

    released, held = replay_quarantine(load(config_path))
    click.echo(f"released {released} messages to the spool; {held} remain in quarantine")
