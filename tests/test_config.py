"""The museum config: the example loads, wrong files fail naming the key, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from museum.description.config import ConfigError, load_config, parse_duration_s
from tests.conftest import REPO_DIR, SMALL_MUSEUM

EXAMPLE = REPO_DIR / "museum.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "museum.toml"
    path.write_text(text)
    return path


def small(**replacements: str) -> str:
    text = SMALL_MUSEUM.format(client_id="c", database="patina", spool="spool.sqlite3")
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def test_example_config_describes_a_believable_museum() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.museum.timezone == "Asia/Ho_Chi_Minh"
    assert len(config.cases) >= 12
    assert len(config.galleries) == 3
    artefacts = [a for case in config.cases for a in case.artefacts]
    assert len(artefacts) >= 30
    assert {"archaeological_iron", "wood", "brass", "aluminium", "leather"} <= {
        m for a in artefacts for m in a.materials
    }
    assert all(1 <= len(case.sensors) <= 2 for case in config.cases)
    assert config.case_for_sensor("g2-01-b").id == "G2-01"
    assert config.case_for_sensor("nobody") is None
    from museum.language.i18n import Translator

    assert config.museum.name == "Bảo tàng Lịch sử Quân sự — demo"  # the museum's language, vi
    assert Translator("fr").name(config.museum.name) == "Musée d'histoire militaire — démo"


def test_environment_overrides_urls_and_supplies_credentials(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, small()),
        environ={
            "PATINA_MQTT_URL": "mqtts://broker.example:8883",
            "PATINA_INFLUX_URL": "http://db.example:8086",
            "PATINA_INFLUX_DB": "other",
            "PATINA_MQTT_USERNAME": "collector",
            "PATINA_MQTT_PASSWORD": "s3cret",
            "PATINA_INFLUX_USERNAME": "writer",
            "PATINA_INFLUX_PASSWORD": "pw",
        },
    )
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.tls) == ("broker.example", 8883, True)
    assert config.influxdb.url == "http://db.example:8086"
    assert config.influxdb.database == "other"
    assert (config.mqtt.username, config.mqtt.password) == ("collector", "s3cret")
    assert (config.influxdb.username, config.influxdb.password) == ("writer", "pw")
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {'timezone = "Asia/Ho_Chi_Minh"': 'timezone = "Asia/Saigon_City"'},
            "museum.timezone: 'Asia/Saigon_City' is not an IANA time zone",
        ),
        ({'language = "en"': 'language = "de"'}, "museum.language: 'de' is not one of en, fr, vi"),
        (
            {'materials = ["iron_steel", "wood"]': 'materials = ["iron_steel", "wod"]'},
            "cases[1].artefacts[0].materials[1]: unknown material 'wod'",
        ),
        (
            {'sensors = ["s3"]': 'sensors = ["s1"]'},
            "cases[1].sensors[0]: sensor 's1' is already in case 'C1'",
        ),
        (
            {'site = "hanoi"\ngallery = "Gallery 2"': 'site = "hue"\ngallery = "Gallery 2"'},
            "cases[1].site: unknown site 'hue'",
        ),
        ({'name = "Rifles"': 'name = "Rifles"\ncolour = "red"'}, "cases[1].colour: unknown key"),
        (
            {'url = "mqtt://127.0.0.1:1"': 'url = "http://127.0.0.1:1883"'},
            "mqtt.url (or PATINA_MQTT_URL): 'http://127.0.0.1:1883' is not a URL",
        ),
        ({'id = "R-1"': 'id = "DBP-1"'}, "cases[1].artefacts[0].id: artefact 'DBP-1' is already"),
        (
            {'materials = ["iron_steel", "wood"]': "materials = []"},
            "cases[1].artefacts[0].materials: an artefact needs at least one material",
        ),
        (
            {"[collector]\n": "[collector]\ninstances = 2\n"},
            "collector.instances: several instances need a share_group",
        ),
        (
            {"[collector]\n": '[collector]\nshare_group = "p"\ninstances = 2\ninstance_index = 2\n'},
            "collector.instance_index: 2 is not between 0 and 1",
        ),
        (
            {"[collector]\n": '[collector]\nshare_group = "a/b"\n'},
            "collector.share_group: 'a/b' is not a name",
        ),
    ],
)
def test_a_wrong_config_names_the_key_and_what_is_wrong(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    text = small()
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def test_toml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, small().replace('name = "Rifles"', 'name = "Rifles'))
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line \d+"):
        load_config(path, environ={})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("text", "seconds"), [("20s", 20), ("15m", 900), ("4h", 14400), ("1d", 86400), ("90", 90), (2.5, 2.5)]
)
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "m", "inf"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_s(text)


def test_names_may_be_given_per_language(tmp_path: Path) -> None:
    text = small(
        **{
            'name = "Test museum"': (
                'name = { vi = "Bảo tàng thử", fr = "Musée d\'essai", en = "Test museum" }\nlanguage = "vi"'
            ),
            'language = "en"\n': "",
            'name = "Excavated iron"': (
                'name = { vi = "Sắt khai quật", fr = "Fer de fouille", en = "Excavated iron" }'
            ),
            'gallery = "Gallery 1"': 'gallery = { vi = "Phòng 1", fr = "Salle 1" }',
            'name = "Excavated bayonet"': 'name = { fr = "Baïonnette de fouille", en = "Excavated bayonet" }',
        }
    )
    config = load_config(write(tmp_path, text), environ={})
    from museum.language.i18n import Translator

    fr, en = Translator("fr"), Translator("en")
    assert config.museum.name == "Bảo tàng thử" and fr.name(config.museum.name) == "Musée d'essai"
    case = config.case("C1")
    # The plain value is the museum's language (vi), so pages that print `.name` keep working.
    assert case.name == "Sắt khai quật" and fr.name(case.name) == "Fer de fouille"
    assert case.gallery == "Phòng 1" and fr.name(case.gallery) == "Salle 1"
    assert en.name(case.gallery) == "Phòng 1"  # no English given: the museum's own name
    assert "Phòng 1" in config.galleries
    bayonet = case.artefacts[0]
    assert bayonet.name == "Excavated bayonet"  # no Vietnamese: English, then the first given
    assert fr.name(bayonet.name) == "Baïonnette de fouille"
    # Plain strings still work and stay plain for every language.
    assert config.case("C2").name == fr.name(config.case("C2").name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("{}", "cases[0].name: the table of names is empty"),
        ('{ de = "Eisen" }', "cases[0].name: unknown language 'de'; expected one of en, fr, vi"),
        ('{ fr = "" }', "cases[0].name: fr: expected a non-empty name"),
        ("3", "cases[0].name: expected a name or a table"),
    ],
)
def test_a_wrong_name_table_names_the_key(tmp_path: Path, name: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, small(**{'name = "Excavated iron"': f"name = {name}"})), environ={})
