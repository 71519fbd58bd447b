"""The forecast rule: a case forecast to pass its RH limit within ``[alerts] forecast_days``
gets one notification, by a real SMTP server (aiosmtpd), that names the case, the day and
what to check. The engine is fed the readings the wet-season scenario's sensors report
(the building model, the sensors' calibration and noise), on the readings' clock.

The same scenario through the real broker, collector and InfluxDB is
tests/test_scenarios.py (its ``[[expect]]`` holds the forecast alert of A-04 only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collector.alerts import AlertEngine, Notification
from collector.notify import Notifier, render
from museum.description.config import ConfigError, MuseumConfig, NotifyConfig, load_config, parse_config
from museum.language.i18n import Translator
from museum.storage.schema import AlertEvent
from sensors_sim import scenario as scenarios
from sensors_sim.building import BuildingModel
from sensors_sim.model import SimulatedSensor
from tests.conftest import SMALL_MUSEUM
from tests.test_alerts import Mailbox, smtp_server  # noqa: F401  (the fixture)

SCENARIO = "wet-season-case-tightness"


def scenario_museum(
    language: str, smtp_port: int | None = None, name: str = SCENARIO
) -> tuple[scenarios.Scenario, MuseumConfig]:
    """A scenario's own museum (its [museum] tables; the wet season's has forecast_days =
    30), in ``language``."""
    scenario = scenarios.load(name)
    base = parse_config(
        {
            "museum": {"name": "Test", "timezone": "Asia/Ho_Chi_Minh", "language": language},
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "influxdb": {"url": "http://127.0.0.1:1"},
            "sites": [{"id": "hanoi", "name": "Hà Nội"}],
            "cases": [],
        },
        origin="test",
        environ={},
    )
    config = scenario.museum_config(base)
    if smtp_port is not None:
        config = dataclasses.replace(
            config,
            notify=NotifyConfig(
                smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                email_from="patina@museum.test",
                email_to=("conservator@museum.test",),
            ),
        )
    return scenario, config


def scenario_readings(
    scenario: scenarios.Scenario, config: MuseumConfig
) -> tuple[np.ndarray, list[SimulatedSensor], dict[str, dict[str, np.ndarray]]]:
    """What the scenario's sensors report (the building model, their calibration and noise)."""
    assert scenario.start_s is not None and scenario.duration_s is not None
    model = BuildingModel(
        scenario.room_specs(config),
        scenario.case_specs(config),
        start_s=scenario.start_s,
        zone=config.zone,
        seed=scenario.seed,
        outdoor=scenario.outdoor,
        events=scenario.events,
    )
    stamps = scenario.start_s + np.arange(0.0, scenario.duration_s, scenario.interval_s)
    climate = model.sample(stamps)
    column = {case.id: j for j, case in enumerate(config.cases)}
    sensors = [
        SimulatedSensor(spec, scenario.seed, scenario.start_s) for spec in scenario.sensor_specs(config)
    ]
    reported = {
        s.sensor_id: s.readings(
            stamps,
            climate.case_temperature_c[:, column[s.spec.case_id]],
            climate.case_rh_pct[:, column[s.spec.case_id]],
        )
        for s in sensors
    }
    return stamps, sensors, reported


def feed_scenario(engine: AlertEngine, scenario: scenarios.Scenario, config: MuseumConfig) -> None:
    """Every reading of the scenario's sensors, in time order, as the collector's evaluator
    gives them (observe each, evaluate at each tick)."""
    stamps, sensors, reported = scenario_readings(scenario, config)
    for k, stamp in enumerate(stamps.tolist()):
        for sensor in sensors:
            values = reported[sensor.sensor_id]
            engine.observe(
                sensor.spec.case_id,
                sensor.sensor_id,
                stamp,
                float(values["temperature_c"][k]),
                float(values["rh_pct"][k]),
                90.0,
                stamp,
            )
        engine.evaluate(stamp)


@pytest.fixture(scope="module")
def wet_season() -> Iterator[tuple[MuseumConfig, list[AlertEvent], list[Notification]]]:
    """The scenario's two weeks through the engine once; its events and notifications."""
    scenario, config = scenario_museum("fr")
    events: list[AlertEvent] = []
    notifications: list[Notification] = []
    engine = AlertEngine(
        config, write_event=events.append, notify=notifications.append, now_s=scenario.start_s or 0.0
    )
    feed_scenario(engine, scenario, config)
    yield config, events, notifications


def test_the_drifting_case_is_told_once_and_the_tight_case_not_at_all(
    wet_season: tuple[MuseumConfig, list[AlertEvent], list[Notification]],
) -> None:
    _, events, notifications = wet_season
    forecast = [e for e in events if e.rule == "forecast"]
    assert [(e.case_id, e.state) for e in forecast] == [("A-04", "opened")]
    # Ten more days of hourly diagnoses below the threshold: no second incident, no repeat,
    # no escalation (the engine's repeat_after and escalate_after are hours).
    told = [n for n in notifications if n.rule == "forecast"]
    assert [(n.kind, n.case.id) for n in told] == [("opened", "A-04")]
    opened = forecast[0]
    assert opened.threshold == 30.0 and opened.value is not None and opened.value < 30.0
    # The day it is expected lies within a third of the model's own crossing, about 37.5
    # days after the start (docs/diagnostics.md: 23.5 days after the two weeks).
    assert told[0].due_s is not None
    start_s = scenarios.load(SCENARIO).start_s or 0.0
    assert (told[0].due_s - start_s) / 86_400 == pytest.approx(37.5, rel=1 / 3)
    assert told[0].detail == "buffered"


def test_the_forecast_email_names_the_case_the_day_and_the_gel(
    wet_season: tuple[MuseumConfig, list[AlertEvent], list[Notification]],
    smtp_server: tuple[Mailbox, int],  # noqa: F811
) -> None:
    mailbox, port = smtp_server
    notifications = wet_season[2]
    _, config = scenario_museum("fr", smtp_port=port)
    notification = next(n for n in notifications if n.rule == "forecast")
    assert notification.due_s is not None
    Notifier(config).send(notification)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert mailbox.subjects() == [
        "[Patina] Vitrine A-04 : dépassement prochain de la limite d'HR de la vitrine"
    ]
    body = message.get_payload(decode=True).decode("utf-8")
    due = datetime.fromtimestamp(notification.due_s, config.zone).date()
    day = Translator("fr").date(due)  # "15 août 2026": the French date, not an ISO one
    assert day in body and "août 2026" in body
    # The day to act by (the forecast's lower quartile) beside the central day, both French.
    assert notification.early_s is not None and notification.early_s <= notification.due_s
    early = Translator("fr").date(datetime.fromtimestamp(notification.early_s, config.zone).date())
    assert f"Dépassement de 50 % HR probable d'ici le {early}" in body
    assert f"vers le {day} selon l'estimation centrale : agir d'ici le {early}." in body
    assert "A-04" in body and "le gel de silice : le reconditionner" in body


def test_a_leaky_case_is_told_to_check_its_seals_in_each_language(
    wet_season: tuple[MuseumConfig, list[AlertEvent], list[Notification]],
) -> None:
    config, _, notifications = wet_season
    due_s = datetime(2026, 8, 1, 12, tzinfo=UTC).timestamp()
    notification = dataclasses.replace(
        next(n for n in notifications if n.rule == "forecast"), detail="unbuffered", due_s=due_s, early_s=None
    )
    expected = {
        "en": ("the seals and the door", "1 August 2026", "by 27 July 2026"),
        "fr": ("les joints et la porte", "1er août 2026", "d'ici le 27 juillet 2026"),
        "vi": ("gioăng và cửa tủ", "01/08/2026", "trước ngày 27/07/2026"),
    }
    early_s = datetime(2026, 7, 27, 12, tzinfo=UTC).timestamp()
    for language, (advice, day, early) in expected.items():
        _, body = render(notification, config, Translator(language))
        assert advice in body and day in body
        # Likely by: the forecast's lower quartile beside the central day.
        _, body = render(dataclasses.replace(notification, early_s=early_s), config, Translator(language))
        assert advice in body and day in body and early in body
    assert Translator("en").date(date(2026, 8, 1)) == "1 August 2026"


def test_a_restart_forecasts_at_once_from_the_hours_in_the_store() -> None:
    """The evaluator reads two weeks of hourly means back at start (seed_hourly): the first
    hourly diagnosis after a restart already tells, with no reading seen since."""
    scenario, config = scenario_museum("en")
    stamps, sensors, reported = scenario_readings(scenario, config)
    events: list[AlertEvent] = []
    engine = AlertEngine(config, write_event=events.append, notify=lambda n: None, now_s=float(stamps[-1]))
    hours = pd.to_datetime(stamps - stamps % 3600.0, unit="s", utc=True)
    for case in config.cases:
        mine = [s.sensor_id for s in sensors if s.spec.case_id == case.id]
        frame = pd.DataFrame(
            {
                name: np.mean([reported[s][name] for s in mine], axis=0)
                for name in ("temperature_c", "rh_pct")
            },
            index=hours,
        )
        engine.seed_hourly(case.id, frame.groupby(level=0).mean())
    engine.evaluate(float(stamps[-1]) + 600.0)
    assert [(e.case_id, e.rule, e.state) for e in events if e.rule == "forecast"] == [
        ("A-04", "forecast", "opened")
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "alerts.forecast_days: 0.0 is not between 0 (excluded) and 365 days"),
        ("-3", "alerts.forecast_days: -3.0 is not between 0 (excluded) and 365 days"),
        ("400", "alerts.forecast_days: 400.0 is not between 0 (excluded) and 365 days"),
        ('"two weeks"', "alerts.forecast_days: expected a number, got 'two weeks'"),
    ],
)
def test_a_wrong_forecast_days_names_the_key(tmp_path: Path, value: str, expected: str) -> None:
    path = tmp_path / "museum.toml"
    path.write_text(
        SMALL_MUSEUM.format(client_id="c", database="d", spool="s.sqlite3")
        + f"\n[alerts]\nforecast_days = {value}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_config(path, environ={})


def test_forecast_days_absent_is_off(tmp_path: Path) -> None:
    path = tmp_path / "museum.toml"
    text = SMALL_MUSEUM.format(client_id="c", database="d", spool="s.sqlite3")
    path.write_text(text, encoding="utf-8")
    assert load_config(path, environ={}).alerts.forecast_days is None
    path.write_text(text + "\n[alerts]\nforecast_days = 14\n", encoding="utf-8")
    assert load_config(path, environ={}).alerts.forecast_days == 14.0


def test_the_alerts_page_title_says_likely_by_and_around_in_each_language() -> None:
    """The Alerts page's line for a forecast alert: the act-by day and the central day as the
    alert opened (its ``opened`` event carries both), in the museum's zone."""
    from dashboard.data import incident_title, incidents

    zone = scenario_museum("en")[1].zone
    opened = pd.Timestamp("2026-07-17T03:00:00Z")
    events = pd.DataFrame(
        [
            {
                "time": opened,
                "case_id": "A-04",
                "alert_id": "A-04.forecast.1",
                "rule": "forecast",
                "severity": "warning",
                "state": "opened",
                "message": "buffered",
                "value": 25.0,
                "threshold": 30.0,
                # 22:00 UTC is the next morning in Hà Nội: the days are the museum's.
                "due_s": datetime(2026, 8, 11, 22, tzinfo=UTC).timestamp(),
                "early_s": datetime(2026, 8, 7, 22, tzinfo=UTC).timestamp(),
            }
        ]
    )
    row = incidents(events).to_dict("records")[0]
    expected = {
        "en": "likely by 8 August 2026, around 12 August 2026",
        "fr": "probable d'ici le 8 août 2026, vers le 12 août 2026",
        "vi": "có khả năng trước ngày 08/08/2026, khoảng ngày 12/08/2026",
    }
    for language, dates in expected.items():
        assert dates in incident_title(row, Translator(language), opened.to_pydatetime(), {}, zone)
    # Without the zone (or without the dates, events written before them) nothing is made up.
    assert "2026" not in incident_title(row, Translator("en"), opened.to_pydatetime(), {})
