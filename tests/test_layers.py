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
    (tmp_path / "analysis" / "bad.py").write_text("def f():\n    from museum.description.config import x\n")
    (tmp_path / "collector" / "side.py").write_text("import dashboard.data\n")
    assert sorted(layer_violations(tmp_path)) == [
        "analysis/bad.py:2 imports museum",
        "collector/side.py:1 imports dashboard",
    ]


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``node`` sits under ``if TYPE_CHECKING:`` (read by type checkers only)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Which of our modules each of our modules imports, at the top or inside a function
    alike (a lazy import closes a circle as surely when it runs). Imports under
    ``if TYPE_CHECKING:`` are left out: they never run."""
    paths = {module_name(root, p): p for package in ALLOWED for p in (root / package).rglob("*.py")}

    def resolve(name: str) -> str | None:
        # ``from a.b import c`` names module a.b.c when it exists, else something in a.b.
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        targets: set[str | None] = set()
        for node in ast.walk(tree):
            if _in_type_checking(node, parents):
                continue
            if isinstance(node, ast.Import):
                targets.update(resolve(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets.update(resolve(f"{node.module}.{alias.name}") for alias in node.names)
        graph[name] = {target for target in targets if target and target != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of the graph: each strongly connected component of more than one
    module (Tarjan's algorithm), its members sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_no_import_cycles() -> None:
    assert import_cycles(import_graph(ROOT)) == []


def test_the_check_catches_a_cycle(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "patina" / "__init__.py").write_text("")
    (tmp_path / "patina" / "a.py").write_text("from patina.b import f\n")
    # A lazy import inside a function closes the circle too.
    (tmp_path / "patina" / "b.py").write_text("def f():\n    from patina import a\n")
    (tmp_path / "patina" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from patina.d import x\n"
    )
    (tmp_path / "patina" / "d.py").write_text("import patina.c\n")
    (tmp_path / "museum" / "one.py").write_text("import museum.two\n")
    (tmp_path / "museum" / "two.py").write_text("import museum.three\n")
    (tmp_path / "museum" / "three.py").write_text("from museum.one import g\n")
    assert import_cycles(import_graph(tmp_path)) == [
        ["museum.one", "museum.three", "museum.two"],
        ["patina.a", "patina.b"],
    ]


#: The rooms of museum/, bottom first: a room may import the rooms below it, never above.
#: Rooms on one floor (storage and broker) do not import each other.
MUSEUM_FLOORS: list[set[str]] = [
    {"language"},
    {"description"},
    {"storage", "broker"},
    {"assessment"},
    {"files"},
    {"loans"},
]


def museum_room_violations(root: Path) -> list[str]:
    floor_of = {room: level for level, rooms in enumerate(MUSEUM_FLOORS) for room in rooms}
    wrong: list[str] = []
    for name, targets in sorted(import_graph(root).items()):
        parts = name.split(".")
        if parts[0] != "museum" or len(parts) < 3:
            continue
        room = parts[1]
        for target in sorted(targets):
            target_parts = target.split(".")
            if target_parts[0] != "museum" or len(target_parts) < 2 or target_parts[1] == room:
                continue
            other = target_parts[1]
            if room not in floor_of or other not in floor_of:
                wrong.append(f"{name} imports {target}: a room not in MUSEUM_FLOORS")
            elif floor_of[other] >= floor_of[room]:
                wrong.append(f"{name} imports {target}, a room on its floor or above")
    return wrong


def test_museum_rooms_point_down() -> None:
    assert museum_room_violations(ROOT) == []


def test_every_museum_module_is_in_a_room() -> None:
    loose = [p.name for p in (ROOT / "museum").glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_the_room_check_catches_an_upward_import(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    for room in ("storage", "loans"):
        (tmp_path / "museum" / room).mkdir()
        (tmp_path / "museum" / room / "__init__.py").write_text("")
    (tmp_path / "museum" / "loans" / "moves.py").write_text("x = 1\n")
    (tmp_path / "museum" / "storage" / "store.py").write_text("from museum.loans.moves import x\n")
    assert museum_room_violations(tmp_path) == [
        "museum.storage.store imports museum.loans.moves, a room on its floor or above"
    ]
