"""The ``patina`` command line: the group and its commands, each kept in its own module
beside the code that formats its output (patina/alerts.py for `patina alerts` …). A new
command is a module with a click command and one line below.

The command modules share patina/options.py and never import one another; none imports
pandas at its top, so that `patina collect` can keep pyarrow out of its memory."""

from __future__ import annotations

import logging

import click

from patina.alerts import alerts
from patina.analyse import analyse
from patina.backup import backup, restore
from patina.calibrate import calibrate
from patina.collect import collect
from patina.dashboard import dashboard, hash_password_command
from patina.demo import demo
from patina.diagnose import diagnose
from patina.digest import digest
from patina.downsample import downsample
from patina.export import export_command
from patina.partner import partner
from patina.passport import move, passport
from patina.quarantine import quarantine
from patina.report import report
from patina.simulate import replay, simulate
from patina.status import status


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """Patina: conservation monitoring of metal artefacts in display cases."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for command in (
    collect,
    simulate,
    replay,
    analyse,
    downsample,
    report,
    export_command,
    alerts,
    hash_password_command,
    quarantine,
    status,
    dashboard,
    demo,
    diagnose,
    digest,
    move,
    passport,
    calibrate,
    backup,
    restore,
    partner,
):
    main.add_command(command)
