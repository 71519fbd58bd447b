"""The logs kept for ever (museum.storage.logs, docs/backup.md "What is kept for how long"),
with real influxd processes: the alert log, the move log and a passport's recorded climate
outlive the raw retention; a database of the older layout (schema version 1, logs in the
default policy) is read as it is and upgraded on start, and the backup release 0.1.0 made
restores and is upgraded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from museum.description.config import MuseumConfig
from museum.loans.moves import move_events, record_move, recorded_hours
from museum.storage.backup import database_counts
from museum.storage.hourly import HOURLY_POLICY
from museum.storage.logs import by_policy, measurement_of
from museum.storage.schema import (
    AlertEvent,
    Reading,
    alert_event_line,
    artefact_climate_line,
    climate_line,
    move_line,
)
from museum.storage.store import InfluxStore
from museum.storage.versions import SCHEMA_VERSION, ensure_schema_version, stamp_version, stored_version
from patina.services import InfluxServer
from tests.helpers import wait_for
from tests.test_backup import FIXTURES, NOTE, events, run

LONG_AGO = timedelta(days=3650)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


def _event(moment: datetime, alert_id: str, state: str = "opened", note: str = "") -> str:
    return alert_event_line(
        AlertEvent(_ns(moment), "hanoi", "C1", alert_id, "rh_high", "warning", state, note=note)
    )


def _passport_hour(moment: datetime) -> str:
    return artefact_climate_line(
        _ns(moment),
        artefact_id="DBP-1",
        museum="Lender",
        site="lender",
        case_id="L1",
        source="passport",
        values={"rh_pct_mean": 48.0, "temperature_c_mean": 20.0},
        readings=12,
    )


@pytest.fixture
def quick_expiry(tmp_path: Path) -> Iterator[InfluxServer]:
    """A private influxd whose retention service looks for expired shards every second
    (``[retention] check-interval``, 30 minutes by default), so that a test sees a raw
    retention drop data rather than assume it does."""
    previous = os.environ.get("INFLUXDB_RETENTION_CHECK_INTERVAL")
    os.environ["INFLUXDB_RETENTION_CHECK_INTERVAL"] = "1s"
    server = InfluxServer(tmp_path / "influxdb")
    try:
        server.start()
    finally:
        if previous is None:
            del os.environ["INFLUXDB_RETENTION_CHECK_INTERVAL"]
        else:
            os.environ["INFLUXDB_RETENTION_CHECK_INTERVAL"] = previous
    yield server
    server.stop()


def test_a_write_sends_the_logs_to_the_policy_kept_for_ever() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    reading = climate_line(Reading("s1", _ns(now), 21.0, 50.0), "hanoi", "C1")
    event, hour = _event(now, "a-1"), _passport_hour(now)
    move = move_line(
        _ns(now),
        artefact_id="A,1 x",
        museum="M",
        site="s",
        case_id="C2",
        kind="move",
        user="u",
        note="",
        recorded_ns=0,
    )
    assert measurement_of(move) == "artefact_moves"
    assert measurement_of("we\\,ird\\ name,tag=1 x=1") == "we,ird name"
    assert by_policy([reading, event, hour, move]) == {None: [reading], HOURLY_POLICY: [event, hour, move]}


def test_the_logs_outlive_the_raw_retention(
    quick_expiry: InfluxServer, make_config: Callable[..., MuseumConfig]
) -> None:
    """Points 20 hours old in hour-long shards; the raw retention is then set to one hour
    (InfluxDB's shortest) and the retention service drops the raw shards. A reading and an
    alert event written the old way (into the default policy) go; the alert event, the move
    and the passport's hour written today's way stay, and are read back."""
    config = make_config()
    store = InfluxStore(quick_expiry.url, config.influxdb.database)
    store.create_database()
    store.ensure_downsampling()
    database = f'"{config.influxdb.database}"'
    store.execute(f'ALTER RETENTION POLICY "autogen" ON {database} SHARD DURATION 1h')
    then = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=20)
    store.write_lines([climate_line(Reading("s1", _ns(then), 21.0, 50.0), "hanoi", "C1")])
    store.write_lines([_event(then, "a-old-layout")], policy="autogen")
    store.write_lines([_event(then, "a-1"), _event(then + timedelta(minutes=5), "a-1", "acknowledged", NOTE)])
    store.write_lines([_passport_hour(then)])
    record_move(config, store, "DBP-1", "C2", user="registrar", note="to C2", at=then)
    assert store.count_climate() == 1

    store.ensure_downsampling(raw_retention=timedelta(hours=1))
    wait_for(lambda: store.count_climate() == 0, timeout_s=60)

    alerts = store.alert_events(within=LONG_AGO)
    assert list(alerts["alert_id"]) == ["a-1", "a-1"]  # the old layout's event expired
    assert alerts.iloc[-1]["note"] == NOTE
    moves = move_events(store, "DBP-1")
    assert list(moves["case_id"]) == ["C2"]
    hours = recorded_hours(store, "DBP-1", pd.Timestamp(then), pd.Timestamp(then + timedelta(hours=1)))
    assert list(hours["rh_pct_mean"]) == [48.0]
    counts = database_counts(store)
    assert set(counts["patina_forever"]) >= {"alert_events", "artefact_moves", "artefact_climate"}
    assert set(counts.get("autogen", {})) <= {"climate"}
    store.close()


def test_an_old_layout_database_is_read_and_then_upgraded(make_config: Callable[..., MuseumConfig]) -> None:
    """Schema version 1 wrote the logs into the default policy: they are read there until
    the upgrade, which copies them into ``patina_forever`` (once: no point is read twice)."""
    config = make_config()
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    store.create_database()
    store.ensure_downsampling()
    then = datetime(2025, 3, 1, tzinfo=UTC)
    move = move_line(
        _ns(then),
        artefact_id="DBP-1",
        museum=config.museum.name,
        site="hanoi",
        case_id="C2",
        kind="move",
        user="registrar",
        note="to C2",
        recorded_ns=_ns(then),
    )
    old = [_event(then, "a-1"), _event(then + timedelta(hours=1), "a-1", "acknowledged", NOTE), move]
    store.write_lines([*old, _passport_hour(then)], policy="autogen")
    stamp_version(store, "0.1.0", 1)
    before = events(store)
    assert len(before[0]) == 2 and len(before[1]) == 1
    assert not store.logs_migrated()

    done = ensure_schema_version(store, "0.2.0")
    assert done == [
        f"database {config.influxdb.database!r} upgraded from schema version 1 to 2",
        "  alert_events: 2 points copied into patina_forever",
        "  artefact_moves: 1 points copied into patina_forever",
        "  artefact_climate: 1 points copied into patina_forever",
    ]
    assert stored_version(store) == (SCHEMA_VERSION, "0.2.0")
    counts = database_counts(store)
    assert counts["patina_forever"]["alert_events"] == counts["autogen"]["alert_events"]
    fresh = InfluxStore(config.influxdb.url, config.influxdb.database)
    assert fresh.logs_migrated()
    for mine, theirs in zip(before, events(fresh), strict=True):
        pd.testing.assert_frame_equal(mine, theirs[mine.columns])
    assert ensure_schema_version(fresh, "0.2.0") == []
    fresh.close()
    store.close()


def test_the_backup_of_release_0_1_0_restores_and_is_upgraded(
    make_config: Callable[..., MuseumConfig], influxdb: InfluxServer
) -> None:
    """The fixture holds schema version 1 (alert log and move log in the default policy):
    restored with today's code, its logs are copied into ``patina_forever`` and found."""
    config = make_config(environ={"PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{influxdb.rpc_port}"})
    restored = run(config, "restore", str(FIXTURES / "patina-0.1.0.tar"))
    assert restored.exit_code == 0, restored.output
    assert "every count is the backup's" in restored.output
    assert "upgraded from schema version 1 to 2" in restored.output
    store = InfluxStore(config.influxdb.url, config.influxdb.database)
    assert stored_version(store)[0] == SCHEMA_VERSION
    counts = database_counts(store)
    for log in ("alert_events", "artefact_moves"):
        assert counts["patina_forever"][log] == counts["autogen"][log]
    assert store.logs_migrated()
    alerts, moves = events(store)
    assert list(alerts["state"]) == ["opened", "acknowledged"] and alerts.iloc[-1]["note"] == NOTE
    assert moves.iloc[-1]["case_id"] == "C2" and moves.iloc[-1]["note"] == "Moved for\nthe loan"
    store.close()
