"""Value at Risk and expected shortfall (CVaR), loss convention: both are POSITIVE losses.

VaR_a = the loss exceeded with probability 1 - a (a = 0.95 or 0.99); CVaR_a = E[loss | loss >= VaR_a].
Methods: "parametric" (closed form, Normal forecasts only), "monte_carlo" (portfolio scenarios
from the forecast, seeded; used for Student-t forecasts), "historical" (from past returns).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from core.errors import ModelError
from core.forecast import FactorForecast
from core.forecast.distributions import empirical_var, normal_var
from core.risk.factor import check_weights, portfolio_mean_vol
from core.risk.scenarios import DEFAULT_SAMPLES, portfolio_scenarios


@dataclass
class VaRResult:
    level: float
    var: float
    cvar: float
    method: str
    n_samples: int = 0
    horizon: int = 1  # trading days (core.risk.horizon for longer ones)


def check_level(level: float) -> float:
    """The VaR level as a float in (0, 1); ModelError otherwise."""
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ModelError(f"VaR level {level} is not in (0, 1); use e.g. 0.95 or 0.99")
    return level


def forecast_var(fc: FactorForecast, w, level: float = 0.99, method: str = "auto",
                 n_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> VaRResult:
    """One-day VaR and CVaR of portfolio w (N,) under forecast fc.

    method "auto": parametric for Normal forecasts, Monte Carlo (n_samples draws, seed) otherwise.
    """
    level = check_level(level)
    w = check_weights(fc, w)
    if method == "auto":
        method = "parametric" if fc.distribution.closed_form else "monte_carlo"
    if method == "parametric":
        if not fc.distribution.closed_form:
            raise ModelError("parametric VaR needs a Normal forecast; use method='monte_carlo' for Student-t")
        var, cvar = normal_var(*portfolio_mean_vol(fc, w), level)
        return VaRResult(level, var, cvar, method)
    if method == "monte_carlo":
        var, cvar = empirical_var(portfolio_scenarios(fc, w, n_samples, seed), level)
        return VaRResult(level, var, cvar, method, n_samples)
    raise ModelError(f"unknown VaR method {method!r}; use auto, parametric or monte_carlo")


def forecast_vars(fc: FactorForecast, w, levels=(0.95, 0.99), n_samples: int = DEFAULT_SAMPLES,
                  seed: int = 0) -> dict[float, VaRResult]:
    """VaR / CVaR of w (N,) at several levels: closed form where the distribution has one, else
    from ONE seeded set of n_samples portfolio scenarios shared by every level."""
    levels = [check_level(lv) for lv in levels]
    out, method, n = fc.distribution.portfolio_var(fc, check_weights(fc, w), levels, n_samples, seed)
    return {lv: VaRResult(lv, *out[lv], method, n) for lv in levels}
