"""The Flux that the InfluxDB 2.x backend sends (the hourly task and the backfill), checked
by InfluxData's own Flux analyser (``@influxdata/flux-lsp-node``: the Flux parser and type
checker compiled to WebAssembly, from npm) for syntax, builtin signatures and types. No
InfluxDB 2.x can be installed on the test machines; this is what can be checked without one
(tests/test_store_contract.py runs the rest against a server when one is given)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from influxdb_client.client.tasks_api import TasksApi

from museum.storage.hourly import HOURLY_QUERY
from museum.storage.store_v2 import flux_string, hourly_flux

CHECK = """
const flux = require('@influxdata/flux-lsp-node');
const scripts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(scripts.map((s) => new flux.Flux(s).is_valid())));
"""


@pytest.fixture(scope="module")
def flux_checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed to run InfluxData's Flux analyser")
    folder = tmp_path_factory.mktemp("flux-lsp")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "@influxdata/flux-lsp-node@0.8"],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    (folder / "check.js").write_text(CHECK)
    return folder


def valid(checker: Path, scripts: list[str]) -> list[bool]:
    result = subprocess.run(
        ["node", "check.js"],
        cwd=checker,
        input=json.dumps(scripts),
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(result.stdout))


def test_the_hourly_task_and_backfill_are_valid_flux(flux_checker: Path) -> None:
    task = TasksApi._create_task(
        HOURLY_QUERY, hourly_flux("patina", "patina/patina_forever", "-2d"), "1h", None, "o"
    )
    backfill = hourly_flux(
        'bảo tàng "quân sự"',
        'bảo tàng "quân sự"/patina_forever',
        f"time(v: {flux_string('2026-01-01T00:00:00+00:00')})",
        f"time(v: {flux_string('2026-02-01T00:00:00+00:00')})",
    )
    assert valid(flux_checker, [task.flux, backfill]) == [True, True]


def test_the_checker_finds_mistakes(flux_checker: Path) -> None:
    script = hourly_flux("patina", "patina/patina_forever", "-2d")
    broken = [
        script.replace('timeSrc: "_start"', 'timeSource: "_start"'),  # no such parameter
        script.replace("r._field + suffix", "r._field + 1"),  # string + int
        script.replace("|> to(", "|> to_bucket("),  # no such function
    ]
    assert valid(flux_checker, broken) == [False, False, False]
