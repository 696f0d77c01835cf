"""core.workbench.backtests: strategies over a split, the daily re-optimised ones computed once."""
import numpy as np
import pandas as pd

from core.data.synthetic import default_synthetic_panel
from core.workbench import forecasts
from core.workbench.backtests import PERFORMANCE_LABELS, backtest, optimised_strategies
from core.workbench.dates import window


def test_backtest_reuses_the_optimised_strategies():
    """Issue 14: the re-optimised backtest took 17-19 s per toggle; its strategies do not depend on the
    chosen weights, so they are computed once and reused (same numbers as computing them inline)."""
    p = default_synthetic_panel()
    series = forecasts(p, "truth").series
    dates = window(p, series, "test")[:60]
    w = pd.Series(1.0 / len(series.tickers), index=series.tickers)
    inline = backtest(p, series, dates, w, True)
    opt = optimised_strategies(series, dates)
    reused = backtest(p, series, dates, w * 0 + np.r_[1.0, np.zeros(len(w) - 1)], opt)
    again = backtest(p, series, dates, w, opt)
    pd.testing.assert_frame_equal(inline["values"], again["values"])
    assert "minimum variance" in reused["values"] and not reused["values"].iloc[-1].isna().any()
    assert set(inline["metrics"].columns) <= set(PERFORMANCE_LABELS.values())
