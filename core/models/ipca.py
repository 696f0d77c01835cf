"""Instrumented PCA (Kelly, Pruitt & Su 2019; seed 001 section 2.3).

r_{t+1} = Z_t Gamma f_{t+1} + e,  Z_t: (N, L) ranked characteristics (core.models.characteristics)
plus a constant column, Gamma: (L, K). Fitted on the training dates by alternating least
squares: f_{t+1} = (G'Z'ZG)^-1 G'Z'r given Gamma; vec(Gamma) from the pooled normal equations
sum_t (Z_t'Z_t kron f f') vec = sum_t (Z_t'r_{t+1} kron f) given f; then normalised to
Gamma'Gamma = I with orthogonal factors ordered by variance, positive means.
Forecast at t: B_t = Z_t Gamma; f_s = cross-sectional OLS of r_s on B_{s-1} (fixed Gamma, so
only data <= s); `conditional_forecast` over the trailing window (past f only).
"""
from __future__ import annotations

import math

import numpy as np

from core.errors import ModelError
from core.models.characteristics import characteristic_names, characteristic_tensor, history_count
from core.models.protocol import Calibration
from core.models.rolling import FactorHistoryModel, Realised, cross_section_ols, lag


def instruments(panel, names: list[str], min_history: int) -> np.ndarray:
    """(T, N, L + 1) ranked characteristics and a constant; NaN where a stock is not listed at t
    or has fewer than `min_history` returns so far."""
    z = characteristic_tensor(panel, names)
    z = np.concatenate([z, np.ones(z.shape[:2] + (1,))], axis=2)
    ok = np.isfinite(panel.returns.to_numpy(dtype=np.float64)) & (history_count(panel) >= min_history)
    return np.where(ok[..., None], z, np.nan)


def ipca_als(z: np.ndarray, r: np.ndarray, k: int, max_iter: int = 200, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray, int]:
    """z: (T, N, L) instruments for r: (T, N) (same row = the return they explain; NaN = unused).
    Returns Gamma (L, K) with Gamma'Gamma = I, factors (T, K) and the iterations used."""
    m = np.isfinite(z).all(axis=2) & np.isfinite(r)
    zm = np.where(m[..., None], z, 0.0)
    zz = np.einsum("tnl,tnj->tlj", zm, zm)
    zr = np.einsum("tnl,tn->tl", zm, np.where(m, r, 0.0))
    use = m.sum(axis=1) > k
    zz, zr = zz[use], zr[use]
    lsize = z.shape[2]
    if use.sum() <= k or lsize < k:
        raise ModelError(f"ipca: too few usable dates or characteristics for {k} factors; use fewer factors or more data")
    gamma = np.linalg.svd((zr / m[use].sum(axis=1)[:, None]).T, full_matrices=False)[0][:, :k]
    explained = 0.0
    for it in range(1, max_iter + 1):
        f = np.linalg.solve(gamma.T @ zz @ gamma + 1e-12 * np.eye(k), (zr @ gamma)[..., None])[..., 0]
        ff = (f[:, :, None] * f[:, None, :]).reshape(len(f), k * k)
        a = (zz.reshape(len(zz), -1).T @ ff).reshape(lsize, lsize, k, k).transpose(0, 2, 1, 3).reshape(lsize * k, -1)
        b = np.einsum("tl,tk->lk", zr, f).reshape(-1)
        gamma, f = _normalise(np.linalg.lstsq(a, b, rcond=None)[0].reshape(lsize, k), f)
        # sum of squares explained, sum_t 2 f'G'Z'r - f'G'Z'ZGf; stop when it no longer improves
        new = float(np.sum(2 * np.einsum("tk,tk->t", zr @ gamma, f) - np.einsum("tk,tkm,tm->t", f, gamma.T @ zz @ gamma, f)))
        if abs(new - explained) <= tol * abs(new):
            break
        explained = new
    factors = np.full((len(r), k), np.nan)
    factors[use] = f
    return gamma, factors, it


def _normalise(gamma: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate so that Gamma'Gamma = I, f'f diagonal (descending) and each factor's mean > 0."""
    chol = np.linalg.cholesky(gamma.T @ gamma)
    gamma = gamma @ np.linalg.inv(chol.T)
    f = f @ chol
    _, vec = np.linalg.eigh(f.T @ f)
    vec = vec[:, ::-1]
    gamma, f = gamma @ vec, f @ vec
    sign = np.where(f.mean(axis=0) < 0, -1.0, 1.0)
    return gamma * sign, f * sign


class IPCAModel(FactorHistoryModel):
    """IPCA: exposures linear in the characteristics, Gamma by alternating least squares."""

    name = "ipca"
    calibration = Calibration(half_life=math.inf)  # by the rule of benchmarks/layer_rule.py
    label = "IPCA"
    description = "IPCA (Kelly-Pruitt-Su): exposures Z_t Gamma on ranked characteristics, ALS fit, 3 factors (Normal)"
    defaults = {"n_factors": 3, "window": 252, "min_obs": 60, "min_history": 60, "price_characteristics": True,
                "max_iter": 200}

    def fit(self, panel, train_dates, valid_dates) -> "IPCAModel":
        names = characteristic_names(panel, price=self.config["price_characteristics"])
        if not names:
            raise ModelError("ipca: the data allows no characteristics; set price_characteristics=true or add features")
        z = instruments(panel, names, self.config["min_history"])
        r = panel.returns.to_numpy(dtype=np.float64)
        target = panel.dates.isin(train_dates)
        zl = lag(z)
        gamma, _, iters = ipca_als(zl[target], r[target], int(self.config["n_factors"]), int(self.config["max_iter"]))
        self.state = {"fitted": True, "characteristics": names, "iterations": iters}
        self.arrays = {"gamma": gamma}
        return self

    def factor_names(self) -> list[str]:
        return [f"ipca{j + 1}" for j in range(self.arrays["gamma"].shape[1])]

    def _realised(self, panel) -> Realised:
        b = instruments(panel, self.state["characteristics"], self.config["min_history"]) @ self.arrays["gamma"]
        f, resid = cross_section_ols(lag(b), panel.returns.to_numpy(dtype=np.float64))
        return Realised(exposures=b, factors=f, resid=resid)
