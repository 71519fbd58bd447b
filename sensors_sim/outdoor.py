"""The outdoor climate that drives a simulated museum building.

Monthly climatological normals, interpolated smoothly through the year, a diurnal cycle of
temperature, and "weather": slow, seeded departures of a few days' period. Moisture is
carried as absolute humidity (g/m³); RH follows from temperature through
:mod:`analysis.psychrometrics`, so outdoor RH peaks at dawn and falls in the afternoon as it
does in a humid climate, and air at saturation is capped there (fog, dew).

The default, :data:`HANOI`, is northern Vietnam: a cool, humid winter with drizzle
(February–April near 85–88 % RH), a hot, very humid rainy summer (June–August around
29 °C mean, 33 °C afternoons). Its monthly figures are the climatological normals of
Hà Nội (Láng station) as tabulated from QCVN 02:2009/BXD, *Vietnam Building Code: Natural
Physical & Climatic Data for Construction* (Vietnam Institute for Building Science and
Technology), rounded to 0.1 °C and 1 % RH. They were read second-hand (the public
"Hanoi" climate table that cites that code), not from the code itself: check them before
quoting them as the code's values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.psychrometrics import saturation_density_g_per_m3
from sensors_sim.model import stable_seed

SECONDS_PER_DAY = 86_400.0
_DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class OutdoorClimate:
    """Monthly normals (January first) and the shape of a day."""

    name: str
    #: Mean daily temperature of each month, °C.
    monthly_mean_temperature_c: tuple[float, ...]
    #: Mean daily maximum minus mean daily minimum of each month, K.
    monthly_daily_range_k: tuple[float, ...]
    #: Mean relative humidity of each month, %.
    monthly_mean_rh_pct: tuple[float, ...]
    #: Local hour of the daily maximum (about 14:00 in the tropics).
    warmest_hour: float = 14.0
    #: Day-to-day weather: amplitude of temperature departures, K (engineering choice).
    weather_temperature_k: float = 1.5
    #: Day-to-day weather: relative amplitude of moisture departures (engineering choice).
    weather_moisture_fraction: float = 0.06
    #: Afternoon rise of absolute humidity from evaporation, as a fraction of the daily
    #: mean (engineering choice: keeps the diurnal RH swing near observed values).
    diurnal_moisture_fraction: float = 0.02

    def __post_init__(self) -> None:
        for name in ("monthly_mean_temperature_c", "monthly_daily_range_k", "monthly_mean_rh_pct"):
            if len(getattr(self, name)) != 12:
                raise ValueError(f"{self.name}: {name} needs 12 monthly values")


#: Hà Nội (Láng): see the module docstring for the source and its caveat.
HANOI = OutdoorClimate(
    name="Hà Nội (Láng), QCVN 02:2009/BXD normals",
    monthly_mean_temperature_c=(16.4, 17.2, 20.0, 23.9, 27.4, 28.9, 29.2, 28.6, 27.5, 24.9, 21.5, 18.2),
    monthly_daily_range_k=(5.0, 4.6, 4.7, 5.3, 7.1, 6.6, 6.6, 5.9, 6.0, 6.3, 6.5, 6.3),
    monthly_mean_rh_pct=(80.0, 84.0, 88.0, 87.0, 82.0, 80.0, 81.0, 84.0, 82.0, 79.0, 77.0, 77.0),
)


def _monthly(values: tuple[float, ...], day_of_year: np.ndarray) -> np.ndarray:
    """Periodic linear interpolation between mid-month anchors."""
    anchors = (np.arange(12) + 0.5) * _DAYS_PER_YEAR / 12.0
    x = np.concatenate(([anchors[-1] - _DAYS_PER_YEAR], anchors, [anchors[0] + _DAYS_PER_YEAR]))
    y = np.concatenate(([values[-1]], values, [values[0]]))
    return np.interp(day_of_year, x, y)


def _weather(seed: int, days: np.ndarray) -> np.ndarray:
    """Slow departures between −1 and 1: three seeded waves of 2–9 days' period."""
    rng = np.random.default_rng(seed)
    periods = rng.uniform(2.0, 9.0, 3)
    phases = rng.uniform(0.0, 2 * math.pi, 3)
    waves = sum(np.sin(2 * math.pi * days / p + ph) for p, ph in zip(periods, phases, strict=True))
    return waves / 3.0


def outdoor_conditions(
    climate: OutdoorClimate, epoch_s: np.ndarray, utc_offset_h: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outdoor air temperature (°C) and absolute humidity (g/m³) at the given UNIX times.

    Deterministic for (climate, seed, time): any slice of a series equals the same part of
    the whole.
    """
    epoch_s = np.asarray(epoch_s, dtype=float)
    local_s = epoch_s + np.asarray(utc_offset_h, dtype=float) * 3600.0
    days = local_s / SECONDS_PER_DAY
    # Days since 1970-01-01 modulo the mean Gregorian year: the day of the year to within
    # a day until well past 2100, which is all a climatology needs.
    day_of_year = days % _DAYS_PER_YEAR
    local_hour = (local_s % SECONDS_PER_DAY) / 3600.0
    mean_t = _monthly(climate.monthly_mean_temperature_c, day_of_year)
    half_range = _monthly(climate.monthly_daily_range_k, day_of_year) / 2.0
    mean_rh = _monthly(climate.monthly_mean_rh_pct, day_of_year)
    diurnal = np.cos(2 * math.pi * (local_hour - climate.warmest_hour) / 24.0)
    weather_t = climate.weather_temperature_k * _weather(stable_seed(seed, "weather-t"), days)
    temperature = mean_t + weather_t + half_range * diurnal
    # The month's mean moisture, at its mean temperature.
    mean_density = mean_rh / 100.0 * saturation_density_g_per_m3(mean_t + weather_t)
    density = mean_density * (
        1.0
        + climate.weather_moisture_fraction * _weather(stable_seed(seed, "weather-q"), days)
        + climate.diurnal_moisture_fraction * diurnal
    )
    return temperature, np.minimum(density, saturation_density_g_per_m3(temperature))
