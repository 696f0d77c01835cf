"""The package's shape: no import circle anywhere in `core` (function-level imports included),
`core` never imports the dashboard, Streamlit or Plotly, argparse only in core/cli, and no
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


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_core():
    mods = modules()
    graph = {m: imports_of(p, set(mods)) - {m} for m, p in mods.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


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
