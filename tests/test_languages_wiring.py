"""What the pages and notifications take from museum.language.i18n and museum.language.sources: names per
language, an alert's objects and the source of its limit in the reader's language
(issue #16; the pages themselves are read in Chromium by tests/test_languages_browser.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from analysis.materials import profile
from museum.description.config import MuseumConfig
from museum.language.i18n import LocalizedName, Translator
from museum.language.sources import source_text
from tests.test_alerts import Mailbox, smtp_server  # noqa: F401  (the fixture)
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
        "DBP-1 Baïonnette de fouille (critique) ; X-9 Unknown thing (risk)"
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
    note = Notification(
        kind="opened",
        alert_id="C1.rh_high.X",
        case=config.case("C1"),
        rule="rh_high",
        subject_key="rh_high",
        severity="warning",
        value=30.0,
        threshold=25.0,
        source=source,
        since_s=time.time(),
        detail="DBP-1 Excavated bayonet (risk)",
        material="archaeological_iron",
    )
    fr = Translator("fr")
    subject, body = render(note, config, fr)
    assert subject == "[Patina] Vitrine C1 : HR au-dessus de la limite de la vitrine"
    assert "Vitrine C1 (Fer de fouille, Salle 1)" in body
    assert fr("source.archaeological_iron.rh_risk_pct") in body
    assert "DBP-1 Baïonnette de fouille (Fer archéologique (chlorures))" in body
    assert "heure de Hanoï (UTC+7)" in body
    assert "Excavated" not in body and "Gallery" not in body and "Asia/Ho_Chi_Minh" not in body


def test_each_reader_gets_the_e_mail_and_its_link_in_their_own_language(
    make_config: Callable[..., MuseumConfig],
    smtp_server: tuple[Mailbox, int],  # noqa: F811
) -> None:
    """A recipient may read another language than the museum's: one message per language,
    through a real SMTP server, each with the dashboard link opening in that language."""
    from collector.alerts import Notification
    from collector.notify import Notifier

    mailbox, port = smtp_server
    text = MULTILINGUAL_MUSEUM.replace(
        "[[sites]]",
        f"""[notify.email]
smtp_url = "smtp://127.0.0.1:{port}"
from = "patina@museum.test"
to = ["lan@museum.test", {{{{ address = "marie@musee.test", language = "fr" }}}}]

[[sites]]""",
        1,
    )
    config = make_config(text)
    assert dict(config.notify.email_languages) == {"marie@musee.test": "fr"}
    note = Notification(
        kind="opened",
        alert_id="C1.rh_high.X",
        case=config.case("C1"),
        rule="rh_high",
        subject_key="rh_high",
        severity="warning",
        value=30.0,
        threshold=25.0,
        source="",
        since_s=time.time(),
        detail="",
        material=None,
    )
    Notifier(config).send_on("email", note, None)
    by_reader = {m["To"]: m for m in mailbox.messages}
    assert sorted(by_reader) == ["lan@museum.test", "marie@musee.test"]
    museum_language = config.museum.language
    french = by_reader["marie@musee.test"].get_payload(decode=True).decode()
    assert "Vitrine C1" in french and "lang=fr" in french
    own = by_reader["lan@museum.test"].get_payload(decode=True).decode()
    assert f"lang={museum_language}" in own and "Vitrine C1" not in own


def test_a_reader_language_must_be_one_patina_speaks(make_config: Callable[..., MuseumConfig]) -> None:
    import pytest

    from museum.description.config import ConfigError

    text = MULTILINGUAL_MUSEUM.replace(
        "[[sites]]",
        """[notify.email]
to = [{{ address = "x@museum.test", language = "de" }}]

[[sites]]""",
        1,
    )
    with pytest.raises(ConfigError, match=r"notify\.email\.to\[0\]\.language"):
        make_config(text)
