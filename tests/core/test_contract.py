"""The model contract is asked, never probed: no hasattr, and no getattr with a default, on anything in core/ or
dashboard/ (the capability flags of core.models.protocol answer what a model can do). The few probes left are on
objects that are not models, each listed with why."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: (file, first argument's source): probes of objects that are not models
ALLOWED = {
    ("core/cli/__init__.py", "args"),               # an argparse Namespace: does this sub-command take --json
    ("core/runs.py", "_PROCESSES.get(run)"),        # a background training process that may have ended
    ("core/runs.py", "background"),
    ("dashboard/uploads.py", "_uploads().get(key)"),  # an upload that may be gone
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
