"""``partner_silent`` on its own (collector/alerts/rules/partners.py) and through the engine:
a partner's heartbeat older than its limit opens one alert naming it, which resolves at its
next heartbeat (issue 27). The services end to end are in tests/test_partners.py."""

from __future__ import annotations

from collector.alerts.engine import AlertEngine
from collector.alerts.incidents import Notification
from collector.alerts.rules.base import PartnerBeats
from collector.alerts.rules.partners import PartnerSilent
from museum.description.config import parse_config
from museum.description.config_partners import Partner
from museum.language.i18n import LocalizedName
from museum.storage.schema import AlertEvent

ARMEE = Partner(
    id="armee",
    name=LocalizedName("Musée de l'Armée", {"vi": "Bảo tàng Quân đội Pháp"}),
    topic_prefix="partners/armee",
    our_prefix="partners/hanoi",
    address="",
    bridge_user="bridge-armee",
    partner_user="partner-armee",
    cases=(),
    objects=(),
    silent_after_s=600.0,
)


def test_a_partner_is_silent_past_its_limit_and_named() -> None:
    from tests.test_alert_rules import view

    rule = PartnerSilent()
    heard = view(partners=PartnerBeats((ARMEE,), {"armee": 1000.0}, 0.0))
    (within,) = rule.evaluate(heard, 1000.0 + 600.0)
    assert (within.active, within.clear, within.key) == (False, True, "partner_silent:armee")
    (past,) = rule.evaluate(heard, 1000.0 + 601.0)
    assert past.active and not past.clear and past.detail == "armee@1000"
    assert round(past.value or 0, 2) == round(601 / 60, 2) and past.threshold == 10.0
    # Never heard: silent from when the watch began.
    (never,) = rule.evaluate(view(partners=PartnerBeats((ARMEE,), {}, 5000.0)), 5000.0 + 700.0)
    assert never.active and never.detail == "armee@5000"
    assert rule.evaluate(view(), 1e9) == []


CONFIG = """
[museum]
name = "Bảo tàng Lịch sử Quân sự"
timezone = "Asia/Ho_Chi_Minh"
language = "vi"
[mqtt]
url = "mqtt://127.0.0.1:1"
[influxdb]
url = "http://127.0.0.1:1"
database = "x"
[[sites]]
id = "hanoi"
[[cases]]
id = "C1"
site = "hanoi"
gallery = "G"
name = "Tủ 1"
sensors = ["s1"]
[[partners]]
id = "armee"
name = { fr = "Musée de l'Armée", vi = "Bảo tàng Quân đội Pháp" }
our_prefix = "partners/hanoi"
silent_after = "10m"
[[partners.objects]]
artefact = "DBP-1"
case = "K1"
"""


def test_the_engine_opens_and_resolves_a_partner_silence() -> None:
    import tomllib

    config = parse_config(tomllib.loads(CONFIG), environ={})
    assert config.partners[0].topic_prefix == "partners/armee"
    assert config.partners[0].objects[0].case_id == "K1"
    events: list[AlertEvent] = []
    told: list[Notification] = []
    engine = AlertEngine(config, events.append, told.append, now_s=0.0)
    beats = {"armee": 0.0}
    engine.partner_beats = lambda: PartnerBeats(config.partners, dict(beats), 0.0)
    for now_s in range(0, 700, 10):
        engine.evaluate(float(now_s))
    opened = [e for e in events if e.state == "opened"]
    assert [e.rule for e in opened] == ["partner_silent"] and opened[0].time_ns == 610 * 10**9
    assert told and told[0].detail == "armee@0"
    beats["armee"] = 700.0
    engine.evaluate(705.0)
    assert [e.state for e in events if e.rule == "partner_silent"][-1] == "resolved"
