"""Publishing simulated (or replayed) readings to the broker, as devices would.

Time runs on a simulated clock: tick *k* is stamped ``start + k·interval`` and is sent
``k·interval/speed`` seconds of wall time after the start, but never before its stamp has
actually come (a simulator does not publish from the future). So ``--speed 1440`` with a
start one day in the past replays that day in a minute and then carries on live.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock_time
from typing import Protocol

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd

from analysis.light import closed
from museum.broker.mqtt import make_mqtt_client
from museum.description.config import MuseumConfig
from museum.description.formats import DEVICE_FORMATS
from sensors_sim.building import BuildingModel
from sensors_sim.faults import SensorFaults, malform
from sensors_sim.formats import BATCH_ENCODERS, ENCODERS
from sensors_sim.model import SimulatedSensor, hashed_uniform, stable_seed
from sensors_sim.scenario import Scenario, default_scenario

log = logging.getLogger("patina.simulator")

#: Messages sent but not yet acknowledged by the broker before the simulator waits.
MAX_IN_FLIGHT = 20_000
#: Ticks computed together (vectorised) before they are published one by one.
CHUNK_TICKS = 240
#: When simulated case lights are on without ``[opening_hours]``: 09:00–17:00 every day.
DEFAULT_LIT = {day: ((clock_time(9), clock_time(17)),) for day in range(7)}


@dataclass(frozen=True)
class SimulationPlan:
    """When ticks happen: every ``interval_s`` from ``start_epoch_s``, or at the given
    ``times`` (a replayed logger file's own)."""

    start_epoch_s: float
    interval_s: float
    speed: float = 1.0
    #: Simulated seconds to run; None runs until stopped.
    duration_s: float | None = None
    seed: int = 0
    times: tuple[float, ...] | None = None

    def tick_time(self, tick: int) -> float:
        if self.times is not None:
            return self.times[tick]
        return self.start_epoch_s + tick * self.interval_s

    @property
    def ticks(self) -> int | None:
        if self.times is not None:
            return len(self.times)
        if self.duration_s is None:
            return None
        return int(self.duration_s // self.interval_s)


class MessageFeed(Protocol):
    """What the simulator publishes: the messages of ``count`` ticks from ``first_tick``."""

    def messages(self, first_tick: int, count: int) -> list[list[tuple[str, bytes]]]: ...


class ScenarioFeed:
    """The messages of every sensor of a config, tick by tick: the building model gives each
    case's air, each sensor reads it, its faults act, and its format encodes it."""

    def __init__(self, config: MuseumConfig, scenario: Scenario, plan: SimulationPlan) -> None:
        self.config = config
        self.scenario = scenario
        self.plan = plan
        self.model = BuildingModel(
            scenario.room_specs(config),
            scenario.case_specs(config),
            start_s=plan.start_epoch_s,
            zone=config.zone,
            seed=plan.seed,
            outdoor=scenario.outdoor,
            events=scenario.events,
        )
        self.zone = config.zone
        self.case_index = {case.id: i for i, case in enumerate(config.cases)}
        self.sensors = [
            SimulatedSensor(spec, plan.seed, plan.start_epoch_s) for spec in scenario.sensor_specs(config)
        ]
        self.faults = {
            s.sensor_id: SensorFaults(s.sensor_id, scenario.faults, plan.seed) for s in self.sensors
        }
        self._malform_seed = stable_seed(plan.seed, "malformed")
        for sensor in self.sensors:
            if sensor.spec.batch > 1 and sensor.spec.format not in BATCH_ENCODERS:
                raise ValueError(
                    f"sensor {sensor.sensor_id}: format {sensor.spec.format} carries one reading "
                    f"per message; batches need {' or '.join(BATCH_ENCODERS)}"
                )
        #: Readings of batching sensors waiting for their message.
        self._pending: dict[str, tuple[list[float], list[dict[str, float]]]] = {}
        #: Messages sent broken on purpose: what the collector must quarantine.
        self.malformed_sent = 0
        untimed = sorted(
            {s.spec.format for s in self.sensors if not DEVICE_FORMATS[s.spec.format].carries_time}
        )
        if untimed and plan.speed > 1:
            log.warning(
                "format(s) %s carry no time: the collector stamps their readings on arrival, "
                "not on the simulated clock",
                ", ".join(untimed),
            )
        for problem in scenario.unknown_targets(config):
            log.warning("scenario %s: %s, which this museum does not have", scenario.name, problem)

    def lights_on(self, stamps: np.ndarray, case_id: str) -> np.ndarray:
        """Whether a case's lights are on at each time: during the config's
        ``[opening_hours]`` (else from 09:00 to 17:00 every day, on the museum's clock), and
        while a ``lights_left_on`` event targets the case or its gallery."""
        times = pd.DatetimeIndex(pd.to_datetime(stamps, unit="s", utc=True))
        hours = self.config.opening_hours.as_mapping() if self.config.opening_hours.given else DEFAULT_LIT
        lit = ~closed(times, hours, self.config.museum.timezone)
        gallery = self.config.case(case_id).gallery
        for event in self.scenario.events:
            if event.kind == "lights_left_on" and event.target in ("*", case_id, gallery):
                lit |= (stamps >= event.start_s) & (stamps < event.end_s)
        return lit

    def messages(self, first_tick: int, count: int) -> list[list[tuple[str, bytes]]]:
        """Topics and payloads of ``count`` ticks, computed for all of them at once."""
        stamps = np.array([self.plan.tick_time(first_tick + k) for k in range(count)])
        climate = self.model.sample(stamps)
        per_tick: list[list[tuple[str, bytes]]] = [[] for _ in range(count)]
        for sensor in self.sensors:
            column = self.case_index[sensor.spec.case_id]
            values = sensor.readings(
                stamps, climate.case_temperature_c[:, column], climate.case_rh_pct[:, column]
            )
            if sensor.spec.light_lux is not None:
                values |= sensor.light(stamps, self.lights_on(stamps, sensor.spec.case_id))
            ticks = self.faults[sensor.sensor_id].apply(stamps, values)
            encode = ENCODERS[sensor.spec.format]
            names = list(ticks.values)
            rows = zip(*(ticks.values[name].tolist() for name in names), strict=True)
            for k, row in enumerate(rows):
                if not ticks.sent[k]:
                    continue
                stamp = float(stamps[k] + ticks.stamp_offset_s[k])
                # NaN (no UV ratio in the dark) is a value the device does not send.
                values = {
                    name: None if value != value else value for name, value in zip(names, row, strict=True)
                }
                if sensor.spec.batch > 1:
                    waiting = self._pending.setdefault(sensor.sensor_id, ([], []))
                    waiting[0].append(stamp)
                    waiting[1].append(values)
                    last = self.plan.ticks is not None and first_tick + k == self.plan.ticks - 1
                    if len(waiting[0]) < sensor.spec.batch and not last:
                        continue
                    messages = BATCH_ENCODERS[sensor.spec.format](
                        sensor.sensor_id, sensor.site, *waiting, self.zone
                    )
                    del self._pending[sensor.sensor_id]
                else:
                    messages = encode(sensor.sensor_id, sensor.site, stamp, values, self.zone)
                copies = 2 if ticks.duplicated[k] else 1
                if ticks.malformed[k]:
                    which = int(hashed_uniform(self._malform_seed, np.array([int(stamps[k])]))[0] * 1e6)
                    messages = [(topic, malform(payload, which)) for topic, payload in messages]
                    self.malformed_sent += copies * len(messages)
                per_tick[k].extend(messages * copies)
        return per_tick


class Simulator:
    """Publishes every sensor of the config on the plan's clock until done or stopped."""

    def __init__(
        self,
        config: MuseumConfig,
        plan: SimulationPlan,
        scenario: Scenario | None = None,
        clock: Callable[[], float] = time.time,
        feed: MessageFeed | None = None,
    ) -> None:
        self.config = config
        self.plan = plan
        self.feed = feed or ScenarioFeed(
            config, scenario or default_scenario(plan.seed, plan.interval_s), plan
        )
        self.clock = clock
        self.sent = 0
        self._acked = 0
        self._ack_lock = threading.Lock()
        self._stop = threading.Event()
        self._client = make_mqtt_client(config.mqtt, f"patina-sim-{os.getpid()}-{id(self):x}")
        # No in-flight limit in paho: the simulator paces itself (MAX_IN_FLIGHT), and paho's
        # own window halves the publishing rate (measured: 3,800 vs 8,700 messages/s).
        self._client.max_inflight_messages_set(0)
        self._client.on_publish = self._on_publish

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_code: mqtt.ReasonCode,
        properties: object,
    ) -> None:
        with self._ack_lock:
            self._acked += 1

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> int:
        """Publish until the plan's duration is over (or :meth:`stop`); return messages sent."""
        self._client.connect(self.config.mqtt.host, self.config.mqtt.port, keepalive=30)
        self._client.loop_start()
        try:
            self._publish_ticks()
            self._wait_for_acks(timeout_s=60.0)
        finally:
            self._client.disconnect()
            self._client.loop_stop()
        return self.sent

    def _publish_ticks(self) -> None:
        plan = self.plan
        wall_start = time.monotonic()
        tick = 0
        chunk: list[list[tuple[str, bytes]]] = []
        while not self._stop.is_set() and (plan.ticks is None or tick < plan.ticks):
            if not chunk:
                chunk = self._messages(
                    tick, CHUNK_TICKS if plan.ticks is None else min(CHUNK_TICKS, plan.ticks - tick)
                )
            stamp = plan.tick_time(tick)
            due = wall_start + (stamp - plan.start_epoch_s) / plan.speed
            wait_s = max(due - time.monotonic(), stamp - self.clock())
            if wait_s > 0 and self._stop.wait(wait_s):
                break
            for topic, payload in chunk.pop(0):
                self._client.publish(topic, payload, qos=1)
                self.sent += 1
            while self.sent - self._acked > MAX_IN_FLIGHT and not self._stop.is_set():
                time.sleep(0.01)
            tick += 1

    def _messages(self, first_tick: int, count: int) -> list[list[tuple[str, bytes]]]:
        return self.feed.messages(first_tick, count)

    def _wait_for_acks(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._acked < self.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._acked < self.sent:
            log.warning("broker acknowledged %d of %d messages", self._acked, self.sent)


def daily_climate(config: MuseumConfig, scenario: Scenario, plan: SimulationPlan) -> pd.DataFrame:
    """What the building model does over the plan, without sensors or a broker: for each
    local day and each place (outdoors, each gallery, each case), mean temperature, mean RH
    and the day's RH swing (max − min), from the model's air at every tick."""
    if plan.ticks is None:
        raise ValueError("a summary needs a duration")
    feed = ScenarioFeed(config, scenario, plan)
    times = np.array([plan.tick_time(k) for k in range(plan.ticks)])
    climate = feed.model.sample(times)
    index = pd.to_datetime(times, unit="s", utc=True).tz_convert(config.zone)
    places = {"outdoors": (climate.outdoor_temperature_c, climate.outdoor_rh_pct)}
    for i, room in enumerate(feed.model.rooms):
        places[room.gallery] = (climate.room_temperature_c[:, i], climate.room_rh_pct[:, i])
    for i, case in enumerate(feed.model.cases):
        places[case.case_id] = (climate.case_temperature_c[:, i], climate.case_rh_pct[:, i])
    frames = []
    for place, (temperature, rh) in places.items():
        days = pd.DataFrame({"temperature_c": temperature, "rh_pct": rh}, index=index).resample("1D")
        daily = pd.DataFrame(
            {
                "temperature_mean_c": days["temperature_c"].mean(),
                "rh_mean_pct": days["rh_pct"].mean(),
                "rh_swing_pct": days["rh_pct"].max() - days["rh_pct"].min(),
            }
        )
        daily.insert(0, "place", place)
        frames.append(daily)
    table = pd.concat(frames).rename_axis("day").reset_index()
    table["day"] = table["day"].dt.date
    return table.round({"temperature_mean_c": 1, "rh_mean_pct": 1, "rh_swing_pct": 1})
