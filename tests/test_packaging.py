"""Packaging: the wheel carries the code, the dashboard, the metadata CSVs and the shipped models and no
test or benchmark tooling; every third-party library the code imports is declared in pyproject.toml, and
the shipped packages import no development-only library."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV_ONLY = {"playwright", "pytest", "hypothesis"}  # the dev extra: tests, benchmarks/ (browser_driver.py)
SHIPPED = ("core", "dashboard", "pretrained")


def declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}


def top_levels(path: Path) -> set[str]:
    """The top-level names a module imports, function-level imports included (relative imports left out)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def product_modules() -> list[Path]:
    return sorted(p for top in ("core", "dashboard") for p in (ROOT / top).rglob("*.py"))


def imported_top_levels() -> set[str]:
    return set().union(*map(top_levels, product_modules()))


def test_every_imported_library_is_declared():
    dists = packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing = []
    for top in sorted(imported_top_levels() - stdlib - set(SHIPPED)):
        names = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
        if not names & declared():
            missing.append(f"{top} (distribution {sorted(names)})")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert DEV_ONLY <= declared()


def test_the_product_imports_no_development_only_library():
    """playwright and the test libraries are a dev extra: the installed `neuralfactors` never imports them."""
    assert len(product_modules()) > 50
    bad = {str(p.relative_to(ROOT)): sorted(top_levels(p) & DEV_ONLY) for p in product_modules()}
    bad = {path: libs for path, libs in bad.items() if libs}
    assert not bad, f"shipped modules importing dev-only libraries (move that code to tests/ or benchmarks/): {bad}"


def test_the_tooling_does_not_import_the_tests():
    """benchmarks/ may be imported by tests/ (the browser tests drive Chromium with benchmarks/browser_driver.py),
    never the other way round."""
    tooling = sorted((ROOT / "benchmarks").rglob("*.py"))
    assert len(tooling) > 5
    bad = [str(p.relative_to(ROOT)) for p in tooling if "tests" in top_levels(p)]
    assert not bad, f"benchmark modules importing the test tree: {bad}"


@pytest.mark.slow
def test_wheel_ships_code_dashboard_and_models_without_tooling(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                             ".pytest_cache", ".hypothesis", "runs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("neuralfactors-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("core/cli/__init__.py", "core/workbench/sources.py", "core/data/metadata/sp500_20.csv",
                   "dashboard/app.py", "dashboard/app_pages/overview.py", "pretrained/__init__.py",
                   "pretrained/sp500-20/manifest.json", "pretrained/sp500-20/neuralfactors/weights.safetensors",
                   "pretrained/sp500-20/neuralfactors/forecasts.safetensors",
                   "pretrained/sp500-20/ppca/metrics.json"):
        assert needed in names, needed
    assert {n.split("/")[0] for n in names} == {*SHIPPED, "neuralfactors-0.1.0.dist-info"}
    tooling = [n for n in names if n.startswith(("tests/", "benchmarks/", "docs/", "core/bench/"))
               or Path(n).name in ("browser.py", "driver.py", "browser_driver.py", "screenshots.py", "bench.py")]
    assert not tooling, f"test or benchmark tooling in the wheel: {tooling}"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "neuralfactors = core.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
