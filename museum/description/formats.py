"""The device formats Patina reads (docs/payloads.md): one registry, keyed by format name.

Each format has a name (what ``[[sources]] format`` says), the topic filter that receives
it as devices (and the simulator) publish it, and whether its messages carry the time of
measurement. The layers split the rest: the collector registers a decoder for every name
(``collector.adapters.DECODERS``), the simulator an encoder (``sensors_sim.formats.ENCODERS``).
Both check at import, through :func:`require_all`, that they cover exactly these names, so
a format added here and forgotten in either part fails at once rather than at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceFormat:
    #: The name in ``[[sources]] format``.
    name: str
    #: The ``[[sources]]`` topic filter that receives the format as devices publish it.
    topic: str
    #: Whether a message says when it was measured; without it the collector stamps the
    #: time of arrival (``ts_source = "received"``).
    carries_time: bool


_FORMATS = (
    DeviceFormat("patina", "patina/+/+/climate", carries_time=True),
    DeviceFormat("zigbee2mqtt", "zigbee2mqtt/#", carries_time=False),
    DeviceFormat("tasmota", "tele/+/SENSOR", carries_time=True),
    DeviceFormat("shelly-gen1", "shellies/+/sensor/+", carries_time=False),
    DeviceFormat("shelly-gen2", "+/events/rpc", carries_time=True),
    DeviceFormat("ttn-v3", "v3/+/devices/+/up", carries_time=True),
    DeviceFormat("senml", "senml/+", carries_time=True),
    DeviceFormat("line-protocol", "telegraf/+", carries_time=True),
    DeviceFormat("homeassistant", "+/sensor/+/state", carries_time=False),
)
#: Every device format, by name, in the order the docs list them.
DEVICE_FORMATS: Mapping[str, DeviceFormat] = {f.name: f for f in _FORMATS}
#: The names alone (the choices of ``[[sources]] format``).
FORMAT_NAMES: tuple[str, ...] = tuple(DEVICE_FORMATS)


def require_all(kind: str, registered: Mapping[str, object]) -> None:
    """Raise if ``registered`` (decoders, encoders, …) does not cover exactly the device
    formats: a format without its ``kind``, or a ``kind`` for an unknown format."""
    missing = [name for name in FORMAT_NAMES if name not in registered]
    unknown = [name for name in registered if name not in DEVICE_FORMATS]
    if missing or unknown:
        raise RuntimeError(
            f"{kind}s do not match museum.description.formats.DEVICE_FORMATS: "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
