"""Backups in ``museum.toml``: ``[backup]``, where scheduled backups go, when in the day
(the museum's zone) and how many are kept; and the version of the file's own layout
(``config_version``). Declared once (:mod:`museum.description.schema`) with the object they
become. What a backup holds and how it is made: :mod:`museum.storage.backup`, docs/backup.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from museum.description.schema import Integer, Key, Place, Table, Text, Values

#: The layout of museum.toml this code reads. A file without ``config_version`` predates
#: versions and is version 1. A later version lists here what changed, and the reading
#: upgrades an older file's values (or says what to change) before checking them.
CONFIG_VERSION = 1

CONFIG_VERSION_KEY = Key(
    "config_version",
    Integer(minimum=1),
    "The layout version of this file; a newer Patina reads older ones, an older Patina refuses newer ones.",
    default=CONFIG_VERSION,
)


def check_config_version(version: int, at: Place) -> int:
    """The file's layout version, refused with what to do when a newer Patina wrote it."""
    if version > CONFIG_VERSION:
        raise at.key("config_version").fail(
            f"{version}: this file was written for a newer Patina (this one reads config "
            f"versions up to {CONFIG_VERSION}); upgrade Patina, or use the config of this "
            "version (a backup keeps the config it was made with)"
        )
    return version


def _backup(v: Values) -> BackupConfig:
    folder = v["folder"]
    path = None
    if folder:
        path = Path(folder)
        if v.reading.file is not None and not path.is_absolute():
            path = v.reading.file.parent / path
    return BackupConfig(folder=path, at=v["at"], keep=v["keep"])


BACKUP = Table(
    Key(
        "folder",
        Text(),
        "Where `patina backup --scheduled` writes backups; relative to the config file's folder.",
        default_doc="none: no scheduled backups",
        env="PATINA_BACKUP_FOLDER",
    ),
    Key(
        "at",
        Text(
            pattern=r"([01][0-9]|2[0-3]):[0-5][0-9]",
            mismatch="{value} is not a time of day such as 02:30 (24-hour clock)",
            about="a time of day, `02:30`",
        ),
        "The time of the daily backup, in the museum's time zone.",
        default="02:30",
    ),
    Key(
        "keep", Integer(minimum=1), "How many scheduled backups are kept; older ones are deleted.", default=14
    ),
    build=_backup,
    doc="Scheduled backups of the database, the config and the spool (docs/backup.md).",
)


@dataclass(frozen=True)
class BackupConfig:
    """Where and when scheduled backups are made, and how many are kept."""

    folder: Path | None = None
    #: The time of the daily backup, ``HH:MM`` in the museum's zone.
    at: str = BACKUP.default("at")
    keep: int = BACKUP.default("keep")

    def due_on(self, day: date, zone: ZoneInfo) -> datetime:
        """The moment of ``day``'s backup, in UTC (a time the clocks skip is read with the
        offset before the change, as the digest's is)."""
        hours, minutes = (int(part) for part in self.at.split(":"))
        return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)

    def last_due(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The latest scheduled moment at or before ``now`` (aware), in UTC."""
        today = now.astimezone(zone).date()
        moment = self.due_on(today, zone)
        if moment <= now:
            return moment
        return self.due_on(date.fromordinal(today.toordinal() - 1), zone)
