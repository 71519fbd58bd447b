"""The evaluator thread: the event clock, the alert engine, acknowledgement polling and
the restore of open alerts at start, with a store (HTTP session) of its own.

Readings reach it through a queue from the ingest; what the engine decides (events,
risk points) goes back into the spool through a callback, and notifications to the
notifier. In event-time mode (replays, scenarios) every event, ``notified`` included,
carries the time the readings tell; a sensor is silent only when it misses more than
its own reading interval allows; and notifications are withheld (counted, logged, and
summarised at stop) unless asked for, so a history replay cannot flood anyone's inbox.
A sensor the replay has not yet given two readings of is not judged silent at all.
"""

from __future__ import annotations

import logging
import math
import queue
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd

from analysis.light import exposure_lux_hours, steps
from collector.alerts import AlertEngine, Notification
from collector.stats import Stats
from collector.worker import FatalHandler, Worker
from museum.assessment.diagnose import DEFAULT_WINDOW, hourly_climate
from museum.assessment.light import HOURLY_GAP_H, year_bounds
from museum.description.config import MuseumConfig
from museum.loans.moves import MoveError, with_locations
from museum.storage.calibration import Corrections, corrections_from
from museum.storage.light import case_light
from museum.storage.schema import AlertEvent, Reading, RiskPoint
from museum.storage.store import DatabaseMissing, StoreError
from museum.storage.stores import open_store

log = logging.getLogger("patina.collector")

#: A sensor is silent once it has missed this many of its own reading intervals (event time).
SILENT_AFTER_INTERVALS = 2.5
#: Intervals per sensor its typical interval is the median of.
INTERVALS_KEPT = 15
#: Readings taken from the inbox at most at once (several batches merged, behind a burst).
MERGED_READINGS = 50_000


class EventClock:
    """Time as the readings tell it, for replaying history or a scenario faster than real
    time: alert rules then see the durations the readings span, not the seconds the replay
    took. A reading is judged at its own time; silence is judged at the median of the
    sensors' latest times, so one sensor with a skewed clock cannot make the others look
    silent. Each sensor's reading interval is the median of its last intervals."""

    def __init__(self) -> None:
        self.latest_s: dict[str, float] = {}
        self.newest_s: float | None = None
        self.intervals_s: dict[str, deque[float]] = {}

    def observe(self, sensor_id: str, time_s: float) -> None:
        previous = self.latest_s.get(sensor_id)
        if previous is not None and time_s > previous:
            self.intervals_s.setdefault(sensor_id, deque(maxlen=INTERVALS_KEPT)).append(time_s - previous)
        self.latest_s[sensor_id] = max(time_s, previous if previous is not None else time_s)
        self.newest_s = time_s if self.newest_s is None else max(self.newest_s, time_s)

    def interval_s(self, sensor_id: str) -> float | None:
        intervals = self.intervals_s.get(sensor_id)
        return statistics.median(intervals) if intervals else None

    def now_s(self) -> float | None:
        if not self.latest_s:
            return None
        times = sorted(self.latest_s.values())
        return times[len(times) // 2]


class Evaluator(Worker):
    name = "alert-evaluator"

    def __init__(
        self,
        config: MuseumConfig,
        evaluated: MuseumConfig,
        stats: Stats,
        stopping: threading.Event,
        on_fatal: FatalHandler,
        *,
        write_event: Callable[[AlertEvent], None],
        write_risk: Callable[[RiskPoint], None],
        notify: Callable[[Notification, float | None], None],
        event_time: bool,
        send_notifications: bool,
    ) -> None:
        super().__init__(stopping, on_fatal)
        self.config = config
        self.stats = stats
        self.inbox: queue.Queue[list[tuple[str, Reading]]] = queue.Queue()
        self.event_clock = EventClock() if event_time else None
        self.send_notifications = send_notifications
        self._notify = notify
        #: Notifications not sent (history replay without --notify), by kind and rule.
        self.withheld: Counter[tuple[str, str]] = Counter()
        self._withheld_lock = threading.Lock()
        self._now_s = time.time()
        self._evaluated_at_s = -math.inf
        self._judged_at_s = -math.inf
        self.store = open_store(config.influxdb)
        #: Calibration checks in force: readings are judged corrected (docs/calibration.md).
        self.corrections = Corrections(())
        self.alerts = AlertEngine(
            evaluated,
            write_event=write_event,
            notify=self._engine_notify,
            write_risk=write_risk,
            now_s=time.time(),
            museum=config,
        )
        if self.event_clock is None:
            # Live, a room another instance evaluates (scale-out) is read from the store.
            self.alerts.reference_hourly = self._stored_hourly
        if self.event_clock is not None:
            # A replay may hold some sensors only, and a sensor's interval is known from its
            # second reading: until then it is not judged silent.
            self.alerts.silent_after_s.update(dict.fromkeys(self.alerts.sensor_case, math.inf))

    # --- what the engine asks for ------------------------------------------------------------
    def _engine_notify(self, notification: Notification) -> None:
        if self.send_notifications:
            # Live, a notification belongs to when it is sent; replayed, to its event time.
            self._notify(notification, self._now_s if self.event_clock is not None else None)
            return
        with self._withheld_lock:
            self.withheld[(notification.kind, notification.rule)] += 1
            total = sum(self.withheld.values())
        if total == 1 or total % 100 == 0:
            log.info(
                "event time: %d notifications not sent (history; --notify sends them), latest: "
                "%s %s of case %s",
                total,
                notification.kind,
                notification.rule,
                notification.case.id,
            )

    def withheld_summary(self) -> str:
        with self._withheld_lock:
            items = sorted(self.withheld.items())
        return ", ".join(f"{count} {kind} {rule}" for (kind, rule), count in items)

    def settled(self) -> bool:
        """Every batch handed over has been observed and evaluated (its events spooled)."""
        return self.inbox.unfinished_tasks == 0

    # --- the loop ----------------------------------------------------------------------------
    def run(self) -> None:
        self._follow_calibrations()
        self.restore()
        next_tick = next_ack_poll = time.monotonic()
        try:
            while not self.stopping.is_set():
                batch, taken = self._take()
                self._observe(batch)
                if self.event_clock is not None:
                    clock_now = self.event_clock.now_s()
                    if clock_now is not None:
                        self._now_s = clock_now
                else:
                    self._now_s = time.time()
                if time.monotonic() >= next_tick and (
                    self.event_clock is None or batch or self.event_clock.newest_s is not None
                ):
                    next_tick = time.monotonic() + 1.0
                    self.alerts.evaluate(self._now_s)
                    stats = self.stats.snapshot()
                    self.alerts.collector_health(
                        stats.broker_dropped, stats.spool_depth, self._now_s, problem=stats.problem
                    )
                if time.monotonic() >= next_ack_poll:
                    next_ack_poll = time.monotonic() + 5.0
                    self._poll_acknowledgements()
                    self._follow_moves()
                    self._follow_calibrations()
                for _ in range(taken):
                    # Counted only once its events are spooled: `settled` then tells the
                    # coordinator's stop that nothing taken is still on its way to the spool.
                    self.inbox.task_done()
        finally:
            self.store.close()

    def _take(self) -> tuple[list[tuple[str, Reading]], int]:
        """The readings of every batch waiting (up to :data:`MERGED_READINGS`), as one, and
        how many batches they were. Behind a burst, one evaluation of each case covers all
        that came in meanwhile: reading by reading, or batch by batch, the evaluator would
        fall further behind the faster the readings came."""
        try:
            batch = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return [], 0
        taken = 1
        if self.event_clock is None:  # replayed history goes reading by reading anyway
            merged = batch
            while len(merged) < MERGED_READINGS:
                try:
                    more = self.inbox.get_nowait()
                except queue.Empty:
                    break
                if merged is batch:
                    merged = list(batch)  # the batch handed over stays as it was
                merged.extend(more)
                taken += 1
            batch = merged
        return batch, taken

    def _follow_moves(self) -> None:
        """Objects are where the move log says (`patina move`, a passport's arrival): the
        risk assessment and the alerts follow a move within seconds, without a restart."""
        try:
            placed = with_locations(self.config, self.store)
        except (StoreError, MoveError):
            return  # InfluxDB away: the objects stay where they were; tried again shortly
        for case_id in self.alerts.place_objects(placed):
            log.info(
                "case %s now holds %s",
                case_id,
                ", ".join(a.id for a in self.alerts.cases[case_id].artefacts) or "no object",
            )

    def _follow_calibrations(self) -> None:
        """The checks in force, read again every few seconds: a check recorded from the
        dashboard or `patina calibrate` corrects the next readings judged, without a restart.
        The readings stored stay as measured; the pages correct them as they read them."""
        try:
            self.corrections = corrections_from(self.store.calibration_log())
        except StoreError:
            return  # InfluxDB away: the corrections known stay in force

    def _observe(self, batch: list[tuple[str, Reading]]) -> None:
        if self.event_clock is None:
            # Live readings are judged on the clock: each case once per batch.
            self._now_s = time.time()
            self.alerts.observe_batch(
                (
                    (case_id, r.sensor_id, r.time_ns / 1e9, *self._corrected(r), r.battery_pct, _light(r))
                    for case_id, r in batch
                ),
                self._now_s,
            )
            if batch:
                self.stats.add(evaluated=len(batch))
            return
        # Replayed history, on its own clock: reading by reading, the clock moving with them.
        for case_id, reading in batch:
            time_s = reading.time_ns / 1e9
            # The time-driven rules first: the silence this reading ends is seen only
            # before it is observed (a replay's clock moves with its readings).
            self._clock_reading(reading.sensor_id, time_s)
            self._tick_event_clock()
            self._now_s = time_s
            temperature_c, rh_pct = self._corrected(reading)
            self.alerts.observe(
                case_id,
                reading.sensor_id,
                time_s,
                temperature_c,
                rh_pct,
                reading.battery_pct,
                self._now_s,
                light=_light(reading),
            )
        if batch:
            self.stats.add(evaluated=len(batch))

    def _corrected(self, reading: Reading) -> tuple[float | None, float | None]:
        """The reading's temperature and RH corrected by the calibration checks in force at
        its own time (a replay is judged as it was then); as measured without checks."""
        temperature_c, rh_pct = reading.temperature_c, reading.rh_pct
        if not self.corrections:
            return temperature_c, rh_pct
        if temperature_c is not None:
            temperature_c += self.corrections.offset(reading.sensor_id, "temperature", reading.time_ns)
        if rh_pct is not None:
            rh_pct += self.corrections.offset(reading.sensor_id, "rh", reading.time_ns)
        return temperature_c, rh_pct

    def _clock_reading(self, sensor_id: str, time_s: float) -> None:
        """Feed the event clock and learn the sensor's own reading interval."""
        clock = self.event_clock
        assert clock is not None
        if clock.newest_s is None:
            self.alerts.start_clock(time_s)  # silence counts from the first reading
        clock.observe(sensor_id, time_s)
        interval = clock.interval_s(sensor_id)
        if interval is not None:
            self.alerts.silent_after_s[sensor_id] = max(
                self.config.alerts.sensor_silent_after_s, SILENT_AFTER_INTERVALS * interval
            )

    def _tick_event_clock(self) -> None:
        """Run the time-driven rules (silence, repeats) every simulated minute, at the
        median of the sensors' latest times."""
        clock = self.event_clock
        assert clock is not None and clock.newest_s is not None
        if clock.newest_s - self._evaluated_at_s >= 60.0:
            self._evaluated_at_s = clock.newest_s
            watermark = clock.now_s()
            if watermark is None:
                return
            # The clock jumps from reading to reading: pass through the moments a sensor
            # fell silent on the way, so its alert carries when the silence began.
            default_s = self.config.alerts.sensor_silent_after_s
            fell_silent = sorted(
                seen + self.alerts.silent_after_s.get(sensor, default_s)
                for sensor, seen in self.alerts.last_seen.items()
            )
            for moment in fell_silent:
                if self._judged_at_s < moment < watermark:
                    self._now_s = moment
                    self.alerts.evaluate(moment)
            self._judged_at_s = max(self._judged_at_s, watermark)
            self._now_s = watermark
            self.alerts.evaluate(watermark)

    # --- state in InfluxDB -------------------------------------------------------------------
    def _poll_acknowledgements(self) -> None:
        open_ids = {c.alert_id for _, _, c in self.alerts.open_alerts() if not c.acknowledged}
        if not open_ids:
            return
        try:
            events = self.store.alert_events(within=timedelta(days=90))
        except StoreError:
            return
        if events.empty:
            return
        acked = events[(events["state"] == "acknowledged") & events["alert_id"].isin(open_ids)]
        for alert_id in set(acked["alert_id"]):
            log.info("alert %s acknowledged", alert_id)
            self.alerts.acknowledged(alert_id)

    def _stored_hourly(self, case_id: str, start: datetime, end: datetime) -> pd.DataFrame:
        try:
            return hourly_climate(self.store, case_id, start, end)
        except StoreError:
            return pd.DataFrame(columns=["temperature_c", "rh_pct"], dtype=float)

    def _seed_forecast(self) -> None:
        """The forecast rule's two weeks of hourly means from the store: live, a restart
        forecasts again at its first hour instead of two days later. (A replay's history
        is older than the store's present: it builds its own as it goes.)"""
        if self.config.alerts.forecast_days is None or self.event_clock is not None:
            return
        end = datetime.now(UTC)
        start = end - DEFAULT_WINDOW
        for case_id in self.alerts.cases:
            try:
                self.alerts.seed_hourly(case_id, hourly_climate(self.store, case_id, start, end))
            except DatabaseMissing:
                return  # a first start: nothing stored yet to forecast from
            except StoreError as error:
                log.warning(
                    "cannot read the hourly means of case %s for the forecast rule (%s)", case_id, error
                )
                return

    def _seed_light(self) -> None:
        """The light budget rule's year so far from the store (hourly means from 1 January
        on the museum's clock), so a restart in June does not count the year from June."""
        if self.event_clock is not None:
            return
        now = datetime.now(UTC)
        for case_id, case in self.alerts.cases.items():
            if not any(a.light.category_for(a.materials).max_annual_lux_hours for a in case.artefacts):
                continue
            start, _ = year_bounds(self.config, now)
            try:
                hourly = case_light(self.store, case_id, start.to_pydatetime(), now)
            except DatabaseMissing:
                return
            except StoreError as error:
                log.warning("cannot read the light of case %s this year (%s)", case_id, error)
                return
            if len(hourly) < 2:
                continue
            times = pd.DatetimeIndex(hourly.index)
            lux = hourly["illuminance_lux"].to_numpy(float)
            record = steps(times, lux, HOURLY_GAP_H)
            dose = exposure_lux_hours(times, lux, HOURLY_GAP_H)
            # Live readings add from the end of the last stored hour.
            until_s = times[-1].timestamp() + 3600.0
            self.alerts.light_state(case_id).seed(
                start.tz_convert(self.config.zone).year,
                dose,
                record.hours_observed,
                until_s,
            )

    def restore(self) -> None:
        """Open alerts and the sensors' last readings from InfluxDB, so a restart neither
        reopens nor forgets an alert."""
        self._seed_forecast()
        self._seed_light()
        try:
            alerts = self.store.alerts(within=timedelta(days=90))
            latest = self.store.latest_climate(expected=[s for c in self.config.cases for s in c.sensors])
        except DatabaseMissing:
            # A first start: the writer creates the database with the first readings, and
            # there is no state to restore. Normal, so not a warning.
            log.info(
                "no alert state to restore: database %r does not exist yet (first start)",
                self.config.influxdb.database,
            )
            return
        except StoreError as error:
            log.warning("cannot restore alert state (%s); starting without it", error)
            return
        open_alerts = []
        if not alerts.empty:
            for row in alerts[alerts["state"] != "resolved"].to_dict("records"):
                open_alerts.append(
                    {
                        "case_id": row["case_id"],
                        "rule_key": row.get("rule_key") or row["rule"],
                        "alert_id": row["alert_id"],
                        "state": row["state"],
                        "severity": row.get("severity", "warning"),
                        "opened_s": row["opened"].timestamp(),
                        "time_s": row["time"].timestamp(),
                    }
                )
        last_seen = (
            {}
            if latest.empty
            else {row["sensor_id"]: row["time"].timestamp() for row in latest.to_dict("records")}
        )
        self.alerts.restore(open_alerts, last_seen)
        if open_alerts:
            log.info("restored %d open alerts", len(open_alerts))


def _light(reading: Reading) -> tuple[float | None, float | None, float | None] | None:
    """What the alert engine takes of a reading's light: (lux, UV mW/m², UV µW/lm), or None."""
    if not reading.has_light:
        return None
    return (reading.illuminance_lux, reading.uv_mw_m2, reading.uv_uw_per_lm)
