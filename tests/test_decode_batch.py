"""The collector's batch decoder (:meth:`MessageDecoder.decode_batch`) against the
message-by-message one (:meth:`MessageDecoder.decode`): the short path for Patina's own
format must give the very lines, readings, quarantine records and ignores the general
path gives, for good messages, bad ones and everything in between."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.decoder import DecodedBatch, MessageDecoder, RawMessage
from museum.description.config import parse_config

NOW_NS = int(datetime(2026, 5, 1, 10, 0, 30, tzinfo=UTC).timestamp()) * 10**9

CONFIG = {
    "museum": {"name": "Batch", "timezone": "Asia/Ho_Chi_Minh"},
    "sites": [{"id": "hanoi"}, {"id": "hue"}],
    "sources": [
        {"topic": "patina/+/+/climate", "format": "patina"},
        {"topic": "zigbee2mqtt/#", "format": "zigbee2mqtt"},
        {"topic": "patina/#", "format": "patina"},
    ],
    "cases": [
        {"id": "C1", "site": "hanoi", "sensors": ["s1"]},
        {"id": "C 2,x=1", "site": "hue", "sensors": ["odd sensor"]},
    ],
}


def one_by_one(decoder: MessageDecoder, messages: list[RawMessage]) -> DecodedBatch:
    batch = DecodedBatch()
    for topic, payload, received_ns, backlog in messages:
        outcome = decoder.decode(topic, payload, received_ns, backlog)
        batch.lines.extend(outcome.lines)
        batch.readings.extend(outcome.readings)
        if outcome.quarantine is not None:
            batch.quarantined.append(outcome.quarantine)
        if outcome.ignored is not None:
            batch.ignored.append(outcome.ignored)
        batch.kept.append(bool(outcome.lines) or outcome.quarantine is not None)
    return batch


def assert_same(messages: list[RawMessage]) -> DecodedBatch:
    config = parse_config(CONFIG, environ={})
    # Twice through one decoder: the second pass meets its caches warm.
    fast, slow = MessageDecoder(config), MessageDecoder(config)
    for _ in range(2):
        got, expected = fast.decode_batch(messages), one_by_one(slow, messages)
        assert got == expected
    return got


def test_plain_native_readings_take_the_short_path_with_the_same_lines() -> None:
    messages: list[RawMessage] = [
        (
            "patina/hanoi/s1/climate",
            b'{"ts": 1777629600, "temperature_c": 21.5, "rh_pct": 48}',
            NOW_NS,
            False,
        ),
        ("patina/hanoi/s9/climate", b'{"temperature_c": -3, "battery_pct": 99.5}', NOW_NS, False),
        ("patina/hanoi/s9/climate", b'{"rh_pct": 47.25}', NOW_NS, True),
        (
            "patina/hue/odd sensor/climate",
            b'{"ts": "2026-05-01T17:00:00+07:00", "rh_pct": 50.0}',
            NOW_NS,
            False,
        ),
        (
            "patina/hanoi/s1/climate",
            b'{"ts": 1777629600.123456789, "temperature_c": 1e-7, "x": "y"}',
            NOW_NS,
            False,
        ),
    ]
    batch = assert_same(messages)
    assert batch.kept == [True] * 5
    assert batch.lines[0] == (
        "climate,case_id=C1,sensor_id=s1,site=hanoi temperature_c=21.5,rh_pct=48.0,"
        'ts_source="sensor" 1777629600000000000'
    )
    assert batch.lines[2].endswith(f'rh_pct=47.25,ts_source="received_backlog" {NOW_NS}')
    assert batch.lines[3].startswith(r"climate,case_id=C\ 2\,x\=1,sensor_id=odd\ sensor,site=hue ")
    assert [case for case, _ in batch.readings] == ["C1", "unassigned", "unassigned", "C 2,x=1", "C1"]


def test_anything_unusual_is_judged_as_the_general_path_judges_it() -> None:
    topic = "patina/hanoi/s1/climate"
    payloads = [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"temperature_c": true}',
        b'{"temperature_c": NaN}',
        b'{"temperature_c": Infinity}',
        b'{"temperature_c": 90}',
        b'{"rh_pct": 100.5}',
        b'{"rh_pct": -0.1}',
        b'{"temperature_c": 20, "battery_pct": 101}',
        b'{"battery_pct": 50}',
        b"{}",
        b'{"temperature_c": "20"}',
        b'{"ts": 0, "rh_pct": 40}',
        b'{"ts": true, "rh_pct": 40}',
        b'{"ts": "2026-05-01T10:00:00", "rh_pct": 40}',
        b'{"ts": 99999999999, "rh_pct": 40}',
        b'{"ts": 1e400, "rh_pct": 40}',
        b'{"temperature_c": 1' + b"0" * 400 + b"}",
        b'{"temperature_c": 20}' * 5000,
        b'{"temperature_c": null, "rh_pct": 40, "battery_pct": null}',
        json.dumps({"temperature_c": 20.0, "rh_pct": 40.0}).encode("utf-16"),
    ]
    messages: list[RawMessage] = [(topic, p, NOW_NS, False) for p in payloads]
    messages += [
        (t, b'{"rh_pct": 40}', NOW_NS, False)
        for t in (
            "patina/hanoi/s1",
            "patina//s1/climate",
            "patina/hanoi/ /climate",
            "patina/hanoi/a\\b/climate",
            "zigbee2mqtt/case 7",
            "zigbee2mqtt/bridge/state",
            "other/topic",
            "patina/x/y/z/climate",
        )
    ]
    batch = assert_same(messages)
    assert "temperature_out_of_range" in {q.reason for q in batch.quarantined}
    assert "redelivered" not in batch.ignored


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "patina/hanoi/s1/climate",
                    "patina/hue/s2/climate",
                    "patina/hue/odd sensor/climate",
                    "patina/a=b/c,d/climate",
                    "zigbee2mqtt/lamp",
                    "patina/hanoi/s1",
                ]
            ),
            st.dictionaries(
                st.sampled_from(["ts", "temperature_c", "rh_pct", "battery_pct", "other"]),
                st.none()
                | st.booleans()
                | st.integers(-(10**20), 10**20)
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=30),
                max_size=5,
            ),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_any_native_message_decodes_the_same_in_a_batch(
    items: list[tuple[str, dict[str, object], bool]],
) -> None:
    assert_same([(topic, json.dumps(body).encode(), NOW_NS, backlog) for topic, body, backlog in items])
