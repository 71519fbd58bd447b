"""The artefact page against real InfluxDB data: Streamlit's AppTest, and a real headless
Chromium in French and Vietnamese (screenshots for the issue's note)."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from museum.description.config import MuseumConfig
from museum.language.i18n import Translator
from museum.loans.moves import record_move
from museum.storage.schema import AlertEvent, Reading, alert_event_line, climate_line
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer
from tests.conftest import REPO_DIR, SMALL_MUSEUM
from tests.helpers import wait_until_drawn
from tests.test_dashboard import CHROMIUM, SCREENSHOTS, launch_chromium, serve

APP = str(REPO_DIR / "dashboard" / "app.py")


@pytest.fixture
def moved_museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> MuseumConfig:
    """Three days of readings in C1 (dry) and C2 (damp); DBP-1 moved to C2 a day ago, where
    an alert opened afterwards."""
    config = make_config()
    store = store_for(config)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    lines = []
    for minute in range(0, 3 * 24 * 60, 10):
        moment = now - timedelta(minutes=3 * 24 * 60 - minute)
        ns = int(moment.timestamp()) * 10**9
        lines.append(climate_line(Reading("s1", ns, 22.0, 18.0 + minute % 30 / 10), "hanoi", "C1"))
        lines.append(climate_line(Reading("s3", ns, 26.0, 48.0 + minute % 50 / 10), "hanoi", "C2"))
    lines.append(
        alert_event_line(
            AlertEvent(
                time.time_ns() - 3600 * 10**9,
                site="hanoi",
                case_id="C2",
                alert_id="C2.rh_high.1",
                rule="rh_high",
                rule_key="rh_high",
                severity="warning",
                state="opened",
                message="RH high",
            )
        )
    )
    store.create_database()
    store.write_lines(lines)
    record_move(
        config,
        store,
        "DBP-1",
        "C2",
        user="Lan",
        note="Phòng trưng bày 2 mở cửa lại",
        at=now - timedelta(days=1),
    )
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def test_the_artefact_page_shows_moves_climate_alerts_and_the_passport(moved_museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    assert [str(x.value) for x in app.title] == ["DBP-1: Excavated bayonet"]
    page = "\n".join(str(x.value) for x in app.markdown)
    assert "Now in case **C2** (Hà Nội, Test museum)" in page  # the site by its name
    where = app.table[1].value
    assert where["Event"].tolist() == ["first case (config)", "move"]
    assert where["Note"].tolist()[-1] == "Phòng trưng bày 2 mở cửa lại"
    assert len(app.get("vega_lite_chart")) == 2
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Its materials tolerate"] == "0–25 %"
    alerts = app.table[-1].value
    assert alerts.iloc[0].tolist()[1:] == ["C2", "RH above the case limit", "opened"]
    assert app.get("download_button"), "the passport download"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_artefact_page_in_french_and_vietnamese(moved_museum: MuseumConfig) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert moved_museum.path is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(moved_museum.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        # Tall enough for the whole page: Streamlit scrolls inside its own container.
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.goto(f"{url}/artefact?artefact=DBP-1")
        expect(page.get_by_role("heading", name="DBP-1: Excavated bayonet")).to_be_visible(timeout=30_000)
        for language, name, heading, text in (
            ("fr", "Français", "Où il a été", "Télécharger le passeport (zip)"),
            ("vi", "Tiếng Việt", "Những nơi hiện vật đã ở", "Tải hộ chiếu (zip)"),
        ):
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name=name).click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
            expect(page.get_by_text(text)).to_be_visible(timeout=30_000)
            expect(page.locator("canvas, svg.marks").first).to_be_visible(timeout=30_000)
            wait_until_drawn(page)
            page.screenshot(path=SCREENSHOTS / f"artefact-{language}.png", full_page=True)
        browser.close()


def test_a_borrowed_object_shows_its_lenders_history(
    moved_museum: MuseumConfig,
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from museum.loans.passport import export_passport, import_passport
    from tests.test_passport import BORROWER

    borrower = make_config(BORROWER)
    now = datetime.now(UTC)
    passport = tmp_path / "DBP-1.zip"
    export_passport(moved_museum, store_for(moved_museum), "DBP-1", passport, now - timedelta(days=3), now)
    import_passport(
        borrower,
        store_for(borrower),
        passport,
        "K1",
        user="Claire",
        note="Exposition",
        at=now + timedelta(minutes=1),
    )
    assert borrower.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(borrower.path))
    monkeypatch.setenv("PATINA_INFLUX_DB", borrower.influxdb.database)
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    assert [str(x.value) for x in app.title] == ["DBP-1 : Excavated bayonet"]  # the borrower reads French
    assert "prêté par Test museum" in str(app.caption[0].value)
    where = app.table[1].value
    assert where["Événement"].tolist() == ["au début du passeport", "déplacement", "arrivée (prêt)"]
    assert where["Musée"].tolist() == ["Test museum", "Test museum", "Musée de l'Armée"]
    assert len(app.get("vega_lite_chart")) == 2, "the lender's hours, drawn at the borrower"


def test_the_case_pages_follow_a_move_without_editing_the_config(moved_museum: MuseumConfig) -> None:
    def inventory(case_id: str) -> set[str]:
        app = AppTest.from_file(APP, default_timeout=60)
        app.query_params["case"] = case_id
        app.switch_page("views/case.py").run()
        assert not app.exception, app.exception
        return {
            str(value)
            for table in app.table
            for column in table.value.columns
            for value in table.value[column].tolist()
        }

    assert "DBP-1" in {a.id for a in moved_museum.case("C1").artefacts}, "the config still says C1"
    assert "DBP-1" in inventory("C2")
    assert "DBP-1" not in inventory("C1")


# --- links to the artefact page, loan bands from an object, names per language, departures ---


def link(name: str, artefact_id: str, language: str) -> str:
    return f"[{name}](artefact?artefact={artefact_id}&lang={language})"


def everything(app: AppTest) -> str:
    """Every text of a page: Markdown, notices, captions, table cells and HTML."""
    parts = [
        str(x.value)
        for kind in ("markdown", "caption", "warning", "error", "success", "info")
        for x in getattr(app, kind)
    ]
    parts += [
        str(value)
        for table in app.table
        for column in table.value.columns
        for value in table.value[column].tolist()
    ]
    parts += [str(h.proto.body) for h in app.get("html")]
    return "\n".join(parts)


def test_every_list_of_objects_links_to_the_artefact_page(
    moved_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from museum.storage.schema import RiskPoint, risk_line

    store = store_for(moved_museum)
    now_ns = time.time_ns()
    # What the collector writes: DBP-1 (now in C2) at risk, and an incident naming it.
    store.write_lines(
        [
            risk_line(
                RiskPoint(
                    now_ns,
                    site="hanoi",
                    case_id="C2",
                    artefact_id="DBP-1",
                    material="archaeological_iron",
                    score=62.0,
                    level=2,
                    driver="rh_high",
                    components={
                        "component_rh_high": 62.0,
                        "since_s": now_ns / 1e9 - 3600,
                        "rh_pct": 50.0,
                        "limit_pct": 25.0,
                    },
                )
            ),
            alert_event_line(
                AlertEvent(
                    now_ns - 1800 * 10**9,
                    site="hanoi",
                    case_id="C2",
                    alert_id="C2.rh_high.2",
                    rule="rh_high",
                    rule_key="rh_high",
                    severity="warning",
                    state="opened",
                    message="DBP-1 Excavated bayonet (risk)",
                )
            ),
        ]
    )
    bayonet_fr, rifle_fr = link("Excavated bayonet", "DBP-1", "fr"), link("Rifle", "R-1", "fr")

    def page(path: str, **params: str) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=60)
        for key, value in {"lang": "fr", **params}.items():
            app.query_params[key] = value
        app.switch_page(path).run()
        assert not app.exception, app.exception
        return app

    overview = page("views/overview.py")
    tiles = [str(m.value) for m in overview.markdown if "**C2**" in str(m.value)]
    assert len(tiles) == 1 and bayonet_fr in tiles[0], "the tile names its worst object"
    assert bayonet_fr in str(overview.warning[0].value), "the headline names the worst object"

    case = page("views/case.py", case="C2")
    names = [table.value["Nom"].tolist() for table in case.table if "Nom" in table.value.columns]
    assert [bayonet_fr, rifle_fr] in names, "the case's objects, each to its own page"
    assert "Excavated bayonet" not in [n for column in names for n in column], "never unlinked"

    alerts = page("views/alerts.py")
    assert f"objets : {bayonet_fr}" in [str(m.value) for m in alerts.markdown]
    assert bayonet_fr in str(alerts.warning[0].value)

    report = page("views/report.py")
    next(box for box in report.selectbox if box.label == "Vitrine").select("C2").run()
    report.button[0].click().run()
    assert not report.exception, report.exception
    shown = "".join(str(h.proto.body) for h in report.get("html"))
    assert '<a href="artefact?artefact=DBP-1&amp;lang=fr" target="_self">Excavated bayonet</a>' in shown
    assert '<a href="artefact?artefact=R-1&amp;lang=fr" target="_self">Rifle</a>' in shown


def test_the_printable_report_itself_has_no_dashboard_links(moved_museum: MuseumConfig) -> None:
    from dashboard.data import printable_report
    from museum.loans.moves import with_locations

    now = datetime.now(UTC)
    config = with_locations(moved_museum, open_store(moved_museum.influxdb))
    page, _, on_screen = printable_report(config, ("C2",), now - timedelta(days=2), now, None, "en", "C2")
    assert "artefact?artefact=DBP-1" in on_screen
    assert "artefact?" not in page and "<td>Excavated bayonet</td>" in page, "a file has nothing to link to"


def test_the_report_page_takes_the_loan_band_from_an_object(
    moved_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from datetime import time as day_time

    from museum.loans.moves import loan_bands_for

    # Twelve days in the dry case C1 before the report's period (the 30 days to today): the
    # band is the one of the months before the period, as for `patina report --bands-from`.
    store = store_for(moved_museum)
    first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=45)
    store.write_lines(
        [
            climate_line(
                Reading(
                    "s1",
                    int((first + timedelta(minutes=20 * k)).timestamp()) * 10**9,
                    21.0,
                    17.0 + (k % 9) / 2,
                ),
                "hanoi",
                "C1",
            )
            for k in range(12 * 72)
        ]
    )
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/report.py").run()
    next(box for box in app.selectbox if box.label == "Case").select("C2").run()
    app.toggle[0].set_value(True).run()
    assert not app.exception, app.exception
    source = next(box for box in app.selectbox if box.label == "RH band from")
    assert source.value is None, "by default the band is typed in"
    source.select("DBP-1").run()
    assert not app.exception, app.exception

    # The same band as `patina report --bands-from DBP-1` over the same period.
    zone = moved_museum.zone
    today = datetime.now(zone).date()
    start = datetime.combine(today - timedelta(days=30), day_time.min, tzinfo=zone).astimezone(UTC)
    loan, suitable = loan_bands_for(moved_museum, store, "DBP-1", start)
    assert suitable.basis == "history", "its dry history, not only its materials"
    english = Translator("en")
    fields = {box.label: box for box in app.text_input}
    target, tolerance = fields[english("print.rh_target")], fields[english("print.rh_tolerance")]
    assert (target.value, tolerance.value) == (
        english.input_value(loan.rh_target_pct, 0),
        english.input_value(loan.rh_tolerance_pct, 1),
    )
    assert target.disabled and tolerance.disabled
    assert any(str(c.value).startswith("RH band from Excavated bayonet: ") for c in app.caption)
    app.button[0].click().run()
    assert not app.exception, app.exception
    page = "".join(str(h.proto.body) for h in app.get("html"))
    n = Translator("en").number
    assert f"RH {n(loan.rh_target_pct, 0)} ± {n(loan.rh_tolerance_pct, 0)} %" in page


NAMED = SMALL_MUSEUM.replace(
    'name = "Excavated bayonet"',
    # Doubled braces: the fixture formats the text.
    'name = {{ vi = "Lưỡi lê khai quật", en = "Excavated bayonet", fr = "Baïonnette de fouille" }}',
)


def test_an_object_that_arrived_by_passport_is_named_in_the_readers_language(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    mosquitto: MosquittoServer,
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from museum.loans.moves import artefact_info
    from museum.loans.passport import export_passport, import_passport
    from tests.test_passport import BORROWER

    lender, borrower = make_config(NAMED), make_config(BORROWER)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    store = store_for(lender)
    store.create_database()
    store.write_lines(
        [
            climate_line(
                Reading("s1", int((now - timedelta(minutes=10 * k)).timestamp()) * 10**9, 21.0, 20.0),
                "hanoi",
                "C1",
            )
            for k in range(1, 30)
        ]
    )
    passport = tmp_path / "DBP-1.zip"
    export_passport(lender, store, "DBP-1", passport, now - timedelta(days=1), now - timedelta(minutes=5))
    names = json.loads(zipfile.ZipFile(passport).read("artefact.json"))["names"]
    assert names == {"vi": "Lưỡi lê khai quật", "en": "Excavated bayonet", "fr": "Baïonnette de fouille"}
    # It arrived a minute ago: the borrower's pages place it in K1 now.
    import_passport(
        borrower,
        store_for(borrower),
        passport,
        "K1",
        user="Claire",
        note="Exposition",
        at=now - timedelta(minutes=1),
    )
    info = artefact_info(borrower, store_for(borrower), "DBP-1")
    assert (str(info.name), info.name.get("vi")) == ("Baïonnette de fouille", "Lưỡi lê khai quật")

    assert borrower.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(borrower.path))
    monkeypatch.setenv("PATINA_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", borrower.influxdb.database)
    for language, title, lent, kinds in (
        (
            "fr",
            "DBP-1 : Baïonnette de fouille",
            "prêté par Test museum",
            ["au début du passeport", "arrivée (prêt)"],
        ),
        (
            "vi",
            "DBP-1: Lưỡi lê khai quật",
            "được Test museum cho mượn",
            ["lúc bắt đầu hộ chiếu", "đến nơi (cho mượn)"],
        ),
        (
            "en",
            "DBP-1: Excavated bayonet",
            "on loan from Test museum",
            ["at the start of the passport", "arrival (loan)"],
        ),
    ):
        app = AppTest.from_file(APP, default_timeout=60)
        app.query_params["artefact"] = "DBP-1"
        app.query_params["lang"] = language
        app.switch_page("views/artefact.py").run()
        assert not app.exception, app.exception
        assert [str(x.value) for x in app.title] == [title]
        # The lender's object, not one of the borrower's: lent, with the lender's moves only.
        assert lent in str(app.caption[0].value)
        assert app.table[1].value.iloc[:, 1].tolist() == kinds
    case = AppTest.from_file(APP, default_timeout=60)
    case.query_params["case"] = "K1"
    case.switch_page("views/case.py").run()
    assert not case.exception, case.exception
    assert link("Baïonnette de fouille", "DBP-1", "fr") in everything(case)


def test_an_object_on_loan_leaves_its_case_and_its_page_says_where_it_is(
    moved_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from museum.loans.moves import Departure, record_departure

    record_departure(
        moved_museum,
        store_for(moved_museum),
        "DBP-1",
        Departure("Musée de l'Armée", "Lan", "Prêt pour l'exposition Indochine"),
    )
    for language, says, kind in (
        ("en", "On loan to **Musée de l'Armée** since ", "departure (loan)"),
        ("fr", "Prêté à **Musée de l'Armée** depuis le ", "départ (prêt)"),
        ("vi", "Đang cho **Musée de l'Armée** mượn từ ", "rời đi (cho mượn)"),
    ):
        app = AppTest.from_file(APP, default_timeout=60)
        app.query_params["artefact"] = "DBP-1"
        app.query_params["lang"] = language
        app.switch_page("views/artefact.py").run()
        assert not app.exception, app.exception
        assert any(str(m.value).startswith(says) for m in app.markdown), language
        where = app.table[1].value
        assert where.iloc[-1].tolist()[1:4] == [kind, "Musée de l'Armée", "—"]
    case = AppTest.from_file(APP, default_timeout=60)
    case.query_params["case"] = "C2"
    case.switch_page("views/case.py").run()
    assert "DBP-1" not in everything(case) and link("Rifle", "R-1", "en") in everything(case)
    # Back home (as `patina passport import` records it): a return, in its case again.
    record_move(
        moved_museum,
        store_for(moved_museum),
        "DBP-1",
        "C1",
        user="Lan",
        note="Back from Paris",
        kind="arrival",
    )
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.switch_page("views/artefact.py").run()
    assert app.table[1].value["Event"].tolist()[-2:] == ["departure (loan)", "return (loan)"]
    assert any(str(m.value).startswith("Now in case **C1**") for m in app.markdown)


def test_the_artefact_charts_speak_the_readers_language(moved_museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["artefact"] = "DBP-1"
    app.query_params["lang"] = "vi"
    app.switch_page("views/artefact.py").run()
    assert not app.exception, app.exception
    specs = [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert len(specs) == 2
    for spec in specs:
        locale = spec["config"]["locale"]
        assert (locale["number"]["decimal"], locale["time"]["months"][11]) == (",", "Tháng 12")
        text = json.dumps(spec, ensure_ascii=False)
        # Day-first ticks, Vietnamese tooltips (hour first), one decimal with the comma.
        assert '"format": "%d/%m"' in text and '"format": "%H:%M %d/%m/%Y"' in text
        assert '"format": ",.1f"' in text and '"title": "Giờ Hà Nội (UTC+7)"' in text
        # One line per stay in a place: C1's line is not drawn across its stay in C2.
        assert '"detail": {"field": "stay"' in text
