"""Every text a person reads exists in English, French and Vietnamese."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from babel import Locale

from analysis.materials import MATERIAL_NAMES, PROFILES, profile
from analysis.risk import COMPONENT_SOURCES, DRIVERS, LEVELS, source_of
from collector.alerts import RULES
from museum.files.loggers.normalise import REASONS as LOGGER_REASONS
from museum.language.i18n import LANGUAGES, Translator, catalog, localized_name
from museum.language.sources import level_source, limit_source
from patina.analyse import _LAYOUT_NAMES as _ANALYSE_LAYOUT_NAMES
from patina.analyse import _ORDERS as _ANALYSE_ORDERS
from patina.analyse import _SEPARATORS as _ANALYSE_SEPARATORS
from tests.conftest import REPO_DIR

# t("key") and t("key", …) in the code; keys built at run time are listed below.
_KEY_USE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")
DYNAMIC_KEYS = (
    {f"case.range_{key}" for key in ("24h", "7d", "30d", "1y", "custom")}
    | {f"overview.level_{level}" for level in ("critical", "risk", "watch", "good", "unknown")}
    | {f"print.subject_{kind}" for kind in ("case", "gallery")}
    | {f"material.{name}" for name in MATERIAL_NAMES}
    | {"age.seconds", "age.minutes", "age.hours", "age.days"}
    | {f"rule.{rule}" for rule in RULES}
    | {f"advice.{rule}" for rule in RULES}
    | {f"alert.body.value.{rule}" for rule in RULES}
    | {f"alert.subject.{kind}" for kind in ("opened", "repeat", "escalated", "resolved")}
    | {f"level.{level}" for level in LEVELS}
    | {f"driver.{driver}" for driver in DRIVERS}
    | {f"rating.{rating}" for rating in ("good", "ok", "risk")}
    # museum/language/i18n.py and museum/language/sources.py build these.
    | {
        "date.day",
        "date.period",
        "date.zone",
        "date.zone_elided",
        "zone.city_hanoi",
        "source.override",
        "date.input_hint",
        "date.not_a_date",
        "event.sent",
        "event.failed",
    }
    | {f"event.kind.{kind}" for kind in ("opened", "repeat", "escalated", "resolved")}
    | {f"event.channel.{channel}" for channel in ("email", "webhook", "mqtt")}
    | {f"source.{name}.{field}" for name, p in PROFILES.items() for field in p.sources}
    | {f"source.component.{driver}" for driver in COMPONENT_SOURCES}
    | {f"advice.material.{name}" for name in MATERIAL_NAMES}
    | {f"advice.driver.{driver}" for driver in DRIVERS}
    | {f"object.reason_{driver}" for driver in ("rh_high", "too_dry", "other")}
    | {f"severity.{severity}" for severity in ("warning", "critical")}
    | {"duration.minutes", "duration.hours", "duration.days.one", "duration.days.other"}
)
# Keys `patina analyse` builds from what the logger reader decided (issue 14).
DYNAMIC_KEYS |= (
    {f"analyse.order.{key}" for key in _ANALYSE_ORDERS.values()}
    | {f"analyse.separator.{key}" for key in (*_ANALYSE_SEPARATORS.values(), "none")}
    | {f"analyse.reason.{code}" for code in LOGGER_REASONS}
    | {f"analyse.origin.{origin}" for origin in ("file", "header", "option", "default", "museum")}
    | {f"analyse.mark.{mark}" for mark in ("point", "comma", "none")}
    | {f"analyse.layout_name.{key}" for key in _ANALYSE_LAYOUT_NAMES.values()}
)


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
    # A trend of −0.04 % or a dew point of −0.02 °C is written without a sign.
    assert Translator("fr").number(-0.04, 1) == "0,0" and Translator("en").number(-0.02, 1) == "0.0"
    assert Translator("en").number(-0.06, 1) == "-0.1"


# --- dates, plurals, numbers and names as each language writes them (issue 16) ---

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
EVENING = datetime(2026, 12, 1, 20, 18, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("language", "short", "medium"),
    [
        ("en", "2026-12-01 20:18", "1 Dec 2026, 20:18"),
        ("fr", "01/12/2026 20:18", "1er décembre 2026 à 20:18"),
        ("vi", "20:18 01/12/2026", "20:18 ngày 01/12/2026"),
    ],
)
def test_moments_are_day_first_or_iso_with_a_four_digit_year(language: str, short: str, medium: str) -> None:
    t = Translator(language)
    assert t.moment(EVENING) == short
    assert t.moment(EVENING, "medium") == medium
    # Not the CLDR defaults the dashboard used to show.
    assert t.moment(EVENING, "medium") not in {"Dec 1, 2026, 8:18:00 PM", "20:18:00 1 thg 12, 2026"}


def test_the_first_of_the_month_is_an_ordinal_in_french_only() -> None:
    assert Translator("fr").date(date(2026, 12, 1)) == "1er décembre 2026"
    assert Translator("fr").date(date(2026, 12, 2)) == "2 décembre 2026"
    assert Translator("en").date(date(2026, 12, 1)) == "1 December 2026"
    assert Translator("vi").date(date(2026, 12, 1)) == "01/12/2026"


@pytest.mark.parametrize(
    ("language", "first", "last", "expected"),
    [
        ("fr", date(2026, 11, 24), date(2026, 12, 1), "du 24 novembre au 1er décembre 2026 inclus"),
        ("fr", date(2026, 12, 1), date(2026, 12, 10), "du 1er au 10 décembre 2026 inclus"),
        ("fr", date(2025, 12, 24), date(2026, 1, 1), "du 24 décembre 2025 au 1er janvier 2026 inclus"),
        ("fr", date(2026, 12, 1), date(2026, 12, 1), "le 1er décembre 2026"),
        ("en", date(2026, 11, 24), date(2026, 12, 1), "24 November to 1 December 2026 inclusive"),
        ("vi", date(2026, 11, 24), date(2026, 12, 1), "từ ngày 24/11 đến hết ngày 01/12/2026"),
        ("vi", date(2025, 12, 24), date(2026, 1, 1), "từ ngày 24/12/2025 đến hết ngày 01/01/2026"),
    ],
)
def test_periods_name_both_ends_inclusive(language: str, first: date, last: date, expected: str) -> None:
    assert Translator(language).period(first, last) == expected


def test_month_names_come_from_cldr() -> None:
    # CLDR's wide month names, checked against Babel's own data rather than retyped.
    for language in LANGUAGES:
        december = Locale.parse(language).months["format"]["wide"][12]
        assert december in Translator(language).date(date(2026, 12, 24)) or language == "vi"
    assert Locale.parse("fr").months["format"]["wide"][12] == "décembre"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Hanoi time (UTC+7)"),
        ("fr", "heure de Hanoï (UTC+7)"),
        ("vi", "giờ Hà Nội (UTC+7)"),
    ],
)
def test_vietnam_time_is_called_hanoi_time(language: str, expected: str) -> None:
    assert Translator(language).zone("Asia/Ho_Chi_Minh") == expected


def test_other_zones_take_their_cldr_city_and_the_offset_of_the_day() -> None:
    summer, winter = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    assert Translator("fr").zone("Europe/Paris", summer) == "heure de Paris (UTC+2)"
    assert Translator("fr").zone("Europe/Paris", winter) == "heure de Paris (UTC+1)"
    assert Translator("fr").zone("America/Anchorage", winter) == "heure d'Anchorage (UTC−9)"
    assert Translator("en").zone("Asia/Kolkata", winter) == "Kolkata time (UTC+5:30)"
    assert Translator("vi").zone("UTC", winter) == "UTC"
    assert Translator("en").zone("Etc/GMT-7", winter) == "UTC+7"


@pytest.mark.parametrize(
    ("language", "n", "form"),
    [
        ("en", 0, "other"),
        ("en", 1, "one"),
        ("en", 2, "other"),
        ("fr", 0, "one"),
        ("fr", 1, "one"),
        ("fr", 1.5, "one"),
        ("fr", 2, "other"),
    ],
)
def test_plurals_follow_the_cldr_rule(language: str, n: float, form: str) -> None:
    t = Translator(language)
    assert Locale.parse(language).plural_form(n) == form
    written = t.number(n, 0 if n == int(n) else 1)
    expected = catalog(language)[f"overview.open_alerts_count.{form}"].format(n=written)
    assert t.plural("overview.open_alerts_count", n) == expected


def test_plurals_read_as_a_person_writes_them() -> None:
    fr = Translator("fr")
    assert fr.plural("overview.sensors_reporting_count", 2, total=2) == "2 capteurs sur 2 émettent"
    assert fr.plural("overview.sensors_reporting_count", 1, total=2) == "1 capteur sur 2 émet"
    assert Translator("en").plural("overview.open_alerts_count", 1) == "1 open alert"
    assert Translator("en").plural("overview.open_alerts_count", 3) == "3 open alerts"
    assert Translator("fr").plural("overview.open_alerts_count", 1000) == "1\u202f000 alertes en cours"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_hedges_a_plural_with_brackets(language: str) -> None:
    hedged = {key: text for key, text in catalog(language).items() if re.search(r"\w\((s|es|x)\)", text)}
    assert not hedged


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_has_its_other_form(language: str) -> None:
    bases = {key.rsplit(".", 1)[0] for key in catalog(language) if key.endswith((".one", ".many"))}
    assert bases and all(f"{base}.other" in catalog(language) for base in bases)


def test_numbers_for_inputs_read_back() -> None:
    for language in LANGUAGES:
        t = Translator(language)
        assert t.parse_number(t.input_value(1234.5)) == 1234.5
        assert t.parse_number(t.number(1234.5)) == 1234.5
        assert t.parse_number("-3") == -3
    assert Translator("fr").input_value(45.0) == "45,0"
    assert Translator("vi").input_value(45.0, 2) == "45,00"
    assert Translator("en").input_value(45.0, 0) == "45"
    assert Translator("fr").parse_number("45,5") == 45.5
    assert Translator("vi").parse_number("45.5") == 45.5  # a point typed by habit
    assert Translator("vi").parse_number("1.234") == 1234  # a thousands group
    assert Translator("fr").parse_number("1 234,5") == 1234.5
    for text in ("", "abc", "4,5,6", "12 %"):
        with pytest.raises(ValueError):
            Translator("fr").parse_number(text)


def test_chart_locale_gives_a_decimal_comma_and_cldr_month_names() -> None:
    import altair as alt
    import pandas as pd

    fr, vi = Translator("fr").chart_locale(), Translator("vi").chart_locale()
    assert fr["number"]["decimal"] == "," and vi["number"]["decimal"] == ","
    assert Translator("en").chart_locale()["number"]["decimal"] == "."
    assert fr["time"]["months"][11] == "décembre" and fr["time"]["days"][0] == "dimanche"
    assert vi["time"]["months"][11] == Locale.parse("vi").months["stand-alone"]["wide"][12]
    assert Translator("fr").axis_format(1) == ",.1f"
    # Altair validates the locale against the Vega-Lite schema.
    chart = alt.Chart(pd.DataFrame({"x": [1.5]})).mark_point().encode(x="x:Q")
    spec = chart.configure(locale=fr).to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","


def test_a_name_given_per_language_is_a_string_in_the_museums_language() -> None:
    import copy
    import pickle

    name = localized_name({"vi": "Tủ súng", "fr": "Vitrine des fusils", "en": "Rifles"}, "vi")
    assert name == "Tủ súng" and isinstance(name, str)
    assert Translator("fr").name(name) == "Vitrine des fusils"
    assert Translator("en").name(name) == "Rifles"
    assert Translator("fr").name("Plain") == "Plain"
    only_english = localized_name({"en": "Rifles"}, "fr")
    assert only_english == "Rifles" and only_english.get("vi") == "Rifles"
    for clone in (pickle.loads(pickle.dumps(name)), copy.deepcopy(name)):
        assert clone == name and clone.get("fr") == "Vitrine des fusils"
    for wrong, message in (
        ({}, "empty"),
        ({"de": "Gewehre"}, "unknown language 'de'"),
        ({"fr": ""}, "fr: expected a non-empty name"),
        (3, "expected a name"),
        ("  ", "non-empty"),
    ):
        with pytest.raises(ValueError, match=message):
            localized_name(wrong, "en")


def test_every_limit_source_is_translated_with_its_citation_kept() -> None:
    # Fails when a source sentence changes in analysis/: the catalogues must follow.
    english = catalog("en")
    for name, material in PROFILES.items():
        for field, sentence in material.sources.items():
            assert english.get(f"source.{name}.{field}") == sentence, (name, field)
    for driver, sentence in COMPONENT_SOURCES.items():
        assert english.get(f"source.component.{driver}") == sentence, driver
    for language in ("fr", "vi"):
        other = catalog(language)
        for key, sentence in english.items():
            if key.startswith("source.") and key != "source.override":
                # Each "Author year" (or standard and number) of the citation is kept as is.
                cited = re.findall(r"[A-Z][A-Za-z]+ \d{4}|\S+ §\d", sentence)
                if ":" in sentence:  # "Author year: what it says"
                    cited += re.findall(r"\b[A-Z][\w.-]*", sentence.split(":")[0])
                assert cited and all(c in other[key] for c in cited), (language, key, cited)
                assert other[key] != sentence, (language, key)


def test_limit_sources_in_each_language() -> None:
    iron = PROFILES["iron_steel"]
    assert (
        limit_source(Translator("en"), iron, "rh_risk_pct")
        == "WA Museum 2017: corrosion proceeds slowly up to about 50 % RH"
    )
    assert (
        limit_source(Translator("fr"), iron, "rh_risk_pct")
        == "WA Museum 2017 : la corrosion progresse lentement jusqu'à 50 % HR environ"
    )
    assert (
        limit_source(Translator("vi"), iron, "rh_risk_pct")
        == "WA Museum 2017: ăn mòn diễn ra chậm cho tới khoảng 50 % độ ẩm"
    )
    brass = PROFILES["brass"]
    critical = level_source(Translator("fr"), brass, "rh_high", "critical")
    assert critical.startswith("Michalski 1993 (ICOM-CC) ;")
    assert level_source(Translator("vi"), PROFILES["wood"], "too_dry", "risk").startswith("Padfield")
    assert "durée d'humidification" in level_source(Translator("fr"), iron, "time_of_wetness", "risk")
    assert level_source(Translator("fr"), iron, "nothing", "risk") == ""
    # Every level of every material and driver has a translated source, as analysis.risk has one.
    for material in PROFILES.values():
        for driver in DRIVERS:
            for level in LEVELS:
                english = source_of(material, driver, level)
                assert level_source(Translator("en"), material, driver, level) == english
                if english:
                    assert level_source(Translator("fr"), material, driver, level) != english


def test_an_overridden_or_revised_source_is_never_a_stale_translation() -> None:
    overridden = profile("iron_steel", {"rh_risk_pct": 48})
    fr, vi = Translator("fr"), Translator("vi")
    assert limit_source(fr, overridden, "rh_risk_pct") == "valeur propre au musée (configuration)"
    assert limit_source(vi, overridden, "rh_risk_pct") == "giá trị riêng của bảo tàng (tệp cấu hình)"
    revised = replace(PROFILES["iron_steel"], sources={"rh_risk_pct": "WA Museum 2024: a new sentence"})
    assert limit_source(Translator("fr"), revised, "rh_risk_pct") == "WA Museum 2024: a new sentence"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "sent by e-mail and MQTT: new alert"),
        ("fr", "envoi par e-mail et MQTT : nouvelle alerte"),
        ("vi", "đã gửi qua email và MQTT: cảnh báo mới"),
    ],
)
def test_event_log_entries_of_the_collector_are_translated(language: str, expected: str) -> None:
    t = Translator(language)
    # The two forms collector/service.py writes: "<kind>: <channels>" and "<channel>: <error>".
    assert t.event_message("opened: email, mqtt") == expected
    raw = "email: [Errno 111] Connection refused"
    failed = t.event_message(raw)
    assert failed.endswith("[Errno 111] Connection refused") and failed != raw
    assert t.event_message("acknowledged in the dashboard") == "acknowledged in the dashboard"
    assert t.event_message("opened: pigeon") == "opened: pigeon"


def test_typed_dates_are_day_first_or_iso_and_refused_with_a_message() -> None:
    for language in LANGUAGES:
        t = Translator(language)
        first = date(2026, 12, 1)
        assert t.parse_date("01/12/2026") == t.parse_date("1.12.2026") == t.parse_date("2026-12-01") == first
        assert t.parse_date(t.date(date(2026, 12, 24), "short")) == date(2026, 12, 24)
    with pytest.raises(ValueError, match="« 12/31/2026 » n'est pas une date : écrivez-la sous la forme jj"):
        Translator("fr").parse_date("12/31/2026")
    with pytest.raises(ValueError, match="không phải là ngày hợp lệ"):
        Translator("vi").parse_date("hôm qua")


#: English words a French or Vietnamese reader met in the catalogues before issue 16.
ENGLISH_WORDS = {
    "RH",
    "broker",
    "risk",
    "alert",
    "alerts",
    "sensor",
    "sensors",
    "report",
    "reading",
    "readings",
    "gallery",
    "case",
    "cases",
    "the",
    "and",
    "of",
    "spool",
    "escalated",
    "resolved",
    "opened",
    "watch",
    "good",
    "critical",
    "Custom",
    "Select",
    "empty",
    "dashboard",
    "limit",
}


@pytest.mark.parametrize("language", ["fr", "vi"])
def test_no_english_word_is_left_in_french_or_vietnamese(language: str) -> None:
    left: dict[str, list[str]] = {}
    for key, text in catalog(language).items():
        if key.startswith("source."):
            continue  # citations keep their published titles
        # Placeholders, commands, file names and config snippets are not prose.
        prose = re.sub(r"\{\w+\}|`[^`]*`|patina \w+ .*|\S+\.(md|conf)\b|\w+ = \"\w+\"", " ", text)
        words = [word for word in re.findall(r"[A-Za-z]+", prose) if word in ENGLISH_WORDS]
        if words:
            left[key] = words
    assert not left


def test_the_printable_report_names_things_in_the_readers_language(tmp_path: Path) -> None:
    from museum.description.config import load_config
    from museum.files.reports import CasePeriod, render_html
    from tests.conftest import SMALL_MUSEUM

    text = SMALL_MUSEUM.format(client_id="c", database="patina", spool="spool.sqlite3")
    for old, new in (
        ('name = "Test museum"', 'name = { en = "Test museum", fr = "Musée d\'essai" }'),
        ('gallery = "Gallery 1"', 'gallery = { en = "Gallery 1", fr = "Salle 1" }'),
        ('name = "Excavated iron"', 'name = { en = "Excavated iron", fr = "Fer de fouille" }'),
    ):
        text = text.replace(old, new)
    (tmp_path / "museum.toml").write_text(text)
    config = load_config(tmp_path / "museum.toml", environ={})
    start = datetime(2026, 11, 24, tzinfo=config.zone)
    period = CasePeriod(
        case=config.case("C1"),
        start=start,
        end=start + timedelta(days=7),
        hourly=pd.DataFrame(),
        extremes={},
        figures=None,
    )
    page = render_html([period], config, Translator("fr"), "C1", None, start + timedelta(days=7))
    assert "Musée d&#x27;essai" in page and "Fer de fouille" in page and "Salle 1" in page
    assert "Fuseau horaire : heure de Hanoï (UTC+7)." in page
    assert "du 24 au 30 novembre 2026 inclus" in page  # whole days: the last one named, included
    assert "Établi par Patina le 1er décembre 2026 à 00:00" in page
    english = render_html([period], config, Translator("en"), "C1", None, start + timedelta(days=7))
    assert "Excavated iron" in english and "Hanoi time (UTC+7)" in english
    assert "24 to 30 November 2026 inclusive" in english
    noon = replace(period, end=start + timedelta(days=7, hours=12))
    partial = render_html([noon], config, Translator("fr"), "C1", None, start + timedelta(days=8))
    assert "du 24 novembre 2026 à 00:00 au 1er décembre 2026 à 12:00" in partial
