"""Translations: every text a person reads, in English, French and Vietnamese.

Texts live in gettext ``.po`` catalogues (``museum/language/locales/<lang>.po``), which translators
edit with their usual tools (Poedit, Weblate). Message ids are stable keys such as
``overview.title``; ``en.po`` holds the English text. Placeholders use ``{name}``.
Numbers, dates and plurals follow each language's rules from the Unicode CLDR (through
Babel); the date patterns are chosen so that no reader can misread them (docs/languages.md):
English day-first or ISO, French "1er décembre 2026", Vietnamese "20:18 ngày 01/12/2026".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone_location
from babel.lists import format_list
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

#: ``date`` under another name: inside :class:`Translator` the name ``date`` is its method.
Day = date

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "fr", "vi")
#: Each language's name in itself, for the language switch.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "vi": "Tiếng Việt"}

#: Date and time patterns (CLDR pattern syntax). "short" is for tables and chart tooltips,
#: "medium" and "long" for running text. English is ISO in tables and day-first in text,
#: never the US month-first "12/1/26"; Vietnamese writes the hour first and a four-digit
#: year, as Vietnamese administrative texts do.
_MOMENT_PATTERNS: Mapping[str, Mapping[str, str]] = {
    "en": {"short": "yyyy-MM-dd HH:mm", "medium": "d MMM yyyy, HH:mm", "long": "d MMMM yyyy, HH:mm"},
    "fr": {"short": "dd/MM/yyyy HH:mm", "medium": "d MMMM yyyy 'à' HH:mm", "long": "d MMMM yyyy 'à' HH:mm"},
    "vi": {
        "short": "HH:mm dd/MM/yyyy",
        "medium": "HH:mm 'ngày' dd/MM/yyyy",
        "long": "HH:mm 'ngày' dd/MM/yyyy",
    },
}
_DATE_PATTERNS: Mapping[str, Mapping[str, str]] = {
    "en": {"short": "yyyy-MM-dd", "medium": "d MMM yyyy", "long": "d MMMM yyyy"},
    "fr": {"short": "dd/MM/yyyy", "medium": "d MMMM yyyy", "long": "d MMMM yyyy"},
    "vi": {"short": "dd/MM/yyyy", "medium": "dd/MM/yyyy", "long": "dd/MM/yyyy"},
}
#: The start of a period drops what it shares with the end ("du 24 novembre au 1er décembre 2026").
_PERIOD_START_PATTERNS: Mapping[str, Mapping[str, str]] = {
    "en": {"same_month": "d", "same_year": "d MMMM"},
    "fr": {"same_month": "d", "same_year": "d MMMM"},
    "vi": {"same_month": "dd/MM", "same_year": "dd/MM"},
}
#: Chart tooltips and time axes (d3 time format, used by Vega-Lite), matching ``moment``.
_CHART_TIME_FORMATS: Mapping[str, Mapping[str, str]] = {
    "en": {"moment": "%Y-%m-%d %H:%M", "day": "%d %b", "hour": "%H:%M", "month": "%b %Y"},
    "fr": {"moment": "%d/%m/%Y %H:%M", "day": "%d/%m", "hour": "%H:%M", "month": "%b %Y"},
    "vi": {"moment": "%H:%M %d/%m/%Y", "day": "%d/%m", "hour": "%H:%M", "month": "%m/%Y"},
}
#: Zones whose time is called after another city than their CLDR exemplar city: Vietnam's
#: legal time is "giờ Hà Nội" (Hanoi time), although the IANA zone is named after Ho Chi Minh City.
_ZONE_CITY_KEYS = {"Asia/Ho_Chi_Minh": "zone.city_hanoi", "Asia/Saigon": "zone.city_hanoi"}
#: Dates a person may type: ISO, or day first with a four-digit year (the only orders Patina
#: ever writes, so a typed date is never read month-first).
_TYPED_DATE = re.compile(
    r"(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})[/.-](?P<y2>\d{4})"
)
#: What the collector writes in an alert's event log when it has notified or failed to:
#: "opened: email, mqtt" (collector/service.py); anything else is shown as written.
_SENT_EVENT = re.compile(r"(?P<kind>opened|repeat|escalated|resolved): (?P<channels>[a-z]+(, [a-z]+)*)")
_FAILED_EVENT = re.compile(r"(?P<channel>email|webhook|mqtt): (?P<error>.+)", re.DOTALL)
_CHANNELS = ("email", "webhook", "mqtt")
#: One object of an alert's detail: "id name (level)" (collector/alerts/).
_OBJECT_AT_RISK = re.compile(r"(?P<id>\S+) .+ \((?P<level>good|watch|risk|critical)\)")


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language, key → text (untranslated entries left out)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    with (LOCALES_DIR / f"{language}.po").open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


class LocalizedName(str):
    """A name given in several languages, e.g. ``name = { vi = "Tủ 1", en = "Case 1" }``.

    It *is* the name in the museum's own language (a ``str``), so code that compares,
    sorts or prints names keeps working; :meth:`get` gives the name in another language,
    falling back to that default when the language has none."""

    names: Mapping[str, str]

    def __new__(cls, default: str, names: Mapping[str, str] | None = None) -> LocalizedName:
        self = super().__new__(cls, default)
        self.names = dict(names or {})
        return self

    def get(self, language: str) -> str:
        return self.names.get(language) or str(self)

    def __getnewargs__(self) -> tuple[str, dict[str, str]]:  # type: ignore[override]
        # Pickling (Streamlit's caches, multiprocessing) must keep every language.
        return (str(self), dict(self.names))

    def __repr__(self) -> str:
        return f"LocalizedName({str(self)!r}, {dict(self.names)!r})"


def localized_name(value: Any, default_language: str) -> LocalizedName:
    """A config name: a plain string, or a table of language → name.

    The name in ``default_language`` (the museum's language) becomes the plain value;
    without one, English, then the first given. Raises ``ValueError`` saying what is wrong."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"expected a non-empty name, got {value!r}")
        return LocalizedName(value)
    if not isinstance(value, Mapping):
        raise ValueError(f'expected a name or a table such as {{ vi = "…", en = "…" }}, got {value!r}')
    if not value:
        raise ValueError("the table of names is empty; give at least one of " + ", ".join(LANGUAGES))
    names: dict[str, str] = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{language}: expected a non-empty name, got {text!r}")
        names[language] = text
    default = names.get(default_language) or names.get("en") or next(iter(names.values()))
    return LocalizedName(default, names)


class Translator:
    """Texts, numbers and dates for one language. A missing key raises KeyError: the
    catalogue tests make sure none is missing."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._messages = catalog(language)
        self._locale = Locale.parse(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text

    # -- plurals -------------------------------------------------------------------------

    def plural(self, key: str, n: float, **values: object) -> str:
        """The text of ``key`` for the count ``n``, by the language's CLDR plural rule:
        ``key.one``, ``key.other`` (``key.many`` in French when given) in the catalogue.
        ``{n}`` in the text is the count written for the language."""
        form = self._locale.plural_form(abs(n))
        text = self._messages.get(f"{key}.{form}") or self._messages[f"{key}.other"]
        decimals = 0 if float(n).is_integer() else 1
        return text.format(n=self.number(n, decimals), **values)

    # -- numbers -------------------------------------------------------------------------

    def number(self, value: float | None, decimals: int = 1) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        if round(value, decimals) == 0:
            value = 0.0  # never "-0.0": a value that rounds to nothing has no sign
        return format_decimal(value, format=pattern, locale=self.language)

    def quantity(self, value: float | None, unit: str, decimals: int = 1) -> str:
        """A number with its unit, or a dash alone when there is no value."""
        text = self.number(value, decimals)
        return text if text == "—" else f"{text} {unit}"

    @property
    def decimal_sign(self) -> str:
        return str(self._locale.number_symbols["latn"]["decimal"])

    @property
    def group_sign(self) -> str:
        return str(self._locale.number_symbols["latn"]["group"])

    def input_value(self, value: float, decimals: int = 1) -> str:
        """A number to put in a text field: the language's decimal sign, no grouping
        ("45,5"), so that :meth:`parse_number` reads it back."""
        return format_decimal(
            value, format="0" + ("." + "0" * decimals if decimals else ""), locale=self.language
        )

    def parse_number(self, text: str) -> float:
        """A number typed by a person: "45,5" in French and Vietnamese, "45.5" in English;
        a point is also taken as the decimal sign where it cannot be a thousands group
        ("45.5" in Vietnamese is 45.5, "1.234" is 1234). Raises ValueError when the text
        is not a number."""
        cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
        decimal, group = self.decimal_sign, self.group_sign
        if (
            decimal != "."
            and decimal not in cleaned
            and cleaned.count(".") == 1
            and not re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", cleaned)
        ):
            cleaned = cleaned.replace(".", decimal)
        if group.strip():
            cleaned = cleaned.replace(group, "")
        cleaned = cleaned.replace(decimal, ".").replace("\u2212", "-")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
            raise ValueError(f"{text!r} is not a number")
        return float(cleaned)

    @staticmethod
    def input_format(decimals: int = 1) -> str:
        """The printf format for a numeric input showing ``decimals`` decimals (Streamlit's
        ``number_input`` always writes a point; see docs/languages.md)."""
        return f"%.{decimals}f"

    # -- charts --------------------------------------------------------------------------

    @staticmethod
    def axis_format(decimals: int = 1) -> str:
        """A d3 number format for chart axes and tooltips; the decimal sign and grouping
        come from :meth:`chart_locale`."""
        return f",.{decimals}f"

    def chart_time_format(self, kind: str = "moment") -> str:
        """A d3 time format: "moment" (tooltips), "day", "hour" or "month" (axis ticks)."""
        return _CHART_TIME_FORMATS[self.language][kind]

    def chart_locale(self) -> dict[str, Any]:
        """The Vega locale (d3 number and time locales) for this language, from CLDR:
        ``chart.configure(locale=t.chart_locale())`` gives "18,6" ticks and French or
        Vietnamese month and weekday names."""
        loc = self._locale
        # Vega wants plain spaces: the narrow no-break space of French grouping is not in
        # every chart font.
        group = self.group_sign.replace("\u202f", "\u00a0")
        days = [loc.days["stand-alone"]["wide"][(i + 6) % 7] for i in range(7)]
        short_days = [loc.days["stand-alone"]["abbreviated"][(i + 6) % 7] for i in range(7)]
        formats = _CHART_TIME_FORMATS[self.language]
        return {
            "number": {
                "decimal": self.decimal_sign,
                "thousands": group,
                "grouping": [3],
                "currency": ["", ""],
            },
            "time": {
                "dateTime": formats["moment"],
                "date": formats["moment"].replace(" %H:%M", "").replace("%H:%M ", ""),
                "time": "%H:%M:%S",
                "periods": ["AM", "PM"],
                "days": days,
                "shortDays": short_days,
                "months": [loc.months["stand-alone"]["wide"][m] for m in range(1, 13)],
                "shortMonths": [loc.months["stand-alone"]["abbreviated"][m] for m in range(1, 13)],
            },
        }

    # -- dates ---------------------------------------------------------------------------

    def _french_first(self, pattern: str, day: int) -> str:
        # French writes the first of the month as an ordinal: "1er décembre".
        if self.language == "fr" and day == 1 and (pattern == "d" or pattern.startswith("d ")):
            return "'1er'" + pattern[1:]
        return pattern

    def moment(self, value: datetime, length: str = "short") -> str:
        """A timezone-aware datetime, in its own time zone, as the language writes it:
        "2026-12-01 20:18" / "01/12/2026 20:18" / "20:18 01/12/2026" (short),
        "1 Dec 2026, 20:18" / "1er décembre 2026 à 20:18" / "20:18 ngày 01/12/2026" (medium)."""
        pattern = self._french_first(_MOMENT_PATTERNS[self.language][length], value.day)
        return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=self.language)

    def date(self, value: Day, length: str = "long") -> str:
        """A calendar day: "1 December 2026" / "1er décembre 2026" / "01/12/2026" (long)."""
        pattern = self._french_first(_DATE_PATTERNS[self.language][length], value.day)
        return format_date(value, pattern, locale=self.language)

    def period(self, first: Day, last: Day) -> str:
        """Whole days from ``first`` to ``last`` inclusive: "du 24 novembre au 1er décembre
        2026 inclus", "24 November to 1 December 2026 inclusive", "từ ngày 24/11 đến hết
        ngày 01/12/2026"; one day alone is written as a date."""
        if first == last:
            return self("date.day", date=self.date(last))
        patterns = _PERIOD_START_PATTERNS[self.language]
        if (first.year, first.month) == (last.year, last.month):
            start_pattern = patterns["same_month"]
        elif first.year == last.year:
            start_pattern = patterns["same_year"]
        else:
            start_pattern = _DATE_PATTERNS[self.language]["long"]
        start = format_date(first, self._french_first(start_pattern, first.day), locale=self.language)
        return self("date.period", start=start, end=self.date(last))

    def zone(self, zone_name: str, at: datetime | None = None) -> str:
        """The time zone as people name it, with its offset at ``at`` (default: now):
        "Hanoi time (UTC+7)" / "heure de Hanoï (UTC+7)" / "giờ Hà Nội (UTC+7)"."""
        zone = ZoneInfo(zone_name)
        offset = (at or datetime.now(UTC)).astimezone(zone).utcoffset() or timedelta(0)
        minutes = round(offset.total_seconds() / 60)
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        utc = "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        if zone_name in ("UTC", "GMT") or zone_name.startswith("Etc/"):
            # No city: and "Etc/GMT-7" means UTC+7, which its name would only confuse.
            return utc
        key = _ZONE_CITY_KEYS.get(zone_name)
        city = self(key) if key else get_timezone_location(zone, locale=self.language, return_city=True)
        elided = self.language == "fr" and city[:1].lower() in "aeiouyâéèêîôû"
        return self("date.zone_elided" if elided else "date.zone", city=city, offset=utc)

    def parse_date(self, text: str) -> Day:
        """A date typed by a person: "01/12/2026" (day first, also with "." or "-") or
        "2026-12-01". Raises ValueError with this language's message when it is not one."""
        match = _TYPED_DATE.fullmatch(text.strip())
        if match:
            year, month, day = (int(match[f"{part}1"] or match[f"{part}2"]) for part in "ymd")
            try:
                return date(year, month, day)
            except ValueError:
                pass
        raise ValueError(self("date.not_a_date", text=text, hint=self("date.input_hint")))

    def event_message(self, message: str) -> str:
        """An entry of an alert's event log in this language: the collector's "opened:
        email, mqtt" becomes "new alert sent by e-mail and MQTT"; other text is kept."""
        sent = _SENT_EVENT.fullmatch(message.strip())
        if sent and all(c in _CHANNELS for c in sent["channels"].split(", ")):
            channels = [self(f"event.channel.{c}") for c in sent["channels"].split(", ")]
            return self(
                "event.sent",
                kind=self(f"event.kind.{sent['kind']}"),
                channels=format_list(channels, locale=self.language),
            )
        failed = _FAILED_EVENT.fullmatch(message.strip())
        if failed:
            channel = self(f"event.channel.{failed['channel']}")
            return self("event.failed", channel=channel, error=failed["error"])
        return message

    def age(self, seconds: float) -> str:
        """How long ago, e.g. "3 min ago" / "il y a 3 min" / "3 phút trước"."""
        if seconds < 90:
            return self("age.seconds", n=int(max(0, seconds)))
        if seconds < 90 * 60:
            return self("age.minutes", n=round(seconds / 60))
        if seconds < 36 * 3600:
            return self("age.hours", n=round(seconds / 3600))
        return self("age.days", n=round(seconds / 86400))

    # -- names from the config and the science layer ---------------------------------------

    def name(self, value: str) -> str:
        """A name from the config in this language (``t.name(case.name)``); plain names as they are."""
        return value.get(self.language) if isinstance(value, LocalizedName) else str(value)

    def duration(self, seconds: float) -> str:
        """How long, e.g. "3 h" / "3 h" / "3 giờ"."""
        if seconds < 90 * 60:
            return self("duration.minutes", n=max(1, round(seconds / 60)))
        if seconds < 48 * 3600:
            return self("duration.hours", n=round(seconds / 3600))
        return self.plural("duration.days", round(seconds / 86400))

    def material(self, name: str) -> str:
        return self(f"material.{name}")

    def objects_at_risk(self, detail: str, names: Mapping[str, str]) -> str:
        """The objects an alert puts at risk, as the collector records them ("DBP-1
        Excavated bayonet (risk)", joined by "; "), with each name (``names``: id → config
        name) and level in this language; text of another shape is kept as it is."""
        parts = []
        for part in detail.split("; ") if detail else []:
            match = _OBJECT_AT_RISK.fullmatch(part)
            if match and match["id"] in names:
                level = self(f"level.{match['level']}")
                parts.append(f"{match['id']} {self.name(names[match['id']])} ({level})")
            else:
                parts.append(part)
        # French puts a (thin) space before a semicolon.
        return (" ; " if self.language == "fr" else "; ").join(parts)
