"""`neuralfactors var` through core.cli.main: the 1/10/21-day table (simulated, method said, square-root-of-time only
as a reference), the backtests over a split (non-overlapping windows counted, the overlapping check said), errors."""
from __future__ import annotations

import pytest

from core.cli import main
from tests.core.cli.commands import SP, json_error, run_json


def test_var_json_ten_days_with_its_backtest(capsys):
    out = run_json(capsys, ["var", *SP, "--model", "ledoit-wolf", "--date", "2020-03-16", "--horizon", "10",
                            "--backtest", "test"])
    assert out["date"] == "2020-03-16" and [h["horizon"] for h in out["horizons"]] == [10]
    ten = out["horizons"][0]
    assert ten["VaR 99%"] > ten["VaR 95%"] > 0 and ten["CVaR 99%"] > ten["VaR 99%"]
    assert ten["method"].startswith("simulated paths of i.i.d. days") and ten["paths"] == 20_000
    bt = out["backtest"]
    assert bt["split"] == "test" and list(bt["horizons"]) == ["10"]
    kupiec = [v for v in bt["horizons"]["10"]["verdicts"] if v["test"] == "Kupiec"]
    assert [v["VaR"] for v in kupiec] == ["95%", "99%"]
    n = int(kupiec[0]["window"].split()[1])
    assert 95 <= n <= 101 and kupiec[0]["window"].endswith("non-overlapping 10-day windows")
    check = bt["horizons"]["10"]["overlapping"]
    assert check["n_windows"] > 9 * n and len(check["pit_histogram"]) == 10 and "dependent" in check["note"]


def test_var_text_lists_every_horizon_with_its_method(capsys):
    assert main(["var", *SP, "--model", "ledoit-wolf", "--date", "2020-03-16"]) == 0
    text = capsys.readouterr().out
    for name in ("1 day ", "10 days", "21 days"):
        assert f"  {name}" in text
    assert "method: the closed-form Normal quantile" in text and "i.i.d. days" in text
    assert "reference only" in text and "never scaled by the square root of time" in text


@pytest.mark.parametrize("horizon", ["0,10", "ten"])
def test_a_bad_horizon_is_one_json_line(capsys, horizon):
    assert "whole trading days" in json_error(capsys, ["var", *SP, "--model", "ledoit-wolf", "--horizon", horizon])
