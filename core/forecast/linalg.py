"""Linear algebra of a factor-form covariance Sigma = B Sz B' + diag(d), never formed as N x N.

With Sz = V diag(l) V' and A = B V diag(sqrt l) (N x F), Sigma = A A' + D, and (Woodbury,
determinant lemma) with M = I_F + A' D^-1 A:
    x' Sigma^-1 x = x' D^-1 x - c' M^-1 c,  c = A' D^-1 x;   log det Sigma = log det M + sum log d.
"""
from __future__ import annotations

import numpy as np

from core.errors import ModelError


def safe_cholesky(a: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a PSD matrix (F, F), with growing jitter as fallback."""
    a = 0.5 * (a + a.T)
    jitter = 0.0
    scale = max(float(np.mean(np.diag(a))), 1e-300) if len(a) else 1.0
    for _ in range(8):
        try:
            return np.linalg.cholesky(a + jitter * np.eye(len(a)))
        except np.linalg.LinAlgError:
            jitter = scale * 1e-10 if jitter == 0.0 else jitter * 100
    raise ModelError("factor covariance is not positive semi-definite")


class FactorPrecision:
    """Sigma^-1 products and log det Sigma of a factor-form covariance, O(N F^2).

    exposures: (N, F); factor_cov: (F, F); idio_var: (N,)."""

    def __init__(self, exposures: np.ndarray, factor_cov: np.ndarray, idio_var: np.ndarray):
        lam, vec = np.linalg.eigh(0.5 * (factor_cov + factor_cov.T))
        self.a = (exposures @ vec) * np.sqrt(np.clip(lam, 0.0, None))
        self.d = idio_var
        m = np.eye(self.a.shape[1]) + (self.a.T / self.d) @ self.a
        self.m_chol = np.linalg.cholesky(m)
        self.logdet = 2.0 * float(np.log(np.diag(self.m_chol)).sum()) + float(np.log(self.d).sum())

    def quad(self, x: np.ndarray) -> np.ndarray:
        """x' Sigma^-1 x for each row of x (h, N) -> (h,)."""
        x = np.atleast_2d(x)
        c = (x / self.d) @ self.a
        v = np.linalg.solve(self.m_chol, c.T)
        return np.sum(x * x / self.d, axis=1) - np.sum(v * v, axis=0)

    def solve(self, x: np.ndarray) -> np.ndarray:
        """Sigma^-1 x for x (N,) or (N, h): D^-1 x - D^-1 A M^-1 A' D^-1 x."""
        dx = x / (self.d if x.ndim == 1 else self.d[:, None])
        c = np.linalg.solve(self.m_chol.T, np.linalg.solve(self.m_chol, self.a.T @ dx))
        return dx - (self.a @ c) / (self.d if x.ndim == 1 else self.d[:, None])
