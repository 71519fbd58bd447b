"""`patina dashboard` and `patina hash-password`: serving the Streamlit dashboard, and the
password hash of an account that signs in to it (the app is dashboard/app.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from patina.launch import dashboard_command
from patina.options import config_option, load


@click.command()
@config_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; put a reverse proxy with TLS in front for others.",
)
def dashboard(config_path: str, port: int, address: str) -> None:
    """Serve the Streamlit dashboard."""
    load(config_path)
    env = {**os.environ, "PATINA_CONFIG": str(Path(config_path).resolve())}
    os.execvpe(sys.executable, dashboard_command(port, address), env)


@click.command("hash-password")
def hash_password_command() -> None:
    """Make a password hash for a [[dashboard.users]] entry (the password is never stored)."""
    from museum.description.users import hash_password

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    click.echo(hash_password(password))
