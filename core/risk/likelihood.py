"""Negative log-likelihoods of realised returns under a forecast, per stock (divided by N_t).

The forecast's distribution computes the log-density (core.forecast.distributions): Normal exact
in factor form (Woodbury, determinant lemma); Student-t by the importance-weighted bound with
the closed-form posterior (joint, k samples) and prior sampling (marginals).

Scale: the spec reports NLLs for returns divided by `scale` (the training std of all stock
returns, FeatureScaler.return_scale). `nll_joint` / `nll_ind` rescale the forecast (mean / s,
B / s, d / s^2) and the returns (r / s) before evaluating, so each per-stock NLL equals the
raw-return NLL minus log(s).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.forecast import FactorForecast


def scaled(fc: FactorForecast, scale: float) -> FactorForecast:
    """The forecast of r / scale (dofs and factor covariance unchanged)."""
    return replace(fc, mean=fc.mean / scale, exposures=fc.exposures / scale, idio_var=fc.idio_var / scale**2)


def nll_joint(fc: FactorForecast, r: np.ndarray, scale: float = 1.0, k: int = 100, seed: int = 0) -> float:
    """-(1/N) log p(r / scale) under the rescaled joint forecast (exact for Normal; IWAE, k samples, for Student-t)."""
    fs, rs = scaled(fc, scale), np.asarray(r, dtype=np.float64) / scale
    return -fs.distribution.log_likelihood(fs, rs, k, seed) / fc.n_stocks


def nll_ind(fc: FactorForecast, r: np.ndarray, scale: float = 1.0, n_samples: int = 10_000, seed: int = 0) -> float:
    """-(1/N) sum_i log p(r_i / scale): marginals (exact for Normal; n_samples prior draws for Student-t)."""
    fs, rs = scaled(fc, scale), np.asarray(r, dtype=np.float64) / scale
    return -float(np.mean(fs.distribution.marginal_log_likelihood(fs, rs, n_samples, seed)))
