"""Distribution calibration (spec section 3): probability integral transforms and the error

    cal = sum_j (p_j - p_hat_j)^2,  p_j = j / 101 (j = 1..100),  p_hat_j = share of PIT values below p_j.

PITs: Normal forecasts in closed form. Student-t forecasts: a stock's CDF is Rao-Blackwellised
over `n_samples` prior draws of the factors (F_i(x) = mean_s T_nu((x - m_i - b_i' z_s) / scale_i));
the portfolio CDF is the share of `n_samples` Monte Carlo portfolio scenarios below the outcome.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.forecast import FactorForecast, ForecastSeries, restrict
from core.parallel import thread_map

LEVELS = np.arange(1, 101) / 101.0
CALIBRATION_SAMPLES = 2_000
#: Monte Carlo portfolio scenarios per day of a Student-t forecast (`evaluate`'s calib_port and VaR rates)
PORTFOLIO_SAMPLES = 10_000


def calibration_error(pit: np.ndarray) -> float:
    """sum_j (p_j - share(pit < p_j))^2 over the 100 levels; pit (M,) in [0, 1]."""
    pit = np.asarray(pit, dtype=np.float64)
    pit = pit[np.isfinite(pit)]
    if pit.size == 0:
        return float("nan")
    p_hat = (pit[:, None] < LEVELS[None, :]).mean(axis=0)
    return float(np.sum((LEVELS - p_hat) ** 2))


def uni_calibration(pits: np.ndarray) -> float:
    """Per-stock calibration error averaged with weights = days present. pits: (T, N), NaN where absent."""
    pits = np.asarray(pits, dtype=np.float64)
    days = np.isfinite(pits).sum(axis=0)
    errs = np.array([calibration_error(pits[:, i]) if days[i] else 0.0 for i in range(pits.shape[1])])
    return float(np.sum(errs * days) / days.sum()) if days.sum() else float("nan")


def marginal_pit(fc: FactorForecast, r: np.ndarray, n_samples: int = CALIBRATION_SAMPLES, seed: int = 0) -> np.ndarray:
    """Forecast CDF of each stock at its realised return r (N,) -> (N,)."""
    return fc.distribution.marginal_cdf(fc, np.asarray(r, dtype=np.float64), n_samples, seed)


def portfolio_pits(series: ForecastSeries, returns: pd.DataFrame, dates, n_samples: int = PORTFOLIO_SAMPLES,
                   seed: int = 0) -> np.ndarray:
    """PITs of the equal-weight portfolio of each forecast date's stocks (a forecast at t and a return at t+1 in
    `returns`, dates x tickers) at its realised return at t+1, drawn as `evaluate` draws them (the k-th date that
    has stocks uses seed + k; a univariate model's date without enough portfolio history is left out). The dates run
    on threads (core/parallel.py) where the distribution allows it: the same PITs as a plain loop."""
    series = series.with_history(returns)
    rets = returns.to_numpy(dtype=float)
    nxt = rets[returns.index.get_indexer(pd.DatetimeIndex(dates)) + 1]
    col = {t: i for i, t in enumerate(returns.columns)}
    days = []  # (forecast of the stocks with a return, their mean return, seed)
    for d, r_next in zip(pd.DatetimeIndex(dates), nxt):
        fc = series.at(d)
        fc = restrict(fc, [t for t in fc.tickers if t in col and np.isfinite(r_next[col[t]])])
        if fc.n_stocks:
            days.append((fc, float(np.mean([r_next[col[t]] for t in fc.tickers])), seed + len(days)))

    def pit(day) -> float | None:
        fc, x, day_seed = day
        try:
            return fc.distribution.portfolio_cdf(fc, np.full(fc.n_stocks, 1.0 / fc.n_stocks), x, n_samples, day_seed)
        except NotAvailable:
            return None

    threads = None if all(fc.distribution.threadable for fc, _, _ in days) else 1
    return np.array([p for p in thread_map(pit, days, threads) if p is not None], dtype=float)


def portfolio_calibration(series: ForecastSeries, returns: pd.DataFrame, dates, n_samples: int = PORTFOLIO_SAMPLES,
                          seed: int = 0) -> float:
    """calib_port: the calibration error of the equal-weight portfolio's PITs (portfolio_pits) over `dates`, the
    number `evaluate` reports for these forecast dates."""
    return calibration_error(portfolio_pits(series, returns, dates, n_samples, seed))
