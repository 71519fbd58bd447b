"""How real sensors misbehave, applied to a simulated sensor's readings and messages.

Faults on the values: ``dropout`` (silent for a window, or for ever), ``stuck`` (repeats
the first value of the window), ``spikes`` (single readings, never two in a row, off by an
amplitude, a given number of times a day), ``drift`` (an offset growing by so much a day), ``battery`` (the
battery runs down at a given rate; at 0 % the sensor falls silent until the window ends,
when the battery is replaced). Faults on the messages: ``clock_skew`` (the device clock is
off by some seconds), ``duplicates`` (a share of messages sent twice), ``malformed`` (a
share of messages broken in the ways real firmware breaks them).

Random choices (which reading spikes, which message is duplicated) are hashes of (seed,
sensor, time), so a scenario is the same on every run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sensors_sim.model import hashed_uniform, stable_seed

FAULT_KINDS = ("dropout", "stuck", "spikes", "drift", "battery", "clock_skew", "duplicates", "malformed")


@dataclass(frozen=True)
class SensorFault:
    kind: str
    sensor: str
    start_s: float = -math.inf
    end_s: float = math.inf
    #: spikes: amplitude; drift: change per day.
    rh_pct: float = 0.0
    temperature_c: float = 0.0
    #: spikes: how many a day.
    per_day: float = 0.0
    #: duplicates, malformed: the share of messages affected (0–1).
    rate: float = 0.0
    #: clock_skew: seconds the device clock is ahead (negative: behind).
    skew_s: float = 0.0
    #: battery: decline per day, and the level at the start of the window.
    battery_pct_per_day: float = 0.0
    battery_start_pct: float = 100.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault {self.kind} on {self.sensor}: rate must be between 0 and 1")
        if self.end_s <= self.start_s:
            raise ValueError(f"fault {self.kind} on {self.sensor} ends before it starts")

    def active(self, epoch_s: np.ndarray) -> np.ndarray:
        return (epoch_s >= self.start_s) & (epoch_s < self.end_s)


@dataclass
class FaultedTicks:
    """One sensor's ticks after its faults: values, which ticks are sent, and how."""

    values: dict[str, np.ndarray]
    sent: np.ndarray
    stamp_offset_s: np.ndarray
    duplicated: np.ndarray
    malformed: np.ndarray


class SensorFaults:
    """The faults of one sensor. Ticks must be applied in time order (``stuck`` remembers
    the value it stuck at)."""

    def __init__(self, sensor_id: str, faults: Sequence[SensorFault], seed: int) -> None:
        self.sensor_id = sensor_id
        self.faults = [f for f in faults if f.sensor == sensor_id]
        self._seed = stable_seed(seed, "faults", sensor_id)
        self._stuck_values: dict[int, dict[str, float]] = {}

    def apply(self, epoch_s: np.ndarray, values: dict[str, np.ndarray]) -> FaultedTicks:
        values = {name: np.array(series, dtype=float, copy=True) for name, series in values.items()}
        count = len(epoch_s)
        sent = np.ones(count, dtype=bool)
        offset = np.zeros(count)
        duplicated = np.zeros(count, dtype=bool)
        malformed = np.zeros(count, dtype=bool)
        seconds = np.floor(epoch_s).astype(np.int64)
        for index, fault in enumerate(self.faults):
            active = fault.active(epoch_s)
            if not active.any():
                continue
            draw = hashed_uniform(self._seed + index, seconds)
            since_days = (
                np.maximum(epoch_s - fault.start_s, 0.0) / 86_400.0
                if math.isfinite(fault.start_s)
                else np.zeros(count)
            )
            if fault.kind == "dropout":
                sent &= ~active
            elif fault.kind == "stuck":
                first = int(np.argmax(active))
                held = self._stuck_values.setdefault(
                    index, {name: float(series[first]) for name, series in values.items()}
                )
                for name, series in values.items():
                    series[active] = held[name]
            elif fault.kind == "spikes":
                # Spikes are single readings: never two in a row.
                chance = fault.per_day * _tick_s(epoch_s) / 86_400.0
                before = hashed_uniform(self._seed + index, seconds - int(_tick_s(epoch_s)))
                spiking = active & (draw < chance) & ~(before < chance)
                values["temperature_c"][spiking] += fault.temperature_c
                values["rh_pct"][spiking] += fault.rh_pct
            elif fault.kind == "drift":
                values["temperature_c"][active] += (fault.temperature_c * since_days)[active]
                values["rh_pct"][active] = np.round(
                    values["rh_pct"][active] + (fault.rh_pct * since_days)[active], 1
                )
            elif fault.kind == "battery":
                level = np.round(
                    np.clip(fault.battery_start_pct - fault.battery_pct_per_day * since_days, 0.0, 100.0), 0
                )
                values["battery_pct"][active] = level[active]
                sent &= ~(active & (level <= 0.0))
            elif fault.kind == "clock_skew":
                offset[active] += fault.skew_s
            elif fault.kind == "duplicates":
                duplicated |= active & (draw < fault.rate)
            elif fault.kind == "malformed":
                malformed |= active & (draw < fault.rate)
        values["temperature_c"] = np.round(values["temperature_c"], 2)
        # A capacitive RH sensor saturates: it reports 0–100 % whatever goes wrong.
        values["rh_pct"] = np.round(np.clip(values["rh_pct"], 0.0, 100.0), 1)
        return FaultedTicks(values, sent, offset, duplicated, malformed)


def _tick_s(epoch_s: np.ndarray) -> float:
    return float(np.median(np.diff(epoch_s))) if len(epoch_s) > 1 else 60.0


#: Ways firmware breaks a message, in the order they are used.
MALFORMATIONS = ("truncated", "not_json", "text_value", "nan", "empty", "binary")


def malform(payload: bytes, which: int) -> bytes:
    """A broken version of ``payload``: cut short, an error text, a number sent as text,
    NaN, nothing at all, or binary noise."""
    kind = MALFORMATIONS[which % len(MALFORMATIONS)]
    if kind == "truncated":
        return payload[: max(1, len(payload) // 2)]
    if kind == "not_json":
        return b"ERROR: sensor read failed (I2C timeout)"
    if kind == "text_value":
        return (
            payload.replace(b'"rh_pct": ', b'"rh_pct": "n/a", "x": ', 1)
            if b'"rh_pct": ' in payload
            else b"n/a"
        )
    if kind == "nan":
        return b'{"temperature_c": NaN, "rh_pct": NaN}'
    if kind == "empty":
        return b""
    return bytes([0xFF, 0xFE, 0x00, 0x9C, 0x80, 0x81])
