"""The spool remembers the keys of the last spooled messages, one row per committed group,
so that a redelivery is recognised: the last ``DELIVERIES_KEPT`` keys at least, older ones
forgotten, and the keys of a spool written before the groups kept through the upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from collector.spool import DELIVERIES_KEPT, Spool, message_key


def test_the_last_keys_are_recognised_and_older_ones_forgotten(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    group = 1000
    keys = [
        message_key(i % 65536, "patina/lab/s1/climate", str(i).encode()) for i in range(3 * DELIVERIES_KEPT)
    ]
    for start in range(0, len(keys), group):
        spool.commit(["climate,sensor_id=s1 rh_pct=40.0 1"], (), keys[start : start + group])
    newest, oldest = keys[-DELIVERIES_KEPT:], keys[:DELIVERIES_KEPT]
    assert spool.recently_delivered(newest) == set(newest)
    assert spool.recently_delivered(oldest) == set()
    assert spool.delivered(keys[-1]) and not spool.delivered(keys[0])
    assert spool.recently_delivered([message_key(1, "other", b"x")]) == set()
    kept_rows = sqlite3.connect(spool.path).execute("SELECT COUNT(*) FROM delivery_groups").fetchone()[0]
    assert kept_rows <= DELIVERIES_KEPT // group + 1
    spool.close()


def test_keys_of_a_spool_from_before_the_groups_survive_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, message_key INTEGER NOT NULL);
        CREATE INDEX deliveries_key ON deliveries (message_key);
    """)
    keys = [message_key(i, "patina/lab/s1/climate", b"%d" % i) for i in range(50)]
    old.executemany("INSERT INTO deliveries (message_key) VALUES (?)", [(k,) for k in keys])
    old.commit()
    old.close()
    spool = Spool(path)
    assert spool.recently_delivered(keys) == set(keys)
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "deliveries" not in tables
    spool.close()
    assert Spool(path).recently_delivered(keys[:3]) == set(keys[:3])  # opened again: still there


def test_waiting_counts_readings_up_to_a_limit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    assert spool.waiting(10) == 0
    spool.commit([f"climate,sensor_id=s1 rh_pct=40.0 {i}" for i in range(25)])
    assert (spool.waiting(10), spool.waiting(25), spool.waiting(1000)) == (10, 25, 25)
    spool.remove(row_id for row_id, _ in spool.oldest(20))
    assert spool.waiting(10) == 5
    spool.close()
