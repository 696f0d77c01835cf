"""`python -m benchmarks`: where a benchmark writes (the current directory unless told) and option misuse."""
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv, message", [
    (["risk", "--steps", "3"], "--steps applies to `scale` only"),
    (["scale", "--steps", "0"], "--steps 0: use a whole number >= 1"),
    (["scale", "--stocks", "0"], "--stocks 0: use a whole number >= 1"),
    (["risk", "--years", "3"], "--years applies to `scale` only"),
    (["data", "--device", "cpu"], "--device applies to `train` and `scale` only"),
    (["risk", "--query", "?model=truth"], "--query applies to `dashboard`, `screenshots` and `page_profile` only"),
    (["screenshots", "--quick"], "--quick does not apply to `screenshots`"),
])
def test_misused_options_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_writes_into_the_current_directory_by_default(tmp_path):
    """Run as a user would from a checkout, but in another folder: the Markdown lands there, not in a docs/."""
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "benchmarks", "risk", "--quick"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    assert [p.name for p in tmp_path.iterdir()] == ["bench_risk.md"]
