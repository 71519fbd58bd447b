"""Code a newcomer can read: no function over ``MAX_FUNCTION_LINES`` lines and no class over
``MAX_CLASS_LINES`` in Patina's packages (tests and benchmarks aside). A function that long
does several things; a class that long holds several responsibilities (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layers import ALLOWED, ROOT

MAX_FUNCTION_LINES = 100
MAX_CLASS_LINES = 400


def oversized(root: Path) -> list[str]:
    """Every function and class of the packages under ``root`` beyond its limit, with its
    length in lines (decorators excluded, docstring included)."""
    found: list[str] = []
    for package in ALLOWED:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    limit = MAX_FUNCTION_LINES
                elif isinstance(node, ast.ClassDef):
                    limit = MAX_CLASS_LINES
                else:
                    continue
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {lines} lines")
    return found


def test_no_function_or_class_is_too_long() -> None:
    assert oversized(ROOT) == []


def test_the_check_finds_a_long_function_and_a_long_class(tmp_path: Path) -> None:
    package = tmp_path / "analysis"
    package.mkdir()
    body = "\n".join(f"    x{k} = {k}" for k in range(MAX_FUNCTION_LINES))
    methods = "\n".join(
        f"    def m{k}(self) -> int:\n        return {k}\n" for k in range(MAX_CLASS_LINES // 3 + 2)
    )
    (package / "big.py").write_text(
        f"def short() -> None:\n    pass\n\n\ndef long() -> None:\n{body}\n\n\nclass Big:\n{methods}\n"
    )
    found = oversized(tmp_path)
    assert [entry.split(" ")[1] for entry in found] == ["long:", "Big:"]
    assert found[0] == f"analysis/big.py:5 long: {MAX_FUNCTION_LINES + 1} lines"
