"""Smoke run of `python -m benchmarks scale --quick` (the full run writes docs/bench_scale.md)."""
from benchmarks.__main__ import main

ROWS = ("truth (ground truth)", "neuralfactors", "neuralfactors+cal", "ppca", "ledoit-wolf")


def test_quick_scale_bench_writes_the_quality_tables(tmp_path):
    assert main(["scale", "--quick", "--steps", "1", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "bench_scale.md").read_text()
    assert "SYNTHETIC" in text and "python -m benchmarks scale --quick --steps 1" in text
    assert "11 sectors" in text and "GARCH(1,1)" in text and "steps/s" in text
    head = "| model | nll_joint | cov_mse | var95_rate | var99_rate | kupiec_p95 | kupiec_p99 |"
    assert text.count(head) == 2 and "## valid split" in text and "## test split" in text
    for split in text.split("## valid split")[1].split("## test split"):
        rows = [line for line in split.splitlines() if line.startswith("| ") and not line.startswith("| model")]
        assert [r.split(" | ")[0][2:] for r in rows[-5:]] == list(ROWS)
        assert all("n/a" not in r for r in rows)
