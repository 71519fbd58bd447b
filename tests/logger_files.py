"""Writers of logger exports in the layouts people have (PAYLOADS.md), for the tests.

The files are made here from a known series, so a test can compare what Patina reads
with what was written. No third-party data is copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def known_series(start: str, periods: int, freq: str, zone: str = "UTC", seed: int = 1) -> pd.DataFrame:
    """A plausible record: diurnal and seasonal cycles plus noise, on a UTC index."""
    index = pd.date_range(start, periods=periods, freq=freq, tz=zone).tz_convert("UTC")
    hours = (index - index[0]) / pd.Timedelta(hours=1)
    rng = np.random.default_rng(seed)
    temperature = 24 + 5 * np.sin(2 * np.pi * hours / 8766) + 2 * np.sin(2 * np.pi * hours / 24)
    rh = 65 + 12 * np.sin(2 * np.pi * hours / 8766 + 1) - 5 * np.sin(2 * np.pi * hours / 24) \
        + rng.normal(0, 1.5, len(index))
    return pd.DataFrame({"temperature_c": np.round(temperature, 2),
                         "rh_pct": np.round(np.clip(rh, 5, 99), 1)}, index=index)


def write_plain(path: Path, data: pd.DataFrame) -> Path:
    out = data.copy()
    out.index = out.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index_label="timestamp")
    return path


def write_hobo(path: Path, data: pd.DataFrame, fahrenheit: bool = False) -> Path:
    """HOBOware: title line, quoted header with the GMT offset, US dates with AM/PM,
    ISO-8859-1, event rows without values."""
    local = data.index.tz_convert("Etc/GMT-1")  # GMT+01:00
    unit = "°F" if fahrenheit else "°C"
    lines = ['"Plot Title: Vitrine 12"',
             f'"#","Time, GMT+01:00","Temp, {unit} (LGR S/N: 1234567, SEN S/N: 1234567)",'
             '"RH, % (LGR S/N: 1234567, SEN S/N: 1234567)","Coupler Detached (LGR S/N: 1234567)",'
             '"Coupler Attached (LGR S/N: 1234567)","Stopped (LGR S/N: 1234567)",'
             '"End Of File (LGR S/N: 1234567)"']
    for n, (moment, row) in enumerate(zip(local, data.itertuples(), strict=True), start=1):
        stamp = moment.strftime("%m/%d/%y %I:%M:%S %p")
        t = row.temperature_c * 9 / 5 + 32 if fahrenheit else row.temperature_c
        lines.append(f"{n},{stamp},{t:.3f},{row.rh_pct:.1f},,,,")
        if n == 3:
            lines.append(f"{n + 1000},{stamp},,,Logged,Logged,,")
    lines.append(f"{len(data) + 1},{local[-1].strftime('%m/%d/%y %I:%M:%S %p')},,,,,Logged,Logged")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def write_hanwell(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """Hanwell: a preamble, then Time,Temperature (C),Humidity (RH(%)), with trailing commas,
    day-first local times."""
    local = data.index.tz_convert(zone)
    lines = ["Hanwell RL4000 export", "Site: Gallery 2", "Transmitter: 0042 Case 7", "",
             "Time,Temperature (C),Humidity (RH(%)),"]
    lines += [f"{m.strftime('%d/%m/%Y %H:%M:%S')},{r.temperature_c:.2f},{r.rh_pct:.1f},"
              for m, r in zip(local, data.itertuples(), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_semicolon(path: Path, data: pd.DataFrame, zone: str) -> Path:
    """European: dd-mm-yyyy HH:MM local times (DST hour repeated or missing), decimal
    commas, whole-number RH."""
    local = data.index.tz_convert(zone)
    lines = ["Date;Température (°C);Humidité relative (%)"]
    lines += [f"{m.strftime('%d-%m-%Y %H:%M')};{r.temperature_c:.1f}".replace(".", ",")
              + f";{round(r.rh_pct):d}" for m, r in zip(local, data.itertuples(), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path
