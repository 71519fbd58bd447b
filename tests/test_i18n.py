"""Every text a person reads exists in English, French and Vietnamese."""

from __future__ import annotations

import re
import string

import pytest

from analysis.materials import MATERIAL_NAMES
from analysis.risk import DRIVERS, LEVELS
from collector.alerts import RULES
from museum.i18n import LANGUAGES, Translator, catalog
from tests.conftest import REPO_DIR

# t("key") and t("key", …) in the code; keys built at run time are listed below.
_KEY_USE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")
DYNAMIC_KEYS = ({f"case.range_{key}" for key in ("24h", "7d", "30d", "1y", "custom")}
                | {f"overview.level_{level}" for level in ("critical", "risk", "watch", "good", "unknown")}
                | {f"print.subject_{kind}" for kind in ("case", "gallery")}
                | {f"material.{name}" for name in MATERIAL_NAMES}
                | {"age.seconds", "age.minutes", "age.hours", "age.days"}
                | {f"rule.{rule}" for rule in RULES} | {f"advice.{rule}" for rule in RULES}
                | {f"alert.body.value.{rule}" for rule in RULES}
                | {f"alert.subject.{kind}" for kind in ("opened", "repeat", "escalated", "resolved")}
                | {f"level.{level}" for level in LEVELS} | {f"driver.{driver}" for driver in DRIVERS}
                | {f"rating.{rating}" for rating in ("good", "ok", "risk")}
                | {f"advice.material.{name}" for name in MATERIAL_NAMES}
                | {f"advice.driver.{driver}" for driver in DRIVERS}
                | {f"object.reason_{driver}" for driver in ("rh_high", "too_dry", "other")}
                | {f"severity.{severity}" for severity in ("warning", "critical")}
                | {"duration.minutes", "duration.hours", "duration.days"})


def keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for folder in ("dashboard", "collector", "patina", "museum", "sensors_sim"):
        for path in (REPO_DIR / folder).rglob("*.py"):
            used |= set(_KEY_USE.findall(path.read_text()))
    return used


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_uses_keys_and_the_scan_finds_them() -> None:
    assert {"overview.title", "case.title", "label.temperature"} <= keys_used_in_code()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_code_uses_is_translated(language: str) -> None:
    missing = (keys_used_in_code() | DYNAMIC_KEYS) - set(catalog(language))
    assert not missing, f"{language}.po lacks {sorted(missing)}"


@pytest.mark.parametrize("language", ["fr", "vi"])
def test_catalogues_have_the_same_keys_and_placeholders_as_english(language: str) -> None:
    english, other = catalog("en"), catalog(language)
    assert set(other) == set(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key


def test_translations_are_really_translated() -> None:
    assert Translator("fr")("label.rh") == "Humidité relative"
    assert Translator("vi")("label.rh") == "Độ ẩm tương đối"
    assert Translator("vi").material("archaeological_iron") == "Sắt khảo cổ (nhiễm clorua)"


def test_numbers_and_ages_follow_the_language() -> None:
    assert Translator("en").number(27.35, 1) == "27.4"
    assert Translator("fr").number(27.35, 1) == "27,4"
    assert Translator("vi").number(1234.5, 1) == "1.234,5"
    assert Translator("fr").age(400) == "il y a 7 min"
    assert Translator("vi").age(7200) == "2 giờ trước"
    assert Translator("en").number(None) == "—"
