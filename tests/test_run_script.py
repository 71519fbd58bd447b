"""`./run.sh demo` starts without the network once Patina is installed: a museum server
without internet must be able to restart the demo."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def installed_from_this_pyproject() -> bool:
    """Whether run.sh installed this checkout's .venv from the pyproject.toml it has now (the
    stamp holds its SHA-256): a changed pyproject.toml is installed again, which needs pip."""
    stamp = ROOT / ".venv" / "patina-installed"
    if not stamp.exists():
        return False
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return stamp.read_text().split()[-1:] == [digest]


@pytest.mark.skipif(
    not installed_from_this_pyproject(),
    reason="run.sh has not installed this pyproject.toml into this checkout's .venv",
)
def test_demo_restarts_with_pip_blocked() -> None:
    # An index on a closed port and no other source: any pip install would fail.
    env = {
        **os.environ,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
    }
    result = subprocess.run(
        [str(ROOT / "run.sh"), "demo", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Installing" not in result.stdout + result.stderr
    assert "Usage" in result.stdout
