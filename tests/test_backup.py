"""`patina backup` and `patina restore` with real influxd processes (docs/backup.md): a
museum with readings, hourly aggregates, an acknowledged alert with a two-line note and a
move is backed up, restored into a fresh InfluxDB, and found identical; damaged, newer and
misdirected restores are refused."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from collector.service import Collector
from museum.description.config import ConfigError, MuseumConfig, load_config
from museum.loans.moves import move_events, record_move
from museum.storage.backup import (
    MANIFEST,
    backup_due,
    database_counts,
    made_at,
    rotate,
    scheduled_name,
    verify_backup,
)
from museum.storage.disk import PolicyDisk, disk_use, projection
from museum.storage.influxql import time_literal
from museum.storage.schema import AlertEvent, Reading, alert_event_line, climate_line
from museum.storage.store import InfluxStore
from museum.storage.versions import (
    SCHEMA_VERSION,
    SchemaTooNew,
    ensure_schema_version,
    patina_version,
    stamp_version,
    stored_version,
)
from patina.cli import main
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import publish_all, wait_for

FIXTURES = Path(__file__).parent / "fixtures" / "backups"
NOTE = "Silica gel changed in the case.\nRH back under 40 % by the evening."
START = datetime(2026, 11, 1, tzinfo=UTC)


def fill_museum(config: MuseumConfig, store: InfluxStore) -> None:
    """Two days of readings (hourly aggregates computed), an alert opened and acknowledged
    with a two-line note, a move, the schema version."""
    store.create_database()
    store.ensure_downsampling(timedelta(days=400))
    lines = []
    for minute in range(0, 2 * 24 * 60, 10):
        moment = START + timedelta(minutes=minute)
        for sensor, case in (("s1", "C1"), ("s2", "C1"), ("s3", "C2")):
            reading = Reading(sensor, int(moment.timestamp() * 1e9), 21.0 + minute % 7 / 10, 45 + minute % 11)
            lines.append(climate_line(reading, "hanoi", case))
    store.write_lines(lines)
    store.backfill_hourly(START, START + timedelta(days=2))
    opened = int((START + timedelta(hours=5)).timestamp() * 1e9)
    event = AlertEvent(opened, "hanoi", "C1", "a-1", "rh_high", "warning", "opened", message="RH 52 % > 45 %")
    store.write_lines([alert_event_line(event)])
    store.acknowledge_alert("a-1", "conservator", NOTE)
    record_move(config, store, "DBP-1", "C2", user="registrar", note="Moved for\nthe loan", at=START)
    ensure_schema_version(store, "0.1.0")


@pytest.fixture
def museum(make_config: Callable[..., MuseumConfig], influxdb: InfluxServer) -> Iterator[MuseumConfig]:
    config = make_config(environ={"PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{influxdb.rpc_port}"})
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    fill_museum(config, store)
    # The collector's spool and a state file beside it, as a running collector leaves them.
    config.collector.spool_path.write_bytes(b"")
    config.collector.spool_path.with_name(config.collector.spool_path.name + ".digest.json").write_text("{}")
    yield config
    store.close()


@pytest.fixture
def fresh_influxdb(tmp_path: Path) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path / "fresh-influxdb")
    server.start()
    yield server
    server.stop()


def on_server(config: MuseumConfig, server: InfluxServer, folder: Path) -> MuseumConfig:
    """The same museum.toml, pointed at ``server``, with a spool folder of its own."""
    assert config.path is not None
    text = config.path.read_text().replace('spool_path = "', f'spool_path = "{folder}/')
    path = folder / config.path.name
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return load_config(
        path,
        environ={
            "PATINA_INFLUX_URL": server.url,
            "PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{server.rpc_port}",
        },
    )


def run(config: MuseumConfig, *arguments: str) -> Result:
    environ = {
        "PATINA_INFLUX_URL": config.influxdb.url,
        "PATINA_INFLUX_BACKUP_ADDRESS": config.influxdb.backup_address,
    }
    return CliRunner().invoke(main, [arguments[0], "--config", str(config.path), *arguments[1:]], env=environ)


def events(store: InfluxStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    return store.alert_events(within=timedelta(days=3650)), move_events(store)


def test_a_backup_restored_into_a_fresh_influxdb_is_identical(
    museum: MuseumConfig, fresh_influxdb: InfluxServer, tmp_path: Path
) -> None:
    archive = tmp_path / "museum.tar"
    made = run(museum, "backup", "--out", str(archive))
    assert made.exit_code == 0, made.output
    assert "autogen.climate: 864 points" in made.output
    verified = CliRunner().invoke(main, ["backup", "--verify", str(archive)])
    assert verified.exit_code == 0, verified.output
    manifest, problems = verify_backup(archive)
    assert problems == []
    assert manifest["schema_version"] == SCHEMA_VERSION
    parts = set(manifest["parts"])
    assert f"config/{museum.path.name}" in parts  # type: ignore[union-attr]
    assert {
        f"spool/{museum.collector.spool_path.name}",
        f"spool/{museum.collector.spool_path.name}.digest.json",
    } <= parts

    target = on_server(museum, fresh_influxdb, tmp_path / "restored")
    restored = run(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "every count is the backup's" in restored.output

    source = InfluxStore(museum.influxdb.url, museum.influxdb.database)
    copy = InfluxStore(target.influxdb.url, target.influxdb.database)
    until = datetime.fromisoformat(manifest["counted_until"])
    counts = database_counts(copy, until)
    assert counts == database_counts(source, until) == manifest["counts"]
    assert set(counts) == {"autogen", "patina_forever"}
    assert {"climate"} == set(counts["autogen"])  # the logs are kept for ever (museum.storage.logs)
    forever = {"climate_hourly", "patina_meta", "alert_events", "artefact_moves"}
    assert forever <= set(counts["patina_forever"])
    for mine, theirs in zip(events(source), events(copy), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    alerts, moves = events(copy)
    assert alerts.iloc[-1]["note"] == NOTE and alerts.iloc[-1]["state"] == "acknowledged"
    assert moves.iloc[-1]["note"] == "Moved for\nthe loan"
    readings = "SELECT * FROM climate WHERE sensor_id = 's2'"
    pd.testing.assert_frame_equal(source.frame(readings), copy.frame(readings))
    hourly = 'SELECT * FROM "patina_forever"."climate_hourly"'
    pd.testing.assert_frame_equal(source.frame(hourly), copy.frame(hourly))
    # The continuous query is not in a portable backup: the restore made it again.
    assert any("patina_climate_hourly" in str(s) for s in copy.execute("SHOW CONTINUOUS QUERIES"))
    assert target.collector.spool_path.exists()
    assert (
        target.collector.spool_path.with_name(target.collector.spool_path.name + ".digest.json").read_text()
        == "{}"
    )
    source.close()
    copy.close()


def tampered(archive: Path, out: Path, member_prefix: str) -> Path:
    """``archive`` with one byte changed in its first member under ``member_prefix``."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        changed = False
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if not changed and member.name.startswith(member_prefix):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
                changed = True
            target.addfile(member, io.BytesIO(data))
    assert changed
    return out


def rewritten_manifest(archive: Path, out: Path, **changes: object) -> Path:
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out


def test_damaged_newer_and_misdirected_restores_are_refused(
    museum: MuseumConfig, make_config: Callable[..., MuseumConfig], influxdb: InfluxServer, tmp_path: Path
) -> None:
    archive = tmp_path / "museum.tar"
    assert run(museum, "backup", "--out", str(archive)).exit_code == 0
    empty = make_config(environ={"PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{influxdb.rpc_port}"})
    empty_store = InfluxStore(empty.influxdb.url, empty.influxdb.database)

    bad = tampered(archive, tmp_path / "bad.tar", "influxdb/")
    verified = CliRunner().invoke(main, ["backup", "--verify", str(bad)])
    assert verified.exit_code != 0 and "damaged or altered" in verified.output
    refused = run(empty, "restore", str(bad))
    assert refused.exit_code != 0 and "fails verification, nothing restored" in refused.output
    assert database_counts(empty_store) == {}

    newer = rewritten_manifest(
        archive, tmp_path / "newer.tar", schema_version=SCHEMA_VERSION + 1, patina_version="9.0"
    )
    assert CliRunner().invoke(main, ["backup", "--verify", str(newer)]).exit_code == 0
    refused = run(empty, "restore", str(newer))
    assert refused.exit_code != 0
    assert f"schema version {SCHEMA_VERSION + 1}, written by Patina 9.0" in refused.output
    assert "Upgrade Patina to 9.0 or later" in refused.output
    assert database_counts(empty_store) == {}

    # Into the museum's own database, which holds data: refused, saying what it would replace.
    before = database_counts(InfluxStore(museum.influxdb.url, museum.influxdb.database))
    refused = run(museum, "restore", str(archive))
    assert refused.exit_code != 0
    assert "is not empty; nothing restored" in refused.output
    assert "autogen.climate: 864 points" in refused.output
    assert database_counts(InfluxStore(museum.influxdb.url, museum.influxdb.database)) == before
    forced = run(museum, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    replaced = "replaced (--force): autogen.climate: 864 points; patina_forever.alert_events: 2 points"
    assert replaced in forced.output
    assert "every count is the backup's" in forced.output
    empty_store.close()


def test_a_database_a_newer_patina_wrote_is_refused(museum: MuseumConfig) -> None:
    store = InfluxStore(museum.influxdb.url, museum.influxdb.database)
    assert ensure_schema_version(store, "0.1.0") == []  # current: nothing to do
    stamp_version(store, "9.0", SCHEMA_VERSION + 1)
    with pytest.raises(SchemaTooNew, match=r"Upgrade Patina to 9\.0 or later"):
        ensure_schema_version(store, "0.1.0")
    store.close()


def test_a_config_a_newer_patina_wrote_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "museum.toml"
    example = (Path(__file__).parent.parent / "museum.example.toml").read_text()
    assert "\nconfig_version = 1\n" in example
    path.write_text(example.replace("\nconfig_version = 1\n", "\nconfig_version = 99\n"))
    with pytest.raises(ConfigError, match="config_version: 99: this file was written for a newer Patina"):
        load_config(path, environ={})
    path.write_text(example.replace("\nconfig_version = 1\n", "\n"))  # a file older than versions
    assert load_config(path, environ={}).config_version == 1


def test_the_backup_made_by_release_0_1_0_restores_with_todays_code(
    make_config: Callable[..., MuseumConfig], influxdb: InfluxServer, tmp_path: Path
) -> None:
    """tests/fixtures/backups/patina-0.1.0.tar was made by this code on its day
    (benchmarks/bench_years.py --fixture remakes it only for a new schema version)."""
    fixture = FIXTURES / "patina-0.1.0.tar"
    manifest, problems = verify_backup(fixture)
    assert problems == [] and manifest["patina_version"] == "0.1.0"
    config = make_config(environ={"PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{influxdb.rpc_port}"})
    restored = run(config, "restore", str(fixture))
    assert restored.exit_code == 0, restored.output
    assert "every count is the backup's" in restored.output
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    alerts, moves = events(store)
    assert alerts.iloc[-1]["note"] == NOTE
    assert moves.iloc[-1]["case_id"] == "C2"
    store.close()


def test_scheduled_backups_are_made_once_a_day_and_rotated(museum: MuseumConfig, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    assert museum.path is not None
    museum.path.write_text(
        museum.path.read_text() + f'\n[backup]\nfolder = "{folder}"\nat = "02:30"\nkeep = 2\n'
    )
    config = load_config(museum.path, environ={"PATINA_INFLUX_URL": museum.influxdb.url})
    zone = config.zone  # Asia/Ho_Chi_Minh, UTC+7: 02:30 there is 19:30 UTC the day before
    folder.mkdir()
    for day in (1, 2, 3):
        (
            folder / scheduled_name(config.influxdb.database, datetime(2026, 5, day, 19, 31, tzinfo=UTC))
        ).touch()
    assert not backup_due(config, datetime(2026, 5, 4, 19, 0, tzinfo=UTC))  # 02:00 on the 5th there
    assert backup_due(config, datetime(2026, 5, 4, 19, 30, tzinfo=UTC))
    assert config.backup.last_due(datetime(2026, 5, 4, 19, 0, tzinfo=UTC), zone) == datetime(
        2026, 5, 3, 19, 30, tzinfo=UTC
    )
    deleted = rotate(folder, config.influxdb.database, 2)
    assert [made_at(path).day for path in deleted] == [1]
    made = run(museum, "backup", "--scheduled")
    assert made.exit_code == 0, made.output
    kept = sorted(folder.iterdir())
    assert len(kept) == 2 and "deleted" in made.output  # today's made, the oldest deleted
    assert verify_backup(kept[-1])[1] == []
    again = run(museum, "backup", "--scheduled")
    assert "already made" in again.output
    shutil.rmtree(folder)


def test_the_collector_stamps_a_new_database_and_stops_at_a_newer_one(
    make_config: Callable[..., MuseumConfig], mosquitto: MosquittoServer
) -> None:
    reading = (
        "patina/hanoi/s1/climate",
        json.dumps({"ts": START.timestamp(), "temperature_c": 21, "rh_pct": 50}),
    )
    config = make_config()
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        publish_all(mosquitto, [(reading[0], reading[1].encode())])
        wait_for(lambda: collector.stats().written >= 1)
    finally:
        collector.stop()
    assert stored_version(store) == (SCHEMA_VERSION, patina_version())

    stamp_version(store, "9.0", SCHEMA_VERSION + 1)
    collector = Collector(config)
    collector.start()
    try:
        assert collector.wait_until_subscribed(15)
        publish_all(mosquitto, [(reading[0], reading[1].replace("50", "51").encode())])
        failure = collector.run(threading.Event())  # returns when a worker fails for good
    finally:
        collector.stop()
    assert failure is not None and "Upgrade Patina to 9.0 or later" in failure
    assert store.count_climate() == 1  # the second reading waits in the spool
    store.close()


def test_disk_use_is_read_per_policy_and_projected_a_year_ahead(museum: MuseumConfig) -> None:
    store = InfluxStore(museum.influxdb.url, museum.influxdb.database)

    def by_policy() -> dict[str, PolicyDisk]:
        return {policy.policy: policy for policy in disk_use(store)}

    found = by_policy()
    assert set(found) == {"autogen", "patina_forever"}
    assert found["autogen"].first == START and found["autogen"].retention == timedelta(days=400)
    assert found["patina_forever"].retention is None and found["patina_forever"].bytes > 0
    # The oldest point is looked for shard by shard, oldest first: one three weeks older,
    # in a shard of its own, is found; once deleted, its emptied shard is passed over.
    older = START - timedelta(days=21)
    store.write_lines([climate_line(Reading("s1", int(older.timestamp() * 1e9), 21.0, 45.0), "hanoi", "C1")])
    assert by_policy()["autogen"].first == older
    store.execute(f"DELETE FROM climate WHERE time < {time_literal(START - timedelta(days=1))}")
    # The emptied shard is still there.
    assert any(
        datetime.fromisoformat(shard["start_time"]) <= older < datetime.fromisoformat(shard["end_time"])
        for shard in store.shards()
        if shard["retention_policy"] == "autogen"
    )
    assert by_policy()["autogen"].first == START
    store.close()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    year = timedelta(days=365)
    # Kept for ever, a year of data so far: twice as much in a year.
    assert PolicyDisk("f", 1000, now - year, None).in_a_year(now) == 2000
    # Kept 400 days, 100 days so far: grows to 400 days' worth, then stays.
    assert PolicyDisk("r", 1000, now - timedelta(days=100), timedelta(days=400)).in_a_year(now) == 4000
    assert PolicyDisk("r", 1000, now - timedelta(days=400), timedelta(days=400)).in_a_year(now) == 1000
    assert projection([PolicyDisk("f", 1000, now - year, None), PolicyDisk("e", 0, None, None)], now) == (
        1000,
        2000,
    )


def test_an_older_database_is_upgraded_step_by_step(
    museum: MuseumConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Patina of the next schema version meets today's database: its upgrade step runs
    once, and the version history keeps both."""
    from museum.storage import versions

    ran: list[str] = []
    current = versions.SCHEMA_VERSION
    monkeypatch.setattr(versions, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(versions.UPGRADES, current, lambda store: ran.append(store.database) or ["step"])
    store = InfluxStore(museum.influxdb.url, museum.influxdb.database)
    assert versions.ensure_schema_version(store, "0.3.0") == [
        f"database {museum.influxdb.database!r} upgraded from schema version {current} to {current + 1}",
        "  step",
    ]
    assert ran == [museum.influxdb.database]
    assert versions.stored_version(store) == (current + 1, "0.3.0")
    assert versions.ensure_schema_version(store, "0.3.0") == []  # once
    history = store.frame(f"SELECT schema_version FROM {versions.META_TARGET}")
    assert list(history["schema_version"]) == [current, current + 1]
    store.close()
