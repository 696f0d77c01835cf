"""VaR backtests in plain language (issue 14): one verdict per test, its window, formatted p-values."""
import numpy as np
import pandas as pd

from core.risk.backtest import format_p, plausible, var_backtest, verdicts


def test_format_p():
    assert format_p(1e-60) == "< 0.0001" and format_p(0.002456) == "0.002456" and format_p(0.123456789) == "0.1235"
    assert format_p(float("nan")) == "n/a" and format_p(1.0) == "1"


def test_kupiec_rejects_while_the_traffic_light_is_green():
    """The page showed "green" beside Kupiec p = 0.0025 with no word on the windows: 21 breaches in 1005
    days, only 2 of them in the last 250 days."""
    n = 1005
    exc = np.zeros(n, dtype=bool)
    exc[np.linspace(10, 740, 19).astype(int)] = True
    exc[[900, 950]] = True
    r = np.where(exc, -0.05, 0.0)
    bt = var_backtest(r, np.full(n, 0.03), 0.99)
    rows = pd.DataFrame(verdicts(bt)).set_index("test")
    assert rows.loc["Kupiec", "verdict"] == "reject at 5%" and rows.loc["Kupiec", "window"] == "all 1005 days"
    assert rows.loc["Basel traffic light", "verdict"] == "green zone"
    assert rows.loc["Basel traffic light", "window"] == "last 250 days"
    assert rows.loc["breach rate", "verdict"].startswith("implausible")  # 2.1% against 1%
    assert all(len(p) <= 8 for p in rows["p-value"]) and rows["what it checks"].str.len().min() > 20


def test_a_good_var_passes():
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.01, 2000)
    bt = var_backtest(r, np.full(2000, 0.01 * 1.6449), 0.95)
    rows = pd.DataFrame(verdicts(bt)).set_index("test")
    assert plausible(bt) and rows.loc["Kupiec", "verdict"] == "pass" and "Basel traffic light" not in rows.index
