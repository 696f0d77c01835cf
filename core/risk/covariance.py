"""Covariance forecast scores.

Whitening (paper): for the p stocks present through a split, u_t = Sigma_t^{-1/2} (r_{t+1} - m_t)
with the symmetric inverse square root (p x p, the one place a dense matrix is built); S = sample
covariance of the u_t (p x p). MSE = mean of (S - I)^2 over the p^2 entries; Box's M style
distance = (tr S - ln det S - p) / p. Both are 0 for a perfect forecast.

Realised vs forecast (dashboard): S_h = realised second moment of the next h days' returns
around the forecast mean; QLIKE = ln det Sigma + tr(Sigma^-1 S_h) in factor form (Woodbury);
correlation error = Frobenius norm of corr(S_h) - corr(Sigma) (dense, N x N, display sizes only).
skfolio.metrics has QLIKE / calibration losses, but for its dense covariance estimators, not
for a factor-form forecast, so they are computed here.
"""
from __future__ import annotations

import numpy as np

from core.errors import ModelError
from core.forecast import FactorForecast, restrict
from core.forecast.linalg import FactorPrecision


def inverse_sqrt(cov: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root of a PD matrix (p x p)."""
    lam, vec = np.linalg.eigh(0.5 * (cov + cov.T))
    if lam[0] <= 0:
        raise ModelError("forecast covariance is not positive definite; the whitening score needs idio_var > 0")
    return (vec / np.sqrt(lam)) @ vec.T


def whitened(fc: FactorForecast, r: np.ndarray) -> np.ndarray:
    """u = Sigma^-1/2 (r - m) for one day, (p,)."""
    return inverse_sqrt(fc.dense_cov()) @ (np.asarray(r, dtype=np.float64) - fc.mean)


def common_tickers(fcs: list[FactorForecast]) -> list[str]:
    """The tickers every one of the days' forecasts `fcs` holds, in the first day's order."""
    common = set(fcs[0].tickers).intersection(*[set(fc.tickers) for fc in fcs[1:]])
    return [t for t in fcs[0].tickers if t in common]


def whitened_common(fcs: list[FactorForecast], rows: list[np.ndarray], common: list[str]) -> np.ndarray:
    """Whitened residuals u (T, p) of the T days' forecasts `fcs` and realised returns `rows` (each (n_t,), over its
    forecast's tickers), on the p stocks `common` (`common_tickers`)."""
    u = np.empty((len(fcs), len(common)))
    for k, (fc, r) in enumerate(zip(fcs, rows)):
        pos = {t: i for i, t in enumerate(fc.tickers)}
        u[k] = whitened(restrict(fc, common), r[[pos[t] for t in common]])
    return u


def whitened_covariance(u: np.ndarray) -> np.ndarray:
    """S (p, p): the sample covariance of whitened residuals u (T, p); I for a perfect forecast."""
    p = u.shape[1]
    return np.cov(u, rowvar=False).reshape(p, p)


def whitening_scores(u: np.ndarray) -> tuple[float, float]:
    """(MSE, Box's M distance) from whitened residuals u (T, p), T > p."""
    t, p = u.shape
    if t <= p:
        raise ModelError(f"whitening score needs more days ({t}) than stocks ({p}); use a longer split")
    s = whitened_covariance(u)
    mse = float(np.mean((s - np.eye(p)) ** 2))
    sign, logdet = np.linalg.slogdet(s)
    box = float((np.trace(s) - logdet - p) / p) if sign > 0 else float("inf")
    return mse, box


def qlike(fc: FactorForecast, future: np.ndarray) -> float:
    """QLIKE ln det Sigma + tr(Sigma^-1 S_h) of the next h days' returns future (h, N), factor form."""
    x = np.atleast_2d(np.asarray(future, dtype=np.float64)) - fc.mean
    prec = FactorPrecision(fc.exposures, fc.factor_cov, fc.idio_var)
    return float(prec.logdet + prec.quad(x).mean())


def correlation_error(fc: FactorForecast, future: np.ndarray) -> float:
    """Frobenius norm of realised minus forecast correlation over the next h days (dense N x N; display sizes)."""
    x = np.atleast_2d(np.asarray(future, dtype=np.float64)) - fc.mean
    s = x.T @ x / len(x)
    return float(np.linalg.norm(_corr(s) - _corr(fc.dense_cov())))


def _corr(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.clip(np.diag(c), 1e-300, None))
    return c / np.outer(sd, sd)
