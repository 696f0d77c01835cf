"""The model contract is used through objects: outside core/forecast (the contract) and core/risk (its maths), no
code reads a forecast's `joint` flag; a univariate model's portfolio numbers come from its forecast object
(core.forecast.univariate) and what it cannot serve raises NotAvailable (core.workbench.capabilities)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("core/forecast/", "core/risk/")


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
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sources if not p.relative_to(ROOT).as_posix().startswith(ALLOWED)
             for n in joint_reads(p)]
    assert not found, ("these read `.joint`; ask the forecast object instead (its distribution's portfolio methods, "
                       f"NotAvailable via core.workbench.capabilities): {found}")


def test_the_scan_sees_an_attribute_read(tmp_path):
    src = tmp_path / "view.py"
    src.write_text("def f(fc):\n    if not fc.joint:\n        return getattr(fc, 'joint')\n    return 'joint'\n")
    assert joint_reads(src) == [2, 3]
