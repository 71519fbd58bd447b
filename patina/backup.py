"""`patina backup` and `patina restore` (docs/backup.md): the museum in one file, checked,
and brought back into an empty database. The work is in museum/storage/backup.py and
museum/storage/restore.py; this is the command around it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patina import __version__
from patina.options import config_option, load

if TYPE_CHECKING:
    from museum.description.config import MuseumConfig


@click.command()
@config_option
@click.option("--out", "out", type=click.Path(dir_okay=False), help="The archive to write (.tar).")
@click.option(
    "--verify",
    "verify",
    type=click.Path(dir_okay=False, exists=True),
    help="Check an archive's every part against its manifest, restoring nothing.",
)
@click.option(
    "--scheduled",
    is_flag=True,
    help="The daily backup of [backup]: into its folder when due, keeping its newest `keep`.",
)
def backup(config_path: str, out: str | None, verify: str | None, scheduled: bool) -> None:
    """Back up the database (every measurement and retention policy), the config and the
    collector's spool state into one archive with a manifest of counts and SHA-256s."""
    from museum.storage.backup import BackupError, BackupInvalid, verify_backup

    if sum(bool(x) for x in (out, verify, scheduled)) != 1:
        raise click.UsageError("give one of --out FILE, --verify FILE or --scheduled")
    if verify:
        try:
            manifest, problems = verify_backup(Path(verify))
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        if problems:
            raise click.ClickException(f"{verify} fails verification:\n" + "\n".join(problems))
        click.echo(
            f"{verify}: {len(manifest['parts'])} parts match the manifest "
            f"(Patina {manifest.get('patina_version')}, schema version {manifest.get('schema_version')}, "
            f"made {manifest.get('created')})"
        )
        return
    config = load(config_path)
    try:
        if scheduled:
            _scheduled(config)
        else:
            assert out is not None
            _backup_to(config, Path(out))
    except (BackupError, BackupInvalid) as error:
        raise click.ClickException(str(error)) from None


def _backup_to(config: MuseumConfig, out: Path) -> None:
    from museum.storage.backup import counts_text, create_backup
    from museum.storage.store import StoreError

    try:
        result = create_backup(config, out, __version__)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"wrote {result.path}: {result.bytes / 1e6:.2f} MB in {result.seconds:.1f} s, "
        f"{len(result.manifest['parts'])} parts"
    )
    for line in counts_text(result.manifest["counts"]):
        click.echo(f"  {line}")


def _scheduled(config: MuseumConfig) -> None:
    from museum.storage.backup import backup_due, rotate, scheduled_name

    now = datetime.now(UTC)
    if not backup_due(config, now):
        click.echo("the day's backup is already made")
        return
    folder = config.backup.folder
    assert folder is not None  # backup_due refused a config without one
    folder.mkdir(parents=True, exist_ok=True)
    _backup_to(config, folder / scheduled_name(config.influxdb.database, now))
    for path in rotate(folder, config.influxdb.database, config.backup.keep):
        click.echo(f"deleted {path} (keep = {config.backup.keep})")


@click.command()
@config_option
@click.option("--force", is_flag=True, help="Replace a database that is not empty (says what it replaces).")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True))
def restore(config_path: str, force: bool, archive: str) -> None:
    """Restore a backup into the config's database, which must be empty (or --force), then
    compare every count with the backup's manifest. Stop the collector first."""
    from museum.storage.backup import BackupError
    from museum.storage.restore import restore_backup, restore_summary
    from museum.storage.store import StoreError
    from museum.storage.versions import SchemaTooNew

    config = load(config_path)
    try:
        result = restore_backup(config, Path(archive), __version__, force=force)
    except (BackupError, SchemaTooNew, StoreError) as error:
        raise click.ClickException(str(error)) from None
    for line in restore_summary(result):
        click.echo(line)
    if result.lost:
        raise click.ClickException("the restored database holds fewer values than the backup")
