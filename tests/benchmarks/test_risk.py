"""Smoke run of `neuralfactors bench risk --quick` (the full sizes are run for docs/bench_risk.md)."""
from core.cli import main


def test_quick_bench_writes_markdown(tmp_path):
    out = tmp_path / "bench.md"
    assert main(["bench", "risk", "--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "neuralfactors bench risk --quick" in text and "| 200 | 8 |" in text
    gap = float(text.strip().splitlines()[-1].split("|")[-2])
    assert gap < 1e-3  # factor-form and dense QPs find the same minimum-variance portfolio
