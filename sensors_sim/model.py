"""A simple, deterministic climate for every simulated display case.

Each case gets, from the seed and its id, a mean temperature and diurnal swing typical
of an unconditioned or poorly conditioned gallery in northern Vietnam, and an amount of
moisture (vapour pressure) that drifts slowly. RH follows from temperature through
:mod:`analysis.psychrometrics`, so a case that cools at night rises in RH, as real
cases do (SCIENCE.md §1). Each sensor adds its own small offset and noise.

The numbers are plausible, not measured: hot humid season around 26–31 °C and 60–85 %
RH inside galleries (the physical model with sources is a later step).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from analysis.psychrometrics import saturation_vapour_pressure


def hashed_normal(key: int, counters: np.ndarray) -> np.ndarray:
    """Standard normal noise that depends only on ``key`` and each counter (splitmix64
    hash, then Box–Muller), so any slice of a simulated series is reproducible."""
    with np.errstate(over="ignore"):
        mixed = (np.asarray(counters, dtype=np.uint64) * np.uint64(2)
                 + np.uint64(key) * np.uint64(0x9E3779B97F4A7C15))
        outputs = []
        for salt in (np.uint64(0), np.uint64(1)):
            z = mixed + salt + np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            outputs.append(((z >> np.uint64(11)).astype(float) + 0.5) / float(1 << 53))
    u1, u2 = outputs
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


def stable_seed(*parts: object) -> int:
    """A seed that depends only on its parts (Python's hash() changes between runs)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


@dataclass(frozen=True)
class CaseClimate:
    mean_temperature_c: float
    diurnal_amplitude_c: float
    mean_vapour_pressure_pa: float
    #: Hour of the day (local) at which the case is warmest.
    warmest_hour: float

    def temperature_c(self, local_hour: np.ndarray) -> np.ndarray:
        phase = 2 * math.pi * (local_hour - self.warmest_hour) / 24.0
        return self.mean_temperature_c + self.diurnal_amplitude_c * np.cos(phase)


def case_climate(case_id: str, seed: int) -> CaseClimate:
    rng = np.random.default_rng(stable_seed(seed, "case", case_id))
    mean_t = float(rng.uniform(26.0, 30.0))
    mean_rh = float(rng.uniform(58.0, 78.0))
    return CaseClimate(
        mean_temperature_c=mean_t,
        diurnal_amplitude_c=float(rng.uniform(0.8, 2.5)),
        mean_vapour_pressure_pa=mean_rh / 100.0 * saturation_vapour_pressure(mean_t),
        warmest_hour=float(rng.uniform(14.0, 17.0)),
    )


class SimulatedSensor:
    """One sensor in one case. :meth:`readings` is deterministic for (seed, sensor, times)."""

    def __init__(self, sensor_id: str, site: str, case_id: str, seed: int) -> None:
        self.sensor_id = sensor_id
        self.site = site
        self.climate = case_climate(case_id, seed)
        rng = np.random.default_rng(stable_seed(seed, "sensor", sensor_id))
        self.offset_c = float(rng.normal(0.0, 0.15))
        self.offset_rh = float(rng.normal(0.0, 0.8))
        self.battery_phase_days = float(rng.uniform(0.0, 900.0))
        self._noise_seed = stable_seed(seed, "noise", sensor_id)

    def readings(self, epoch_s: np.ndarray, utc_offset_h: np.ndarray) -> dict[str, np.ndarray]:
        """Temperature (°C), RH (%) and battery (%) at the given UNIX times."""
        epoch_s = np.asarray(epoch_s, dtype=float)
        local_hour = ((epoch_s / 3600.0) + utc_offset_h) % 24.0
        seconds = np.floor(epoch_s).astype(np.int64)
        noise_t = hashed_normal(self._noise_seed, seconds)
        noise_rh = hashed_normal(self._noise_seed + 1, seconds)
        temperature = self.climate.temperature_c(local_hour) + self.offset_c + 0.08 * noise_t
        # Moisture drifts over days (weather), slowly and smoothly.
        days = epoch_s / 86400.0
        vapour = self.climate.mean_vapour_pressure_pa * (
            1.0 + 0.06 * np.sin(2 * math.pi * days / 5.3) + 0.03 * np.sin(2 * math.pi * days / 1.7))
        rh = 100.0 * vapour / saturation_vapour_pressure(temperature) + self.offset_rh \
            + 0.3 * noise_rh
        # A battery loses 1 % every 10 days and is replaced at 10 %.
        battery = 100.0 - ((days + self.battery_phase_days) % 900.0) / 10.0
        return {
            "temperature_c": np.round(temperature, 2),
            "rh_pct": np.round(np.clip(rh, 0.0, 100.0), 1),
            "battery_pct": np.round(np.clip(battery, 0.0, 100.0), 0),
        }
