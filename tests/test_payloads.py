"""Decoding Patina's native payload: good readings, and a clear reason for every bad one."""

from __future__ import annotations

import json

import pytest

from collector.payloads import REJECTION_REASONS, Rejected, decode_native, parse_timestamp_ns

TOPIC = "patina/hanoi/g1-01-a/climate"
NOW_NS = 1_780_000_000_000_000_000  # 2026-05-28


def decode(body: object, topic: str = TOPIC) -> object:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return decode_native(topic, payload, NOW_NS)


def test_a_full_reading_keeps_exact_values_and_the_sensor_time() -> None:
    decoded = decode(
        {"ts": "2026-05-01T10:00:00.250Z", "temperature_c": 28.4, "rh_pct": 61.2, "battery_pct": 88}
    )
    assert decoded.site == "hanoi"
    (reading,) = decoded.readings
    assert reading.sensor_id == "g1-01-a"
    assert (reading.temperature_c, reading.rh_pct, reading.battery_pct) == (28.4, 61.2, 88.0)
    assert reading.time_ns == 1_777_629_600_250_000_000
    assert reading.ts_source == "sensor"


@pytest.mark.parametrize(
    ("ts", "expected_ns"),
    [
        ("2026-05-01T10:00:00Z", 1_777_629_600_000_000_000),
        ("2026-05-01T17:00:00+07:00", 1_777_629_600_000_000_000),
        (1_777_629_600, 1_777_629_600_000_000_000),
        (1_777_629_600.123456, 1_777_629_600_123_456_000),
    ],
)
def test_timestamps_in_rfc3339_or_epoch_seconds(ts: object, expected_ns: int) -> None:
    assert parse_timestamp_ns(ts) == expected_ns


def test_a_reading_without_ts_gets_the_receive_time_and_says_so() -> None:
    (reading,) = decode({"temperature_c": 20.0, "rh_pct": 50.0}).readings
    assert reading.time_ns == NOW_NS
    assert reading.ts_source == "received"


def test_a_reading_may_carry_only_rh() -> None:
    (reading,) = decode({"rh_pct": 50.0}).readings
    assert reading.temperature_c is None and reading.rh_pct == 50.0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe garbage", "not_utf8"),
        (b"[1, 2, 3]", "not_an_object"),
        (b"42", "not_an_object"),
        ({"battery_pct": 80}, "missing_field"),
        ({}, "missing_field"),
        ({"temperature_c": "warm", "rh_pct": 50}, "not_a_number"),
        ({"temperature_c": True, "rh_pct": 50}, "not_a_number"),
        ({"temperature_c": 20, "rh_pct": "55"}, "not_a_number"),
        (b'{"temperature_c": NaN, "rh_pct": 50}', "not_finite"),
        (b'{"temperature_c": 20, "rh_pct": Infinity}', "not_finite"),
        ({"temperature_c": 20, "rh_pct": 100.5}, "rh_out_of_range"),
        ({"temperature_c": 20, "rh_pct": -1}, "rh_out_of_range"),
        ({"temperature_c": 90, "rh_pct": 50}, "temperature_out_of_range"),
        ({"temperature_c": -41, "rh_pct": 50}, "temperature_out_of_range"),
        ({"temperature_c": 20, "rh_pct": 50, "battery_pct": 140}, "battery_out_of_range"),
        ({"ts": "yesterday", "temperature_c": 20, "rh_pct": 50}, "bad_timestamp"),
        ({"ts": "2026-05-01T10:00:00", "temperature_c": 20, "rh_pct": 50}, "bad_timestamp"),
        ({"ts": [1], "temperature_c": 20, "rh_pct": 50}, "bad_timestamp"),
        ({"ts": "1985-01-01T00:00:00Z", "temperature_c": 20, "rh_pct": 50}, "timestamp_out_of_range"),
        ({"ts": NOW_NS / 1e9 + 600, "temperature_c": 20, "rh_pct": 50}, "timestamp_out_of_range"),
        (b"{" * 70_000, "payload_too_large"),
    ],
)
def test_bad_payloads_are_rejected_with_a_specific_reason(body: object, reason: str) -> None:
    with pytest.raises(Rejected) as error:
        decode(body)
    assert error.value.reason == reason
    assert error.value.reason in REJECTION_REASONS
    assert error.value.detail


@pytest.mark.parametrize(
    "topic",
    ["patina/hanoi/climate", "patina/hanoi/s1/status", "patina//s1/climate", "other/hanoi/s1/climate/x"],
)
def test_topics_that_are_not_the_native_shape_are_rejected(topic: str) -> None:
    with pytest.raises(Rejected) as error:
        decode({"temperature_c": 20, "rh_pct": 50}, topic)
    assert error.value.reason == "unexpected_topic"


def test_a_reading_five_minutes_ahead_is_accepted_but_not_more() -> None:
    ok = decode({"ts": NOW_NS / 1e9 + 299, "rh_pct": 50})
    assert ok.readings[0].ts_source == "sensor"
    with pytest.raises(Rejected):
        decode({"ts": NOW_NS / 1e9 + 301, "rh_pct": 50})
