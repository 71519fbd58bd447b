"""Private Mosquitto and InfluxDB processes for the whole test session, and how the tests
are shared between pytest-xdist's workers.

The services run from deploy/'s configs on free loopback ports in temporary directories,
never the machine's own services, so tests can stop, restart and break them. Under xdist
(pyproject's ``addopts``: ``-n 3``) each worker is a session of its own, with its own
services.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from museum.description.config import MuseumConfig, load_config
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import ScenarioRun, run_scenario

REPO_DIR = Path(__file__).resolve().parent.parent
_counter = itertools.count()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    server = MosquittoServer(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    server = InfluxServer(tmp_path_factory.mktemp("influxdb"))
    server.start()
    yield server
    server.stop()


SMALL_MUSEUM = """
[museum]
name = "Test museum"
timezone = "Asia/Ho_Chi_Minh"
language = "en"

[mqtt]
url = "mqtt://127.0.0.1:1"
client_id = "{client_id}"

[influxdb]
url = "http://127.0.0.1:1"
database = "{database}"

[collector]
spool_path = "{spool}"

[[sources]]
topic = "patina/+/+/climate"
format = "patina"

[[sites]]
id = "hanoi"
name = "Hà Nội"

[[cases]]
id = "C1"
site = "hanoi"
gallery = "Gallery 1"
name = "Excavated iron"
sensors = ["s1", "s2"]

  [[cases.artefacts]]
  id = "DBP-1"
  name = "Excavated bayonet"
  materials = ["archaeological_iron"]

[[cases]]
id = "C2"
site = "hanoi"
gallery = "Gallery 2"
name = "Rifles"
sensors = ["s3"]

  [[cases.artefacts]]
  id = "R-1"
  name = "Rifle"
  materials = ["iron_steel", "wood"]
"""


def _unique(prefix: str) -> str:
    return f"{prefix}_{next(_counter)}"


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    return _unique


def config_maker(
    folder: Path, mosquitto: MosquittoServer, influxdb: InfluxServer
) -> Callable[..., MuseumConfig]:
    """Makes configs on the private services, each with a database of its own, written in
    ``folder``. The file's URLs are dead on purpose: the services are reached through the
    PATINA_* overrides, as in production."""

    def make(
        text: str = SMALL_MUSEUM, database: str | None = None, environ: dict[str, str] | None = None
    ) -> MuseumConfig:
        path = write_config(folder, _unique, text, database)
        return load_config(path, environ={**service_environment(mosquitto, influxdb), **(environ or {})})

    return make


@pytest.fixture
def make_config(
    tmp_path: Path, mosquitto: MosquittoServer, influxdb: InfluxServer
) -> Callable[..., MuseumConfig]:
    """A config on the private services with a database of its own (:func:`config_maker`)."""
    return config_maker(tmp_path, mosquitto, influxdb)


@pytest.fixture(scope="session")
def scenario_run(
    tmp_path_factory: pytest.TempPathFactory, mosquitto: MosquittoServer, influxdb: InfluxServer
) -> Callable[[str], ScenarioRun]:
    """A shipped scenario through the real broker, collector and InfluxDB, run once per test
    session (per xdist worker) however many tests read it: tests/test_scenarios.py checks
    its alerts, tests/test_diagnose_command.py diagnoses the wet-season run from the same
    database. Under xdist a session is one worker's: :data:`SCENARIO_READERS` sends the
    tests that read a scenario's run to the worker that runs it."""
    folder = tmp_path_factory.mktemp("scenarios")
    runs: dict[str, ScenarioRun] = {}

    def run(name: str) -> ScenarioRun:
        if name not in runs:
            runs[name] = run_scenario(name, config_maker(folder, mosquitto, influxdb))
        return runs[name]

    return run


@pytest.fixture
def offline_config(tmp_path: Path, unique_name: Callable[[str], str]) -> Callable[..., MuseumConfig]:
    """The config :func:`make_config` writes, with its URLs left dead and no service started:
    for tests of logic that never reaches the broker or the database (the alert engine)."""

    def make(text: str = SMALL_MUSEUM, database: str | None = None) -> MuseumConfig:
        return load_config(write_config(tmp_path, unique_name, text, database), environ={})

    return make


def write_config(folder: Path, unique_name: Callable[[str], str], text: str, database: str | None) -> Path:
    """``text`` (a template of a museum.toml) written with fresh names for the collector, the
    database and the spool."""
    path = folder / f"{unique_name('museum')}.toml"
    path.write_text(
        textwrap.dedent(text).format(
            client_id=unique_name("collector"),
            database=database or unique_name("db"),
            spool=f"{unique_name('spool')}.sqlite3",
        )
    )
    return path


def service_environment(mosquitto: MosquittoServer, influxdb: InfluxServer) -> dict[str, str]:
    return {"PATINA_MQTT_URL": mosquitto.url, "PATINA_INFLUX_URL": influxdb.url}


@pytest.fixture
def store_for() -> Iterator[Callable[[MuseumConfig], InfluxStore]]:
    stores: list[InfluxStore] = []

    def make(config: MuseumConfig) -> InfluxStore:
        store = open_store(config.influxdb)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def pytest_configure(config: pytest.Config) -> None:
    """Playwright's ``expect`` waits up to 30 s for what it expects (its default, 5 s, is
    short for a Streamlit rerun on a loaded machine): a wait, not a speed requirement."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        return
    expect.set_options(timeout=30_000)


# --- sharing the tests between the workers ----------------------------------------------------

#: Tests that read a scenario's run (the ``scenario_run`` fixture) besides that scenario's own
#: test in tests/test_scenarios.py, and the scenario they read.
SCENARIO_READERS = {
    "tests/test_diagnose_command.py::test_diagnose_ranks_cases_and_forecasts_the_drifting_case": (
        "wet-season-case-tightness"
    ),
    "tests/test_forecast_lifecycle.py::test_the_collector_resolves_it_once_the_gel_is_reconditioned": (
        "wet-season-gel-reconditioned"
    ),
}
_SCENARIO_TEST = re.compile(
    r"tests/test_scenarios\.py::test_each_scenario_raises_exactly_its_expected_alerts\[(?P<name>.+)\]"
)
#: Modules whose tests are handed out one by one rather than as a whole module: their tests
#: are long and share no module-scoped fixture.
SPLIT_MODULES = {"tests/test_scenarios.py"}
#: The modules that take longest (wall time, measured), longest first: they start first, so
#: that the workers end together on short tests instead of one waiting for the other.
LONG_FIRST = (
    # The two partner-museum modules last 80 and 50 s but mostly wait (on bridged brokers, a
    # cut, a back-fill): started first, their waits overlap the busy tests that follow.
    "tests/test_partners.py",
    "tests/test_scenarios.py",
    "tests/test_partner_backfill.py",
    "tests/test_forecast_alert.py",
    "tests/test_safe_outputs.py",
    "tests/test_dashboard.py",
    "tests/test_deployment.py",
    "tests/test_diagnose_command.py",
    # Its module fixture runs every forecast family: 112 s once, 15 s since the buildings are
    # simulated side by side (sensors_sim.building.sample_together).
    "tests/test_forecast.py",
    "tests/test_logger_layouts.py",
    "tests/test_languages_browser.py",
    "tests/test_diagnostics.py",
    "tests/test_artefact_page.py",
    "tests/test_light_pages.py",
    "tests/test_faults.py",
    "tests/test_calibration_dashboard.py",
    "tests/test_adapters.py",
    "tests/test_loggers.py",
    "tests/test_alerts.py",
    "tests/test_dashboard_diagnosis.py",
    "tests/test_mqtt.py",
    "tests/test_demo.py",
)
#: Within tests/test_scenarios.py, the scenarios that take longest (measured), longest first.
LONG_SCENARIOS_FIRST = (
    "wet-season-case-tightness",
    "wet-season-hvac-failure",
    "silent-sensor",
    "monsoon-incidents",
    "wet-season-gel-reconditioned",
)


def work_unit(nodeid: str) -> str:
    """What one worker runs in one go: a scenario's test with the tests that read its run, a
    test of :data:`SPLIT_MODULES` alone, else a whole module (module-scoped fixtures are then
    made once)."""
    module = nodeid.split("::", 1)[0]
    scenario = SCENARIO_READERS.get(nodeid)
    if scenario is None and (match := _SCENARIO_TEST.fullmatch(nodeid)):
        scenario = match["name"]
    if scenario is not None:
        return f"scenario {scenario}"
    return nodeid if module in SPLIT_MODULES else module


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest modules first (:data:`LONG_FIRST`); and no test reads a scenario's run unseen
    by :data:`SCENARIO_READERS` (under xdist it would run the scenario a second time)."""
    rank = {module: i for i, module in enumerate(LONG_FIRST)}
    scenario_rank = {name: i for i, name in enumerate(LONG_SCENARIOS_FIRST)}

    def order(item: pytest.Item) -> tuple[int, int]:
        match = _SCENARIO_TEST.fullmatch(item.nodeid)
        scenario = scenario_rank.get(match["name"], len(scenario_rank)) if match else 0
        return rank.get(item.nodeid.split("::", 1)[0], len(rank)), scenario

    items.sort(key=order)
    for item in items:
        uses_run = "scenario_run" in getattr(item, "fixturenames", ())
        if uses_run and not work_unit(item.nodeid).startswith("scenario "):
            raise pytest.UsageError(
                f"{item.nodeid} reads a scenario's run: name it in tests/conftest.py SCENARIO_READERS"
            )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` (pyproject's ``addopts``) hands out :func:`work_unit`s, in the
    order of the collection, one at a time to whichever worker is free. (xdist's own
    ``xdist_group`` marks do not group under pytest 9.2: pytest-xdist issue 1386.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    # In the collection's order (longest first), not xdist's default of largest unit first.
    config.option.loadscopereorder = False
    return WorkUnitScheduling(config, log)
