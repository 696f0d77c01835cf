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
from scipy import special

from core.errors import ModelError
from core.forecast.distributions import Layer, empirical_var, factor_share

#: how multi-day paths are calibrated (`Recalibrated.portfolio_paths`), appended to the base's method
EACH_DAY = "recalibrated each day"
#: the fixed knots of every stored map: R is piecewise linear between them
PIT_KNOTS = np.r_[0.0, special.ndtr(np.linspace(-6.0, 6.0, 161)), 1.0]


def check_pit_map(values) -> np.ndarray:
    """The map values (2, K) as floats, checked: each row nondecreasing from 0 to 1 on PIT_KNOTS. Row 0 is the map
    of a book whose forecast variance is all specific, row 1 of one that is all factor (book_maps); a single map
    (K,) serves every book and is stored twice."""
    v = np.asarray(values, dtype=np.float64)
    v = np.stack([v, v]) if v.ndim == 1 else v
    if v.shape != (2, PIT_KNOTS.size) or not np.all(np.isfinite(v)) or np.any(np.diff(v, axis=1) < -1e-9) \
            or np.abs(v[:, 0]).max() > 1e-6 or np.abs(v[:, -1] - 1.0).max() > 1e-6:
        raise ModelError(f"a calibration map needs 2 rows of {PIT_KNOTS.size} nondecreasing values from 0 to 1; "
                         "refit it with core.risk.recalibration.recalibrate")
    return v


def book_maps(pit_map: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Map values (P, K) of books whose factor shares of forecast variance are `share` (P,): the mix
    (1 - s) R_0 + s R_1 of the two rows of pit_map (2, K), monotone as both rows are."""
    s = np.clip(np.asarray(share, dtype=np.float64), 0.0, 1.0)[:, None]
    return (1.0 - s) * pit_map[0] + s * pit_map[1]


def forward(values: np.ndarray, u):
    """R(u) for PITs u of one book whose map has `values` (K,)."""
    return np.interp(u, PIT_KNOTS, values)


def inverse(values: np.ndarray, p):
    """R^{-1}(p): the smallest raw PIT whose calibrated value reaches p (flat stretches of R skipped)."""
    keep = np.r_[True, np.diff(values) > 0]
    return np.interp(p, values[keep], PIT_KNOTS[keep])


def calibrated(values: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Raw draws (n,) of one book's return, each moved to the raw quantile R^{-1}(F_n(x)) of its map `values` (K,)
    (numpy's linear quantile of the raw draws), so the result is a draw of the calibrated distribution, (n,)."""
    order = np.argsort(raw)
    ranks = np.empty(raw.size)
    ranks[order] = (np.arange(raw.size) + 0.5) / raw.size
    return np.interp(inverse(values, ranks) * (raw.size - 1), np.arange(raw.size), raw[order])


@dataclass(frozen=True, eq=False)
class Recalibrated(Layer):
    """The base distribution (Normal or StudentT) with each book's portfolio CDF passed through its map R."""

    pit_map: np.ndarray  # (2, K): values at PIT_KNOTS of the all-specific and the all-factor book's maps
    closed_form: ClassVar[bool] = False

    def values(self, fc, w: np.ndarray) -> np.ndarray:
        """The map values (K,) of book w (N,), or (P, K) of books w (N, P)."""
        w = np.asarray(w, dtype=np.float64)
        maps = book_maps(self.pit_map, np.atleast_1d(factor_share(fc, w.reshape(len(w), -1))))
        return maps[0] if w.ndim == 1 else maps

    # delegated too (Layer does the rest): portfolio moments are the base distribution's
    def portfolio_moments(self, fc, w):
        return self.base.portfolio_moments(fc, w)

    def portfolio_note(self, fc, w):
        return self.base.portfolio_note(fc, w)

    # the layer: portfolio quantities
    def portfolio_scenarios(self, fc, w: np.ndarray, n: int, seed: int, chunk: int = 2_000) -> np.ndarray:
        """n calibrated draws of w'r, (n,)."""
        return calibrated(self.values(fc, w), self.base.portfolio_scenarios(fc, w, n, seed, chunk))

    def portfolio_paths(self, fc, w: np.ndarray, horizon: int, n: int, seed: int) -> tuple[np.ndarray, str]:
        """(paths (n, horizon) of daily portfolio returns, how): the base's paths with each day's draws passed
        through the book's map (the map is learned on one-day outcomes; applied to every day's marginal, the base's
        dependence between days kept)."""
        raw, method = self.base.portfolio_paths(fc, w, horizon, n, seed)
        values = self.values(fc, w)
        return np.stack([calibrated(values, day) for day in raw.T], axis=1), f"{method}, {EACH_DAY}"

    def portfolio_cdf(self, fc, w, x, n_samples, seed) -> float:
        return float(forward(self.values(fc, w), self.base.portfolio_cdf(fc, w, x, n_samples, seed)))

    def portfolio_var(self, fc, w, levels, n_samples, seed) -> tuple[dict, str, int]:
        draws = self.portfolio_scenarios(fc, w, n_samples, seed)
        return {lv: empirical_var(draws, lv) for lv in levels}, "monte_carlo, recalibrated", n_samples

    def portfolio_pit_var(self, fc, w, x, levels, n_samples, seed) -> tuple[float, dict]:
        """`portfolio_cdf` and `portfolio_var`'s levels: where the base's CDF is read from the same draws as its
        scenarios (base.cdf_from_draws), from one set of them, the same numbers as the two calls at half the draws;
        else the two calls (a Normal base's CDF is exact)."""
        if not self.base.cdf_from_draws:
            return self.portfolio_cdf(fc, w, x, n_samples, seed), self.portfolio_var(fc, w, levels, n_samples, seed)[0]
        raw = self.base.portfolio_scenarios(fc, w, n_samples, seed)
        values = self.values(fc, w)
        draws = calibrated(values, raw)
        return float(forward(values, float(np.mean(raw <= x)))), {lv: empirical_var(draws, lv) for lv in levels}

    def books_pit_var(self, fc, w, x, level, n_samples, seed):
        """R(raw PIT) per book and the loss at each book's raw quantile R^{-1}(1 - level), from one set of draws."""
        maps = self.values(fc, w)  # (P, K)
        probs = np.array([inverse(m, 1.0 - level) for m in maps])
        pit, q = self.base.books_pit_quantile(fc, w, x, probs, n_samples, seed)
        return np.array([forward(m, u) for m, u in zip(maps, pit)]), -q
