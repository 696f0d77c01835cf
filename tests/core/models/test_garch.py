"""The GARCH(1,1)-t filter matches arch's with fixed parameters."""
from __future__ import annotations

import numpy as np
from arch import arch_model

from core.models.garch import garch_filter


def test_garch_filter_matches_arch_with_fixed_parameters():
    y = arch_model(None, mean="Constant", vol="GARCH", p=1, q=1, dist="t").simulate([0.05, 0.1, 0.08, 0.9, 6.0], 1500)
    y = y["data"].to_numpy()
    res = arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fix([0.05, 0.1, 0.08, 0.9, 6.0])
    ours = garch_filter(y[:, None], {k: np.array([v]) for k, v in
                                     zip(("mu", "omega", "alpha", "beta", "nu"), (0.05, 0.1, 0.08, 0.9, 6.0))})
    # ours[t] is the variance of y[t+1]; arch's conditional volatility at t+1 is the same quantity
    np.testing.assert_allclose(ours[500:-1, 0], res.conditional_volatility[501:] ** 2, rtol=1e-6)
