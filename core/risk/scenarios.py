"""Monte Carlo draws of portfolio returns from a FactorForecast, in factor form.

pnl = w'm + y'(L u) + sum_i w_i sqrt(d_i) e_i with y = B'w: the factor part costs O(n F);
the idiosyncratic part is drawn in chunks so memory stays at `chunk` x N.
Same generative model as FactorForecast.sample (its standardised Student-t draws).
"""
from __future__ import annotations

import numpy as np

from core.models.base import FactorForecast, _safe_cholesky, _std_t

DEFAULT_SAMPLES = 20_000


def portfolio_scenarios(fc: FactorForecast, w: np.ndarray, n: int = DEFAULT_SAMPLES, seed: int = 0,
                        chunk: int = 2_000) -> np.ndarray:
    """n draws of the portfolio return w'r_{t+1}, (n,). Seeded: same seed, same draws."""
    rng = np.random.default_rng(seed)
    w = np.asarray(w, dtype=np.float64)
    f = fc.n_factors
    y = fc.exposures.T @ w
    a = (_safe_cholesky(fc.factor_cov).T @ y) if f else np.zeros(0)
    s = w * np.sqrt(fc.idio_var)
    normal = fc.family == "normal"
    u = rng.standard_normal((n, f)) if normal else _std_t(rng, fc.factor_dof, (n, f))
    out = fc.portfolio_mean(w) + u @ a
    if normal:  # a sum of independent Normals is Normal: no need to draw N of them
        return out + rng.standard_normal(n) * float(np.sqrt(s @ s))
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        out[lo:hi] += _std_t(rng, fc.idio_dof, (hi - lo, fc.n_stocks)) @ s
    return out
