"""`patina alerts list` and `patina alerts ack`: the alerts of the last year with their
current state, and an acknowledgement that stops repeats and escalation (the log is
:meth:`museum.storage.store.InfluxStore.alerts`; this is the command around it)."""

from __future__ import annotations

import json
from typing import Any

import click

from patina.options import config_option, load


@click.group()
def alerts() -> None:
    """Alerts: list them, acknowledge one."""


def alert_record(row: dict[str, Any]) -> dict[str, Any]:
    """One alert as `alerts list --json` gives it, from a row of the store's alert table."""
    return {
        "alert_id": row["alert_id"],
        "state": row["state"],
        "case_id": row["case_id"],
        "site": row["site"],
        "rule": row["rule"],
        "severity": row["severity"],
        "opened": row["opened"].isoformat(),
        "updated": row["time"].isoformat(),
        "value": row.get("value"),
        "threshold": row.get("threshold"),
        "user": row.get("user") or "",
        "note": row.get("note") or "",
    }


def alert_line(record: dict[str, Any]) -> str:
    """One alert on one line, for a person: a note's line breaks are shown as " / "."""
    acknowledged = (
        f"  by {record['user']}: {' / '.join(str(record['note']).splitlines())}" if record["user"] else ""
    )
    return (
        f"{record['alert_id']}  {record['state']:<13} {record['severity']:<8} case {record['case_id']}  "
        f"{record['rule']}  opened {record['opened']}{acknowledged}"
    )


@alerts.command("list")
@config_option
@click.option("--open", "only_open", is_flag=True, help="Only alerts not yet resolved.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list, newest first.")
def alerts_list(config_path: str, only_open: bool, as_json: bool) -> None:
    """Alerts of the last year, newest first, with their current state."""
    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    config = load(config_path)
    try:
        table = open_store(config.influxdb, timeout_s=10).alerts()
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    rows = [] if table.empty else table.to_dict("records")
    if only_open:
        rows = [row for row in rows if row["state"] != "resolved"]
    records = [alert_record(row) for row in rows]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    if not records:
        click.echo("no alerts" if not only_open else "no open alerts")
    for record in records:
        click.echo(alert_line(record))


@alerts.command("ack")
@config_option
@click.argument("alert_id")
@click.option("--user", required=True, help="Who acknowledges.")
@click.option("--note", required=True, help="Why, or what was done.")
def alerts_ack(config_path: str, alert_id: str, user: str, note: str) -> None:
    """Acknowledge an open alert: repeats and escalation stop; the log keeps who, when, why."""

    from museum.storage.store import StoreError
    from museum.storage.stores import open_store

    # The log must say who and why: blank text says neither.
    for option, text in (("--user", user), ("--note", note)):
        if not text.strip():
            raise click.BadParameter("must not be empty", param_hint=option)
    config = load(config_path)
    store = open_store(config.influxdb, timeout_s=10)
    try:
        store.acknowledge_alert(alert_id, user.strip(), note.strip())
    except StoreError as error:
        table = store.alerts() if store.ping() else None
        open_ids = (
            [] if table is None or table.empty else list(table[table["state"] != "resolved"]["alert_id"])
        )
        raise click.ClickException(f"{error}; open alerts: {', '.join(open_ids) or 'none'}") from None
    click.echo(f"acknowledged {alert_id} as {user}")
