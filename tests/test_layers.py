"""The layers of docs/architecture.md: imports point down, never sideways or up.

Every module of Patina's packages is parsed (not imported) and each `import` and
`from … import` naming one of our packages is checked against the table below, lazy
imports inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What each package may import of ours (itself always allowed).
ALLOWED: dict[str, set[str]] = {
    "patina": {"collector", "dashboard", "sensors_sim", "museum", "analysis"},
    "collector": {"museum", "analysis"},
    "dashboard": {"museum", "analysis"},
    "sensors_sim": {"museum", "analysis"},
    "museum": {"analysis"},
    "analysis": set(),
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return [(line, name) for line, name in found if name in ALLOWED]


def layer_violations(root: Path) -> list[str]:
    wrong: list[str] = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, name in imported_packages(path):
                if name != package and name not in allowed:
                    wrong.append(f"{path.relative_to(root)}:{line} imports {name}")
    return wrong


def test_imports_point_down() -> None:
    assert layer_violations(ROOT) == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "analysis" / "bad.py").write_text("def f():\n    from museum.config import x\n")
    (tmp_path / "collector" / "side.py").write_text("import dashboard.data\n")
    assert sorted(layer_violations(tmp_path)) == [
        "analysis/bad.py:2 imports museum",
        "collector/side.py:1 imports dashboard",
    ]
