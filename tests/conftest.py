"""Private Mosquitto and InfluxDB processes for the whole test session.

They run from deploy/'s configs on free loopback ports in temporary directories, never
the machine's own services, so tests can stop, restart and break them.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from museum.description.config import MuseumConfig, load_config
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer

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


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}_{next(_counter)}"


@pytest.fixture
def make_config(
    tmp_path: Path, mosquitto: MosquittoServer, influxdb: InfluxServer, unique_name: Callable[[str], str]
) -> Callable[..., MuseumConfig]:
    """A config on the private services with a database of its own. The file's URLs are
    dead on purpose: the services are reached through the PATINA_* overrides, as in
    production."""

    def make(
        text: str = SMALL_MUSEUM, database: str | None = None, environ: dict[str, str] | None = None
    ) -> MuseumConfig:
        path = write_config(tmp_path, unique_name, text, database)
        return load_config(path, environ={**service_environment(mosquitto, influxdb), **(environ or {})})

    return make


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
