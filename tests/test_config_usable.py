"""Config values that parse as TOML but cannot work are refused at load, naming the key
and the value (issue 15, findings 9 and 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from museum.description.config import ConfigError, load_config, topic_filter_problem
from museum.description.users import hash_password
from tests.conftest import SMALL_MUSEUM

GOOD_HASH = hash_password("correct horse")


def small() -> str:
    return SMALL_MUSEUM.format(client_id="c", database="patina", spool="spool.sqlite3")


def with_rule(rule: str) -> str:
    return small() + f'\n[[alerts.rules]]\ncase = "C1"\n{rule}\n'


def with_user(*users: tuple[str, str]) -> str:
    return small() + "".join(
        f'\n[[dashboard.users]]\nname = "{name}"\nrole = "viewer"\npassword_hash = "{password_hash}"\n'
        for name, password_hash in users
    )


CASES = [
    (
        small().replace('topic = "patina/+/+/climate"', 'topic = "bad/#/topic"'),
        "sources[0].topic: 'bad/#/topic' is not an MQTT topic filter",
    ),
    (
        small().replace('topic = "patina/+/+/climate"', 'topic = "patina/a+/climate"'),
        "sources[0].topic: 'patina/a+/climate' is not an MQTT topic filter",
    ),
    (
        small() + "\n[alerts]\nhysteresis_pct = nan\n",
        "alerts.hysteresis_pct: expected a finite number, got nan",
    ),
    (
        small() + "\n[alerts]\nhysteresis_pct = inf\n",
        "alerts.hysteresis_pct: expected a finite number, got inf",
    ),
    (
        small() + "\n[alerts]\nspool_alert_depth = 1e400\n",
        "alerts.spool_alert_depth: expected a finite number, got inf",
    ),
    (small() + "\n[alerts]\nmin_duration = 1e400\n", "alerts.min_duration: inf is not a positive, finite"),
    (small() + "\n[alerts]\nhysteresis_pct = -50\n", "alerts.hysteresis_pct: -50.0 is not between 0 and 100"),
    (
        small() + "\n[alerts]\nbattery_low_pct = 150\n",
        "alerts.battery_low_pct: 150.0 is not between 0 and 100",
    ),
    (small() + "\n[alerts]\nspool_alert_depth = 0\n", "alerts.spool_alert_depth: 0 is not a positive number"),
    (
        with_rule("rh_min_pct = 60\nrh_max_pct = 40"),
        "alerts.rules[0].rh_min_pct: 60.0 is not below rh_max_pct 40.0",
    ),
    (with_rule("rh_max_pct = 140"), "alerts.rules[0].rh_max_pct: 140.0 is not between 0 and 100"),
    (with_rule("rh_max_pct = nan"), "alerts.rules[0].rh_max_pct: expected a finite number, got nan"),
    (
        with_user(("lan", GOOD_HASH), ("lan", GOOD_HASH)),
        "dashboard.users[1].name: 'lan' is already dashboard.users[0]",
    ),
    (with_user(("lan", "scrypt$oops")), "dashboard.users[0].password_hash: malformed"),
    (
        with_user(("lan", "scrypt$16384$8$1$c2FsdA==$not base64!")),
        "dashboard.users[0].password_hash: malformed",
    ),
    (small() + '\n[notify.mqtt]\nenabled = "no"\n', "notify.mqtt.enabled: expected true or false, got 'no'"),
    (
        small().replace('client_id = "c"', 'client_id = "c"\nca_file = 5'),
        "mqtt.ca_file: expected a non-empty string, got 5",
    ),
    (
        small().replace('sensors = ["s3"]', 'sensors = ["a\\\\b"]'),
        "cases[1].sensors[0]: 'a\\\\b' contains a backslash",
    ),
    (
        small().replace('sensors = ["s3"]', 'sensors = ["a\\nb"]'),
        "cases[1].sensors[0]: 'a\\nb' contains a backslash or a control character",
    ),
    (small().replace('id = "C2"', 'id = "C\\t2"'), "cases[1].id: 'C\\t2' contains"),
    (
        small().replace('id = "hanoi"', 'id = "ha\\\\noi"').replace('site = "hanoi"', 'site = "ha\\\\noi"'),
        "sites[0].id: 'ha\\\\noi' contains a backslash",
    ),
    (
        small().replace("[collector]\n", "[collector]\nspool_max_mb = -1\n"),
        "collector.spool_max_mb: -1.0 is not a positive number",
    ),
    (
        small().replace("[collector]\n", "[collector]\nquarantine_payload_bytes = 1.5\n"),
        "collector.quarantine_payload_bytes: 1.5 is not a whole number",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[str(n) for n in range(len(CASES))])
def test_values_that_cannot_work_are_refused_at_load(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "museum.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def test_good_values_still_load(tmp_path: Path) -> None:
    path = tmp_path / "museum.toml"
    path.write_text(
        with_user(("lan", GOOD_HASH), ("minh", GOOD_HASH))
        + "\n[notify.mqtt]\nenabled = false\n"
        + '\n[[alerts.rules]]\ncase = "C1"\nrh_min_pct = 20\nrh_max_pct = 45\n'
    )
    config = load_config(path, environ={})
    assert [u.name for u in config.dashboard.users] == ["lan", "minh"]
    assert config.notify.mqtt_alerts is False


@pytest.mark.parametrize("topic", ["#", "a/#", "+/b/+", "patina/+/+/climate", "zigbee2mqtt/#", "a//b", "/"])
def test_valid_topic_filters(topic: str) -> None:
    assert topic_filter_problem(topic) is None


@pytest.mark.parametrize("topic", ["", "a/#/b", "a#", "a/b#", "a+/b", "a/+b", "a\x00b"])
def test_invalid_topic_filters(topic: str) -> None:
    assert topic_filter_problem(topic) is not None
