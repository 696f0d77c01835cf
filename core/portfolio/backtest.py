"""Portfolio backtests without look-ahead.

Weights chosen at the close of date t (from the forecast made at t for t+1) earn the return of the
next panel date t+1: R_{t+1} = sum_i w_{i,t} r_{i,t+1} - cost_bps / 1e4 * turnover_t, with
turnover_t = ||w_t - w_{t-1}||_1 (w before the first date = 0; weights are not drifted between
rebalances, i.e. daily rebalancing back to target). A stock with a weight but no return at t+1
(delisted) earns 0 that day.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from core.errors import PortfolioError
from core.forecast import FactorForecast, ForecastSeries
from core.portfolio.constraints import Constraints
from core.portfolio import qp

if TYPE_CHECKING:
    from core.portfolio.optimiser import FactorProblem


@dataclass
class BacktestResult:
    """returns, turnover: Series indexed by the date the return is earned (t+1); weights: frame
    indexed by the decision date t (dates x tickers)."""

    returns: pd.Series
    turnover: pd.Series
    weights: pd.DataFrame


def run_backtest(weights: pd.DataFrame, returns: pd.DataFrame, cost_bps: float = 0.0) -> BacktestResult:
    """weights: decision date t x tickers (NaN = 0); returns: the panel's returns (dates x tickers)."""
    if cost_bps < 0:
        raise PortfolioError(f"transaction cost {cost_bps} bps is negative; use a cost >= 0")
    unknown = sorted(set(weights.columns) - set(returns.columns))
    if unknown:
        raise PortfolioError(f"weights name tickers {unknown[:5]} that are not in the data; drop them")
    pos = returns.index.get_indexer(weights.index)
    if (pos < 0).any() or (pos + 1 >= len(returns.index)).any():
        raise PortfolioError("weights are dated outside the data or on its last date (no next-day return); "
                             "use decision dates before the last date")
    w = weights.fillna(0.0).to_numpy(dtype=float)
    nxt = returns.reindex(columns=weights.columns).to_numpy(dtype=float)[pos + 1]
    gross = np.sum(w * np.nan_to_num(nxt, nan=0.0), axis=1)
    turnover = np.abs(np.diff(np.vstack([np.zeros((1, w.shape[1])), w]), axis=0)).sum(axis=1)
    earn_dates = returns.index[pos + 1]
    net = gross - cost_bps / 1e4 * turnover
    return BacktestResult(pd.Series(net, index=earn_dates, name="return"),
                          pd.Series(turnover, index=earn_dates, name="turnover"), weights)


def strategy_weights(series: ForecastSeries, dates: pd.DatetimeIndex,
                     choose: Callable[[FactorForecast], np.ndarray]) -> pd.DataFrame:
    """Weights chosen on each date from that date's forecast only: dates x series.tickers (0 where absent)."""
    dates = pd.DatetimeIndex(dates)
    col = {t: i for i, t in enumerate(series.tickers)}
    out = np.zeros((len(dates), len(col)))
    for k, d in enumerate(dates):
        fc = series.at(d)
        out[k, [col[t] for t in fc.tickers]] = choose(fc)
    return pd.DataFrame(out, index=dates, columns=series.tickers)


class MeanVariance:
    """Daily mean-variance weights for one variant; compiled problems are reused per ticker set."""

    def __init__(self, constraints: Constraints, risk_aversion: float):
        self.constraints, self.risk_aversion = constraints, risk_aversion
        self._cache: dict[tuple, FactorProblem] = {}

    def __call__(self, fc: FactorForecast) -> np.ndarray:
        if qp.supports(self.constraints):
            return qp.mean_variance_qp(fc, self.constraints, self.risk_aversion)
        from core.portfolio.optimiser import FactorProblem  # cvxpy, imported when a QP of qp.py does not do

        key = (tuple(fc.tickers), fc.n_factors)
        if key not in self._cache:
            self._cache[key] = FactorProblem(fc.tickers, fc.n_factors, list(fc.factor_names), "mean_variance",
                                             self.constraints, self.risk_aversion)
        prob = self._cache[key]
        prob.set_forecast(fc)
        return prob.solve()
