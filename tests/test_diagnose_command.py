"""`patina diagnose` end to end: the wet-season scenario goes through the real broker,
collector and InfluxDB; the command, run as a user runs it, must rank the cases by
tightness and forecast the drifting case's limit crossing that the building model, run on
for two more months, really reaches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analysis.diagnostics import thomson_half_time_days
from museum.description.config import MuseumConfig
from sensors_sim import scenario as scenarios
from sensors_sim.building import BuildingModel
from tests.conftest import REPO_DIR, InfluxServer, MosquittoServer
from tests.helpers import ScenarioRun

SCENARIO = "wet-season-case-tightness"


def cli_config(path: Path, scenario_file: Path) -> Path:
    """A museum.toml for the CLI: the scenario's own [museum] tables, unprefixed (the
    services come from the PATINA_* variables)."""
    text = scenario_file.read_text(encoding="utf-8")
    museum = text[text.index("\n[museum]\n") + len("\n[museum]\n") :]
    museum = museum.replace("[[museum.", "[[").replace("[museum.", "[")
    path.write_text(
        '[museum]\nname = "Test"\ntimezone = "Asia/Ho_Chi_Minh"\nlanguage = "en"\n\n' + museum,
        encoding="utf-8",
    )
    return path


def model_run(
    scenario: scenarios.Scenario, config: MuseumConfig, days: float
) -> dict[str, dict[str, np.ndarray]]:
    """The building model's own climate of each case (no sensors), every 10 minutes."""
    cases = scenario.case_specs(config)
    model = BuildingModel(
        scenario.room_specs(config),
        cases,
        start_s=scenario.start_s or 0.0,
        zone=config.zone,
        seed=scenario.seed,
        outdoor=scenario.outdoor,
        events=scenario.events,
    )
    climate = model.sample((scenario.start_s or 0.0) + np.arange(0.0, days * 86_400.0, 600.0))
    return {
        c.case_id: {"rh_pct": climate.case_rh_pct[:, j], "temperature_c": climate.case_temperature_c[:, j]}
        for j, c in enumerate(cases)
    }


def test_diagnose_ranks_cases_and_forecasts_the_drifting_case(
    scenario_run: Callable[[str], ScenarioRun],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    tmp_path: Path,
) -> None:
    # The session's run of the scenario, the one tests/test_scenarios.py checks the alerts of
    # (conftest.SCENARIO_READERS sends this test to the worker that runs it).
    run = scenario_run(SCENARIO)
    scenario, config = run.scenario, run.config
    assert scenario.start_s is not None and scenario.duration_s is not None
    path = cli_config(tmp_path / "museum.toml", scenarios.SCENARIO_DIR / f"{SCENARIO}.toml")
    env = {
        **os.environ,
        "PATINA_MQTT_URL": mosquitto.url,
        "PATINA_INFLUX_URL": influxdb.url,
        "PATINA_INFLUX_DB": config.influxdb.database,
    }
    start = datetime.fromtimestamp(scenario.start_s, UTC).isoformat()
    end = datetime.fromtimestamp(scenario.start_s + scenario.duration_s, UTC).isoformat()

    def patina(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "patina",
                "diagnose",
                "--config",
                str(path),
                "--start",
                start,
                "--end",
                end,
                *args,
            ],
            env=env,
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = patina("--json")
    assert done.returncode == 0, done.stderr
    rows = {row["case"]: row for row in json.loads(done.stdout)["cases"]}
    assert set(rows) == {"A-01", "A-02", "A-03", "A-04"}, "the room is a reference, not a case"
    assert {row["reference"] for row in rows.values()} == {"A-ROOM"}
    assert all(row["quality"] == "good" for row in rows.values()), rows

    # Tightness: ranked as built, unbuffered cases' air exchange recovered within 10 %.
    physics = {c.case_id: c for c in scenario.case_specs(config)}
    truth = model_run(scenario, config, 75)
    two_weeks = 14 * 144
    ranking = sorted(rows, key=lambda case: rows[case]["half_time_days"])
    assert ranking == ["A-01", "A-02", "A-04", "A-03"]
    for case in ("A-01", "A-02"):
        assert rows[case]["buffered"] is False
        exchange = physics[case].air_exchange_per_day
        assert rows[case]["air_exchange_per_day"] == pytest.approx(exchange, rel=0.10)
    for case in ("A-03", "A-04"):
        spec = physics[case]
        temperature_c = float(truth[case]["temperature_c"][:two_weeks].mean())
        half_time = thomson_half_time_days(
            spec.air_exchange_per_day, spec.silica_gel_kg, spec.volume_m3, temperature_c
        )
        assert rows[case]["buffered"] is True and rows[case]["air_exchange_per_day"] is None
        assert rows[case]["half_time_days"] == pytest.approx(half_time, rel=0.25)

    # The forecast: A-04 passes its rifles' 50 % when the model, run on, says it does.
    drifting = rows["A-04"]
    assert drifting["limit_rh_pct"] == 50.0
    assert drifting["trend_rh_pct_per_day"] > 0.1
    daily = truth["A-04"]["rh_pct"].reshape(-1, 144).mean(axis=1)
    true_days = float(np.flatnonzero(daily > 50.0)[0]) + 0.5 - scenario.duration_s / 86_400.0
    assert drifting["days_to_limit"] == pytest.approx(true_days, rel=1 / 3)
    low, high = drifting["days_to_limit_interval"]
    assert low <= drifting["days_to_limit_early"] <= drifting["days_to_limit"] <= high
    # Two weeks of the gallery and no year before: the room's future is the window's level.
    assert drifting["forecast_source"] == "persistence" and drifting["forecast_horizon_days"] == 60
    assert isinstance(drifting["forecast_actionable"], bool)
    assert drifting["date_to_limit_early"] <= drifting["date_to_limit"]
    # The leaky cases follow a gallery that stays below their organic materials' 75 %.
    assert rows["A-01"]["days_to_limit"] is None and rows["A-02"]["days_to_limit"] is None

    # The same for a person, in French, most urgent first.
    text = patina("--language", "fr")
    assert text.returncode == 0, text.stderr
    assert "Demi-vie hygrométrique" in text.stdout and "A-ROOM" in text.stdout
    assert "Prévision comme si la salle restait proche de son niveau des 14 derniers jours" in text.stdout
    assert text.stdout.index("A-04 ·") < text.stdout.index("A-01 ·")

    # The printed report of the gallery carries the same diagnosis for each case, not the room.
    page = tmp_path / "report.html"
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "patina",
            "report",
            "--config",
            str(path),
            "--gallery",
            "Gallery A",
            "--start",
            start,
            "--end",
            end,
            "--language",
            "fr",
            "--out",
            str(page),
        ],
        env=env,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr
    html = page.read_text(encoding="utf-8")
    assert html.count("Performance de la vitrine et prévision") == 4, "four cases; the room has none"
    assert "Par rapport à l&#x27;air de la salle (A-ROOM)" in html
    assert "Demi-vie hygrométrique" in html and "Dépassera" in html

    # A wrong case is named, without a traceback.
    wrong = patina("--case", "Z-9")
    assert wrong.returncode != 0 and "no case 'Z-9'" in wrong.stderr and "Traceback" not in wrong.stderr
