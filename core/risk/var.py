"""Value at Risk and expected shortfall (CVaR), loss convention: both are POSITIVE losses.

VaR_a = the loss exceeded with probability 1 - a (a = 0.95 or 0.99); CVaR_a = E[loss | loss >= VaR_a].
Methods: "parametric" (closed form, Normal forecasts only), "monte_carlo" (portfolio scenarios
from the forecast, seeded; used for Student-t forecasts), "historical" (from past returns).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from core.errors import ModelError
from core.models.base import FactorForecast
from core.risk.factor import check_weights, portfolio_mean_vol
from core.risk.scenarios import DEFAULT_SAMPLES, portfolio_scenarios


@dataclass
class VaRResult:
    level: float
    var: float
    cvar: float
    method: str
    n_samples: int = 0


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ModelError(f"VaR level {level} is not in (0, 1); use e.g. 0.95 or 0.99")
    return level


def normal_var(mean: float, vol: float, level: float) -> tuple[float, float]:
    """(VaR, CVaR) of a return ~ N(mean, vol^2): VaR = -mean + vol z_a, CVaR = -mean + vol phi(z_a)/(1-a)."""
    z = stats.norm.ppf(level)
    return -mean + vol * z, -mean + vol * stats.norm.pdf(z) / (1.0 - level)


def empirical_var(returns: np.ndarray, level: float) -> tuple[float, float]:
    """(VaR, CVaR) from draws or history of returns (n,): quantile of losses and tail mean."""
    losses = -np.asarray(returns, dtype=np.float64)
    losses = losses[np.isfinite(losses)]
    if losses.size == 0:
        raise ModelError("no finite returns to compute a VaR from; check the data range")
    var = float(np.quantile(losses, level))
    return var, float(losses[losses >= var].mean())


def forecast_var(fc: FactorForecast, w, level: float = 0.99, method: str = "auto",
                 n_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> VaRResult:
    """One-day VaR and CVaR of portfolio w (N,) under forecast fc.

    method "auto": parametric for Normal forecasts, Monte Carlo (n_samples draws, seed) otherwise.
    """
    level = _check_level(level)
    w = check_weights(fc, w)
    if method == "auto":
        method = "parametric" if fc.family == "normal" else "monte_carlo"
    if method == "parametric":
        if fc.family != "normal":
            raise ModelError("parametric VaR needs a Normal forecast; use method='monte_carlo' for Student-t")
        var, cvar = normal_var(*portfolio_mean_vol(fc, w), level)
        return VaRResult(level, var, cvar, method)
    if method == "monte_carlo":
        var, cvar = empirical_var(portfolio_scenarios(fc, w, n_samples, seed), level)
        return VaRResult(level, var, cvar, method, n_samples)
    raise ModelError(f"unknown VaR method {method!r}; use auto, parametric or monte_carlo")


def historical_var(returns, level: float = 0.99, window: int | None = 250) -> VaRResult:
    """Historical VaR / CVaR from the last `window` realised portfolio returns (all if None)."""
    level = _check_level(level)
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if window is not None:
        r = r[-window:]
    var, cvar = empirical_var(r, level)
    return VaRResult(level, var, cvar, "historical", r.size)
