"""A calibration layer on any distribution of a factor forecast (Kuleshov et al. 2018).

The raw portfolio CDF F(x) = P(w'r <= x) is mapped through a monotone map R of [0, 1] onto itself,
learned from past probability integral transforms (core/risk/recalibration.py):

    G(x) = R(F(x)),   VaR_a = -F^{-1}(R^{-1}(1 - a)),   calibrated draws x' = F^{-1}(R^{-1}(F_n(x)))

where F_n is the empirical CDF of the raw draws. The layer changes portfolio quantities only (CDF,
VaR / CVaR, scenarios); the joint density, the per-stock marginals and the factor draws are the base
distribution's, so a joint likelihood of the layered model equals the raw model's.
The map is stored as its values at PIT_KNOTS (K,), nondecreasing, 0 at 0 and 1 at 1. The knots are
evenly spaced in Normal scores (Phi(-6..6)), so the tails, where VaR lives, are resolved to ~1e-9.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from core.errors import ModelError
from core.forecast.distributions import Layer, empirical_var

#: how multi-day paths are calibrated (`Recalibrated.portfolio_paths`), appended to the base's method
EACH_DAY = "recalibrated each day"
#: the fixed knots of every stored map: R is piecewise linear between them
PIT_KNOTS = np.r_[0.0, stats.norm.cdf(np.linspace(-6.0, 6.0, 161)), 1.0]


def check_pit_map(values) -> np.ndarray:
    """The map values (K,) as floats, checked: nondecreasing from 0 to 1 on PIT_KNOTS."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.shape != PIT_KNOTS.shape or not np.all(np.isfinite(v)) or np.any(np.diff(v) < -1e-9) \
            or abs(v[0]) > 1e-6 or abs(v[-1] - 1.0) > 1e-6:
        raise ModelError(f"a calibration map needs {PIT_KNOTS.size} nondecreasing values from 0 to 1; "
                         "refit it with core.risk.recalibration.recalibrate")
    return v


@dataclass(frozen=True, eq=False)
class Recalibrated(Layer):
    """The base distribution (Normal or StudentT) with its portfolio CDF passed through R."""

    pit_map: np.ndarray  # (K,) values of R at PIT_KNOTS
    closed_form: ClassVar[bool] = False

    def forward(self, u):
        """R(u) for PITs u (any shape)."""
        return np.interp(u, PIT_KNOTS, self.pit_map)

    def inverse(self, p):
        """R^{-1}(p): the smallest raw PIT whose calibrated value reaches p (flat stretches of R skipped)."""
        y, keep = self.pit_map, np.r_[True, np.diff(self.pit_map) > 0]
        return np.interp(p, y[keep], PIT_KNOTS[keep])

    # delegated too (Layer does the rest): portfolio moments are the base distribution's
    def portfolio_moments(self, fc, w):
        return self.base.portfolio_moments(fc, w)

    def portfolio_note(self, fc, w):
        return self.base.portfolio_note(fc, w)

    # the layer: portfolio quantities
    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """Raw draws (n,) of one portfolio return, each moved to the raw quantile R^{-1}(F_n(x)) (numpy's linear
        quantile of the raw draws), so the result is a draw of the calibrated distribution, (n,)."""
        order = np.argsort(raw)
        ranks = np.empty(raw.size)
        ranks[order] = (np.arange(raw.size) + 0.5) / raw.size
        return np.interp(self.inverse(ranks) * (raw.size - 1), np.arange(raw.size), raw[order])

    def portfolio_scenarios(self, fc, w: np.ndarray, n: int, seed: int, chunk: int = 2_000) -> np.ndarray:
        """n calibrated draws of w'r, (n,)."""
        return self.calibrated(self.base.portfolio_scenarios(fc, w, n, seed, chunk))

    def portfolio_paths(self, fc, w: np.ndarray, horizon: int, n: int, seed: int) -> tuple[np.ndarray, str]:
        """(paths (n, horizon) of daily portfolio returns, how): the base's paths with each day's draws passed
        through the map (the map is learned on one-day outcomes; applied to every day's marginal, the base's
        dependence between days kept)."""
        raw, method = self.base.portfolio_paths(fc, w, horizon, n, seed)
        return np.stack([self.calibrated(day) for day in raw.T], axis=1), f"{method}, {EACH_DAY}"

    def portfolio_cdf(self, fc, w, x, n_samples, seed) -> float:
        return float(self.forward(self.base.portfolio_cdf(fc, w, x, n_samples, seed)))

    def portfolio_var(self, fc, w, levels, n_samples, seed) -> tuple[dict, str, int]:
        draws = self.portfolio_scenarios(fc, w, n_samples, seed)
        return {lv: empirical_var(draws, lv) for lv in levels}, "monte_carlo, recalibrated", n_samples

    def portfolio_pit_var(self, fc, w, x, levels, n_samples, seed) -> tuple[float, dict]:
        return self.portfolio_cdf(fc, w, x, n_samples, seed), self.portfolio_var(fc, w, levels, n_samples, seed)[0]
