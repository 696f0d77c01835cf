"""Smoke run of `python -m benchmarks refresh --quick` (the full sizes are run for docs/bench_refresh.md)."""
from benchmarks.__main__ import main


def test_quick_bench_writes_markdown(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    assert main(["refresh", "--quick", "--out", str(tmp_path / "new")]) == 0
    text = (tmp_path / "new" / "bench_refresh.md").read_text()
    assert "python -m benchmarks refresh --quick" in text
    one_day = next(line for line in text.splitlines() if "one new day" in line)
    assert ", 1 made;" in one_day  # only the new day was forecast
    restated = next(line for line in text.splitlines() if "restated" in line)
    assert "30 made" in restated
