"""The sensors' stated accuracy in ``museum.toml``: ``[sensors]``, a default for every
sensor and a figure per sensor where it differs; declared once (:mod:`museum.description.schema`).
A calibration check finding a larger error flags the sensor (docs/calibration.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.calibration import DEFAULT_ACCURACY
from museum.description.schema import REQUIRED, Key, Number, Place, Table, TableList, Text, Values

ACCURACY = Number(minimum=0, exclusive_minimum=True, maximum=50)


def _sensor_accuracy(v: Values) -> tuple[str, float | None, float | None]:
    return (v["sensor"], v["rh_accuracy_pct"], v["temperature_accuracy_c"])


def _unique(
    items: list[tuple[str, float | None, float | None]], at: Place
) -> tuple[tuple[str, float | None, float | None], ...]:
    """Each sensor once, and only sensors of the config's cases (a typo would otherwise
    leave the sensor meant judged by the default without a word)."""
    known = {sensor for case in at.reading.sections.get("cases", ()) for sensor in case.sensors}
    seen: set[str] = set()
    for index, (sensor, _, _) in enumerate(items):
        if sensor in seen:
            raise at.item(index).key("sensor").fail(f"sensor {sensor!r} is given twice")
        if sensor not in known:
            raise (
                at.item(index)
                .key("sensor")
                .fail(f"no sensor {sensor!r} in the cases; known: {', '.join(sorted(known)) or 'none'}")
            )
        seen.add(sensor)
    return tuple(items)


SENSOR_ACCURACY = Table(
    Key("sensor", Text(), "The sensor's id, as in its case's `sensors`.", default=REQUIRED),
    Key("rh_accuracy_pct", ACCURACY, "Its stated RH accuracy, ± % RH.", default_doc="the `[sensors]` figure"),
    Key(
        "temperature_accuracy_c",
        ACCURACY,
        "Its stated temperature accuracy, ± °C.",
        default_doc="the `[sensors]` figure",
    ),
    build=_sensor_accuracy,
)


def _sensors(v: Values) -> SensorsConfig:
    return SensorsConfig(
        rh_accuracy_pct=v["rh_accuracy_pct"],
        temperature_accuracy_c=v["temperature_accuracy_c"],
        accuracy=v["accuracy"],
    )


SENSORS = Table(
    Key(
        "rh_accuracy_pct",
        ACCURACY,
        "The sensors' stated RH accuracy, ± % RH: a check finding a larger error flags the sensor.",
        default=DEFAULT_ACCURACY["rh"],
    ),
    Key(
        "temperature_accuracy_c",
        ACCURACY,
        "The sensors' stated temperature accuracy, ± °C.",
        default=DEFAULT_ACCURACY["temperature"],
    ),
    Key(
        "accuracy",
        TableList(SENSOR_ACCURACY, build=_unique),
        'Sensors whose stated accuracy differs: `{ sensor = "s1", rh_accuracy_pct = 3 }`.',
    ),
    build=_sensors,
    doc="The sensors' stated accuracy, against which calibration checks are judged (docs/calibration.md).",
)


@dataclass(frozen=True)
class SensorsConfig:
    """Stated accuracy: the default and each sensor's own where the config gives one."""

    rh_accuracy_pct: float = DEFAULT_ACCURACY["rh"]
    temperature_accuracy_c: float = DEFAULT_ACCURACY["temperature"]
    accuracy: tuple[tuple[str, float | None, float | None], ...] = field(default_factory=tuple)

    def accuracy_for(self, sensor_id: str) -> dict[str, float]:
        """The ± figures of ``sensor_id``, by quantity (``rh``, ``temperature``)."""
        for sensor, rh, temperature in self.accuracy:
            if sensor == sensor_id:
                return {
                    "rh": self.rh_accuracy_pct if rh is None else rh,
                    "temperature": self.temperature_accuracy_c if temperature is None else temperature,
                }
        return {"rh": self.rh_accuracy_pct, "temperature": self.temperature_accuracy_c}
