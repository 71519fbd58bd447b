"""`patina analyse` says what it assumed and reports honestly: Patina's own export read back
across both clock changes, local days, gaps, EN 15757 percentiles, IPI's mould table, and
replays that keep the file's values exactly."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from analysis.mould import (
    DAYS_TO_GERMINATION,
    days_to_germination,
    factor_grade,
    ipi_mould_rating,
    longest_spell_factor,
    mould_risk_factor,
)
from analysis.report import climate_report
from museum.description.config import MuseumConfig, Source
from museum.files.export import ExportRequest, export
from museum.language.i18n import Translator
from museum.storage.schema import Reading, climate_line
from museum.storage.store import InfluxStore
from patina.analyse import render_text
from sensors_sim.replay import ReplayFeed
from tests.logger_files import known_series


def run_analyse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patina", "analyse", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


# --- Patina's export read back -------------------------------------------------------------------------


def test_analyse_reads_patinas_export_across_both_clock_changes(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    # Every 20 min around the spring (30 March) and the autumn (26 October) changes in Paris.
    moments = [datetime(2025, 3, 29, tzinfo=UTC) + timedelta(minutes=20 * k) for k in range(3 * 72)]
    moments += [datetime(2025, 10, 25, tzinfo=UTC) + timedelta(minutes=20 * k) for k in range(3 * 72)]
    readings = [
        Reading(
            "s1", int(m.timestamp()) * 10**9, round(18 + (k % 37) / 7, 3), round(45 + (k % 23) / 3, 2), None
        )
        for k, m in enumerate(moments)
    ]
    store.create_database()
    store.write_lines([climate_line(r, "hanoi", "C1") for r in readings])
    result = export(
        config,
        ExportRequest(
            start=moments[0], end=moments[-1] + timedelta(minutes=1), case_ids=["C1"], timezone="Europe/Paris"
        ),
        tmp_path / "export.csv",
    )
    text = result.files[0].read_text()
    assert "+01:00" in text and "+02:00" in text  # both offsets, both changes in one file
    analysed = run_analyse(str(result.files[0]), "--json")
    assert analysed.returncode == 0, analysed.stderr
    report = json.loads(analysed.stdout)
    assert report["file"]["layout"] == "patina-export"
    assert report["file"]["timezone_origin"] == "file"
    assert report["file"]["rejected"] == 0 and report["file"]["duplicated_times"] == 0
    assert report["coverage"]["readings"] == len(readings)
    assert report["period"]["start"] == moments[0].isoformat()
    assert report["period"]["end"] == moments[-1].isoformat()
    assert report["statistics"]["temperature_c"]["mean"] == pytest.approx(
        np.mean([r.temperature_c for r in readings])
    )


# --- what the report says ---------------------------------------------------------------------------------


def test_daily_ranges_are_on_local_days() -> None:
    # Temperature steps by 1 °C at each local midnight in Hanoi (UTC+7): no range within a
    # local day, 1 °C within each UTC day.
    index = pd.date_range("2025-01-01", periods=24 * 20, freq="1h", tz="Asia/Ho_Chi_Minh")
    data = pd.DataFrame(
        {"temperature_c": 15 + np.arange(len(index)) // 24 * 1.0, "rh_pct": 50.0},
        index=index.tz_convert("UTC"),
    )
    assert (
        climate_report(data, timezone="Asia/Ho_Chi_Minh")["statistics"]["daily_range"]["temperature_c"] == 0
    )
    assert climate_report(data, timezone="UTC")["statistics"]["daily_range"]["temperature_c"] > 0.9


def test_gap_hours_leave_out_the_normal_interval() -> None:
    data = known_series("2025-01-01", 48 * 10, "30min")
    data = data.drop(data.index[100:110])  # ten readings missing: five hours without data
    gaps = climate_report(data)["gaps"]
    assert gaps["count"] == 1 and gaps["total_hours"] == pytest.approx(5.0)


def test_en15757_shows_its_percentiles_and_the_band_applied() -> None:
    data = known_series("2024-01-01", 24 * 420, "1h")
    band = climate_report(data)["en15757"]
    assert band["lower_offset_pct"] == min(band["p7_offset_pct"], -10)
    assert band["upper_offset_pct"] == max(band["p93_offset_pct"], 10)
    text = render_text({**climate_report(data), "file": _file_info()}, Translator("en"))
    assert f"7th and 93rd percentiles of the fluctuations: {band['p7_offset_pct']:.1f}" in text


def _file_info(**changes: object) -> dict[str, object]:
    info: dict[str, object] = {
        "path": "case.csv",
        "layout": "plain",
        "encoding": "utf-8",
        "separator": ",",
        "sheet": "case.csv",
        "other_sheets": [],
        "decimal_marks": {"T": "."},
        "date_format": "ISO8601",
        "date_order": "year-month-day (ISO 8601)",
        "timezone": "UTC",
        "timezone_origin": "default",
        "conversions": [],
        "sensor": "case",
        "sensors_in_file": ["case"],
        "columns": {"time": "time", "temperature": "T", "rh": "RH"},
        "rows_read": 12345,
        "rows_without_values": 0,
        "rejected": 0,
        "rejected_reasons": {},
        "first_rejected_rows": [],
        "duplicated_times": 0,
        "repeated_local_times": 0,
        "nonexistent_local_times": 0,
        "notes": [],
        "display_timezone": "UTC",
    }
    info.update(changes)
    return info


def test_the_text_says_how_the_file_was_read_in_each_language() -> None:
    report = climate_report(known_series("2025-01-01", 200, "1h"), ["wood"])
    report["file"] = _file_info()
    english = render_text(report, Translator("en"))
    assert "Time zone: UTC (no zone given: UTC assumed; use --timezone)" in english
    assert "Rows: 12,345 read" in english
    assert " UTC to " in english  # times printed with their zone
    french = render_text(report, Translator("fr"))
    assert "Lignes : 12\u202f345 lues" in french or "Lignes : 12 345 lues" in french
    assert "Fuseau horaire : UTC" in french
    assert "Dòng: 12.345 dòng đã đọc" in render_text(report, Translator("vi"))


def test_a_score_under_50_is_not_shown_as_50_and_good_names_no_driver() -> None:
    report = climate_report(known_series("2025-01-01", 200, "1h"), ["wood"])
    report["file"] = _file_info()
    wood = report["risk"]["wood"]
    wood["worst"] = {**wood["worst"], "score": 49.7, "level": "watch"}
    wood["current"] = {**wood["current"], "level": "good", "driver": "rh_high"}
    text = render_text(report, Translator("en"))
    assert "Worst: watch (49)" in text
    current = next(line for line in text.splitlines() if "At the end:" in line)
    assert "good since" in current and "driven by" not in current


# --- IPI's mould table -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temperature_c", "rh_pct", "days"),
    [
        (20, 80, 14),
        (28, 65, 1186),
        (24, 66, 763),
        (2, 89, 0),
        (2, 90, 23),
        (45, 90, 23),
        (45, 100, 12),
        (10, 79, 0),
        (10, 80, 19),
        (46, 100, 0),
        (1, 100, 0),
        (25, 64, 0),
        (19.5, 79.5, 14),  # IPI rounds halves up: 20 °C, 80 %
    ],
)
def test_days_to_germination_are_ipis_published_values(
    temperature_c: float, rh_pct: float, days: int
) -> None:
    assert days_to_germination(temperature_c, rh_pct) == days


def test_the_table_is_whole() -> None:
    assert sorted(DAYS_TO_GERMINATION) == list(range(2, 46))
    assert all(len(row) == 36 for row in DAYS_TO_GERMINATION.values())
    # Wetter air germinates sooner (or not at all below the table's threshold).
    for row in DAYS_TO_GERMINATION.values():
        values = [d for d in row if d]
        assert values == sorted(values, reverse=True)


def test_mould_rating_and_accumulated_factor() -> None:
    assert list(ipi_mould_rating(np.array([20.0, 20.0]), np.array([60.0, 80.0]))) == ["good", "risk"]
    index = pd.date_range("2025-06-01", periods=24 * 21, freq="1h", tz="UTC")
    t = pd.Series(20.0, index=index)
    rh = pd.Series(80.0, index=index)  # 14 days to germination
    assert mould_risk_factor(t, rh).iloc[-1] == pytest.approx(21 / 14)
    assert factor_grade(21 / 14) == "risk" and factor_grade(0.6) == "ok" and factor_grade(0.1) == "good"
    dried = rh.copy()
    dried.iloc[24 * 7] = 50.0  # one dry hour after a week
    assert longest_spell_factor(t, dried) == pytest.approx((24 * 14 - 1) / 24 / 14)
    report = climate_report(pd.DataFrame({"temperature_c": t, "rh_pct": rh}))
    assert report["mould"]["risk_factor"] == pytest.approx(1.5) and report["mould"]["grade"] == "risk"
    assert report["mould"]["hours_possible"] == pytest.approx(24 * 21)


# --- replay keeps the values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "device_format",
    [
        "patina",
        "zigbee2mqtt",
        "tasmota",
        "shelly-gen1",
        "shelly-gen2",
        "ttn-v3",
        "senml",
        "line-protocol",
        "homeassistant",
    ],
)
def test_replay_publishes_the_files_values_exactly(device_format: str) -> None:
    from collector.adapters import DECODERS, Context
    from museum.description.formats import DEVICE_FORMATS

    index = pd.date_range("2013-05-01", periods=4, freq="30min", tz="UTC")
    data = pd.DataFrame(
        {"temperature_c": [20.873, -3.14159, 19.996, 21.0049], "rh_pct": [53.46, 48.123, 99.95, 0.04]},
        index=index,
    )
    feed = ReplayFeed(data, "s9", "hanoi", device_format, ZoneInfo("UTC"))
    context = Context(Source(DEVICE_FORMATS[device_format].topic, device_format, site="hanoi"))
    decode = DECODERS[device_format]
    for k, messages in enumerate(feed.messages(0, len(data))):
        got: dict[str, float] = {}
        for topic, payload in messages:
            for reading in decode(context, topic, payload, int(index[k].value)).readings:
                got.update(
                    {
                        key: value
                        for key in ("temperature_c", "rh_pct")
                        if (value := getattr(reading, key)) is not None
                    }
                )
                if DEVICE_FORMATS[device_format].carries_time:
                    assert reading.time_ns == index[k].value
        assert got == {"temperature_c": data["temperature_c"].iloc[k], "rh_pct": data["rh_pct"].iloc[k]}
        assert not math.isnan(got["temperature_c"])


def test_replay_of_a_file_with_several_sensors_names_them(tmp_path: Path) -> None:
    from museum.files.loggers import LoggerFileError
    from sensors_sim.replay import load_replay
    from tests.logger_files import write_meaco

    data = known_series("2025-03-20", 48, "30min")
    path = write_meaco(tmp_path / "meaco.csv", {"Case 1": data, "Case 2": data + 1})
    with pytest.raises(LoggerFileError, match=r"2 sensors \(Case 1, Case 2\); choose one with --file-sensor"):
        load_replay(path, "s1", "hanoi", "patina", "UTC")
    feed, _ = load_replay(path, "s1", "hanoi", "patina", "UTC", file_sensor="Case 2")
    np.testing.assert_allclose(feed.readings["temperature_c"], data["temperature_c"] + 1, atol=0.05 + 1e-9)


def test_the_vtt_index_never_overflows() -> None:
    # A misread file once gave RH 836 % and an OverflowError here; the reader now refuses such
    # rows, and the model itself stays finite whatever it is given.
    from analysis.metrics import mould_index_vtt

    index = pd.date_range("2025-01-01", periods=48, freq="1h", tz="UTC")
    m = mould_index_vtt(pd.Series(22.0, index=index), pd.Series(836.0, index=index))
    assert np.isfinite(m).all()
