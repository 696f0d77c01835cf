"""The package's shape: no import circle anywhere in `core` (function-level imports included), between
modules or between packages (core.training below core.models, ...), `core` never imports the dashboard, Streamlit or Plotly, argparse only in core/cli, and no
family-name checks outside the distribution module."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every core module `path` imports, anywhere in the file: `from a.b import c` counts as a.b.c
    when that is a module, else a.b."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                    for a in node.names}
    return {m for m in out if m in known}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as a list of nodes, or None (iterative DFS)."""
    colour = dict.fromkeys(graph, 0)
    for start in graph:
        if colour[start]:
            continue
        stack, path = [(start, iter(sorted(graph[start])))], [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                return path[path.index(child):] + [child]
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph folded onto packages: a module stands for its package (core.training.loop ->
    core.training; a package's __init__ for the package itself; a top-level module for itself), and
    package P depends on Q when one of P's modules imports one of Q's. Nested packages are folded onto
    their top-level package under core (core.models.neuralfactors -> core.models)."""
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    out: dict[str, set[str]] = {}
    for module, imported in graph.items():
        p = package(module)
        out.setdefault(p, set()).update(package(m) for m in imported if package(m) != p)
    return out


def core_graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports_of(p, set(mods)) - {m} for m, p in mods.items()}


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_graph_sees_a_cycle_the_module_graph_does_not():
    # core.training.parallel -> core.models.neuralfactors.model -> core.training.loop: no module cycle,
    # but core.training and core.models import each other (the tree before issue 21)
    modules_ = {"core.training.parallel": {"core.models.neuralfactors.model"},
                "core.models.neuralfactors.model": {"core.training.loop", "core.errors"},
                "core.training.loop": {"core.errors"}, "core.errors": set()}
    assert find_cycle(modules_) is None
    packages = package_graph(modules_)
    assert packages == {"core.training": {"core.models", "core.errors"}, "core.models": {"core.training", "core.errors"},
                        "core.errors": set()}
    assert find_cycle(packages) == ["core.training", "core.models", "core.training"]
    del modules_["core.training.parallel"]
    assert find_cycle(package_graph(modules_)) is None


def test_no_import_circle_in_core():
    graph = core_graph()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_import_circle_between_packages_of_core():
    packages = package_graph(core_graph())
    assert {"core.training", "core.models", "core.data", "core.forecast"} <= set(packages)
    assert find_cycle(packages) is None, " -> ".join(find_cycle(packages))


def test_core_stays_below_the_dashboard_and_argparse_stays_in_the_cli():
    for name, path in modules().items():
        text = path.read_text()
        assert not re.search(r"^\s*(import|from) (dashboard|streamlit|plotly)\b", text, re.M), name
        if not name.startswith("core.cli"):
            assert not re.search(r"^\s*import argparse|argparse\.", text, re.M), name


def test_no_family_name_checks_outside_the_distributions():
    for base in (CORE, ROOT / "dashboard"):
        for path in base.rglob("*.py"):
            if path != CORE / "forecast" / "distributions.py":
                assert "family ==" not in path.read_text() and "family !=" not in path.read_text(), path
