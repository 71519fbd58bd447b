"""Live readings are judged a batch at a time (issue 31): each case once per batch, with the
same alerts and risk as reading by reading."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from collector.alerts import AlertEngine, Notification
from collector.alerts.engine import BatchReading
from museum.description.config import AlertsConfig, MuseumConfig
from museum.storage.schema import AlertEvent, RiskPoint


class CountingEngine(AlertEngine):
    """The engine, counting its evaluations of each case (the real ones: it only counts)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.evaluations: dict[str, int] = {}

    def _evaluate_case(self, case_id: str, now_s: float) -> None:
        self.evaluations[case_id] = self.evaluations.get(case_id, 0) + 1
        super()._evaluate_case(case_id, now_s)


def make_engine(
    config: MuseumConfig,
) -> tuple[CountingEngine, list[AlertEvent], list[Notification], list[RiskPoint]]:
    config = replace(
        config,
        alerts=AlertsConfig(
            min_duration_s=600, sensor_silent_after_s=900, repeat_after_s=3600, escalate_after_s=7200
        ),
    )
    events: list[AlertEvent] = []
    notifications: list[Notification] = []
    risk: list[RiskPoint] = []
    engine = CountingEngine(
        config, write_event=events.append, notify=notifications.append, write_risk=risk.append, now_s=0.0
    )
    return engine, events, notifications, risk


def scenario() -> list[list[BatchReading]]:
    """Two hours of a minute's readings from two sensors of C1 and one of C2 (plus one of no
    case), each minute a batch: RH climbs past C1's limit (25 %) and C2's (50 %), stays, and
    comes back."""
    batches = []
    for minute in range(120):
        t = minute * 60.0
        rh = 20.0 + 40.0 * min(minute, 60) / 60 if minute < 90 else 20.0
        batches.append(
            [
                ("C1", "s1", t, 22.0, rh, 90.0, None),
                ("C1", "s2", t + 1, 22.0, rh - 1.0, 90.0, None),
                ("C2", "s3", t + 2, 22.0, rh, 10.0, None),
                ("nowhere", "stray", t + 3, 22.0, rh, 90.0, None),
            ]
        )
    return batches


def test_a_batch_evaluates_each_case_it_touched_once(offline_config: Callable[..., MuseumConfig]) -> None:
    engine, _events, _notifications, _risk = make_engine(offline_config())
    engine.observe_batch(scenario()[0], 0.0)
    assert engine.evaluations == {"C1": 1, "C2": 1}
    engine.observe_batch(
        [("C1", "s1", 60.0, 22.0, 21.0, 90.0, None), ("C1", "s2", 61.0, 22.0, 21.0, 90.0, None)], 61.0
    )
    assert engine.evaluations == {"C1": 2, "C2": 1}
    # A reading older than its sensor's latest changes nothing and evaluates nothing.
    engine.observe_batch([("C1", "s1", 30.0, 22.0, 40.0, 90.0, None)], 62.0)
    assert engine.evaluations == {"C1": 2, "C2": 1}


def test_batches_open_and_resolve_the_same_alerts_as_readings_one_by_one(
    offline_config: Callable[..., MuseumConfig],
) -> None:
    config = offline_config()
    one, events_one, notified_one, risk_one = make_engine(config)
    many, events_many, notified_many, risk_many = make_engine(config)
    for batch in scenario():
        now_s = batch[-1][2]
        for case_id, sensor, t, temperature_c, rh_pct, battery_pct, _light in batch:
            one.observe(case_id, sensor, t, temperature_c, rh_pct, battery_pct, now_s)
        one.evaluate(now_s)
        many.observe_batch(batch, now_s)
        many.evaluate(now_s)
    opened = [(e.case_id, e.rule, e.state) for e in events_one]
    assert ("C1", "rh_high", "opened") in opened and ("C2", "rh_high", "resolved") in opened
    assert [(e.case_id, e.rule, e.state, e.time_ns) for e in events_many] == [
        (e.case_id, e.rule, e.state, e.time_ns) for e in events_one
    ]
    assert [(n.case.id, n.rule, n.kind) for n in notified_many] == [
        (n.case.id, n.rule, n.kind) for n in notified_one
    ]
    # Risk points are written when an object is assessed: after a batch rather than after
    # its first reading, so their times may differ by the batch's spread (a second here);
    # the levels each object goes through are the same.
    assert levels_by_object(risk_many) == levels_by_object(risk_one)
    assert {p.level for p in risk_one} >= {1, 3}
    # Three readings of cases per minute, evaluated reading by reading: three evaluations;
    # in batches, one per case.
    assert sum(many.evaluations.values()) < sum(one.evaluations.values())


def levels_by_object(points: list[RiskPoint]) -> dict[str, list[int]]:
    """Each object's levels in the order it went through them (repeats left out)."""
    levels: dict[str, list[int]] = {}
    for point in points:
        seen = levels.setdefault(point.artefact_id, [])
        if not seen or seen[-1] != point.level:
            seen.append(point.level)
    return levels
