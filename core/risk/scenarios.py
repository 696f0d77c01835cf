"""Monte Carlo draws of portfolio returns from a FactorForecast, in factor form.

pnl = w'm + y'(L u) + sum_i w_i sqrt(d_i) e_i with y = B'w: the factor part costs O(n F);
the forecast's distribution draws the idiosyncratic part in chunks so memory stays at
`chunk` x N (core.forecast.distributions). Same generative model as FactorForecast.sample.
"""
from __future__ import annotations

import numpy as np

from core.forecast import FactorForecast

DEFAULT_SAMPLES = 20_000


def portfolio_scenarios(fc: FactorForecast, w: np.ndarray, n: int = DEFAULT_SAMPLES, seed: int = 0,
                        chunk: int = 2_000) -> np.ndarray:
    """n draws of the portfolio return w'r_{t+1}, (n,). Seeded: same seed, same draws."""
    return fc.distribution.portfolio_scenarios(fc, np.asarray(w, dtype=np.float64), n, seed, chunk)
