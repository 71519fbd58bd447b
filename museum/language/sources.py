"""The sources of the limits, in the reader's language.

:mod:`analysis.materials` and :mod:`analysis.risk` keep each limit's source as one English
sentence: a citation, then what it says ("WA Museum 2017: corrosion proceeds slowly up to
about 50 % RH"). The catalogues translate the sentence and keep the citation as published,
under ``source.<material>.<field>`` and ``source.component.<driver>``.

A translation is used only while ``en.po`` still holds the very sentence the science layer
gives: when a source is revised there, the reader gets the new English sentence (true)
rather than a translation of the old one (stale) until the catalogues catch up.
"""

from __future__ import annotations

import re

from analysis.materials import MaterialProfile
from analysis.risk import COMPONENT_SOURCES
from museum.language.i18n import Translator, catalog

#: What :func:`analysis.materials.profile` writes for a value the museum overrode.
OVERRIDE_SOURCE = "museum override (config)"
#: What the collector's alerts give as the source of a limit from the config's [[rules]].
RULE_SOURCE = "museum rule (config)"
#: A setting of the config's ``[alerts]`` table named as an alert's source ("alerts.battery_low_pct").
_SETTING = re.compile(r"alerts\.[a-z_]+")


def _english_sources() -> dict[str, str]:
    """English sentence → its catalogue key, for every ``source.*`` entry."""
    return {text: key for key, text in catalog("en").items() if key.startswith("source.")}


def _translated(t: Translator, key: str, english: str) -> str:
    if not english:
        return ""
    if english == OVERRIDE_SOURCE:
        return t("source.override")
    if catalog("en").get(key) == english:
        return t(key)
    return english


def limit_source(t: Translator, material: MaterialProfile, field: str) -> str:
    """The source of one limit of a material (``field`` such as ``"rh_risk_pct"``), or ""."""
    return _translated(t, f"source.{material.name}.{field}", material.sources.get(field, ""))


def component_source(t: Translator, driver: str) -> str:
    """The source of a risk component's thresholds (condensation, time of wetness, …), or ""."""
    return _translated(t, f"source.component.{driver}", COMPONENT_SOURCES.get(driver, ""))


def level_source(t: Translator, material: MaterialProfile, driver: str, level: str) -> str:
    """The translated counterpart of :func:`analysis.risk.source_of`: the source behind a
    level reached through a driver."""
    if driver == "rh_high":
        field = {
            "good": "rh_safe_pct",
            "watch": "rh_safe_pct",
            "risk": "rh_risk_pct",
            "critical": "rh_critical_pct",
        }[level]
        return limit_source(t, material, field)
    if driver == "too_dry":
        return limit_source(t, material, "rh_too_dry_pct")
    return component_source(t, driver)


def source_text(t: Translator, english: str) -> str:
    """Any source the science layer or the collector gives as an English sentence (an
    alert's ``source``), in the reader's language: a published limit's sentence with its
    citation kept, a museum rule or override, a config setting; other text (a broker's
    topic, a command) as it is."""
    if english == OVERRIDE_SOURCE:
        return t("source.override")
    if english == RULE_SOURCE:
        return t("limit.rule_source")
    if _SETTING.fullmatch(english):
        return t("limit.setting_source", setting=english)
    key = _english_sources().get(english)
    return t(key) if key else english
