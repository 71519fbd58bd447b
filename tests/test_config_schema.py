"""The config declared once: the JSON Schema and the reference in docs/config.md are what the
declaration makes, the schema accepts every config Patina ships and refuses broken ones as
the reader does, and the objects' defaults are the declared ones."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from museum.description import schema_files
from museum.description.config import (
    FILE,
    AlertsConfig,
    CollectorConfig,
    ConfigError,
    DashboardConfig,
    InfluxConfig,
    MqttConfig,
    NotifyConfig,
    parse_config,
)
from museum.description.schema import Key, Table, TableList
from tests.conftest import REPO_DIR, SMALL_MUSEUM

SCENARIOS = sorted((REPO_DIR / "sensors_sim" / "scenarios").glob("*.toml"))


def as_taplo_sees_it(value: Any) -> Any:
    """A parsed TOML value as Taplo hands it to JSON Schema: dates and times become text."""
    if isinstance(value, dict):
        return {key: as_taplo_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_taplo_sees_it(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def validator() -> jsonschema.Draft7Validator:
    schema = schema_files.json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def problems(data: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator().iter_errors(as_taplo_sees_it(data))
    ]


def test_the_committed_schema_is_the_one_the_declaration_makes() -> None:
    assert schema_files.SCHEMA_PATH.read_text(encoding="utf-8") == schema_files.schema_text(), (
        "museum.schema.json is stale: run python -m museum.description.schema_files"
    )


def test_the_reference_in_the_docs_is_the_one_the_declaration_makes() -> None:
    text = (REPO_DIR / "docs" / "config.md").read_text(encoding="utf-8")
    assert text == schema_files.docs_with_reference(text), (
        "docs/config.md is stale: run python -m museum.description.schema_files"
    )


def test_the_command_checks_both_files() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "museum.description.schema_files", "--check"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_command_names_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "museum.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    docs = tmp_path / "config.md"
    docs.write_text(f"intro\n{schema_files.BEGIN}\nold table\n{schema_files.END}\n", encoding="utf-8")
    monkeypatch.setattr(schema_files, "SCHEMA_PATH", stale)
    monkeypatch.setattr(schema_files, "DOCS_PATH", docs)
    assert schema_files.main(["--check"]) == 1
    assert schema_files.main([]) == 0
    assert schema_files.main(["--check"]) == 0
    assert "old table" not in docs.read_text(encoding="utf-8")
    assert "| `hysteresis_pct` |" in docs.read_text(encoding="utf-8")


def walk(table: Table, path: str = "") -> list[tuple[str, Key]]:
    keys = []
    for key in table.keys:
        here = f"{path}.{key.name}" if path else key.name
        keys.append((here, key))
        if isinstance(key.kind, Table):
            keys += walk(key.kind, here)
        elif isinstance(key.kind, TableList):
            keys += walk(key.kind.table, f"{here}[]")
    return keys


def test_every_key_is_documented_in_the_reference() -> None:
    reference = schema_files.reference_markdown()
    for path, key in walk(FILE):
        assert key.description, f"{path} has no documentation"
        if not isinstance(key.kind, Table | TableList):
            assert f"| `{key.name}` |" in reference, path


def test_the_example_config_matches_the_schema() -> None:
    data = tomllib.loads((REPO_DIR / "museum.example.toml").read_text(encoding="utf-8"))
    assert problems(data) == []


def test_a_config_with_every_optional_section_matches_the_schema() -> None:
    text = SMALL_MUSEUM.format(client_id="c", database="d", spool="s.sqlite3") + (
        '\n[notify]\ndashboard_url = "https://patina.example"\n'
        '[notify.email]\nsmtp_url = "smtps://mail.example:465"\n'
        'to = ["a@example.org", { address = "b@example.org", language = "fr" }]\n'
        '[notify.webhook]\nurl = "https://hooks.example/p"\n[notify.mqtt]\nenabled = false\n'
        '[alerts]\nmin_duration = "1d10h"\nrepeat_after = 3600\nforecast_days = 14\n'
        '[[alerts.rules]]\ncase = "C1"\nrh_min_pct = 20\nrh_max_pct = 45\n'
        '[[dashboard.users]]\nname = "lan"\nrole = "conservator"\n'
        'password_hash = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="\n'
    )
    data = tomllib.loads(text.replace('name = "Rifles"', 'name = "Rifles"\nlast_reconditioned = 2026-03-14'))
    assert problems(data) == []
    parse_config(data, environ={})  # and the reader agrees


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_scenario_museum_matches_the_schema(path: Path) -> None:
    museum = tomllib.loads(path.read_text(encoding="utf-8")).get("museum")
    if museum is None:
        pytest.skip(f"{path.name} embeds no museum")
    assert problems(museum) == []


BROKEN = {
    "wrong type": ("[museum]\ntimezone = 7\n", "museum.timezone: expected a non-empty string, got 7"),
    "unknown key": (
        '[[sites]]\nid = "s"\n[[cases]]\nid = "c"\ncolour = "red"\n',
        "cases[0].colour: unknown key",
    ),
    "out of range": (
        "[alerts]\nhysteresis_pct = 150\n",
        "alerts.hysteresis_pct: 150.0 is not between 0 and 100",
    ),
    "not a whole number": (
        "[alerts]\nspool_alert_depth = 2.5\n",
        "alerts.spool_alert_depth: 2.5 is not a whole",
    ),
    "zero excluded": (
        "[alerts]\nforecast_days = 0\n",
        "alerts.forecast_days: 0.0 is not between 0 (excluded)",
    ),
    "not a choice": ('[mqtt]\nprotocol = "4"\n', "mqtt.protocol: '4' is not one of 5, 3.1.1"),
    "unknown material": (
        '[[sites]]\nid = "s"\n[[cases]]\nid = "c"\n[[cases.artefacts]]\nid = "a"\nmaterials = ["gold"]\n',
        "cases[0].artefacts[0].materials[0]: unknown material 'gold'",
    ),
    "no material": (
        '[[sites]]\nid = "s"\n[[cases]]\nid = "c"\n[[cases.artefacts]]\nid = "a"\nmaterials = []\n',
        "an artefact needs at least one material",
    ),
    "missing id": ('[[sites]]\nname = "Hà Nội"\n', "sites[0].id: missing"),
    "not a duration": ('[alerts]\nmin_duration = "soon"\n', "alerts.min_duration: 'soon' is not a duration"),
    "token in the file": ('[influxdb]\ntoken = "t"\n', "influxdb.token: never store a token in the file"),
    "credentials in the file": (
        '[mqtt]\nurl = "mqtt://user:pw@broker:1883"\n',
        "mqtt.url: mqtt://user:***@broker:1883 holds credentials",
    ),
    "wrong scheme": (
        '[influxdb]\nurl = "ftp://db:8086"\n',
        "'ftp://db:8086' is not a URL of the form http://",
    ),
    "control character in an id": ('[[sites]]\nid = "a\\tb"\n', "sites[0].id: 'a\\tb' contains a backslash"),
    "unknown language": ('[museum]\nname = { de = "Museum" }\n', "museum.name: unknown language 'de'"),
    "a date as text": (
        '[[sites]]\nid = "s"\n[[cases]]\nid = "c"\nlast_reconditioned = "March"\n',
        "cases[0].last_reconditioned: expected a date",
    ),
    "a password": (
        '[[dashboard.users]]\nname = "lan"\npassword = "x"\n'
        'password_hash = "scrypt$1$1$1$c2FsdA==$aGFzaA=="\n',
        "dashboard.users[0].password: never store a password",
    ),
    "a malformed hash": (
        '[[dashboard.users]]\nname = "lan"\npassword_hash = "plain"\n',
        "dashboard.users[0].password_hash: malformed",
    ),
    "share group with a slash": (
        '[collector]\nshare_group = "a/b"\n',
        "collector.share_group: 'a/b' is not a name",
    ),
}


@pytest.mark.parametrize(("text", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_the_schema_and_the_reader_refuse_the_same_broken_config(text: str, message: str) -> None:
    data = tomllib.loads(text)
    assert problems(data), "the JSON Schema accepts it"
    with pytest.raises(ConfigError) as error:
        parse_config(data, origin="museum.toml", environ={})
    assert str(error.value).startswith("museum.toml: ")
    assert message in str(error.value)


def test_an_environment_variable_is_named_in_a_check_of_its_value() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({}, environ={"PATINA_INFLUX_URL": "db:8086"})
    assert "influxdb.url (or PATINA_INFLUX_URL): 'db:8086' is not a URL" in str(error.value)
    with pytest.raises(ConfigError) as error:
        parse_config({"influxdb": {"database": 5}}, environ={})
    assert "influxdb.database: expected a non-empty string, got 5" in str(error.value)


def test_the_objects_defaults_are_the_declared_ones() -> None:
    config = parse_config({}, environ={})
    assert config.alerts == AlertsConfig()
    assert config.notify == NotifyConfig()
    assert config.dashboard == DashboardConfig()
    assert config.alerts.min_duration_s == 600.0 and config.alerts.stuck_after_s == 6 * 3600.0
    collector = CollectorConfig(spool_path=config.collector.spool_path)
    assert config.collector == collector
    assert config.mqtt == MqttConfig(url="mqtt://127.0.0.1:1883", client_id="patina-collector")
    assert config.influxdb == InfluxConfig(url="http://127.0.0.1:8086", database="patina")
    assert [s.topic for s in config.sources] == ["patina/+/+/climate"]
