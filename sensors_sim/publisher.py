"""Publishing simulated readings to the broker in Patina's native format.

Time runs on a simulated clock: tick *k* is stamped ``start + k·interval`` and is sent
``k·interval/speed`` seconds of wall time after the start, but never before its stamp has
actually come (a simulator does not publish from the future). So ``--speed 1440`` with a
start one day in the past replays that day in a minute and then carries on live.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from museum.config import MuseumConfig
from sensors_sim.model import SimulatedSensor

log = logging.getLogger("patina.simulator")

#: Messages sent but not yet acknowledged by the broker before the simulator waits.
MAX_IN_FLIGHT = 20_000
#: Ticks computed together (vectorised) before they are published one by one.
CHUNK_TICKS = 240


@dataclass(frozen=True)
class SimulationPlan:
    start_epoch_s: float
    interval_s: float
    speed: float = 1.0
    #: Simulated seconds to run; None runs until stopped.
    duration_s: float | None = None
    seed: int = 0

    def tick_time(self, tick: int) -> float:
        return self.start_epoch_s + tick * self.interval_s

    @property
    def ticks(self) -> int | None:
        if self.duration_s is None:
            return None
        return int(self.duration_s // self.interval_s)


def sensors_of(config: MuseumConfig, seed: int) -> list[SimulatedSensor]:
    return [SimulatedSensor(sensor, case.site, case.id, seed)
            for case in config.cases for sensor in case.sensors]


def native_topic(site: str, sensor_id: str) -> str:
    return f"patina/{site}/{sensor_id}/climate"


def native_payload(epoch_s: float, values: dict[str, float]) -> bytes:
    stamp = datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")
    return json.dumps({"ts": stamp.replace("+00:00", "Z"), **values}).encode()


def utc_offset_hours(config: MuseumConfig, epoch_s: float) -> float:
    offset = datetime.fromtimestamp(epoch_s, config.zone).utcoffset()
    return offset.total_seconds() / 3600.0 if offset else 0.0


class Simulator:
    """Publishes every sensor of the config on the plan's clock until done or stopped."""

    def __init__(self, config: MuseumConfig, plan: SimulationPlan,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.plan = plan
        self.sensors = sensors_of(config, plan.seed)
        self.clock = clock
        self.sent = 0
        self._acked = 0
        self._ack_lock = threading.Lock()
        self._stop = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                   client_id=f"patina-sim-{os.getpid()}-{id(self):x}",
                                   protocol=MQTTProtocolVersion.MQTTv5)
        if config.mqtt.username:
            self._client.username_pw_set(config.mqtt.username, config.mqtt.password)
        if config.mqtt.tls:
            self._client.tls_set(ca_certs=config.mqtt.ca_file)
        self._client.max_inflight_messages_set(1000)
        self._client.on_publish = self._on_publish

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int,
                    reason_code: mqtt.ReasonCode, properties: object) -> None:
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
                chunk = self._messages(tick, CHUNK_TICKS)
            stamp = plan.tick_time(tick)
            due = wall_start + tick * plan.interval_s / plan.speed
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
        """Topics and payloads of ``count`` ticks, computed for all of them at once."""
        stamps = np.array([self.plan.tick_time(first_tick + k) for k in range(count)])
        offsets_h = np.array([utc_offset_hours(self.config, stamp) for stamp in stamps])
        per_tick: list[list[tuple[str, bytes]]] = [[] for _ in range(count)]
        for sensor in self.sensors:
            topic = native_topic(sensor.site, sensor.sensor_id)
            values = sensor.readings(stamps, offsets_h)
            rows = zip(*(values[name].tolist() for name in values), strict=True)
            for k, row in enumerate(rows):
                per_tick[k].append((topic, native_payload(stamps[k], dict(zip(values, row,
                                                                                strict=True)))))
        return per_tick

    def _wait_for_acks(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._acked < self.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._acked < self.sent:
            log.warning("broker acknowledged %d of %d messages", self._acked, self.sent)
