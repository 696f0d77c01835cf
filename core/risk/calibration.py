"""Distribution calibration (spec section 3): probability integral transforms and the error

    cal = sum_j (p_j - p_hat_j)^2,  p_j = j / 101 (j = 1..100),  p_hat_j = share of PIT values below p_j.

PITs: Normal forecasts in closed form. Student-t forecasts: a stock's CDF is Rao-Blackwellised
over `n_samples` prior draws of the factors (F_i(x) = mean_s T_nu((x - m_i - b_i' z_s) / scale_i));
the portfolio CDF is the share of `n_samples` Monte Carlo portfolio scenarios below the outcome.
"""
from __future__ import annotations

import numpy as np

from core.forecast import FactorForecast

LEVELS = np.arange(1, 101) / 101.0
CALIBRATION_SAMPLES = 2_000


def calibration_error(pit: np.ndarray) -> float:
    """sum_j (p_j - share(pit < p_j))^2 over the 100 levels; pit (M,) in [0, 1]."""
    pit = np.asarray(pit, dtype=np.float64)
    pit = pit[np.isfinite(pit)]
    if pit.size == 0:
        return float("nan")
    p_hat = (pit[:, None] < LEVELS[None, :]).mean(axis=0)
    return float(np.sum((LEVELS - p_hat) ** 2))


def uni_calibration(pits: np.ndarray) -> float:
    """Per-stock calibration error averaged with weights = days present. pits: (T, N), NaN where absent."""
    pits = np.asarray(pits, dtype=np.float64)
    days = np.isfinite(pits).sum(axis=0)
    errs = np.array([calibration_error(pits[:, i]) if days[i] else 0.0 for i in range(pits.shape[1])])
    return float(np.sum(errs * days) / days.sum()) if days.sum() else float("nan")


def marginal_pit(fc: FactorForecast, r: np.ndarray, n_samples: int = CALIBRATION_SAMPLES, seed: int = 0) -> np.ndarray:
    """Forecast CDF of each stock at its realised return r (N,) -> (N,)."""
    return fc.distribution.marginal_cdf(fc, np.asarray(r, dtype=np.float64), n_samples, seed)
