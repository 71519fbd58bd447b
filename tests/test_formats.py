"""The device-format registry (museum/description/formats.py): every name has a decoder, an encoder and a
topic filter, the filter receives what the encoder publishes, and ``carries_time`` says what
the decoder does with the time. Pure: no broker, no database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from paho.mqtt.client import topic_matches_sub

from collector.adapters import DECODERS, Context
from museum.description.config import Source
from museum.description.formats import DEVICE_FORMATS, FORMAT_NAMES, require_all
from sensors_sim.formats import BATCH_ENCODERS, ENCODERS

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
VALUES = {"temperature_c": 23.45, "rh_pct": 56.7, "battery_pct": 81.0}
STAMP_S = 1_790_000_123.0


def test_every_format_has_a_decoder_an_encoder_and_a_topic() -> None:
    assert set(DECODERS) == set(ENCODERS) == set(DEVICE_FORMATS) == set(FORMAT_NAMES)
    assert set(BATCH_ENCODERS) <= set(DEVICE_FORMATS)
    for name, device_format in DEVICE_FORMATS.items():
        assert device_format.name == name
        assert device_format.topic, name


def test_require_all_names_what_is_missing_and_what_is_unknown() -> None:
    partial = {name: object() for name in FORMAT_NAMES[1:]} | {"modbus": object()}
    expected = rf"decoders .*missing \['{FORMAT_NAMES[0]}'\].*unknown \['modbus'\]"
    with pytest.raises(RuntimeError, match=expected):
        require_all("decoder", partial)
    require_all("decoder", dict.fromkeys(FORMAT_NAMES))


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_the_topic_filter_receives_what_the_encoder_publishes(name: str) -> None:
    messages = ENCODERS[name]("case-7", "hanoi", STAMP_S, VALUES, ZONE)
    assert messages
    for topic, _payload in messages:
        assert topic_matches_sub(DEVICE_FORMATS[name].topic, topic), (name, topic)


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_carries_time_is_what_the_decoder_does_with_the_time(name: str) -> None:
    context = Context(Source(DEVICE_FORMATS[name].topic, name, site="hanoi"), ZONE)
    received_ns = int((STAMP_S + 3600) * 1e9)
    sources = {
        reading.ts_source
        for topic, payload in ENCODERS[name]("case-7", "hanoi", STAMP_S, VALUES, ZONE)
        for reading in DECODERS[name](context, topic, payload, received_ns).readings
    }
    assert sources == ({"sensor"} if DEVICE_FORMATS[name].carries_time else {"received"})
