"""Smoke run of `python -m benchmarks warmup --quick` (40 stocks; the 500-stock figures are docs/bench_warmup.md)."""
from benchmarks.__main__ import main


def test_quick_bench_times_every_warmup_step(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    assert main(["warmup", "--quick", "--out", str(tmp_path / "new")]) == 0
    text = (tmp_path / "new" / "bench_warmup.md").read_text()
    assert "python -m benchmarks warmup --quick" in text and "40 stocks" in text
    rows = [line.split("|")[1:3] for line in text.splitlines() if line.startswith("| ") and "seconds" not in line]
    steps = [what.strip() for what, _ in rows]
    assert steps[0] == "the upload read and checked" and "forecasts of every view date" in steps[1]
    assert {"Overview: the portfolio's risk", "Stress tests: the default shock", "**all**"} <= set(steps)
    assert all(float(sec.strip("* ")) >= 0 for _, sec in rows)
