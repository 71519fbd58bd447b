"""Line protocol escaping and InfluxQL quoting, proven against a real InfluxDB."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from museum.description.config import MuseumConfig
from museum.storage.influxql import quote_identifier, quote_literal
from museum.storage.lineprotocol import LineProtocolError, encode_point
from museum.storage.store import InfluxStore

HOSTILE_IDS = [
    "case with spaces",
    "a,b",
    "key=value",
    'double"quote',
    "single'quote",
    "Tủ trưng bày số 1 — Điện Biên Phủ",
    "x rh_pct=0 1",  # tries to end the tag set and add a field
    "y,measurement=evil",  # tries to add a tag
    "' OR '1'='1",  # InfluxQL injection through a literal
    '" OR 1=1 --',
    "; DROP DATABASE patina",
]


def test_encode_point_escapes_commas_spaces_and_equals() -> None:
    line = encode_point("climate", {"sensor_id": "a b,c=d"}, {"rh_pct": 50.0}, 7)
    assert line == r"climate,sensor_id=a\ b\,c\=d rh_pct=50.0 7"


def test_string_fields_escape_quotes_and_backslashes() -> None:
    line = encode_point("m", {"t": "x"}, {"note": 'say "hi" \\o/'}, 1)
    assert line == r'm,t=x note="say \"hi\" \\o/" 1'


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "back\\slash", "ends\\", ""])
def test_values_line_protocol_cannot_carry_are_refused(bad: str) -> None:
    with pytest.raises(LineProtocolError):
        encode_point("climate", {"sensor_id": bad}, {"rh_pct": 1.0})


def test_non_finite_and_missing_fields_are_refused() -> None:
    with pytest.raises(LineProtocolError, match="finite"):
        encode_point("climate", {"s": "x"}, {"rh_pct": float("nan")})
    with pytest.raises(LineProtocolError, match="at least one field"):
        encode_point("climate", {"s": "x"}, {"rh_pct": None})


def test_hostile_ids_round_trip_exactly_and_stay_in_their_measurement(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    store = store_for(make_config())
    store.create_database()
    lines = [
        encode_point(
            "climate",
            {"site": "s", "case_id": hostile, "sensor_id": hostile},
            {"rh_pct": float(n), "ts_source": hostile},
            1_700_000_000_000_000_000 + n,
        )
        for n, hostile in enumerate(HOSTILE_IDS)
    ]
    store.write_lines(lines)

    for n, hostile in enumerate(HOSTILE_IDS):
        series = store.execute(
            f"SELECT rh_pct, ts_source, case_id FROM {quote_identifier('climate')} "
            f"WHERE sensor_id = {quote_literal(hostile)}"
        )
        assert series[0]["values"] == [[1_700_000_000_000_000_000 + n, n, hostile, hostile]]
    assert store.execute("SHOW MEASUREMENTS")[0]["values"] == [["climate"]]
    field_keys = store.execute("SHOW FIELD KEYS")[0]["values"]
    assert sorted(key for key, _ in field_keys) == ["rh_pct", "ts_source"]
    tag_keys = store.execute("SHOW TAG KEYS")[0]["values"]
    assert sorted(key for (key,) in tag_keys) == ["case_id", "sensor_id", "site"]
    assert store.execute("SHOW DATABASES")[0]["values"].count(["patina"]) == 0


def test_quoted_identifiers_reach_measurements_with_hostile_names(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    store = store_for(make_config())
    store.create_database()
    name = 'odd "measurement", name'
    store.write_lines([encode_point(name, {"t": "v"}, {"value": 1.5}, 10)])
    series = store.execute(f"SELECT value FROM {quote_identifier(name)}")
    assert series[0]["name"] == name
    assert series[0]["values"] == [[10, 1.5]]


def test_quoting_refuses_nul() -> None:
    with pytest.raises(ValueError):
        quote_literal("a\x00b")
    with pytest.raises(ValueError):
        quote_identifier("a\x00b")
