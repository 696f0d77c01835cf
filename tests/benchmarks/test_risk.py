"""Smoke run of `python -m benchmarks risk --quick` (the full sizes are run for docs/bench_risk.md)."""
from benchmarks.__main__ import main


def test_quick_bench_writes_markdown(tmp_path):
    assert main(["risk", "--quick", "--out", str(tmp_path / "new")]) == 0
    text = (tmp_path / "new" / "bench_risk.md").read_text()
    assert "python -m benchmarks risk --quick" in text and "| 200 | 8 |" in text
    gap = float(text.strip().splitlines()[-1].split("|")[-2])
    assert gap < 1e-3  # factor-form and dense QPs find the same minimum-variance portfolio
