"""The static checks the code is held to, run as the developer runs them: ``ruff check``
and ``ruff format --check`` over the repository and ``mypy`` over the packages configured in pyproject.toml
(``[tool.mypy]``). Each fails with the tool's own report."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def ruff() -> str:
    # The environment's own ruff first (the version pyproject's extras installed).
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return found


def test_ruff_check_is_clean() -> None:
    result = run([ruff(), "check", "."])
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    """One style: ``ruff format`` was run once over the repository; a file it would change
    is named here (run ``ruff format FILE``)."""
    result = run([ruff(), "format", "--check", "."])
    assert result.returncode == 0, f"ruff format would reformat:\n{result.stdout}{result.stderr}"


def test_mypy_is_clean() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    result = run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
