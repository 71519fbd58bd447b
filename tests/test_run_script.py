"""`./run.sh demo` starts without the network once Patina is installed: a museum server
without internet must be able to restart the demo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (ROOT / ".venv" / "patina-installed").exists(),
                    reason="run.sh has not installed Patina into this checkout's .venv")
def test_demo_restarts_with_pip_blocked() -> None:
    # An index on a closed port and no other source: any pip install would fail.
    env = {**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": ""}
    result = subprocess.run([str(ROOT / "run.sh"), "demo", "--help"], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Installing" not in result.stdout + result.stderr
    assert "Usage" in result.stdout
