"""The volatility regime adjustment of commercial factor risk models (spec risk_workflows.md, section 1),
a layer on any joint forecast series.

Bias statistic of the forecast made at s (outcome s+1): the mean square of the standardized returns of
the reference books (core/risk/families.py: the long-only and long-short families),
    b_s^2 = mean_p ((w_p'r_{s+1} - w_p'm_s) / sqrt(w_p' Sigma_s w_p))^2.
The forecast made at t is rescaled by lambda_t^2 = EWMA over s < t of b_s^2 (half-life h days): its factor
covariance and idiosyncratic variances are multiplied by lambda_t^2 (a Student-t's scale by lambda_t,
dofs unchanged), its mean is not. lambda_t = 1 until `min_days` outcomes exist since `start`.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import ForecastSeries
from core.risk.families import reference_books
from core.risk.recalibration import portfolio_days

HALF_LIVES = (10, 21, 42, 63, 126)
MIN_DAYS = 21


def bias_statistics(panel, series: ForecastSeries, dates: pd.DatetimeIndex, weights: np.ndarray,
                    nets: np.ndarray | None = None) -> np.ndarray:
    """b_s^2 (T,) for the forecasts at `dates` and reference books weights (N, P) over panel.tickers (nets (P,):
    recalibration.portfolio_days); NaN where no book has an outcome."""
    out = np.full(len(dates), np.nan)
    for k, fc, w, _, realised in portfolio_days(panel, series, dates, weights, nets):
        a = fc.exposures.T @ w  # (F, P')
        var = np.sum((fc.factor_cov @ a) * a, axis=0) + (fc.idio_var[:, None] * w ** 2).sum(axis=0)
        out[k] = float(np.mean((realised - fc.mean @ w) ** 2 / var))
    return out


def ewma_scale(bias: np.ndarray, start: int, half_life: float, min_days: int = MIN_DAYS) -> np.ndarray:
    """lambda_t^2 (T,): EWMA of bias[start..t-1] (NaN skipped) with half-life `half_life`; 1 before
    start + min_days."""
    a = 0.5 ** (1.0 / half_life)
    out = np.ones(len(bias))
    num = den = 0.0
    for t in range(start, len(bias)):
        if t - start >= min_days and den > 0:
            out[t] = num / den
        if np.isfinite(bias[t]):
            num, den = a * num + bias[t], a * den + 1.0
        else:
            num, den = a * num, a * den
    return out


def regime_adjust(panel, series: ForecastSeries, start, half_life: float) -> ForecastSeries:
    """The series rescaled by lambda_t^2 from the forecast date `start` on (earlier dates unchanged)."""
    if not series.joint:
        raise ModelError(f"{series.model}: the regime adjustment needs a joint model")
    first = int(series.dates.searchsorted(pd.Timestamp(start)))
    w, nets = reference_books(panel.sectors.reindex(panel.tickers))
    bias = np.full(len(series.dates), np.nan)
    bias[first:] = bias_statistics(panel, series, series.dates[first:], w, nets)
    lam2 = ewma_scale(bias, first, half_life)
    return replace(series, factor_cov=series.factor_cov * lam2[:, None, None], idio_var=series.idio_var * lam2[:, None])
