"""Simulated sensors: what a T/RH sensor in a case reports of the case's air.

A sensor reads its case's air (from :mod:`sensors_sim.building`) with its own calibration
offset and noise, rounded as devices round (0.01 °C, 0.1 % RH), and a battery that slowly
runs down. Noise is a hash of (seed, sensor, second), so any slice of a series is
reproducible on its own.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np


def hashed_uniform(key: int, counters: np.ndarray, salt: int = 0) -> np.ndarray:
    """Uniform numbers in (0, 1) that depend only on ``key``, ``salt`` and each counter
    (splitmix64)."""
    with np.errstate(over="ignore"):
        z = (
            np.asarray(counters, dtype=np.int64).astype(np.uint64) * np.uint64(2)
            + np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
            + np.uint64(salt)
            + np.uint64(0x9E3779B97F4A7C15)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        return ((z >> np.uint64(11)).astype(float) + 0.5) / float(1 << 53)


def hashed_normal(key: int, counters: np.ndarray) -> np.ndarray:
    """Standard normal noise that depends only on ``key`` and each counter (Box–Muller)."""
    u1, u2 = hashed_uniform(key, counters, 0), hashed_uniform(key, counters, 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


def stable_seed(*parts: object) -> int:
    """A seed that depends only on its parts (Python's hash() changes between runs)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


@dataclass(frozen=True)
class SensorSpec:
    """One sensor in one case. Offsets default to a seeded calibration error typical of
    capacitive T/RH sensors (±0.15 °C, ±0.8 % RH, one standard deviation)."""

    sensor_id: str
    case_id: str
    site: str
    #: Device format it publishes in (see :mod:`sensors_sim.formats`).
    format: str = "patina"
    #: Readings per message, for formats that carry several (SenML, line protocol), as a
    #: gateway or Telegraf batches them.
    batch: int = 1
    offset_c: float | None = None
    offset_rh_pct: float | None = None
    noise_c: float = 0.05
    noise_rh_pct: float = 0.3
    #: Battery at the start of the run, % (None: seeded), and its decline per day.
    battery_start_pct: float | None = None
    battery_pct_per_day: float = 0.1
    #: Illuminance on the objects while the case lights are on, lux; None: the sensor reads
    #: no light (docs/light.md). In the dark it reads ``dark_lux`` (exit signs, a door).
    light_lux: float | None = None
    dark_lux: float = 0.5
    #: UV per lumen of the case lights, µW/lm (None: the sensor reads no UV).
    uv_uw_per_lm: float | None = None


class SimulatedSensor:
    """Turns the case's air into what this sensor reports. Deterministic for (seed, times)."""

    def __init__(self, spec: SensorSpec, seed: int, start_s: float) -> None:
        self.spec = spec
        self.sensor_id = spec.sensor_id
        self.site = spec.site
        self.start_s = start_s
        rng = np.random.default_rng(stable_seed(seed, "sensor", spec.sensor_id))
        self.offset_c = spec.offset_c if spec.offset_c is not None else float(rng.normal(0.0, 0.15))
        self.offset_rh = spec.offset_rh_pct if spec.offset_rh_pct is not None else float(rng.normal(0.0, 0.8))
        self.battery_start = (
            spec.battery_start_pct if spec.battery_start_pct is not None else float(rng.uniform(40.0, 100.0))
        )
        self._noise_seed = stable_seed(seed, "noise", spec.sensor_id)

    def readings(
        self, epoch_s: np.ndarray, temperature_c: np.ndarray, rh_pct: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Temperature (°C), RH (%) and battery (%) reported for the case's air."""
        seconds = np.floor(np.asarray(epoch_s, dtype=float)).astype(np.int64)
        temperature = (
            temperature_c + self.offset_c + self.spec.noise_c * hashed_normal(self._noise_seed, seconds)
        )
        rh = rh_pct + self.offset_rh + self.spec.noise_rh_pct * hashed_normal(self._noise_seed + 1, seconds)
        days = (np.asarray(epoch_s, dtype=float) - self.start_s) / 86_400.0
        battery = self.battery_start - self.spec.battery_pct_per_day * days
        return {
            "temperature_c": np.round(temperature, 2),
            "rh_pct": np.round(np.clip(rh, 0.0, 100.0), 1),
            "battery_pct": np.round(np.clip(battery, 0.0, 100.0), 0),
        }

    def light(self, epoch_s: np.ndarray, lit: np.ndarray) -> dict[str, np.ndarray]:
        """Illuminance (lux, ±2 % noise while lit) and UV per lumen (µW/lm, NaN in the dark,
        where the ratio means nothing) for the case lights on at ``lit``; nothing if the
        sensor reads no light."""
        if self.spec.light_lux is None:
            return {}
        seconds = np.floor(np.asarray(epoch_s, dtype=float)).astype(np.int64)
        noise = 0.02 * hashed_normal(self._noise_seed + 2, seconds)
        lux = np.where(lit, self.spec.light_lux * (1.0 + noise), self.spec.dark_lux)
        values = {"illuminance_lux": np.round(np.maximum(lux, 0.0), 1)}
        if self.spec.uv_uw_per_lm is not None:
            values["uv_uw_per_lm"] = np.where(lit, self.spec.uv_uw_per_lm, np.nan)
        return values
