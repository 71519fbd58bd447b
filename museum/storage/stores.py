"""The store the config selects: the v1 HTTP API client (:mod:`museum.storage.store`) for
``[influxdb] api = "v1"``, the InfluxDB 2.x / Cloud backend (:mod:`museum.storage.store_v2`) for
``api = "v2"``.

The choice lives here rather than in :mod:`museum.storage.store` so that the arrows run one way:
``store_v2`` builds on ``store`` (it keeps its interface and its queries), and this module
knows both; ``store`` knows neither of the others.
"""

from __future__ import annotations

from museum.description.config import InfluxConfig
from museum.storage.store import InfluxStore


def open_store(config: InfluxConfig, timeout_s: float = 10.0) -> InfluxStore:
    """A client of the database ``config`` names, over the API it names."""
    if config.api == "v2":
        from museum.storage.store_v2 import Influx2Store  # influxdb-client is loaded only when used

        return Influx2Store(config.url, config.database, config.org or "", config.token or "", timeout_s)
    return InfluxStore(config.url, config.database, config.username, config.password, timeout_s)
