"""The ingest's work on a group of messages before its commit: retained messages ignored,
redeliveries recognised whether their first copy is already in the spool or earlier in
the same group, and only messages that left something in the spool remembered."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from collector.ingest import InboxItem, Ingest
from collector.spool import Spool, message_key
from collector.stats import Stats
from museum.description.config import parse_config


def make_ingest(tmp_path: Path) -> Ingest:
    config = parse_config(
        {
            "museum": {"name": "Group", "timezone": "UTC"},
            "mqtt": {"url": "mqtt://127.0.0.1:1", "client_id": "group-test"},
            "sites": [{"id": "lab"}],
            "sources": [{"topic": "patina/+/+/climate", "format": "patina"}],
            "collector": {"spool_path": str(tmp_path / "spool.sqlite3")},
        },
        environ={},
    )
    spool = Spool(config.collector.spool_path)
    return Ingest(
        config,
        "group-test",
        spool,
        Stats(),
        threading.Condition(),
        threading.Event(),
        lambda worker, error: None,
        observe=lambda items: None,
        owned_cases=set(),
        commit_group=1000,
        commit_interval_s=0.02,
    )


def test_a_group_sorts_out_retained_messages_and_redeliveries(tmp_path: Path) -> None:
    ingest = make_ingest(tmp_path)
    now_ns = time.time_ns()
    topic = "patina/lab/s1/climate"
    old, new, bad = b'{"rh_pct": 40.0}', b'{"rh_pct": 41.0}', b'{"rh_pct": 140.0}'
    ingest.spool.commit([], (), [message_key(7, topic, old)])  # spooled before a stop
    batch: list[InboxItem] = [
        (7, 1, topic, old, False, True, now_ns, True),  # its redelivery
        (8, 1, topic, new, False, False, now_ns, False),  # new
        (8, 1, topic, new, False, True, now_ns, False),  # the same again, in this group
        (9, 1, topic, bad, False, False, now_ns, False),  # quarantined
        (10, 1, "patina/lab/s2/climate", new, True, False, now_ns, False),  # retained
    ]
    decoded, delivered, redelivered = ingest._decode(batch)
    assert redelivered == 2
    assert sorted(decoded.ignored) == ["redelivered", "redelivered", "retained"]
    assert len(decoded.lines) == 1 and "rh_pct=41.0" in decoded.lines[0]
    assert [q.reason for q in decoded.quarantined] == ["rh_out_of_range"]
    assert delivered == [message_key(8, topic, new), message_key(9, topic, bad)]
    ingest.spool.close()
