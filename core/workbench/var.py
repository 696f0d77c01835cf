"""VaR over time: a fixed-weight portfolio's one-day VaR 95/99 at every forecast date against its realised
next-date return, the VaR methods in words, and the backtests' plain-language verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.forecast import ForecastSeries
from core.forecast.distributions import IID_DAYS
from core.forecast.portfolio_garch import METHOD as GARCH_METHOD, PATHS as GARCH_PATHS
from core.forecast.recalibrated import EACH_DAY
from core.parallel import thread_map
from core.risk.backtest import var_backtest, verdicts
from core.risk.var import forecast_vars
from core.workbench.portfolios import VAR_LEVELS, realised_returns

MC_SAMPLES = 1_000  # Monte Carlo draws per date for Student-t VaR series
#: how a VaR was computed, in words (the method strings of core.risk.var and core.forecast.portfolio_garch)
METHODS = {"parametric": "the closed-form Normal quantile",
           "monte_carlo": "Monte Carlo draws of the Student-t forecast",
           GARCH_METHOD: "a GARCH(1,1)-t fitted on the portfolio's own returns",
           "recalibrated": "then recalibrated (the calibration layer fitted on past forecasts' outcomes; for "
                           "NeuralFactors it re-estimates the factor covariance first)",
           IID_DAYS: "simulated paths of i.i.d. days: the model forecasts one day ahead only, so each day after the "
                     "first is a fresh draw of the same one-day forecast (no volatility dynamics beyond it), "
                     "compounded at weights rebalanced daily",
           GARCH_PATHS: "simulated paths of the portfolio's own GARCH(1,1)-t, its volatility updated day by day "
                        "along each path, compounded at weights rebalanced daily",
           EACH_DAY: "each day's draws passed through the calibration layer (fitted on one-day outcomes)"}


def method_label(method: str) -> str:
    """A VaR method in words, each comma-separated part translated: "monte_carlo" -> "Monte Carlo draws of the
    Student-t forecast"; "monte_carlo, recalibrated" -> "... forecast, then recalibrated (...)"."""
    return ", ".join(METHODS.get(part, part) for part in str(method).split(", "))


def var_series(panel, series: ForecastSeries, dates, weights: pd.Series, n_samples: int = MC_SAMPLES) -> pd.DataFrame:
    """Per forecast date: VaR 95/99 (positive losses) and the realised next-date return of the
    fixed-weight portfolio; columns "VaR 95%", "VaR 99%", "return" (dates with an outcome and a VaR only:
    a univariate model's portfolio GARCH needs enough of the portfolio's history). Each date's book is `weights` on
    the stocks forecast that day; the outcomes of every date are read at once (`realised_returns`), and only the
    dates with an outcome are asked for a VaR (the forecast's own, n_samples draws where it draws)."""
    dates = pd.DatetimeIndex(dates)
    cols = [*(f"VaR {int(lv * 100)}%" for lv in VAR_LEVELS), "return"]
    pos = series.dates.get_indexer(dates)
    if (pos < 0).any():
        series.at(dates[pos < 0][0])  # the ModelError naming the forecasts' range
    forecast = np.isfinite(series.mean[pos]) & np.isfinite(series.idio_var[pos])  # each date's stocks (FactorForecast)
    w = weights.reindex(series.tickers).fillna(0.0).to_numpy(dtype=np.float64)
    books = pd.DataFrame(np.where(forecast, w, np.nan), index=dates, columns=series.tickers)
    outcome = realised_returns(panel, books)
    held = np.abs(books.fillna(0.0).to_numpy()).sum(axis=1) >= 1e-9
    series = series.with_history(panel.returns)  # what a univariate model's portfolio rule reads

    def row(d) -> tuple:
        fc = series.at(d)
        try:
            tail = forecast_vars(fc, weights.reindex(fc.tickers).fillna(0.0).to_numpy(), VAR_LEVELS, n_samples)
        except NotAvailable:  # too little portfolio history before this date
            return d, None
        return d, {**{f"VaR {int(lv * 100)}%": v.var for lv, v in tail.items()}, "return": float(outcome[d])}

    todo = dates[held & outcome.notna().to_numpy()]  # every date draws from the same seed: they run on threads
    threads = None if not len(todo) or series.at(todo[0]).distribution.threadable else 1
    rows = {d: values for d, values in thread_map(row, todo, threads) if values is not None}
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols)


def verdict_table(series: pd.DataFrame) -> pd.DataFrame:
    """The backtests of a `var_series` in plain language: one row per test and VaR level (test, the
    window it uses, result, formatted p-value, verdict, what it checks); core.risk.backtest.verdicts."""
    rows = []
    for lv in VAR_LEVELS:
        col = f"VaR {int(lv * 100)}%"
        rows += verdicts(var_backtest(series["return"].to_numpy(), series[col].to_numpy(), lv))
    return pd.DataFrame(rows)
