"""`patina partner bridge-config`: the Mosquitto bridge to a partner museum and the ACL of
its bridge user here (museum/broker/bridge.py, docs/partners.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from patina.options import config_option, load


@click.group("partner")
def partner() -> None:
    """Partner museums: the bridge between brokers (docs/partners.md)."""


@partner.command("bridge-config")
@config_option
@click.option("--partner", "partner_id", required=True, help="The partner's id in [[partners]].")
@click.option(
    "--no-tls", is_flag=True, help="Bridge without TLS (a private network, tests). TLS is on by default."
)
@click.option(
    "--cafile",
    default="/etc/mosquitto/certs/partner-ca.crt",
    show_default=True,
    help="CA of the partner's broker.",
)
@click.option(
    "--queue-messages", type=int, default=1_000_000, show_default=True, help="max_queued_messages stated."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write bridge-<id>.conf and acl-<id> here instead of printing them.",
)
def bridge_config(
    config_path: str, partner_id: str, no_tls: bool, cafile: str, queue_messages: int, out_dir: Path | None
) -> None:
    """Print the bridge stanza for this museum's mosquitto.conf and the acl_file lines for the
    partner's bridge user. The bridge password comes from PATINA_BRIDGE_PASSWORD only."""
    from museum.broker.bridge import bridge_files

    config = load(config_path)
    try:
        files = bridge_files(
            config,
            partner_id,
            tls=not no_tls,
            cafile=cafile,
            password=os.environ.get("PATINA_BRIDGE_PASSWORD") or None,
            queue_messages=queue_messages,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if out_dir is None:
        click.echo("# --- mosquitto.conf (this museum's broker) ---")
        click.echo(files.stanza)
        click.echo("# --- acl_file (this museum's broker) ---")
        click.echo(files.acl)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"bridge-{partner_id}.conf").write_text(files.stanza)
    (out_dir / f"acl-{partner_id}").write_text(files.acl)
    click.echo(f"{out_dir / f'bridge-{partner_id}.conf'}\n{out_dir / f'acl-{partner_id}'}")
