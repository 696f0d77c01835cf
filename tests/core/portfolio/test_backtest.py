"""Backtest timing (no look-ahead), costs, leverage, metrics and weight validation."""
import numpy as np
import pandas as pd
import pytest

from core.errors import PortfolioError
from core.forecast import FactorForecast
from tests.doubles import ForecastOnly
from core.portfolio.backtest import MeanVariance, run_backtest, strategy_weights
from core.portfolio.constraints import MV_VARIANTS
from core.portfolio.metrics import performance_metrics
from tests.panels import with_returns


class TrailingMean(ForecastOnly):
    """Forecast at t: mean and diagonal variance of the 20 returns up to and including t; nothing to fit or save."""

    name = "trailing"

    def forecast(self, panel, date):
        pos = panel.date_position(date)
        block = panel.returns.iloc[max(0, pos - 19): pos + 1]
        return FactorForecast(panel.dates[pos], panel.tickers, block.mean().to_numpy(), np.zeros((panel.n_tickers, 0)),
                              np.zeros((0, 0)), block.var().to_numpy() + 1e-8)


def test_weights_earn_the_next_day_and_costs_are_charged():
    dates = pd.bdate_range("2020-01-01", periods=4)
    rets = pd.DataFrame({"A": [0.0, 0.01, 0.02, -0.01], "B": [0.0, 0.03, np.nan, 0.05]}, index=dates)
    w = pd.DataFrame({"A": [0.5, 1.0], "B": [0.5, 0.0]}, index=dates[:2])
    res = run_backtest(w, rets, cost_bps=10)
    # decision on day 0 earns day 1; decision on day 1 earns day 2 (B missing there earns 0)
    assert list(res.returns.index) == list(dates[1:3])
    assert res.turnover.tolist() == pytest.approx([1.0, 1.0])
    assert res.returns.tolist() == pytest.approx([0.5 * 0.01 + 0.5 * 0.03 - 0.001, 0.02 - 0.001])
    with pytest.raises(PortfolioError, match="last date"):
        run_backtest(pd.DataFrame({"A": [1.0]}, index=dates[-1:]), rets)
    with pytest.raises(PortfolioError, match="not in the data"):
        run_backtest(pd.DataFrame({"Z": [1.0]}, index=dates[:1]), rets)


def test_no_look_ahead_in_mean_variance_backtest(small_market):
    panel, _ = small_market
    panel = panel.select(tickers=panel.tickers[:8])
    model = TrailingMean()
    dates = panel.dates[100:130]
    w = strategy_weights(model.forecast_series(panel, dates), dates, MeanVariance(MV_VARIANTS["mv_lo_l1"], 5.0))
    t = 115
    changed = panel.returns.copy()
    changed.iloc[t + 1:] = changed.iloc[t + 1:] * -3.0 + 0.01  # the future after the decision date
    panel2 = with_returns(panel, changed)
    w2 = strategy_weights(model.forecast_series(panel2, dates), dates, MeanVariance(MV_VARIANTS["mv_lo_l1"], 5.0))
    cut = panel.dates[t]
    pd.testing.assert_frame_equal(w.loc[:cut], w2.loc[:cut], check_exact=True)
    assert not np.allclose(w.loc[panel.dates[t + 1]:].to_numpy(), w2.loc[panel.dates[t + 1]:].to_numpy())
    # the return earned from the decision at t uses r_{t+1}, which did change
    r1, r2 = run_backtest(w, panel.returns).returns, run_backtest(w2, changed).returns
    assert r1.loc[:cut].equals(r2.loc[:cut])
    assert r1.loc[panel.dates[t + 1]] != r2.loc[panel.dates[t + 1]]


def test_metrics_hand_worked():
    r = pd.Series([0.1, -0.5, 0.2, 0.1])
    m = performance_metrics(r, pd.Series([1.0, 0.5]), periods=252)
    assert m["accumulated_return"] == pytest.approx(1.1 * 0.5 * 1.2 * 1.1 - 1)
    assert m["max_drawdown"] == pytest.approx(0.5)  # peak 1.1 -> 0.55
    assert m["sharpe"] == pytest.approx(r.mean() / r.std() * np.sqrt(252))
    down = np.sqrt(np.sum(np.minimum(r, 0) ** 2) / (len(r) - 1))
    assert m["sortino"] == pytest.approx(r.mean() / down * np.sqrt(252))
    assert m["calmar"] == pytest.approx(r.mean() * 252 / 0.5)
    assert m["annualised_vol"] == pytest.approx(r.std() * np.sqrt(252))
    assert m["turnover"] == pytest.approx(0.75)

