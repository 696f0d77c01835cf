"""Portfolio backtests over a split: the chosen portfolio's fixed weights, equal weight, the daily re-optimised
minimum-variance and mean-variance strategies and the benchmark, as growth of 1 and performance metrics."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.forecast import ForecastSeries
from core.portfolio import qp
from core.portfolio.backtest import run_backtest
from core.portfolio.metrics import performance_metrics
from core.workbench.capabilities import require_joint
from core.workbench.portfolios import MV_RISK_AVERSION, constraints

#: the backtest metrics (core.portfolio.metrics keys) in words
PERFORMANCE_LABELS = {"accumulated_return": "total return", "annualised_return": "annualised return",
                      "annualised_vol": "annualised volatility", "max_drawdown": "maximum drawdown",
                      "sharpe": "Sharpe ratio", "sortino": "Sortino ratio", "calmar": "Calmar ratio",
                      "turnover": "daily turnover"}


def optimised_strategies(series: ForecastSeries, dates) -> dict[str, pd.DataFrame]:
    """Weights (dates x tickers) of the daily re-optimised strategies, minimum variance and mean-variance
    (long-only, fully invested), each day from that day's forecast by the direct Clarabel QP
    (core.portfolio.qp, ~2 ms a solve). They do not depend on the chosen portfolio, so the dashboard
    computes them once per model and split."""
    require_joint(series, "daily re-optimised strategies")
    dates = pd.DatetimeIndex(dates)
    col = {t: i for i, t in enumerate(series.tickers)}
    cons = constraints()
    out = {"minimum variance": np.zeros((len(dates), len(col))), "mean-variance": np.zeros((len(dates), len(col)))}
    for k, d in enumerate(dates):
        fc = series.at(d)
        idx = [col[t] for t in fc.tickers]
        out["minimum variance"][k, idx], out["mean-variance"][k, idx] = qp.mean_variance_qps(
            fc, cons, (np.inf, MV_RISK_AVERSION))
    return {name: pd.DataFrame(w, index=dates, columns=series.tickers) for name, w in out.items()}


def backtest(panel, series: ForecastSeries, dates, weights: pd.Series, optimised: bool | dict = False) -> dict:
    """Strategies over `dates`, weights set at each close from that day's forecast: the chosen
    portfolio's fixed weights, equal weight, (optionally) minimum variance and mean-variance
    re-optimised daily, and the benchmark. `optimised`: True, or the `optimised_strategies` already
    computed for these dates. Returns {"values": growth of 1 (dates x strategies), "metrics":
    strategies x metrics, labelled by PERFORMANCE_LABELS}."""
    dates = pd.DatetimeIndex(dates)
    dates = dates[dates < panel.dates[-1]]
    pos = series.dates.get_indexer(dates)
    ok = np.isfinite(series.mean[pos]) & np.isfinite(series.idio_var[pos])  # stocks with a forecast each day
    fixed = weights.reindex(series.tickers).fillna(0.0).to_numpy()
    frames = {"chosen portfolio (fixed weights)": np.where(ok, fixed[None, :], 0.0),
              "equal weight": ok / np.maximum(ok.sum(axis=1, keepdims=True), 1)}
    frames = {k: pd.DataFrame(v, index=dates, columns=series.tickers) for k, v in frames.items()}
    if optimised is not False:
        opt = optimised if isinstance(optimised, dict) else optimised_strategies(series, dates)
        frames |= {k: v.reindex(dates) for k, v in opt.items()}
    rets, turns = {}, {}
    for name, w in frames.items():
        res = run_backtest(w, panel.returns)
        rets[name], turns[name] = res.returns, res.turnover
    if panel.benchmark is not None:
        rets[f"benchmark ({panel.benchmark.name})"] = panel.benchmark.reindex(next(iter(rets.values())).index)
    frame = pd.DataFrame(rets)
    metrics = pd.DataFrame({k: performance_metrics(frame[k], turns.get(k)) for k in frame}).T.rename(
        columns=PERFORMANCE_LABELS)
    return {"values": (1.0 + frame.fillna(0.0)).cumprod(), "metrics": metrics}
