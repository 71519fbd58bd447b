"""What the pages and notifications take from museum.i18n and museum.sources: names per
language, an alert's objects and the source of its limit in the reader's language
(issue #16; the pages themselves are read in Chromium by tests/test_languages_browser.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from analysis.materials import profile
from museum.config import MuseumConfig
from museum.i18n import LocalizedName, Translator
from museum.sources import source_text
from tests.test_languages_browser import MULTILINGUAL_MUSEUM


def test_an_alert_source_is_said_in_the_reader_language_with_its_citation_kept() -> None:
    fr, vi = Translator("fr"), Translator("vi")
    english = profile("archaeological_iron").sources["rh_risk_pct"]
    assert english.startswith("Watkinson & Lewis 2005:")
    assert source_text(fr, english) == fr("source.archaeological_iron.rh_risk_pct") != english
    assert "Watkinson & Lewis 2005" in source_text(fr, english)
    # The collector's own condensation source, a museum rule, a setting of [alerts].
    condensation = "ASHRAE Fundamentals 2017 ch. 1 (dew point): a margin under about 3 K"
    assert source_text(fr, condensation).startswith("Point de rosée selon l'ASHRAE Fundamentals 2017")
    assert source_text(vi, "museum rule (config)") == "quy tắc riêng của bảo tàng (tệp cấu hình)"
    setting = source_text(fr, "alerts.battery_low_pct")
    assert setting == "le réglage alerts.battery_low_pct de la configuration"
    assert source_text(fr, "museum override (config)") == "valeur propre au musée (configuration)"
    # What has no translation (a broker's topic) is kept as it is, never dropped.
    assert source_text(fr, "$SYS/broker/publish/messages/dropped") == "$SYS/broker/publish/messages/dropped"


def test_an_alert_objects_are_named_and_rated_in_the_reader_language() -> None:
    names = {"DBP-1": LocalizedName("Excavated bayonet", {"fr": "Baïonnette de fouille", "vi": "Lưỡi lê"})}
    detail = "DBP-1 Excavated bayonet (critical); X-9 Unknown thing (risk)"
    assert Translator("fr").objects_at_risk(detail, names) == (
        "DBP-1 Baïonnette de fouille (critique); X-9 Unknown thing (risk)"
    )
    assert Translator("vi").objects_at_risk(detail, names).startswith("DBP-1 Lưỡi lê (nghiêm trọng)")
    assert Translator("fr").objects_at_risk("s3", names) == "s3"  # a sensor, as the silent rule gives it
    assert Translator("fr").objects_at_risk("", names) == ""


def test_an_e_mail_names_the_case_its_gallery_the_source_and_the_zone_in_french(
    make_config: Callable[..., MuseumConfig],
) -> None:
    from collector.alerts import Notification
    from collector.notify import render

    config = make_config(MULTILINGUAL_MUSEUM)
    source = profile("archaeological_iron").sources["rh_risk_pct"]
    note = Notification(kind="opened", alert_id="C1.rh_high.X", case=config.case("C1"), rule="rh_high",
                        subject_key="rh_high", severity="warning", value=30.0, threshold=25.0, source=source,
                        since_s=time.time(), detail="DBP-1 Excavated bayonet (risk)",
                        material="archaeological_iron")
    fr = Translator("fr")
    subject, body = render(note, config, fr)
    assert subject == "[Patina] Vitrine C1 : HR au-dessus de la limite de la vitrine"
    assert "Vitrine C1 (Fer de fouille, Salle 1)" in body
    assert fr("source.archaeological_iron.rh_risk_pct") in body
    assert "DBP-1 Baïonnette de fouille (Fer archéologique (chlorures))" in body
    assert "heure de Hanoï (UTC+7)" in body
    assert "Excavated" not in body and "Gallery" not in body and "Asia/Ho_Chi_Minh" not in body
