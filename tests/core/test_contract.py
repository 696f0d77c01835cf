"""The model contract is asked, never probed, and used through objects:
- no hasattr, and no getattr with a default, on anything in core/ or dashboard/ (the capability flags of
  core.models.protocol answer what a model can do); the few probes left are on objects that are not models, each
  listed with why;
- outside core/forecast (the contract) and core/risk (its maths), no code reads a forecast's `joint` flag; a
  univariate model's portfolio numbers come from its forecast object (core.forecast.univariate) and what it cannot
  serve raises NotAvailable (core.workbench.capabilities)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: (file, first argument's source): probes of objects that are not models
ALLOWED = {
    ("core/cli/__init__.py", "args"),               # an argparse Namespace: does this sub-command take --json
    ("core/data/dates.py", "parsed.dt"),            # pandas' datetime accessor: a tz-aware column or not
}


def probes(source: str) -> list[tuple[int, str]]:
    """(line, first argument) of every hasattr(...) and three-argument getattr(...) call."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "hasattr" or (node.func.id == "getattr" and len(node.args) == 3)):
            out.append((node.lineno, ast.unparse(node.args[0])))
    return out


def test_the_scan_finds_a_probe():
    assert probes("if hasattr(model, 'factor_returns'): pass\nx = getattr(m, 'notes', ())\ny = getattr(m, 'a')") \
        == [(1, "model"), (2, "m")]


def test_no_view_or_layer_probes_a_model():
    found = []
    for top in ("core", "dashboard"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            found += [f"{rel}:{line} probes {arg}" for line, arg in probes(path.read_text()) if (rel, arg) not in ALLOWED]
    assert found == []


JOINT_ALLOWED = ("core/forecast/", "core/risk/")


def joint_reads(path: Path) -> list[int]:
    """Line numbers of `x.joint` and getattr(x, "joint", ...) in a source file."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "joint":
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "joint"):
            lines.append(node.lineno)
    return lines


def test_no_view_reads_the_joint_flag():
    sources = [p for folder in ("core", "dashboard") for p in sorted((ROOT / folder).rglob("*.py"))]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sources if not p.relative_to(ROOT).as_posix().startswith(JOINT_ALLOWED)
             for n in joint_reads(p)]
    assert not found, ("these read `.joint`; ask the forecast object instead (its distribution's portfolio methods, "
                       f"NotAvailable via core.workbench.capabilities): {found}")


def test_the_scan_sees_an_attribute_read(tmp_path):
    src = tmp_path / "view.py"
    src.write_text("def f(fc):\n    if not fc.joint:\n        return getattr(fc, 'joint')\n    return 'joint'\n")
    assert joint_reads(src) == [2, 3]
