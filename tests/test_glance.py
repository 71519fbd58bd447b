"""A whole museum at a glance (issue 29): the floor plans of ``[[galleries]]``, the list of
what needs the reader first, cases compared, and what the alerts will do next; against a
real InfluxDB (Streamlit's AppTest) and in a real headless Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from museum.description.config import ConfigError, MuseumConfig
from museum.storage.schema import RiskPoint, risk_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer
from tests.conftest import REPO_DIR, SMALL_MUSEUM
from tests.helpers import sign_in, wait_until_drawn
from tests.test_dashboard import APP, CHROMIUM, SCREENSHOTS, launch_chromium, seed_readings, serve, texts

#: C1 on the left of Gallery 1's plan, C2 placed nowhere (Gallery 2 has no plan).
GALLERIES = """
[[galleries]]
id = "G1"
gallery = "Gallery 1"
plan = "plan-1.svg"
  [[galleries.cases]]
  case = "C1"
  x = 0.25
  y = 0.4
"""
PLAN_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400">'
    '<rect width="800" height="400" fill="#f3f1ea" stroke="#444" stroke-width="8"/></svg>'
)


def with_galleries(offline_config: Callable[..., MuseumConfig], extra: str) -> MuseumConfig:
    return offline_config(SMALL_MUSEUM + extra)


def test_galleries_place_cases_on_their_plans(offline_config: Callable[..., MuseumConfig]) -> None:
    config = with_galleries(offline_config, GALLERIES)
    (plan,) = config.floorplans
    assert plan.id == "G1" and plan.gallery == "Gallery 1"
    assert config.path is not None and plan.plan == config.path.parent / "plan-1.svg"
    position = plan.position("C1")
    assert position is not None and (position.x, position.y) == (0.25, 0.4)
    assert plan.position("C2") is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (GALLERIES.replace('"Gallery 1"', '"Gallery 9"'), "no case stands in gallery 'Gallery 9'"),
        (GALLERIES.replace('case = "C1"', 'case = "C9"'), "galleries[0].cases[0].case: unknown case 'C9'"),
        (GALLERIES.replace('case = "C1"', 'case = "C2"'), "case 'C2' stands in 'Gallery 2', not here"),
        (GALLERIES.replace("x = 0.25", "x = 1.5"), "galleries[0].cases[0].x: 1.5 is not between 0 and 1"),
        (GALLERIES + GALLERIES.replace('"G1"', '"G2"'), "case 'C1' is already placed on 'G1'"),
    ],
)
def test_a_wrong_gallery_is_refused_naming_its_key(
    offline_config: Callable[..., MuseumConfig], extra: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        with_galleries(offline_config, extra)


def test_the_example_museum_has_plans_for_its_galleries() -> None:
    from museum.description.config import load_config

    config = load_config(REPO_DIR / "museum.example.toml", environ={})
    assert [g.id for g in config.floorplans] == ["G1", "G2", "G3"]
    for gallery in config.floorplans:
        assert gallery.plan is not None and gallery.plan.exists(), gallery.plan
        cases = {c.id for c in config.cases if c.gallery == gallery.gallery}
        assert {p.case for p in gallery.positions} <= cases


def risk_now(case_id: str, artefact_id: str, level: int, since_s_ago: float, rh_pct: float) -> str:
    now_ns = time.time_ns()
    return risk_line(
        RiskPoint(
            now_ns,
            site="hanoi",
            case_id=case_id,
            artefact_id=artefact_id,
            material="archaeological_iron",
            score=40.0 + 20 * level,
            level=level,
            driver="rh_high",
            components={"since_s": now_ns / 1e9 - since_s_ago, "rh_pct": rh_pct, "limit_pct": 25.0},
        )
    )


@pytest.fixture
def glance_museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> MuseumConfig:
    """The small museum (C1's bayonet at risk for 3 h, C2 silent) with Gallery 1's plan."""
    (tmp_path / "plan-1.svg").write_text(PLAN_SVG)
    config = make_config(SMALL_MUSEUM + GALLERIES)
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config


def html_of(app: AppTest) -> str:
    return "\n".join(str(element.proto.body) for element in app.get("html"))


def test_the_overview_lists_what_needs_the_reader_first_worst_first(glance_museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception, app.exception
    assert "What needs you first" in texts(app, "subheader")
    page = html_of(app)
    # Worst first: C1's bayonet at risk (30 % against 25 %), then C2, whose sensor is silent.
    assert page.index('data-case="C1"') < page.index('data-case="C2"')
    assert '<a href="case?case=C1&amp;lang=en">C1</a>' in page
    assert 'data-label="RH">30 %</td><td data-label="Limit">25 %</td>' in page and "at risk" in page
    assert "check first the silica gel" in page  # what to do, for RH above the limit
    assert "A sensor of the case is silent" in page


def test_above_24_cases_the_galleries_are_closed_and_open_one_at_a_time(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = "".join(
        f'\n[[cases]]\nid = "X{n:02d}"\nsite = "hanoi"\ngallery = "Gallery 3"\nsensors = ["x{n:02d}"]\n'
        for n in range(30)
    )
    config = make_config(SMALL_MUSEUM + extra)
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception, app.exception
    labels = [str(e.label) for e in app.expander]
    closed = "Gallery 3 — cases: 30 · needing attention: 0 · silent: 30"
    assert any(label.startswith(closed) for label in labels), labels
    assert not [m for m in texts(app, "markdown") if "**X00**" in m], "a closed gallery draws no tile"
    # 32 rows need the reader (C1 at risk, 31 silent cases): the first 25, then all on demand.
    assert html_of(app).count("<tr data-case=") == 25
    app.toggle(key="needs_show_all").set_value(True).run()
    assert html_of(app).count("<tr data-case=") == 32


def test_the_alerts_page_says_when_an_alert_will_open_and_to_whom(
    glance_museum: MuseumConfig, store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    # C1's bayonet turned critical 2 minutes ago: with the default min_duration its alert waits.
    store_for(glance_museum).write_lines([risk_now("C1", "DBP-1", 3, 120, 31.0)])
    for language, expected in (
        ("en", "C1: Excavated bayonet is critical. If it lasts, its alert opens at"),
        ("fr", "C1 : Excavated bayonet est au niveau « critique »"),
    ):
        app = AppTest.from_file(APP, default_timeout=30)
        app.query_params["lang"] = language
        app.switch_page("views/alerts.py").run()
        assert not app.exception, app.exception
        said = "\n".join(texts(app, "markdown")).replace("\\", "")
        assert expected in said, said
    assert glance_museum.alerts.min_duration_s > 120
    assert "sent on MQTT" in said.replace("envoyée sur MQTT", "sent on MQTT")


def test_the_comparison_draws_a_case_against_its_gallery_air(glance_museum: MuseumConfig) -> None:
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["case"] = ["C1", "C2"]
    app.switch_page("views/compare.py").run()
    assert not app.exception, app.exception
    assert texts(app, "title") == ["Cases compared"]
    assert app.get("vega_lite_chart"), "a chart is drawn"
    summary = app.table[0].value
    assert list(summary["Series"]) == ["C1 · Excavated iron", "C2 · Rifles"]
    # C1: s1 at 58 % and s2 at 60 % all day: its line is their mean.
    assert summary["Mean"].iloc[0] == "59.0 %"


@pytest.fixture
def served(glance_museum: MuseumConfig) -> Iterator[str]:
    assert glance_museum.path is not None
    with serve(glance_museum.path) as url:
        yield url


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_floor_plan_draws_a_case_at_risk_in_its_colour_and_opens_it(served: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for language, title, heading in (
            ("vi", "Sơ đồ phòng trưng bày", "Tủ C1: Excavated iron"),
            ("fr", "Plan des salles", "Vitrine C1 : Excavated iron"),
        ):
            page.goto(f"{served}/floorplan?lang={language}")
            expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)
            marker = page.locator("a.patina-marker[data-case='C1']")
            expect(marker).to_be_visible(timeout=30_000)
            # At risk: orange, where the config puts it (25 % from the left, 40 % from the top).
            assert marker.get_attribute("data-level") == "risk"
            colour = marker.evaluate("m => getComputedStyle(m).backgroundColor")
            assert colour == "rgb(239, 108, 0)", colour
            plan = page.locator(".patina-plan img").bounding_box()
            box = marker.bounding_box()
            assert plan is not None and box is not None
            centre_x = (box["x"] + box["width"] / 2 - plan["x"]) / plan["width"]
            centre_y = (box["y"] + box["height"] / 2 - plan["y"]) / plan["height"]
            assert abs(centre_x - 0.25) < 0.01 and abs(centre_y - 0.4) < 0.01, (centre_x, centre_y)
            wait_until_drawn(page)
            page.screenshot(path=SCREENSHOTS / f"floorplan-{language}.png", full_page=True)
            marker.click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
        browser.close()


def test_cases_without_a_place_are_listed_beside_the_plan(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Gallery 2 has an entry but no plan: its case, silent, is listed with its level.
    (tmp_path / "plan-1.svg").write_text(PLAN_SVG)
    config = make_config(SMALL_MUSEUM + GALLERIES + '\n[[galleries]]\nid = "G2"\ngallery = "Gallery 2"\n')
    seed_readings(config, store_for(config))
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params["gallery"] = "G2"
    app.switch_page("views/floorplan.py").run()
    assert not app.exception, app.exception
    assert "Not on the plan" in texts(app, "subheader")
    assert any(w.startswith("The plan — cannot be read") for w in texts(app, "warning"))
    page = html_of(app)
    assert '<li data-case="C2" data-level="unknown">' in page and 'href="case?case=C2&amp;lang=en"' in page
    assert 'class="patina-marker"' not in page


# --- placing cases with the mouse (admin) ------------------------------------------------------


def museum_with_admin() -> str:
    from museum.description.users import hash_password
    from tests.test_dashboard import museum_with_users

    password_hash = hash_password("sơ đồ 29")
    admin = f'\n[[dashboard.users]]\nname = "mai"\nrole = "admin"\npassword_hash = "{password_hash}"\n'
    return museum_with_users() + admin + GALLERIES


@pytest.fixture
def placing_museum(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> tuple[MuseumConfig, InfluxStore]:
    (tmp_path / "plan-1.svg").write_text(PLAN_SVG)
    config = make_config(museum_with_admin())
    store = store_for(config)
    seed_readings(config, store)
    assert config.path is not None
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    return config, store


def test_a_placed_case_wins_over_the_config_and_its_toml_lines_load(
    placing_museum: tuple[MuseumConfig, InfluxStore], offline_config: Callable[..., MuseumConfig]
) -> None:
    from museum.storage.positions import place_case, read_placings, toml_lines, with_placings

    config, store = placing_museum
    assert read_placings(store) == {}  # no policy kept for ever yet: nothing placed
    place_case(store, "G1", "C1", 0.5, 0.5, "mai")
    place_case(store, "G1", "C1", 0.62, 0.74, "mai")  # the last placing stands
    placed = read_placings(store)
    assert (placed["C1"].x, placed["C1"].y, placed["C1"].user) == (0.62, 0.74, "mai")
    (gallery,) = config.floorplans
    moved = with_placings(gallery, {"C1"}, placed)
    assert moved.position("C1") == type(gallery.positions[0])("C1", 0.62, 0.74)
    assert with_placings(gallery, set(), placed).position("C1") == gallery.positions[0]  # moved away
    lines = toml_lines(moved, config.path.parent if config.path else None)
    assert 'plan = "plan-1.svg"' in lines and '{ case = "C1", x = 0.620, y = 0.740 }' in lines
    # (The test config is a format template: its braces doubled.)
    reloaded = offline_config(SMALL_MUSEUM + "\n" + lines.replace("{", "{{").replace("}", "}}") + "\n")
    assert reloaded.floorplans[0].position("C1") == moved.position("C1")
    # The page gives the admin these lines, and a conservator no placing control.
    app = AppTest.from_file(APP, default_timeout=30)
    app.session_state["user"] = ("mai", "admin")
    app.switch_page("views/floorplan.py").run()
    assert not app.exception, app.exception
    assert "Place cases on the plan" in texts(app, "subheader")
    assert any('{ case = "C1", x = 0.620, y = 0.740 }' in code.value for code in app.code)
    app = AppTest.from_file(APP, default_timeout=30)
    app.session_state["user"] = ("lan", "conservator")
    app.switch_page("views/floorplan.py").run()
    assert "Place cases on the plan" not in texts(app, "subheader") and not app.code


def marker_centre(page: Any) -> tuple[float, float]:
    """Where C1's marker stands on the drawn plan, as fractions of the image."""
    plan = page.locator(".patina-plan img").bounding_box()
    box = page.locator("a.patina-marker[data-case='C1']").bounding_box()
    assert plan is not None and box is not None
    return (
        (box["x"] + box["width"] / 2 - plan["x"]) / plan["width"],
        (box["y"] + box["height"] / 2 - plan["y"]) / plan["height"],
    )


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_an_admin_places_a_case_with_the_mouse_and_a_conservator_cannot(
    placing_museum: tuple[MuseumConfig, InfluxStore],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from museum.storage.positions import read_placings

    config, store = placing_museum
    assert config.path is not None
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/floorplan?lang=en")
        expect(page.locator("a.patina-marker[data-case='C1']")).to_be_visible(timeout=30_000)
        x, y = marker_centre(page)
        assert abs(x - 0.25) < 0.01 and abs(y - 0.4) < 0.01, (x, y)  # where the config puts it
        sign_in(page, "mai", "sơ đồ 29", "administrator")
        expect(page.get_by_role("heading", name="Place cases on the plan")).to_be_visible(timeout=30_000)
        canvas = page.locator("[data-testid='stVegaLiteChart'] canvas").first
        expect(canvas).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        box = canvas.bounding_box()
        assert box is not None
        # The admin chooses C1 (the first case) and clicks 60 % across and 70 % down the plan.
        canvas.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.7})
        expect(
            page.get_by_text("C1 placed at 0.60 from the left, 0.70 from the top of the plan.")
        ).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        x, y = marker_centre(page)
        assert abs(x - 0.6) < 0.015 and abs(y - 0.7) < 0.015, (x, y)
        page.screenshot(path=SCREENSHOTS / "floorplan-placed-en.png", full_page=True)
        # Stored with who placed it, it survives a reload (a new session, signed out).
        page.reload()
        expect(page.locator("a.patina-marker[data-case='C1']")).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        x, y = marker_centre(page)
        assert abs(x - 0.6) < 0.015 and abs(y - 0.7) < 0.015, (x, y)
        expect(page.get_by_role("heading", name="Place cases on the plan")).to_have_count(0)
        # A conservator sees the plan, not the placing control.
        sign_in(page, "lan", "gel bạc 2026", "conservator")
        wait_until_drawn(page)
        expect(page.locator("a.patina-marker[data-case='C1']")).to_be_visible()
        expect(page.get_by_role("heading", name="Place cases on the plan")).to_have_count(0)
        expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(0)
        browser.close()
    placed = read_placings(store)["C1"]
    assert (placed.gallery_id, placed.user) == ("G1", "mai")
    assert abs(placed.x - 0.6) < 0.011 and abs(placed.y - 0.7) < 0.011
