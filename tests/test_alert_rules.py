"""Each alert rule on its own: a case's state made by hand, the rule asked at chosen times,
its conclusions read. No engine, no service: what a rule concludes is a function of what it
reads. The lifecycle those conclusions drive is tested here too, with the events and
notifications it hands on; the whole path with real servers is tests/test_alerts.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from analysis.diagnostics import Tightness
from analysis.forecast import Forecast
from analysis.psychrometrics import dew_point_margin
from collector.alerts.assessment import ObjectAssessment
from collector.alerts.condition import Condition
from collector.alerts.incidents import Incident, Incidents, Notification
from collector.alerts.light import LightState
from collector.alerts.readings import CaseReadings
from collector.alerts.rules import ALL_RULES, RULES
from collector.alerts.rules.base import CALM_S, CaseView, CollectorReport, PartnerBeats
from collector.alerts.rules.battery import HYSTERESIS_PCT, BatteryLow
from collector.alerts.rules.condensation import Condensation
from collector.alerts.rules.forecast import FORECAST_MARGIN, ForecastRule
from collector.alerts.rules.health import CollectorHealth
from collector.alerts.rules.objects import ArtefactRisk
from collector.alerts.rules.rate import RateOfChange
from collector.alerts.rules.sensors import SensorSilent, SensorStuck
from collector.alerts.rules.thresholds import RH_HIGH, RH_LOW
from museum.assessment.diagnose import Diagnosis
from museum.description.config import AlertsConfig, Artefact, Case
from museum.description.config_light import OpeningHours
from museum.description.limits import CaseLimits
from museum.storage.schema import AlertEvent
from tests.test_partner_rule import ARMEE

BAYONET = Artefact("DBP-1", "Excavated bayonet", ("archaeological_iron",))
SCROLL = Artefact("P-1", "Scroll", ("paper",))
CASE = Case("C1", "hanoi", "Gallery 1", "Excavated iron", ("s1", "s2"), (BAYONET, SCROLL))
LIMITS = CaseLimits(
    25.0, "Watkinson & Lewis 2005", 40.0, "museum rule (config)", 600.0, "archaeological_iron"
)
ALERTS = AlertsConfig(sensor_silent_after_s=900.0, forecast_days=30.0, spool_alert_depth=1000)


def view(
    readings: CaseReadings | None = None,
    *,
    objects: ObjectAssessment | None = None,
    incidents: dict[str, Incident] | None = None,
    last_seen_s: dict[str, float] | None = None,
    silent_after_s: dict[str, float] | None = None,
    **inputs: object,
) -> CaseView:
    found = incidents or {}
    made = CaseView(
        case=CASE,
        limits=LIMITS,
        alerts=ALERTS,
        readings=readings or CaseReadings(),
        objects=objects or ObjectAssessment(),
        last_seen_s=last_seen_s or {},
        silent_after_s=silent_after_s or {},
        incident=found.get,
    )
    return replace(made, **inputs)


def readings_of(*rows: tuple[str, float, float | None, float | None, float | None]) -> CaseReadings:
    """(sensor, time, temperature, RH, battery) rows, in time order."""
    readings = CaseReadings()
    for sensor, time_s, temperature_c, rh_pct, battery_pct in rows:
        readings.add(sensor, time_s, temperature_c, rh_pct, battery_pct, hourly=False)
    return readings


def lit_case() -> LightState:
    light = LightState(ZoneInfo("Asia/Ho_Chi_Minh"))
    light.seed(1970, lux_hours=100_000.0, hours_observed=200.0, until_s=0.0)
    light.add("s1", 3000.0, 100.0, 5.0, None)
    return light


def test_every_rule_has_a_name_of_its_own_and_concludes_under_it() -> None:
    assert len(set(RULES)) == len(RULES) == len(ALL_RULES)
    everything = view(
        readings_of(
            ("s1", 0.0, 12.0, 88.0, 10.0), ("s2", 0.0, 12.0, 20.0, 90.0), ("s1", 3600.0, 12.0, 80.0, 9.0)
        ),
        objects=ObjectAssessment(
            last_level={"DBP-1": "risk", "P-1": "risk", "H-1": "good"},
            last_driver={"DBP-1": "rh_high", "P-1": "mould", "H-1": "mould"},
        ),
        objects_assessed=True,
        last_seen_s={"s1": 3600.0},
        diagnosis=diagnosis(days=10.0),
        health=CollectorReport(1, 0, None),
        # The light rules (tests/test_light_alerts.py): a leather object, a week and more of
        # light so far, a lit reading with UV at 08:50 in Hanoi, before the museum opens.
        case=replace(CASE, artefacts=(*CASE.artefacts, Artefact("H-1", "Holster", ("leather",)))),
        light=lit_case(),
        opening_hours=OpeningHours(((3, ((time(9), time(17)),)),)),
        partners=PartnerBeats((ARMEE,), {}, 0.0),
    )
    for rule in ALL_RULES:
        concluded = rule.evaluate(everything, 3600.0)
        assert concluded and {c.rule for c in concluded} == {rule.name}, rule.name


def test_rh_high_follows_the_worst_fresh_sensor_and_clears_past_the_hysteresis() -> None:
    readings = readings_of(("s1", 0.0, 20.0, 23.0, None), ("s2", 0.0, 20.0, 27.0, None))
    [high] = RH_HIGH.evaluate(view(readings), 10.0)
    assert (high.rule, high.key, high.active, high.clear, high.value) == (
        "rh_high",
        "rh_high",
        True,
        False,
        27.0,
    )
    assert (high.threshold, high.source, high.material) == (
        25.0,
        "Watkinson & Lewis 2005",
        "archaeological_iron",
    )
    assert high.min_duration_s == LIMITS.min_duration_s
    # s2 heard last 900 s ago no longer counts; s1's 23 % is inside the 3 % band: neither.
    readings.add("s1", 100.0, 20.0, 23.0, None, hourly=False)
    [inside] = RH_HIGH.evaluate(view(readings), 900.0)
    assert (inside.value, inside.active, inside.clear) == (23.0, False, False)
    readings.add("s1", 200.0, 20.0, 22.0, None, hourly=False)
    [back] = RH_HIGH.evaluate(view(readings), 900.0)
    assert (back.active, back.clear) == (False, True)


def test_rh_low_takes_the_lowest_sensor_and_lists_no_object_at_risk_from_damp() -> None:
    readings = readings_of(("s1", 0.0, 20.0, 38.0, None), ("s2", 0.0, 20.0, 30.0, None))
    objects = ObjectAssessment(last_level={"DBP-1": "critical"}, last_driver={"DBP-1": "rh_high"})
    [low] = RH_LOW.evaluate(view(readings, objects=objects), 0.0)
    assert (low.value, low.active, low.threshold, low.detail, low.severity) == (
        30.0,
        True,
        40.0,
        "",
        "warning",
    )
    [high] = RH_HIGH.evaluate(view(readings, objects=objects), 0.0)
    assert (high.detail, high.severity) == ("DBP-1 Excavated bayonet (critical)", "critical")


def test_a_case_without_a_limit_has_no_threshold_alert() -> None:
    readings = readings_of(("s1", 0.0, 20.0, 90.0, None))
    no_limits = replace(LIMITS, rh_max_pct=None, rh_min_pct=None)
    assert RH_HIGH.evaluate(view(readings, limits=no_limits), 0.0) == []
    assert RH_LOW.evaluate(view(readings, limits=no_limits), 0.0) == []


def test_rate_of_change_compares_each_sensor_with_itself_over_the_hour() -> None:
    # s1 and s2 differ by 10 % throughout (calibration): not a change; s1 moves by 5.5 %.
    readings = readings_of(
        ("s1", 0.0, 20.0, 12.0, None),
        ("s2", 0.0, 20.0, 22.0, None),
        ("s1", 3000.0, 20.0, 17.5, None),
        ("s2", 3000.0, 20.0, 22.0, None),
    )
    [fast] = RateOfChange().evaluate(view(readings), 3000.0)
    assert (fast.value, fast.active, fast.clear, fast.calm_for_s) == (5.5, True, False, CALM_S)
    # Beyond a limit already: that limit's incident, not a second one.
    under_way = {"rh_high": Incident("rh_high", active_since=2900.0)}
    [deferred] = RateOfChange().evaluate(view(readings, incidents=under_way), 3000.0)
    assert (deferred.value, deferred.active) == (5.5, False)
    # Less than 3000 s of a sensor's hour: too short to say.
    assert RateOfChange().evaluate(view(readings_of(("s1", 0.0, 20.0, 12.0, None))), 0.0) == []


def test_condensation_takes_the_smallest_dew_point_margin() -> None:
    readings = readings_of(("s1", 0.0, 12.0, 88.0, None), ("s2", 0.0, 24.0, 50.0, None))
    [near] = Condensation().evaluate(view(readings), 0.0)
    assert near.value == float(dew_point_margin(12.0, 88.0)) and near.value < ALERTS.condensation_margin_k
    assert near.active and not near.clear
    [far] = Condensation().evaluate(view(readings_of(("s1", 0.0, 24.0, 50.0, None))), 0.0)
    assert far.clear and not far.active


def test_a_sensor_is_silent_after_its_own_limit() -> None:
    silent = SensorSilent().evaluate(view(last_seen_s={"s1": 0.0, "s2": 500.0}), 900.0)
    assert [(c.key, c.detail, c.active, c.value) for c in silent] == [
        ("sensor_silent:s1", "s1", True, 15.0),
        ("sensor_silent:s2", "s2", False, 400.0 / 60.0),
    ]
    # A logger reading every 30 minutes (event time): not silent after 15.
    patient = view(last_seen_s={"s1": 0.0, "s2": 500.0}, silent_after_s={"s1": 4500.0})
    assert [c.active for c in SensorSilent().evaluate(patient, 900.0)] == [False, False]


def test_a_sensor_repeating_itself_is_stuck() -> None:
    hours = [("s1", 3600.0 * h, 20.0, 50.0, None) for h in range(8)]
    moving = [("s2", 3600.0 * h, 20.0, 50.0 + h / 10, None) for h in range(8)]
    stuck = SensorStuck().evaluate(view(readings_of(*hours, *moving)), 7 * 3600.0)
    assert [(c.subject, c.active, c.value) for c in stuck] == [("s1", True, 7.0), ("s2", False, 0.0)]


def test_a_low_battery_resolves_only_well_above_its_limit() -> None:
    limit = ALERTS.battery_low_pct
    readings = readings_of(
        ("s1", 0.0, 20.0, 50.0, limit - 1), ("s2", 0.0, 20.0, 50.0, limit + HYSTERESIS_PCT - 1)
    )
    low, between = BatteryLow().evaluate(view(readings), 0.0)
    assert (low.key, low.active, low.clear) == ("battery_low:s1", True, False)
    assert (between.key, between.active, between.clear) == ("battery_low:s2", False, False)
    readings.add("s2", 60.0, 20.0, 50.0, None, hourly=False)  # a reading without a battery level
    assert [c.subject for c in BatteryLow().evaluate(view(readings), 60.0)] == ["s1"]


def test_artefact_risk_covers_causes_no_case_rule_does() -> None:
    objects = ObjectAssessment(
        last_level={"DBP-1": "critical", "P-1": "risk"},
        last_driver={"DBP-1": "rh_high", "P-1": "mould"},
        last_score={"DBP-1": 90.0, "P-1": 60.0},
    )
    assert ArtefactRisk().evaluate(view(objects=objects), 0.0) == []  # not assessed at this step
    [risk] = ArtefactRisk().evaluate(view(objects=objects, objects_assessed=True), 0.0)
    # The bayonet's damp is rh_high's incident; the scroll's mould is this one.
    assert (risk.active, risk.value, risk.severity, risk.detail) == (
        True,
        60.0,
        "warning",
        "P-1 Scroll (risk, mould)",
    )
    unassessed = ObjectAssessment(last_level={"DBP-1": "good"}, last_driver={"DBP-1": "rh_high"})
    assert ArtefactRisk().evaluate(view(objects=unassessed, objects_assessed=True), 0.0) == []


def diagnosis(days: float, quality: str = "good", actionable: bool = True) -> Diagnosis:
    fit = Tightness(
        buffered=True,
        rate=0.1,
        rate_se=0.01,
        time_constant_days=10.0,
        half_time_days=6.9,
        half_time_interval_days=(6.0, 8.0),
        air_exchange_per_day=None,
        equilibrium_rh_pct=70.0,
        rms_buffered_pct=0.3,
        rms_unbuffered_pct=0.6,
        quality=quality,
        steps=300,
        coverage=1.0,
    )
    room = replace(CASE, id="R1", kind="room", artefacts=())
    end = datetime(2026, 6, 1, tzinfo=UTC)
    forecast = Forecast(25.0, 20.0, days, days * 0.8, (days / 2, days * 2), actionable, "history", 60)
    return Diagnosis(CASE, room, fit, 0.5, 25.0, 20.0, forecast, end)


def test_the_forecast_opens_within_its_days_and_says_by_when() -> None:
    made = diagnosis(days=10.0)
    [soon] = ForecastRule().evaluate(view(diagnosis=made), 0.0)
    assert (soon.active, soon.value, soon.threshold, soon.detail) == (True, 10.0, 30.0, "buffered")
    assert soon.due_s == (made.end + timedelta(days=10)).timestamp()
    # ... and by when it likely does: the forecast's lower quartile, the day to act by.
    assert soon.early_s == (made.end + timedelta(days=8)).timestamp()
    [later] = ForecastRule().evaluate(view(diagnosis=diagnosis(days=FORECAST_MARGIN * 30.0)), 0.0)
    assert (later.active, later.clear) == (False, True)
    [never] = ForecastRule().evaluate(view(diagnosis=diagnosis(days=float("inf"))), 0.0)
    assert (never.clear, never.value, never.due_s, never.early_s) == (True, None, None, None)
    assert ForecastRule().evaluate(view(diagnosis=diagnosis(days=10.0, quality="poor")), 0.0) == []
    # An uncertain forecast (interval wider than a factor of three) raises nothing and
    # resolves nothing: the page says "uncertain" instead.
    assert ForecastRule().evaluate(view(diagnosis=diagnosis(days=10.0, actionable=False)), 0.0) == []
    # ... unless even its act-by day (lower quartile, here 48 days) lies beyond the margin
    # (a reconditioned gel): then it resolves an open alert, and still opens none.
    [far] = ForecastRule().evaluate(view(diagnosis=diagnosis(days=60.0, actionable=False)), 0.0)
    assert (far.active, far.clear, far.value) == (False, True, 60.0)
    assert ForecastRule().evaluate(view(diagnosis=diagnosis(days=40.0, actionable=False)), 0.0) == []
    assert not ForecastRule().repeats


def test_the_collector_reports_on_its_storage_broker_and_spool() -> None:
    health = CollectorHealth()
    storage, broker, spool = health.evaluate(view(health=CollectorReport(3, 5000, "spool_full")), 0.0)
    assert (storage.key, storage.active, storage.detail) == ("collector_health:storage", True, "spool_full")
    assert (broker.key, broker.active, broker.value) == ("collector_health:broker_dropped", True, 3.0)
    assert (spool.key, spool.active, spool.min_duration_s) == (
        "collector_health:spool",
        True,
        ALERTS.min_duration_s,
    )
    calm = health.evaluate(view(health=CollectorReport(None, 500, None)), 0.0)
    assert [(c.active, c.clear) for c in calm] == [(False, True), (False, True), (False, True)]


# --- the lifecycle those conclusions drive ------------------------------------------------------


def book(
    told_once: tuple[str, ...] = (),
) -> tuple[Incidents, list[AlertEvent], list[Notification], Callable[[str], list[str]]]:
    events: list[AlertEvent] = []
    notes: list[Notification] = []
    alerts = AlertsConfig(repeat_after_s=3600.0, escalate_after_s=7200.0)
    incidents = Incidents({"C1": CASE}, alerts, events.append, notes.append, told_once=told_once)
    return incidents, events, notes, lambda rule: [n.kind for n in notes if n.rule == rule]


def damp(active: bool, clear: bool, **more: object) -> Condition:
    made = Condition("rh_high", active=active, clear=clear, value=30.0, threshold=25.0, source="limits")
    return replace(made, **{"min_duration_s": 600.0, **more})


def test_an_incident_opens_after_its_minimum_duration_repeats_escalates_and_resolves() -> None:
    incidents, events, _, kinds = book()
    incidents.apply("C1", damp(True, False), 0.0)
    incidents.apply("C1", damp(True, False), 600.0)  # exactly the minimum: not yet
    assert events == []
    incidents.apply("C1", damp(True, False, severity="critical"), 601.0)
    assert [(e.state, e.severity, e.rule_key) for e in events] == [("opened", "critical", "rh_high")]
    for now_s in (601.0 + 3600.0, 601.0 + 7200.0, 601.0 + 7300.0):
        incidents.follow_up(now_s)
    assert kinds("rh_high") == ["opened", "repeat", "escalated"]
    incidents.apply("C1", damp(False, True), 9000.0)
    assert [e.state for e in events] == ["opened", "escalated", "resolved"]
    assert kinds("rh_high")[-1] == "resolved"


def test_an_acknowledged_or_told_once_incident_is_not_repeated() -> None:
    incidents, _, _, kinds = book(told_once=("forecast",))
    incidents.apply("C1", damp(True, False, min_duration_s=0.0), 0.0)
    notice = Condition("forecast", True, False, 10.0, 30.0, "alerts.forecast_days", due_s=864_000.0)
    incidents.apply("C1", notice, 0.0)
    [(_, _, acknowledged), _] = incidents.open_alerts()
    assert acknowledged.alert_id is not None
    incidents.acknowledged(acknowledged.alert_id)
    incidents.follow_up(10 * 86_400.0)
    assert kinds("rh_high") == kinds("forecast") == ["opened"]


def test_an_incident_resolves_only_after_its_calm_spell() -> None:
    incidents, events, _, _ = book()
    incidents.apply("C1", damp(True, False, min_duration_s=0.0, calm_for_s=CALM_S), 0.0)
    incidents.apply("C1", damp(False, True, calm_for_s=CALM_S), 100.0)
    incidents.apply("C1", damp(False, False, calm_for_s=CALM_S), 2000.0)  # inside the band: still calm
    incidents.apply("C1", damp(False, True, calm_for_s=CALM_S), 100.0 + CALM_S - 1)
    assert [e.state for e in events] == ["opened"]
    incidents.apply("C1", damp(False, True, calm_for_s=CALM_S), 100.0 + CALM_S)
    assert [e.state for e in events] == ["opened", "resolved"]
