"""Translations: every text a person reads, in English, French and Vietnamese.

Texts live in gettext ``.po`` catalogues (``museum/locales/<lang>.po``), which translators
edit with their usual tools (Poedit, Weblate). Message ids are stable keys such as
``overview.title``; ``en.po`` holds the English text. Placeholders use ``{name}``.
Numbers and dates are formatted for the language with Babel (CLDR data).
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "fr", "vi")
#: Each language's name in itself, for the language switch.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "vi": "Tiếng Việt"}


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language, key → text (untranslated entries left out)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    with (LOCALES_DIR / f"{language}.po").open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


class Translator:
    """Texts, numbers and dates for one language. A missing key raises KeyError: the
    catalogue tests make sure none is missing."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._messages = catalog(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text

    def number(self, value: float | None, decimals: int = 1) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.language)

    def quantity(self, value: float | None, unit: str, decimals: int = 1) -> str:
        """A number with its unit, or a dash alone when there is no value."""
        text = self.number(value, decimals)
        return text if text == "—" else f"{text} {unit}"

    def moment(self, value: datetime, length: str = "short") -> str:
        """A timezone-aware datetime, in its own time zone, as the language writes it."""
        return format_datetime(value, length, tzinfo=value.tzinfo, locale=self.language)

    def age(self, seconds: float) -> str:
        """How long ago, e.g. "3 min ago" / "il y a 3 min" / "3 phút trước"."""
        if seconds < 90:
            return self("age.seconds", n=int(max(0, seconds)))
        if seconds < 90 * 60:
            return self("age.minutes", n=round(seconds / 60))
        if seconds < 36 * 3600:
            return self("age.hours", n=round(seconds / 3600))
        return self("age.days", n=round(seconds / 86400))

    def duration(self, seconds: float) -> str:
        """How long, e.g. "3 h" / "3 h" / "3 giờ"."""
        if seconds < 90 * 60:
            return self("duration.minutes", n=max(1, round(seconds / 60)))
        if seconds < 48 * 3600:
            return self("duration.hours", n=round(seconds / 3600))
        return self("duration.days", n=round(seconds / 86400))

    def material(self, name: str) -> str:
        return self(f"material.{name}")
