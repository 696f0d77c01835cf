"""Factor returns by cross-sectional regression: stock returns projected on exposures, weighted by 1/specific
variance (generalised least squares with a diagonal covariance, one fit per date).

`in_today_coordinates` projects a window of past returns on ONE forecast's exposures (today's B), so the factor
returns of every day are in today's coordinates whatever the model (a model whose factors rotate from one fit to the
next, PPCA, included): the stress test's factor replay and the regression of a factor's reference series on the
factors (core.workbench.reference_shocks) read them. The fitted part w'B f_s is invariant to any rotation of B."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.forecast import FactorForecast
from core.forecast.linalg import safe_cholesky

#: above this condition number of the whitened exposures the split of a fitted P&L by factor is weakly identified
COLLINEAR = 100.0


def wls_rows(y: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Per row s the fit of y_s on b_s weighted by 1/d_s: y (T, N) with NaN where a stock has no value; b (T, N, F)
    or one (N, F) for every row; d (T, N) or (N,) variances (> 0). Returns (T, F): argmin_f sum_i (y_si - b_si f)^2
    / d_si over the stocks with a finite y, b and d > 0; a row of NaN where fewer such stocks than factors.
    With one b and d for every row (a window projected on one forecast's exposures), the rows that share their
    stocks are fitted together: one least-squares solve per distinct set of stocks."""
    y = np.asarray(y, dtype=float)
    t, n = y.shape
    if np.ndim(b) == 2 and np.ndim(d) == 1:
        return _wls_shared(y, np.asarray(b, dtype=float), np.asarray(d, dtype=float))
    b = np.broadcast_to(np.asarray(b, dtype=float), (t,) + np.shape(b)[-2:])
    d = np.broadcast_to(np.asarray(d, dtype=float), (t, n))
    out = np.full((t, b.shape[-1]), np.nan)
    for k in range(t):
        ok = np.isfinite(y[k]) & np.isfinite(d[k]) & (d[k] > 0) & np.isfinite(b[k]).all(axis=1)
        if ok.sum() < b.shape[-1]:
            continue
        s = 1.0 / np.sqrt(d[k, ok])
        out[k] = np.linalg.lstsq(b[k, ok] * s[:, None], y[k, ok] * s, rcond=None)[0]
    return out


def _wls_shared(y: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """`wls_rows` with one b (N, F) and d (N,) for every row: rows grouped by the stocks they fit on."""
    out = np.full((y.shape[0], b.shape[-1]), np.nan)
    usable = np.isfinite(d) & (d > 0) & np.isfinite(b).all(axis=1)
    masks = np.isfinite(y) & usable
    groups, inverse = np.unique(masks, axis=0, return_inverse=True)
    for g, ok in enumerate(groups):
        if ok.sum() < b.shape[-1]:
            continue
        rows = np.flatnonzero(inverse.reshape(-1) == g)
        s = 1.0 / np.sqrt(d[ok])
        out[rows] = np.linalg.lstsq(b[ok] * s[:, None], (y[np.ix_(rows, ok)] * s).T, rcond=None)[0].T
    return out


def in_today_coordinates(returns: pd.DataFrame, fc: FactorForecast) -> pd.DataFrame:
    """returns: dates x tickers of realised returns (NaN where none; tickers outside the forecast ignored) ->
    dates x fc.factor_names: each date's returns projected on the forecast's exposures B (N, F) weighted by
    1/fc.idio_var (N,) (`wls_rows`; NaN where fewer stocks with a return than factors)."""
    r = returns.reindex(columns=fc.tickers)
    return pd.DataFrame(wls_rows(r.to_numpy(dtype=float), fc.exposures, fc.idio_var), index=returns.index,
                        columns=list(fc.factor_names))


def collinearity(fc: FactorForecast) -> float:
    """The condition number of the whitened exposures D^-1/2 B chol(S) (N, F), the same in any coordinates of the
    factors: above COLLINEAR, factor returns fitted on B offset each other from factor to factor, their sum stays
    well determined."""
    if fc.n_factors == 0:
        return 1.0
    sv = np.linalg.svd(fc.exposures @ safe_cholesky(fc.factor_cov) / np.sqrt(fc.idio_var)[:, None], compute_uv=False)
    return float(sv[0] / max(sv[-1], 1e-300))
