"""Negative log-likelihoods of realised returns under a forecast, per stock (divided by N_t).

Normal forecasts: exact, in factor form. With Sz = V diag(l) V' and A = B V diag(sqrt l) (N x F),
Sigma = A A' + D, and (Woodbury, determinant lemma) with M = I_F + A' D^-1 A:
    x' Sigma^-1 x = x' D^-1 x - c' M^-1 c,  c = A' D^-1 x;   log det Sigma = log det M + sum log d.
Student-t forecasts: core.models.neuralfactors.likelihood (importance-weighted bound with the
closed-form posterior for the joint, prior sampling for the marginals).

Scale: the spec reports NLLs for returns divided by `scale` (the training std of all stock
returns, FeatureScaler.return_scale). `nll_joint` / `nll_ind` rescale the forecast (mean / s,
B / s, d / s^2) and the returns (r / s) before evaluating, so each per-stock NLL equals the
raw-return NLL minus log(s).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.models.base import FactorForecast

LOG_2PI = float(np.log(2.0 * np.pi))


class FactorPrecision:
    """Sigma^-1 products and log det Sigma of a factor-form covariance, O(N F^2)."""

    def __init__(self, fc: FactorForecast):
        lam, vec = np.linalg.eigh(0.5 * (fc.factor_cov + fc.factor_cov.T))
        self.a = (fc.exposures @ vec) * np.sqrt(np.clip(lam, 0.0, None))
        self.d = fc.idio_var
        m = np.eye(self.a.shape[1]) + (self.a.T / self.d) @ self.a
        self.m_chol = np.linalg.cholesky(m)
        self.logdet = 2.0 * float(np.log(np.diag(self.m_chol)).sum()) + float(np.log(self.d).sum())

    def quad(self, x: np.ndarray) -> np.ndarray:
        """x' Sigma^-1 x for each row of x (h, N) -> (h,)."""
        x = np.atleast_2d(x)
        c = (x / self.d) @ self.a
        v = np.linalg.solve(self.m_chol, c.T)
        return np.sum(x * x / self.d, axis=1) - np.sum(v * v, axis=0)


def gaussian_log_likelihood(fc: FactorForecast, r: np.ndarray) -> float:
    """log N(r; mean, Sigma) of one realised cross-section r (N,)."""
    prec = FactorPrecision(fc)
    return float(-0.5 * (fc.n_stocks * LOG_2PI + prec.logdet + prec.quad(r - fc.mean)[0]))


def gaussian_marginal_log_likelihood(fc: FactorForecast, r: np.ndarray) -> np.ndarray:
    """log N(r_i; m_i, Sigma_ii) per stock, (N,)."""
    v = fc.total_var()
    return -0.5 * (LOG_2PI + np.log(v) + (r - fc.mean) ** 2 / v)


def scaled(fc: FactorForecast, scale: float) -> FactorForecast:
    """The forecast of r / scale (dofs and factor covariance unchanged)."""
    return replace(fc, mean=fc.mean / scale, exposures=fc.exposures / scale, idio_var=fc.idio_var / scale**2)


def nll_joint(fc: FactorForecast, r: np.ndarray, scale: float = 1.0, k: int = 100, seed: int = 0) -> float:
    """-(1/N) log p(r / scale) under the rescaled joint forecast (exact for Normal; IWAE, k samples, for Student-t)."""
    fs, rs = scaled(fc, scale), np.asarray(r, dtype=np.float64) / scale
    if fc.family == "normal":
        return -gaussian_log_likelihood(fs, rs) / fc.n_stocks
    from core.models.neuralfactors.likelihood import forecast_log_likelihood

    return -float(forecast_log_likelihood(fs, rs, k=k, seed=seed)) / fc.n_stocks


def nll_ind(fc: FactorForecast, r: np.ndarray, scale: float = 1.0, n_samples: int = 10_000, seed: int = 0) -> float:
    """-(1/N) sum_i log p(r_i / scale): marginals (exact for Normal; n_samples prior draws for Student-t)."""
    fs, rs = scaled(fc, scale), np.asarray(r, dtype=np.float64) / scale
    if fc.family == "normal":
        return -float(gaussian_marginal_log_likelihood(fs, rs).mean())
    from core.models.neuralfactors.likelihood import forecast_marginal_log_likelihood

    return -float(np.mean(forecast_marginal_log_likelihood(fs, rs, n_samples=n_samples, seed=seed)))
