"""Covariance update layer: re-estimate a factor forecast's covariance from past outcomes only.

A forecast r = m + B z + eps with Cov(z) = L L' and Var(eps_i) = d_i is written in its own standardized
factor coordinates, z = L u, so Cov(u) = I when the model is right. The layer learns two corrections from
the days s < t whose outcome r_{s+1} is known at the close of t:

    Cov(u) = C (K x K, PSD)    and    Var(eps_i) = c_i d_i  (c: one ratio per stock)

by EM on those days' returns with the exposures held fixed (the M-step of a factor analysis with
time-varying loadings): E-step, the Gaussian posterior of u_s given r_{s+1} (closed form, moments of the
forecast; a Student-t forecast is matched by its covariance); M-step, C = weighted mean of E[u u'] and
c_i = weighted mean of E[eps_i^2] / d_i. Weights halve every `half_life` days (None: all days equal). A
stock's ratio is shrunk toward the cross-sectional mean with the weight of SHRINK_DAYS days, so a stock
with little history gets the market-wide correction. The forecast at t then has factor_cov L C L' and
idio_var c d. Maps are refitted every `refit_every` days from the first validation forecast (earlier
forecasts may be in-sample) and are the identity until `min_days` days of outcomes exist.
Hand-written: no library fits a factor covariance with fixed, time-varying loadings (sklearn's
FactorAnalysis learns static loadings).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import ForecastSeries
from core.forecast.linalg import safe_cholesky

REFIT_EVERY = 21
MIN_DAYS = 126
EM_STEPS = 5
SHRINK_DAYS = 21.0


@dataclass
class _Days:
    """The past days in standardized coordinates: a (T, N, K) = B L, e (T, N) = r_{t+1} - m, d (T, N) specific
    variances, ok (T, N) stock traded with a forecast; T forecast dates, N series tickers."""

    a: np.ndarray
    e: np.ndarray
    d: np.ndarray
    ok: np.ndarray


def _days(panel, series: ForecastSeries, first: int) -> tuple[_Days, np.ndarray]:
    """Standardized days from position `first` on, and the Cholesky factors (T_all, K, K) of every date."""
    col = panel.tickers.get_indexer(series.tickers) if hasattr(panel.tickers, "get_indexer") else \
        pd.Index(panel.tickers).get_indexer(series.tickers)
    rets = panel.returns.to_numpy(dtype=float)
    pos = panel.dates.get_indexer(series.dates)
    chol = np.stack([safe_cholesky(c) for c in series.factor_cov])
    t_all, n = series.mean.shape
    nxt = np.full((t_all, n), np.nan)
    has = (pos >= 0) & (pos + 1 < len(rets))
    rows = rets[pos[has] + 1]
    nxt[np.ix_(has, col >= 0)] = rows[:, col[col >= 0]]
    sl = slice(first, t_all)
    e = nxt[sl] - series.mean[sl]
    ok = np.isfinite(e) & np.isfinite(series.idio_var[sl]) & (series.idio_var[sl] > 0)
    a = np.einsum("tnk,tkl->tnl", np.nan_to_num(series.exposures[sl]), chol[sl])
    return _Days(a=a * ok[..., None], e=np.where(ok, e, 0.0), d=np.where(ok, series.idio_var[sl], 1.0), ok=ok), chol


def fit_correction(days: _Days, weights: np.ndarray, steps: int = EM_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """(C (K, K), c (N,)) by `steps` EM steps from the identity on the days with `weights` (T,)."""
    t, n, k = days.a.shape
    w = weights / weights.sum()
    big_c, c = np.eye(k), np.ones(n)
    stock_w = (w[:, None] * days.ok).sum(axis=0)  # (N,)
    for _ in range(steps):
        dinv = days.ok / (days.d * c)  # (T, N); 0 where absent
        prec = np.linalg.inv(big_c) + np.einsum("tnk,tn,tnl->tkl", days.a, dinv, days.a)
        post_cov = np.linalg.inv(prec)  # (T, K, K)
        mu = np.einsum("tkl,tl->tk", post_cov, np.einsum("tnk,tn->tk", days.a, dinv * days.e))
        new_c = np.einsum("t,tk,tl->kl", w, mu, mu) + np.einsum("t,tkl->kl", w, post_cov)
        resid = days.e - np.einsum("tnk,tk->tn", days.a, mu)
        spread = np.einsum("tnk,tkl,tnl->tn", days.a, post_cov, days.a)
        ratio = np.where(days.ok, (resid**2 + spread) / days.d, 0.0)
        raw = (w[:, None] * ratio).sum(axis=0)  # (N,) weighted sums
        market = raw.sum() / max(stock_w.sum(), 1e-12)
        prior = SHRINK_DAYS / max(len(w), 1)  # SHRINK_DAYS days' share of the weight
        c = (raw + prior * market) / (stock_w + prior)
        big_c = 0.5 * (new_c + new_c.T)
    return big_c, c


def update_covariances(panel, series: ForecastSeries, start, half_life: float | None,
                       refit_every: int = REFIT_EVERY, min_days: int = MIN_DAYS,
                       steps: int = EM_STEPS) -> ForecastSeries:
    """The series with factor_cov (T, K, K) and idio_var (T, N) corrected from outcomes before each date
    (module docstring); dates before `start` + min_days are unchanged."""
    if not series.joint:
        raise ModelError(f"{series.model}: the covariance update needs a joint model (its factor structure)")
    first = int(series.dates.searchsorted(pd.Timestamp(start)))
    if first >= len(series.dates):
        raise ModelError(f"no forecasts of {series.model} on or after {pd.Timestamp(start).date()} to update from")
    t_all = len(series.dates)
    if t_all - first <= min_days:
        return series
    days, chol = _days(panel, series, first)
    fcov, ivar = series.factor_cov.copy(), series.idio_var.copy()
    big_c = c = None
    for t in range(first + min_days, t_all):
        if big_c is None or (t - first - min_days) % refit_every == 0:
            m = t - first  # days first..t-1 have outcomes known at t
            age = np.arange(m)[::-1]
            weights = np.ones(m) if half_life is None else 0.5 ** (age / half_life)
            past = _Days(days.a[:m], days.e[:m], days.d[:m], days.ok[:m])
            big_c, c = fit_correction(past, weights, steps)
        fcov[t] = chol[t] @ big_c @ chol[t].T
        ivar[t] = series.idio_var[t] * c
    return replace(series, factor_cov=fcov, idio_var=ivar)
