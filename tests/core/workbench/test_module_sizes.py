"""The workbench stays one small module per question a PM asks (issue 21: none over 250 lines)."""
from pathlib import Path

import core.workbench

LIMIT = 250


def test_no_workbench_module_is_over_the_limit():
    folder = Path(core.workbench.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in folder.glob("*.py")}
    assert len(sizes) > 10  # the folder was found and holds the view modules
    assert {n: k for n, k in sizes.items() if k > LIMIT} == {}
