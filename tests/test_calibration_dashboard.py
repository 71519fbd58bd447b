"""Calibration on the dashboard (issue 28, docs/calibration.md), against a real InfluxDB:
a conservator records a salt check on the case page, which then says the correction is
applied; a viewer gets no form; the data-quality page flags the sensor beyond its accuracy.
Streamlit's AppTest drives the pages; a real Chromium fills the form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from museum.description.config import MuseumConfig
from museum.storage.calibration import records_from
from museum.storage.store import InfluxStore
from patina.services import InfluxServer
from tests.helpers import sign_in, wait_until_drawn
from tests.test_dashboard import APP, SCREENSHOTS, launch_chromium, museum_with_users, seed_readings, serve


@pytest.fixture
def museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[MuseumConfig, InfluxStore]:
    config = make_config(museum_with_users())
    store = store_for(config)
    seed_readings(config, store)  # s1 at 58 % RH, s2 at 60 % over the last day
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config, store


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(element.value) for element in getattr(app, kind)]


def test_a_conservator_records_a_salt_check_on_the_case_page(
    museum: tuple[MuseumConfig, InfluxStore],
) -> None:
    _, store = museum
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/case.py").run()
    assert not app.exception
    assert "Only a conservator or an administrator records calibration checks." in texts(app, "caption")
    app.session_state["user"] = ("visitor", "viewer")
    app.run()
    assert not [b for b in app.button if b.label == "Record the check"]

    app.session_state["user"] = ("lan", "conservator")
    app.run()
    app.selectbox(key="calibration_sensor").select("s1")
    app.selectbox(key="calibration_source").select("NaCl")
    app.number_input(key="calibration_salt_t").set_value(25.0)
    app.number_input(key="calibration_measured").set_value(77.79)
    app.text_area(key="calibration_note").input("NaCl box, 24 h")
    next(b for b in app.button if b.label == "Record the check").click().run()
    assert not app.exception
    (record,) = records_from(store.calibration_log())
    assert (record.sensor_id, record.quantity, record.reference, record.measured, record.user) == (
        "s1",
        "rh",
        75.29,
        77.79,
        "lan",
    )
    assert any(f"Recorded calibration check {record.record_id}" in s for s in texts(app, "success"))

    # 77.79 against 75.29 is 2.50 % RH high: beyond the default ±2 % RH, flagged.
    quality = AppTest.from_file(APP, default_timeout=60)
    quality.switch_page("views/quality.py").run()
    assert not quality.exception
    assert "Sensors beyond their stated accuracy at their last check" in texts(quality, "subheader")
    flagged = quality.dataframe[-1].value
    assert list(flagged["Sensor"]) == ["s1"] and list(flagged["beyond stated accuracy"]) == ["±2.0 % RH"]


def test_the_case_page_says_which_correction_applies_and_draws_corrected_figures(
    museum: tuple[MuseumConfig, InfluxStore],
) -> None:
    from datetime import UTC, datetime, timedelta

    from museum.storage.calibration import NewCheck, record_check

    _, store = museum
    day_ago = datetime.now(UTC) - timedelta(days=2)
    record = record_check(
        store, NewCheck("s1", "rh", day_ago, 55.0, 58.0, "lan", "", "Rotronic HP32"), ["s1", "s2"]
    )
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("views/case.py").run()
    assert not app.exception
    (note,) = [i for i in texts(app, "info") if "Calibration corrections applied" in i]
    assert "s1 RH read +3.00 % RH off" in note and record.record_id in note and "Rotronic HP32" in note
    # s1 measured 58 % and s2 60 %: corrected, the case's highest RH is s2's 60 %, lowest s1's 55 %.
    stats = app.table[0].value
    rh_row = stats[stats[""].str.startswith("Relative humidity")].iloc[0]
    assert rh_row["Minimum"] == "55.0 %" and rh_row["Maximum"] == "60.0 %"


def test_the_form_in_a_real_browser(museum: tuple[MuseumConfig, InfluxStore]) -> None:
    from playwright.sync_api import expect, sync_playwright

    config, store = museum
    assert config.path is not None
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/case?case=C1")
        sign_in(page, "lan", "gel bạc 2026", "conservator")
        if not page.get_by_role("button", name="Record the check").is_visible():
            page.get_by_text("Calibration checks of this case's sensors").click()
        # Typed, then as the field shows it once it has taken the value (numbers to 2 places).
        fields = {
            'input[aria-label="Reference value (with an instrument)"]': ("55", "55.00"),
            'input[aria-label="What the sensor read"]': ("58", "58.00"),
            'textarea[aria-label="Note (how, which instrument)"]': ("Rotronic HP32", "Rotronic HP32"),
        }
        for selector, (typed, _) in fields.items():
            page.locator(selector).fill(typed)
        for selector, (_, shown) in fields.items():
            expect(page.locator(selector)).to_have_value(shown)
        page.get_by_role("button", name="Record the check").click()
        problems = page.locator('[data-testid="stAlertContentError"]')
        expect(page.get_by_text("Recorded calibration check").or_(problems)).to_be_visible(timeout=60_000)
        assert problems.count() == 0, problems.all_inner_texts()
        wait_until_drawn(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "calibration-recorded.png", full_page=True)
        browser.close()
    (record,) = records_from(store.calibration_log())
    assert (record.reference, record.measured, record.note, record.user) == (
        55.0,
        58.0,
        "Rotronic HP32",
        "lan",
    )


def test_a_conservator_withdraws_a_check_on_the_case_page(museum: tuple[MuseumConfig, InfluxStore]) -> None:
    from datetime import UTC, datetime, timedelta

    from museum.storage.calibration import NewCheck, record_check

    _, store = museum
    when = datetime.now(UTC) - timedelta(days=2)
    record = record_check(store, NewCheck("s1", "rh", when, 55.0, 58.0, "lan"), ["s1", "s2"])
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["user"] = ("lan", "conservator")
    app.switch_page("views/case.py").run()
    assert any("Calibration corrections applied" in i for i in texts(app, "info"))
    app.selectbox(key="withdraw_record").select(record.record_id)
    app.text_area(key="withdraw_note").input("the box held s2")
    next(b for b in app.button if b.label == "Withdraw the check").click().run()
    assert not app.exception
    assert any(f"Withdrew check {record.record_id} of s1" in s for s in texts(app, "success"))
    (stored,) = records_from(store.calibration_log())
    assert (stored.withdrawn_by, stored.withdrawal_note) == ("lan", "the box held s2")
    # The page's figures are as measured again, and no longer say a correction applies.
    assert not any("Calibration corrections applied" in i for i in texts(app, "info"))


#: The form's words in the two other languages (museum/language/locales), as the browser shows them.
FORM_WORDS = {
    "vi": ("Tiếng Việt", "Các lần kiểm tra hiệu chuẩn cảm biến của tủ này", "Ghi lần kiểm tra"),
    "fr": (
        "Français",
        "Vérifications d'étalonnage des capteurs de cette vitrine",
        "Enregistrer la vérification",
    ),
}


def test_the_form_in_vietnamese_and_french(museum: tuple[MuseumConfig, InfluxStore]) -> None:
    """The case page's calibration part, a check recorded, for a conservator in vi and fr:
    screenshots (``PATINA_SCREENSHOT_DIR``) for a person to read, and no English left in it."""
    from datetime import UTC, datetime, timedelta

    from playwright.sync_api import expect, sync_playwright

    from museum.storage.calibration import NewCheck, record_check

    config, store = museum
    assert config.path is not None
    when = datetime.now(UTC) - timedelta(days=2)
    record_check(
        store,
        NewCheck(
            "s1", "rh", when, 75.29, 77.79, "lan", "NaCl box, 24 h", "salt NaCl at 25 °C (Greenspan 1977)"
        ),
        ["s1", "s2"],
    )
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/case?case=C1")
        sign_in(page, "lan", "gel bạc 2026", "conservator")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for language, (name, checks, submit) in FORM_WORDS.items():
            page.get_by_role("combobox").first.click()
            page.get_by_role("option", name=name).click()
            expander = page.get_by_text(checks)
            expect(expander).to_be_visible(timeout=30_000)
            form = page.locator('[data-testid="stForm"]').first
            if not form.is_visible():
                expander.click()
            expect(page.get_by_role("button", name=submit)).to_be_visible(timeout=30_000)
            wait_until_drawn(page)
            form.scroll_into_view_if_needed()
            page.screenshot(path=SCREENSHOTS / f"calibration-form-{language}.png", full_page=True)
            for english in (
                "Record the check",
                "Reference value",
                "What the sensor read",
                "reference instrument",
            ):
                expect(page.get_by_text(english)).to_have_count(0)
        browser.close()
