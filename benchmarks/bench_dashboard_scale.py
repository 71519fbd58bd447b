"""Dashboard cost against museum size (issue 29): the same page, warm, in a museum of 200
cases divided by the same page in a museum of 4 cases, both with 30 days of one-minute
readings (a ratio measured in one run holds on a noisy machine), for the overview, the data
quality and the alerts pages; then every page's first load in a real headless Chromium at
200 cases, in a new browser profile and in one that has opened the dashboard before.
Prints figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_dashboard_scale.py [--days 30] [--keep DIR]
        [--profile] [--no-browser] [--screens DIR]
    .venv/bin/python benchmarks/bench_dashboard_scale.py --existing-config museum.toml [--browser-only]
        [--url http://127.0.0.1:8501] [--screens DIR]

A year (issue 29's size: 105 million readings) is ``--days 365 --keep DIR``: about 8 minutes
to load the first time, then reused (topped up to the present) by later runs.

The readings go to a private InfluxDB in bulk (line protocol, 50,000 lines a request) and
their hourly aggregates are computed as ``patina downsample`` does. Each case holds one
object; a few objects are at watch, risk or critical level (the collector's ``risk``
points), a few sensors are silent, and the critical cases have an open alert, so every page
has something to show. ``--keep DIR`` keeps the databases for a second run; ``--profile``
prints the Streamlit elements each page draws at each size; ``--screens DIR`` saves
screenshots of the floor plan, the "needs me first" list and the comparison in vi and fr.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.storage.lineprotocol import encode_point
from museum.storage.schema import AlertEvent, RiskPoint, alert_event_line, risk_line
from museum.storage.store import InfluxStore
from patina.services import InfluxServer

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "dashboard" / "app.py")
PAGES = {"overview": "views/overview.py", "data quality": "views/quality.py", "alerts": "views/alerts.py"}
SIZES = (4, 200)
#: Whether this Patina reads floor plans (so that the same bench measures the code before them).
HAS_PLANS = (REPO / "museum" / "description" / "config_galleries.py").exists()
CASES_PER_GALLERY = 20
SILENT_EVERY = 37  # every 37th case's sensor fell silent two hours ago


def level_of(number: int) -> int:
    """The level of case ``number``'s object: 1 in 23 critical, 2 in 23 at risk, 1 in 9 watch."""
    if number % 23 == 0:
        return 3
    if number % 23 in (1, 2):
        return 2
    return 1 if number % 9 == 5 else 0


def config_text(url: str, database: str, cases: int, plan: Path) -> str:
    lines = [
        '[museum]\nname = "Scale museum"\ntimezone = "Asia/Ho_Chi_Minh"\nlanguage = "en"',
        f'[influxdb]\nurl = "{url}"\ndatabase = "{database}"',
        '[[sites]]\nid = "hanoi"\nname = "Hà Nội"',
    ]
    for n in range(cases):
        gallery = n // CASES_PER_GALLERY + 1
        lines.append(
            f'[[cases]]\nid = "K{n:03d}"\nsite = "hanoi"\ngallery = "Gallery {gallery}"\n'
            f'name = "Case {n}"\nsensors = ["k{n:03d}-a"]\n'
            f'  [[cases.artefacts]]\n  id = "A{n:03d}"\n  name = "Iron object {n}"\n'
            '  materials = ["archaeological_iron"]'
        )
    # Gallery 1's plan: its cases in four rows of five, the last case left off the plan.
    placed = [
        f'  [[galleries.cases]]\n  case = "K{n:03d}"\n  x = {0.12 + 0.19 * (n % 5):.2f}\n'
        f"  y = {0.2 + 0.2 * (n // 5):.2f}"
        for n in range(min(cases, CASES_PER_GALLERY) - 1)
    ]
    if HAS_PLANS:
        lines.append(
            f'[[galleries]]\nid = "G1"\ngallery = "Gallery 1"\nplan = "{plan}"\n' + "\n".join(placed)
        )
    return "\n\n".join(lines) + "\n"


def plan_svg() -> str:
    """Gallery 1 drawn plainly: walls, a door, a grey outline per case place."""
    rects = "".join(
        f'<rect x="{(0.12 + 0.19 * c) * 1000 - 55:.0f}" y="{(0.2 + 0.2 * r) * 600 - 30:.0f}" '
        'width="110" height="60" rx="5" fill="#e4e1d8" stroke="#8a8578"/>'
        for r in range(4)
        for c in range(5)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="600" viewBox="0 0 1000 600">'
        '<rect x="20" y="20" width="960" height="560" fill="#f3f1ea" stroke="#444" stroke-width="8"/>'
        f'<rect x="440" y="572" width="120" height="16" fill="#fff"/>{rects}</svg>'
    )


def is_silent(number: int) -> bool:
    return number % SILENT_EVERY == SILENT_EVERY - 1


def load(store: InfluxStore, cases: int, first_s: int, end_s: int, silent_from_s: int) -> int:
    """One-minute readings per case from ``first_s`` to ``end_s``; a silent case's stop at
    ``silent_from_s``."""
    times = np.arange(first_s, end_s + 1, 60)
    hours = times / 3600.0
    written = 0
    for n in range(cases):
        rng = np.random.default_rng([n, first_s])
        keep = times < silent_from_s if is_silent(n) else np.ones(len(times), dtype=bool)
        temperature = 26 + 1.5 * np.sin(2 * np.pi * hours / 24)
        rh = 18 + 4 * level_of(n) + 3 * np.sin(2 * np.pi * hours / 24 + n) + rng.normal(0, 0.4, len(times))
        prefix = f"climate,case_id=K{n:03d},sensor_id=k{n:03d}-a,site=hanoi "
        body = [
            f"{prefix}temperature_c={t:.2f},rh_pct={r:.1f},battery_pct=80 {s}"
            for t, r, s in zip(
                temperature[keep].tolist(), rh[keep].tolist(), times[keep].tolist(), strict=True
            )
        ]
        for first in range(0, len(body), 50_000):
            store._request(
                "POST",
                "/write",
                params={"db": store.database, "precision": "s"},
                data="\n".join(body[first : first + 50_000]).encode(),
            )
        written += len(body)
    return written


def assessments(cases: int, now_ns: int) -> list[str]:
    """What the collector writes: each object's level, and an open alert for the critical."""
    lines = []
    for n in range(cases):
        level = level_of(n)
        lines.append(
            risk_line(
                RiskPoint(
                    now_ns,
                    site="hanoi",
                    case_id=f"K{n:03d}",
                    artefact_id=f"A{n:03d}",
                    material="archaeological_iron",
                    score=[5.0, 30.0, 60.0, 90.0][level],
                    level=level,
                    driver="rh_high",
                    components={
                        "since_s": now_ns / 1e9 - 3600 * (1 + n % 5),
                        "rh_pct": 18.0 + 4 * level,
                        "limit_pct": 15.0,
                    },
                )
            )
        )
        if level == 3:
            common = {"site": "hanoi", "case_id": f"K{n:03d}", "rule": "rh_high", "rule_key": "rh_high"}
            lines.append(
                alert_event_line(
                    AlertEvent(
                        now_ns - 3600 * 10**9,
                        alert_id=f"K{n:03d}.rh_high.1",
                        state="opened",
                        value=30.0,
                        threshold=15.0,
                        severity="critical",
                        **common,
                    )
                )
            )
    lines.append(
        encode_point("collector_stats", {"instance": "server-1"}, {"received": 1, "written": 1}, now_ns)
    )
    return lines


def prepare(server: InfluxServer, folder: Path, cases: int, days: float) -> Path:
    """The museum of ``cases`` cases, its database loaded unless kept from a previous run."""
    database = f"scale{cases}"
    store = InfluxStore(server.url, database, timeout_s=600)
    plan = folder / "gallery-1.svg"
    plan.write_text(plan_svg())
    config = folder / f"museum-{cases}.toml"
    config.write_text(config_text(server.url, database, cases, plan))
    marker = folder / f"loaded-{cases}"
    now_s = int(time.time()) // 60 * 60
    if not marker.exists():
        store.create_database()
        began = time.perf_counter()
        written = load(store, cases, now_s - int(days * 86400), now_s, now_s - 7200)
        store.ensure_downsampling()
        store.backfill_hourly(
            datetime.fromtimestamp(now_s - days * 86400 - 3600, UTC),
            datetime.fromtimestamp(now_s - 7200, UTC),
            timedelta(days=31),
        )
        print(
            f"  {cases} cases: {written:,} readings loaded and aggregated "
            f"in {time.perf_counter() - began:.0f} s"
        )
        marker.write_text(f"{written} {now_s} {now_s - 7200}")
    else:
        # A kept database: its readings go on to now (the silent sensors stay silent), as
        # the collector would have written them; the continuous query aggregates them.
        written, last_s, silent_from_s = (int(part) for part in marker.read_text().split())
        if now_s > last_s:
            written += load(store, cases, last_s + 60, now_s, silent_from_s)
            marker.write_text(f"{written} {now_s} {silent_from_s}")
    # The assessments are fresh at every run: the pages read the last two days of them.
    store.write_lines(assessments(cases, time.time_ns()))
    return config


def warm_seconds(config: Path, page: str, runs: int = 3) -> tuple[float, float]:
    """A page's first run (cold caches for this museum) and its median warm run, in AppTest."""
    from streamlit.testing.v1 import AppTest

    os.environ["PATINA_CONFIG"] = str(config)
    app = AppTest.from_file(APP, default_timeout=300)
    began = time.perf_counter()
    app.switch_page(page).run()
    cold = time.perf_counter() - began
    assert not app.exception, app.exception
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - began)
    return cold, statistics.median(times)


def server_times(configs: dict[int, Path]) -> None:
    print("server side (Streamlit AppTest: the page's script, its queries and figures), warm, median of 3:")
    print(f"  {'page':14} {'4 cases':>9} {'200 cases':>10} {'ratio':>6}")
    warm_seconds(configs[SIZES[0]], PAGES["overview"])  # imports, once for the process
    for name, page in PAGES.items():
        small = warm_seconds(configs[SIZES[0]], page)[1]
        large = warm_seconds(configs[SIZES[1]], page)[1]
        print(f"  {name:14} {small:8.3f}s {large:9.3f}s {large / small:6.2f}")
        figure(f"dashboard scale: {name}, server side warm, 200/4", large / small, "")


def element_counts(configs: dict[int, Path]) -> None:
    """What a page costs the browser grows with the Streamlit elements it sends: their count
    per page and museum, and the InfluxDB queries behind the overview at 200 cases."""
    from streamlit.testing.v1 import AppTest

    print("Streamlit elements per page (blocks and elements of the page's tree):")
    for name, page in PAGES.items():
        counts = []
        for cases in SIZES:
            os.environ["PATINA_CONFIG"] = str(configs[cases])
            app = AppTest.from_file(APP, default_timeout=300)
            app.switch_page(page).run()
            counts.append(sum(1 for _ in app._tree))
        print(f"  {name:14} {counts[0]:6d} at {SIZES[0]} cases {counts[1]:6d} at {SIZES[1]} cases")
        figure(f"dashboard scale: {name}, Streamlit elements, 200 cases", counts[1], "")


#: Each page: its address, its link in the sidebar and its title (English).
BROWSER_PAGES = {
    "overview": ("", "Overview", "Display cases"),
    "data quality": ("quality", "Data quality", "Data quality"),
    "alerts": ("alerts", "Alerts", "Alerts"),
}
AGAIN = 5


VIEWPORT = {"width": 1400, "height": 1000}


def tab_opener(browser: Any) -> Callable[[], Any]:
    """New tabs of ``browser``, each in a new, empty profile (Playwright's ``new_page``)."""
    return lambda: browser.new_page(viewport=VIEWPORT)


def load_seconds(new_tab: Callable[[], Any], url: str, drawn: Callable[[Any], None]) -> float:
    """A page in a new tab, from the request until Streamlit has drawn it (title shown, no
    element stale or running, charts drawn): the page's first load."""
    page = new_tab()
    began = time.perf_counter()
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=120_000)
    drawn(page)
    seconds = time.perf_counter() - began
    page.close()
    return seconds


def again_seconds(tab: Any, url: str, target: tuple[str, str, str], drawn: Callable[[Any], None]) -> float:
    """The page again, as a reader comes back to it: from the reports page, a click on its
    link in the sidebar until it is drawn (the browser has the app; the server's caches are
    warm)."""
    from playwright.sync_api import expect

    tab.goto(f"{url}/report")
    tab.get_by_role("heading", name="Printable report").wait_for(timeout=120_000)
    drawn(tab)
    began = time.perf_counter()
    tab.locator("[data-testid='stSidebarNav']").get_by_role("link", name=target[1], exact=True).click()
    expect(tab.get_by_role("heading", name=target[2], exact=True)).to_be_visible(timeout=120_000)
    drawn(tab)
    return time.perf_counter() - began


def browser_times(configs: dict[int, Path], screens: Path | None) -> None:
    """Each page in Chromium, both museums served at once: its first load (the server's
    caches cold for it), then the median of five comebacks (warm), the two sizes taking
    turns so that the machine's load falls on both; and the ratio."""
    sys.path.insert(0, str(REPO))
    from contextlib import ExitStack

    from playwright.sync_api import sync_playwright

    from tests.helpers import wait_until_drawn
    from tests.test_dashboard import launch_chromium, serve

    with ExitStack() as stack, sync_playwright() as playwright:
        urls = {cases: stack.enter_context(serve(config)) for cases, config in configs.items()}
        browser = launch_chromium(playwright)
        new_tab = tab_opener(browser)
        for url in urls.values():  # the server's first page loads its imports
            load_seconds(new_tab, f"{url}/report", wait_until_drawn)
        first = {
            (name, cases): load_seconds(new_tab, f"{urls[cases]}/{target[0]}", wait_until_drawn)
            for name, target in BROWSER_PAGES.items()
            for cases in SIZES
        }
        tabs = {cases: new_tab() for cases in SIZES}
        print(
            f"in Chromium (first: a new tab, request → drawn; "
            f"again: median of {AGAIN} comebacks by the sidebar):"
        )
        print(f"  {'page':14} {'first 4':>8} {'first 200':>10} {'again 4':>8} {'again 200':>10} {'ratio':>6}")
        for name, target in BROWSER_PAGES.items():
            times: dict[int, list[float]] = {cases: [] for cases in SIZES}
            for _ in range(AGAIN):
                for cases in SIZES:
                    times[cases].append(again_seconds(tabs[cases], urls[cases], target, wait_until_drawn))
            again = {cases: statistics.median(values) for cases, values in times.items()}
            ratio = again[SIZES[1]] / again[SIZES[0]]
            print(
                f"  {name:14} {first[name, SIZES[0]]:7.2f}s {first[name, SIZES[1]]:9.2f}s "
                f"{again[SIZES[0]]:7.2f}s {again[SIZES[1]]:9.2f}s {ratio:6.2f}"
            )
            figure(f"dashboard scale: {name}, first load in Chromium, 200 cases", first[name, SIZES[1]], "s")
            figure(f"dashboard scale: {name}, again in Chromium, 4 cases", again[SIZES[0]], "s")
            figure(f"dashboard scale: {name}, again in Chromium, 200 cases", again[SIZES[1]], "s")
            figure(f"dashboard scale: {name}, ratio 200/4 (again, Chromium)", ratio, "")
        if screens is not None:
            take_screens(browser, urls[SIZES[1]], screens, wait_until_drawn)
        browser.close()


def take_screens(browser: Any, url: str, folder: Path, drawn: Callable[[Any], None]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    for language in ("vi", "fr"):
        for name, path in (
            ("floorplan", "floorplan"),
            ("needs-me-first", ""),
            ("compare", "compare?case=K000&case=K023&case=K001"),
        ):
            separator = "&" if "?" in path else "?"
            page.goto(f"{url}/{path}{separator}lang={language}")
            drawn(page)
            page.wait_for_timeout(1500)  # the chart's and the plan's images
            page.screenshot(path=folder / f"{name}-200-{language}.png", full_page=name != "needs-me-first")
            print(f"  screenshot {folder / f'{name}-200-{language}.png'}")
    page.close()


def existing_first_loads(config_path: Path, screens: Path | None = None, url: str | None = None) -> None:
    """First loads in Chromium against a museum already loaded (``--existing-config``: the
    200 cases × a year this script builds with ``--days 365 --keep``, or a running demo with
    ``--url``): only reads, nothing written. Each page three times in a new tab: in a new,
    empty browser profile with the server's caches cold for the page ("cold"), then warm (a
    second reader), and in a browser that has opened the dashboard before ("returning": its
    cache holds Streamlit's scripts, as a conservator's own browser does)."""
    sys.path.insert(0, str(REPO))
    from contextlib import nullcontext

    from playwright.sync_api import sync_playwright

    from museum.description.config import load_config
    from tests.helpers import wait_until_drawn
    from tests.test_dashboard import CHROMIUM, CHROMIUM_FLAGS, launch_chromium, serve

    config = load_config(config_path)
    case = next((c for c in config.cases if c.artefacts), config.cases[0])
    pages = {
        "overview": "",
        "case, 24 h": f"case?case={case.id}",
        "case, 30 days": f"case?case={case.id}&range=30d",
        "artefact": f"artefact?artefact={case.artefacts[0].id}" if case.artefacts else "artefact",
        "compare": "compare?" + "&".join(f"case={c.id}" for c in config.cases[:3]),
        "data quality": "quality",
        "alerts": "alerts",
    }
    if [g for g in config.floorplans if not g.outdoor]:
        pages["floor plan"] = "floorplan"
    print(f"{config_path}: {len(config.cases)} cases, database {config.influxdb.database}")
    served = nullcontext(url) if url else serve(config_path)
    with served as url, sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = launch_chromium(playwright)
        returning = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_FLAGS, viewport=VIEWPORT
        )
        new_tab = tab_opener(browser)
        load_seconds(new_tab, f"{url}/report", wait_until_drawn)  # the server's imports, once
        load_seconds(returning.new_page, f"{url}/report", wait_until_drawn)  # the reader came before
        print(
            "in Chromium (a new tab, request → drawn; cold: an empty profile, the server's "
            "caches cold for the page; warm: the same again; returning: a profile that has "
            "opened the dashboard before):"
        )
        print(f"  {'page':14} {'cold':>8} {'warm':>8} {'returning':>10}")
        for name, path in pages.items():
            cold = load_seconds(new_tab, f"{url}/{path}", wait_until_drawn)
            warm = load_seconds(new_tab, f"{url}/{path}", wait_until_drawn)
            again = load_seconds(returning.new_page, f"{url}/{path}", wait_until_drawn)
            print(f"  {name:14} {cold:7.2f}s {warm:7.2f}s {again:9.2f}s")
            for kind, seconds in (("cold", cold), ("warm", warm), ("returning reader", again)):
                figure(f"dashboard, existing museum: {name}, first load in Chromium, {kind}", seconds, "s")
        if screens is not None:
            take_screens(browser, url, screens, wait_until_drawn)
        returning.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--screens", type=Path, default=None)
    parser.add_argument(
        "--existing-config",
        type=Path,
        default=None,
        help="measure first loads in Chromium against this museum's database (read only); builds nothing",
    )
    parser.add_argument(
        "--browser-only", action="store_true", help="with --existing-config: no AppTest figures"
    )
    parser.add_argument(
        "--url", default=None, help="with --existing-config: the museum's dashboard already running there"
    )
    args = parser.parse_args()
    if args.existing_config is not None:
        if not args.browser_only:
            print("server side (AppTest), cold and warm:")
            for name, page in PAGES.items():
                cold, warm = warm_seconds(args.existing_config, page, runs=1)
                print(f"  {name:14} {cold:7.2f}s {warm:7.2f}s")
        existing_first_loads(args.existing_config, args.screens, args.url)
        return
    directory = args.keep or Path(tempfile.mkdtemp(prefix="patina-bench-scale-"))
    directory.mkdir(parents=True, exist_ok=True)
    server = InfluxServer(directory / "influxdb")
    server.start()
    for name in ("PATINA_INFLUX_DB", "PATINA_INFLUX_URL"):
        os.environ.pop(name, None)  # each museum's file names its own database
    try:
        configs = {cases: prepare(server, directory, cases, args.days) for cases in SIZES}
        print(f"museums of {SIZES[0]} and {SIZES[1]} cases, {args.days:g} days of one-minute readings each")
        server_times(configs)
        if args.profile:
            element_counts(configs)
        if not args.no_browser:
            browser_times(configs, args.screens)
            existing_first_loads(configs[SIZES[1]])
    finally:
        server.stop()
        if args.keep is None:
            import shutil

            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
