"""Researchers' export against a real InfluxDB: round trips, daylight saving, resampling
counts, the Frictionless data package, and errors a user can act on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.psychrometrics import dew_point
from museum.description.config import MuseumConfig
from museum.files.export import ExportError, ExportRequest, export
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore

START = datetime(2025, 10, 25, 0, 0, tzinfo=UTC)  # the night of 25–26 October: Paris leaves summer time


def seed(
    store: InfluxStore, minutes: int = 3 * 24 * 60, every_min: int = 10, gap: tuple[int, int] | None = None
) -> pd.DataFrame:
    """Readings of s1 (case C1) and s3 (case C2) every ``every_min`` minutes; exact values known."""
    rows, lines = [], []
    for minute in range(0, minutes, every_min):
        if gap and gap[0] <= minute < gap[1]:
            continue
        moment = START + timedelta(minutes=minute)
        for sensor, case in (("s1", "C1"), ("s3", "C2")):
            reading = Reading(
                sensor,
                int(moment.timestamp()) * 10**9,
                round(20 + minute % 97 / 10, 2),
                round(40 + minute % 53 / 2, 1),
                80.0,
            )
            lines.append(climate_line(reading, "hanoi", case))
            rows.append(
                {
                    "time": moment,
                    "case_id": case,
                    "sensor_id": sensor,
                    "temperature_c": reading.temperature_c,
                    "rh_pct": reading.rh_pct,
                }
            )
    store.create_database()
    store.write_lines(lines)
    return pd.DataFrame(rows)


def read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        data = pd.read_csv(path)
    elif path.suffix == ".parquet":
        data = pd.read_parquet(path)
    else:
        data = pd.read_excel(path, sheet_name="climate")
    data["utc"] = pd.to_datetime(data["time"], utc=True)
    return data


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_raw_round_trip_in_every_format(
    fmt: str,
    tmp_path: Path,
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
) -> None:
    config = make_config()
    written = seed(store_for(config), minutes=2 * 24 * 60)
    result = export(
        config,
        ExportRequest(start=START, end=START + timedelta(days=3), format=fmt),
        tmp_path / f"export.{fmt}",
    )
    data = read_back(result.files[0])
    assert result.rows == len(written) == len(data)
    merged = written.merge(
        data, left_on=["time", "sensor_id"], right_on=["utc", "sensor_id"], suffixes=("_written", "")
    )
    assert len(merged) == len(written)
    np.testing.assert_array_equal(merged["temperature_c"], merged["temperature_c_written"])
    np.testing.assert_array_equal(merged["rh_pct"], merged["rh_pct_written"])
    assert (merged["case_id"] == merged["case_id_written"]).all()
    np.testing.assert_allclose(
        merged["dew_point_c"], dew_point(merged["temperature_c"], merged["rh_pct"]), atol=0.005
    )
    assert (merged["dew_point_c"].round(2) == merged["dew_point_c"]).all()  # two decimals, not sixteen
    if fmt == "parquet":
        meta = json.loads(pq.read_schema(result.files[0]).metadata[b"patina"])
        assert meta["timezone"] == "Asia/Ho_Chi_Minh" and {c["id"] for c in meta["cases"]} == {"C1", "C2"}
        assert pq.read_schema(result.files[0]).field("rh_pct").metadata[b"unit"] == b"%"
    if fmt == "xlsx":
        meta = pd.read_excel(result.files[0], sheet_name="metadata")
        assert "rh_pct" in set(meta["field"])


def test_daylight_saving_in_a_european_time_zone(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=2 * 24 * 60)
    result = export(
        config,
        ExportRequest(start=START, end=START + timedelta(days=2), case_ids=["C1"], timezone="Europe/Paris"),
        tmp_path / "paris.csv",
    )
    data = pd.read_csv(result.files[0])
    utc = pd.to_datetime(data["time"], utc=True)
    steps = utc.diff().dropna().dt.total_seconds()
    assert (steps == 600).all()  # no repeated or missing interval in UTC
    # 02:00–03:00 local happens twice on 26 October: once at +02:00, once at +01:00.
    assert {"2025-10-26T02:30:00+02:00", "2025-10-26T02:30:00+01:00"} <= set(data["time"])
    assert data["time"].iloc[0].endswith("+02:00") and data["time"].iloc[-1].endswith("+01:00")


def test_resampling_counts_readings_and_keeps_gaps(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    written = seed(store_for(config), minutes=24 * 60, gap=(300, 420))  # 05:00–07:00 UTC missing
    result = export(
        config,
        ExportRequest(
            start=START,
            end=START + timedelta(days=1),
            case_ids=["C1"],
            every=timedelta(hours=1),
            timezone="UTC",
        ),
        tmp_path / "hourly.csv",
    )
    data = pd.read_csv(result.files[0])
    assert len(data) == 24  # every hour present, gap hours included
    counts = dict(zip(data["time"], data["readings"], strict=True))
    assert counts["2025-10-25T04:00:00+00:00"] == 6
    assert counts["2025-10-25T05:00:00+00:00"] == 0 and counts["2025-10-25T06:00:00+00:00"] == 0
    assert pd.isna(data.set_index("time").loc["2025-10-25T05:00:00+00:00", "rh_pct_mean"])
    first = written[(written["sensor_id"] == "s1") & (written["time"] < START + timedelta(hours=1))]
    row = data.iloc[0]
    assert row["rh_pct_mean"] == pytest.approx(first["rh_pct"].mean())
    assert (row["rh_pct_min"], row["rh_pct_max"]) == (first["rh_pct"].min(), first["rh_pct"].max())
    assert data["readings"].sum() == (written["sensor_id"] == "s1").sum()


def test_daily_intervals_start_at_local_midnight(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config))
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2025, 10, 25, tzinfo=zone)
    result = export(
        config,
        ExportRequest(start=start, end=start + timedelta(days=2), case_ids=["C2"], every=timedelta(days=1)),
        tmp_path / "daily.csv",
    )
    data = pd.read_csv(result.files[0])
    assert list(data["time"]) == ["2025-10-25T00:00:00+07:00", "2025-10-26T00:00:00+07:00"]


def test_the_data_package_validates(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    frictionless = pytest.importorskip("frictionless")
    config = make_config()
    seed(store_for(config), minutes=6 * 60)
    export(
        config, ExportRequest(start=START, end=START + timedelta(hours=6)), tmp_path / "out" / "climate.csv"
    )
    package_path = tmp_path / "out" / "climate.datapackage.json"
    package = json.loads(package_path.read_text())
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["rh_pct"]["unit"] == "%" and fields["temperature_c"]["unit"] == "°C"
    assert package["patina"]["cases"][0]["artefacts"][0]["materials"] == ["archaeological_iron"]
    assert package["patina"]["generator"].startswith("Patina ")
    report = frictionless.validate(str(package_path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_errors_a_user_can_act_on(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=60)
    with pytest.raises(ExportError, match="unknown case 'C9'; known cases: C1, C2"):
        export(
            config,
            ExportRequest(start=START, end=START + timedelta(hours=1), case_ids=["C9"]),
            tmp_path / "x.csv",
        )
    with pytest.raises(ExportError, match="no readings for C1, C2 between 2024"):
        export(
            config,
            ExportRequest(start=START - timedelta(days=400), end=START - timedelta(days=399)),
            tmp_path / "x.csv",
        )
    assert not (tmp_path / "x.csv").exists()
    dead = type(config)(
        **{**config.__dict__, "influxdb": type(config.influxdb)(url="http://127.0.0.1:9", database="x")}
    )
    with pytest.raises(ExportError, match=re.escape("InfluxDB at http://127.0.0.1:9 is unreachable")):
        export(dead, ExportRequest(start=START, end=START + timedelta(hours=1)), tmp_path / "x.csv")


def test_the_export_command(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=6 * 60)
    env = {
        **os.environ,
        "PATINA_INFLUX_URL": config.influxdb.url,
        "PATINA_INFLUX_DB": config.influxdb.database,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "patina",
            "export",
            "--config",
            str(config.path),
            "--start",
            "2025-10-25T07:00",
            "--end",
            "2025-10-25T13:00",
            "--case",
            "C1",
            "--every",
            "1h",
            "--format",
            "parquet",
            "--out",
            str(tmp_path / "c1.parquet"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("6 rows")  # 07:00–13:00 at UTC+7 is 00:00–06:00 UTC
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "patina",
            "export",
            "--config",
            str(config.path),
            "--start",
            "2025-10-25",
            "--end",
            "2025-10-26",
            "--case",
            "nope",
            "--out",
            str(tmp_path / "n.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert unknown.returncode != 0 and "known cases: C1, C2" in unknown.stderr
