"""Covariance update layer: re-estimate a factor forecast's covariance from past outcomes only.

A forecast r = m + B z + eps with Cov(z) = L L' and Var(eps_i) = d_i is written in its own standardized
factor coordinates, z = L u, so Cov(u) = I when the model is right. The layer learns two corrections from
the days s < t whose outcome r_{s+1} is known at the close of t:

    Cov(u) = C (K x K, PSD)    and    Var(eps_i) = c_i d_i  (c: one ratio per stock)

by EM_STEPS steps of EM from the identity on those days' returns with the exposures held fixed (the M-step
of a factor analysis with time-varying loadings): E-step, the Gaussian posterior of u_s given r_{s+1}
(closed form, moments of the forecast; a Student-t forecast is matched by its covariance); M-step, C =
weighted mean of E[u u'] and c_i = weighted mean of E[eps_i^2] / d_i. A few steps from the identity go
part of the way to the fitted optimum (5 steps recover about 2/3 of a 4x error in factor variance), so the
layer stays shrunk toward the model's own covariance. Weights halve every `half_life` days (None: all days equal). A
stock's ratio is shrunk toward the cross-sectional mean with the weight of the latest SHRINK_DAYS days,
so a stock with little history gets mostly the market-wide correction. The forecast at t then has factor_cov L C L' and
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


def _days(panel, series: ForecastSeries, first: int) -> _Days:
    """The days from position `first` on, in standardized factor coordinates."""
    col = pd.Index(panel.tickers).get_indexer(series.tickers)
    rets = panel.returns.to_numpy(dtype=float)
    pos = panel.dates.get_indexer(series.dates)
    t_all, n = series.mean.shape
    nxt = np.full((t_all, n), np.nan)
    has = (pos >= 0) & (pos + 1 < len(rets))
    rows = rets[pos[has] + 1]
    nxt[np.ix_(has, col >= 0)] = rows[:, col[col >= 0]]
    sl = slice(first, t_all)
    e = nxt[sl] - series.mean[sl]
    ok = np.isfinite(e) & np.isfinite(series.idio_var[sl]) & (series.idio_var[sl] > 0)
    chol = np.stack([safe_cholesky(c) for c in series.factor_cov[sl]])
    a = np.einsum("tnk,tkl->tnl", np.nan_to_num(series.exposures[sl]), chol)
    return _Days(a=a * ok[..., None], e=np.where(ok, e, 0.0), d=np.where(ok, series.idio_var[sl], 1.0), ok=ok)


def fit_correction(days: _Days, weights: np.ndarray, steps: int = EM_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """(C (K, K), c (N,)) by `steps` EM steps from the identity on the days with `weights` (T,); a day with no
    outcome at all weighs nothing."""
    t, n, k = days.a.shape
    w = weights * days.ok.any(axis=1)
    if not w.any():
        return np.eye(k), np.ones(n)
    w = w / w.sum()
    big_c, c = np.eye(k), np.ones(n)
    stock_w = (w[:, None] * days.ok).sum(axis=0)  # (N,)
    prior = w[-int(SHRINK_DAYS):].sum()  # the weight of the latest SHRINK_DAYS days
    a_t = np.swapaxes(days.a, 1, 2)  # (T, K, N)
    for _ in range(steps):  # batched matrix products over the days (an einsum of three operands loops in Python)
        dinv = days.ok / (days.d * c)  # (T, N); 0 where absent
        prec = np.linalg.inv(big_c) + a_t @ (days.a * dinv[..., None])  # (T, K, K)
        post_cov = np.linalg.inv(prec)  # (T, K, K)
        mu = (post_cov @ (a_t @ (dinv * days.e)[..., None]))[..., 0]  # (T, K)
        new_c = (w[:, None] * mu).T @ mu + np.tensordot(w, post_cov, axes=1)
        resid = days.e - (days.a @ mu[..., None])[..., 0]
        spread = ((days.a @ post_cov) * days.a).sum(axis=2)  # (T, N): a_tn' post_cov_t a_tn
        ratio = np.where(days.ok, (resid**2 + spread) / days.d, 0.0)
        raw = (w[:, None] * ratio).sum(axis=0)  # (N,) weighted sums
        market = raw.sum() / max(stock_w.sum(), 1e-12)
        c = (raw + prior * market) / (stock_w + prior)
        big_c = 0.5 * (new_c + new_c.T)
    return big_c, c


def fit_corrections(panel, series: ForecastSeries, start, half_life: float | None, refit_every: int = REFIT_EVERY,
                    min_days: int = MIN_DAYS, steps: int = EM_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Each date's corrections from outcomes before it (module docstring): C (T, K, K) and c (T, N); the
    identity (C = I, c = 1) before `start` + min_days."""
    if not series.joint:
        raise ModelError(f"{series.model}: the covariance update needs a joint model (its factor structure)")
    first = int(series.dates.searchsorted(pd.Timestamp(start)))
    if first >= len(series.dates):
        raise ModelError(f"no forecasts of {series.model} on or after {pd.Timestamp(start).date()} to update from")
    t_all, n, k = series.exposures.shape
    factor = np.broadcast_to(np.eye(k), (t_all, k, k)).copy()
    ratio = np.ones((t_all, n))
    if t_all - first <= min_days:
        return factor, ratio
    days = _days(panel, series, first)
    for t in range(first + min_days, t_all):
        if (t - first - min_days) % refit_every == 0:
            m = t - first  # days first..t-1 have outcomes known at t
            age = np.arange(m)[::-1]
            weights = np.ones(m) if half_life is None else 0.5 ** (age / half_life)
            fit = fit_correction(_Days(days.a[:m], days.e[:m], days.d[:m], days.ok[:m]), weights, steps)
        factor[t], ratio[t] = fit
    return factor, ratio


def corrected(series: ForecastSeries, factor: np.ndarray, ratio: np.ndarray) -> ForecastSeries:
    """The series with factor_cov L C L' (L = chol of each date's factor_cov) and idio_var c d, from
    corrections C (T, K, K) and c (T, N) of fit_corrections; dates whose C is the identity keep their factor_cov."""
    fcov = series.factor_cov.copy()
    for t in np.flatnonzero(np.any(factor != np.eye(factor.shape[1]), axis=(1, 2))):
        chol = safe_cholesky(series.factor_cov[t])
        fcov[t] = chol @ factor[t] @ chol.T
    return replace(series, factor_cov=fcov, idio_var=series.idio_var * ratio)

