"""The package's rooms and the one-way flow between them (docs/ARCHITECTURE.md).

Every import of every module counts: at module level, inside a function, and under
``TYPE_CHECKING`` (a type-only import still couples the two modules for a reader).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "nicsim"

# The rooms, lowest first: a module may import its own room and the rooms below it. The
# two models sit side by side and never import each other. The package's root is the public
# API, above every room; nothing inside imports it.
LAYERS = {"core": 0, "nic": 1, "march": 1, "lab": 2, "analysis": 3, "ui": 4, "": 5}


def module_name(path: Path) -> str:
    parts = ["nicsim", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The nicsim modules that the module at ``path`` imports (``from x import y`` counts as
    importing ``x.y`` when that is a module, else ``x``)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                for alias in node.names
            ]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def import_graph() -> nx.DiGraph:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for path in paths:
        graph.add_edges_from((module_name(path), target) for target in imports_of(path, modules))
    return graph


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_lives_in_a_room():
    assert {room(m) for m in import_graph()} <= set(LAYERS)


def test_no_module_imports_a_room_above_its_own_or_the_other_model():
    wrong = [
        f"{a} imports {b}"
        for a, b in import_graph().edges
        if LAYERS[room(b)] > LAYERS[room(a)]
        or (room(a) != room(b) and LAYERS[room(b)] == LAYERS[room(a)])
    ]
    assert not wrong, "upward or sideways imports:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert not cycles, f"modules importing each other in a circle: {cycles}"


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path, monkeypatch):
    """The checks above can fail: a model module that imports the store, and two modules
    that import each other, are both found."""
    for room_name in ("nic", "lab"):
        (tmp_path / room_name).mkdir()
        (tmp_path / room_name / "__init__.py").write_text("")
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "lab" / "store.py").write_text("")
    (tmp_path / "nic" / "model.py").write_text("from ..lab import store\nfrom . import agents\n")
    (tmp_path / "nic" / "agents.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .model import Model\n"
    )
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    graph = import_graph()
    assert graph.has_edge("nicsim.nic.model", "nicsim.lab.store")
    assert {"nicsim.nic.model", "nicsim.nic.agents"} in [
        c for c in nx.strongly_connected_components(graph) if len(c) > 1
    ]
