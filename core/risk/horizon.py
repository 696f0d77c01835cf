"""Multi-day VaR and CVaR (loss convention of core.risk.var: positive losses) by simulating the model's own
distribution day after day, and the checks of an h-day VaR against outcomes.

The h-day return of weights w (N,) set at the close of t and rebalanced to w every day (constant mix):

    R_h = prod_{k=1..h} (1 + x_{t+k}) - 1,    x_{t+k} = w' r_{t+k}.

Its distribution is simulated: n paths of daily portfolio returns (n, H) from the forecast's distribution object
(`portfolio_paths`, the contract): through the model's own dynamics where it has them (a univariate model's
portfolio GARCH runs its variance recursion along each path); a forecast of day t+1 only (every factor model)
gives i.i.d. days, each later day a fresh draw of the day-t+1 forecast, calibrated each day for a "+cal" model.
The method says which; no figure is a square-root-of-time scaling of the one-day VaR. Then

    VaR_{a,h} = -quantile_{1-a}(R_h),   CVaR_{a,h} = E[-R_h | -R_h >= VaR_{a,h}].

The one-day row is core.risk.var.forecast_vars (closed form where the family has one), the figure every page shows.

Checks (core.risk.backtest for the tests themselves): an h-day VaR is backtested on NON-overlapping windows (every
h-th forecast date, so windows t+1..t+h share no day: few of them, and the count is said); the windows of every
date (or every k-th: still overlapping, dependent, and said) give a calibration check: breach rates and the PIT
histogram, without a p-value.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.errors import ModelError
from core.forecast import FactorForecast
from core.forecast.distributions import empirical_var
from core.risk.backtest import VaRBacktest, var_backtest
from core.risk.calibration import calibration_error
from core.risk.factor import check_weights
from core.risk.scenarios import DEFAULT_SAMPLES
from core.risk.var import VaRResult, check_level, forecast_vars

HORIZONS = (1, 10, 21)  # trading days: a day, the regulatory 10 days, a month
PIT_BINS = 10  # bars of the PIT histogram
OVERLAP_NOTE = ("overlapping windows, one starting {every}, share {shared} of their {h} days, so neighbouring outcomes "
                "are dependent (about {independent} independent windows): a calibration check, not a test; no "
                "p-value is given")


def check_horizons(horizons) -> list[int]:
    """The horizons as sorted distinct positive ints (trading days); ModelError otherwise."""
    out = sorted({int(h) for h in horizons})
    if not out or out[0] < 1 or any(int(h) != h for h in horizons):
        raise ModelError(f"VaR horizons {list(horizons)} must be whole trading days >= 1, e.g. 1, 10, 21")
    return out


def compound(paths: np.ndarray) -> np.ndarray:
    """Daily returns (n, H) -> compounded returns after 1..H days, (n, H): prod_{k<=h} (1 + x_k) - 1."""
    return np.cumprod(1.0 + np.asarray(paths, dtype=np.float64), axis=1) - 1.0


@dataclass
class HorizonDraws:
    """Simulated returns of a portfolio over the days after a forecast date: cum (n, H) compounded returns after
    1..H days, the method of the paths, and their count."""

    cum: np.ndarray
    method: str

    @property
    def n_samples(self) -> int:
        return self.cum.shape[0]

    def tail(self, horizon: int, level: float) -> VaRResult:
        """VaR and CVaR of the h-day return at `level`."""
        var, cvar = empirical_var(self.cum[:, horizon - 1], check_level(level))
        return VaRResult(level, var, cvar, self.method, self.n_samples, horizon)

    def cdf(self, horizon: int, x: float) -> float:
        """P(R_h <= x): the PIT of a realised h-day return x (NaN for NaN x)."""
        return float("nan") if np.isnan(x) else float(np.mean(self.cum[:, horizon - 1] <= x))


def simulate(fc: FactorForecast, w, horizon: int, n_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> HorizonDraws:
    """n_samples seeded paths of the portfolio w (N,) over `horizon` days after fc.date, compounded."""
    horizon = check_horizons([horizon])[0]
    paths, method = fc.distribution.portfolio_paths(fc, check_weights(fc, w), horizon, n_samples, seed)
    return HorizonDraws(compound(paths), method)


def horizon_vars(fc: FactorForecast, w, horizons=HORIZONS, levels=(0.95, 0.99), n_samples: int = DEFAULT_SAMPLES,
                 seed: int = 0) -> dict[int, dict[float, VaRResult]]:
    """{horizon: {level: VaRResult}} of w (N,): one day from `forecast_vars`, longer horizons from ONE seeded set of
    n_samples simulated paths as long as the longest horizon (the method of each result says how)."""
    horizons, levels = check_horizons(horizons), [check_level(lv) for lv in levels]
    out = {1: forecast_vars(fc, w, levels, n_samples, seed)} if horizons[0] == 1 else {}
    longer = [h for h in horizons if h > 1]
    if longer:
        draws = simulate(fc, w, longer[-1], n_samples, seed)
        out |= {h: {lv: draws.tail(h, lv) for lv in levels} for h in longer}
    return out


def non_overlapping(positions, horizon: int) -> np.ndarray:
    """Mask (T,) of the forecast dates whose h-day windows do not overlap. positions: (T,) increasing trading-day
    positions of the dates (the window of position p covers days p+1..p+h); greedily from the first, a date is kept
    when it lies at least h days after the last kept one (0, h, 2h, ... on consecutive dates)."""
    keep, last = np.zeros(len(positions), dtype=bool), -np.inf
    for i, p in enumerate(np.asarray(positions)):
        if p >= last + horizon:
            keep[i], last = True, p
    return keep


def horizon_backtest(returns, var, level: float, horizon: int, positions=None) -> VaRBacktest:
    """The backtests (Kupiec, Christoffersen) of an h-day VaR on NON-overlapping windows. returns, var: (T,) per
    forecast date, returns[i] the realised h-day return after date i; positions: (T,) the dates' trading-day
    positions (default consecutive). n_days of the result counts windows. The Basel traffic light (250 one-day
    outcomes) is not defined for h > 1: None."""
    r, v = np.asarray(returns, dtype=np.float64), np.asarray(var, dtype=np.float64)
    keep = non_overlapping(np.arange(r.size) if positions is None else positions, horizon)
    bt = var_backtest(r[keep], v[keep], level)
    return bt if horizon == 1 else replace(bt, traffic_light=None, traffic_light_count=None)


@dataclass
class OverlapCheck:
    """The calibration of an h-day VaR on every date's (overlapping) window: n_windows, breach rate per level,
    histogram (PIT_BINS,) of the PITs as shares (1 / PIT_BINS each when calibrated), the calibration error of
    core.risk.calibration, and the note on dependence."""

    horizon: int
    n_windows: int
    breach_rates: dict[float, float]
    pit_histogram: np.ndarray
    calibration_error: float
    note: str


def overlap_check(returns, vars_: dict[float, np.ndarray], pit, horizon: int, positions=None) -> OverlapCheck:
    """returns (T,), vars_ {level: (T,)}, pit (T,): the h-day outcome, VaR and PIT of forecast dates at trading-day
    `positions` (T,) (default consecutive); NaN rows dropped per quantity."""
    r, pit = np.asarray(returns, dtype=np.float64), np.asarray(pit, dtype=np.float64)
    pos = np.arange(r.size) if positions is None else np.asarray(positions)
    rates = {}
    for lv, v in vars_.items():
        v = np.asarray(v, dtype=np.float64)
        ok = np.isfinite(r) & np.isfinite(v)
        rates[lv] = float(np.mean(-r[ok] > v[ok])) if ok.any() else float("nan")
    p = pit[np.isfinite(pit)]
    hist = np.histogram(p, bins=PIT_BINS, range=(0.0, 1.0))[0] / max(p.size, 1)
    return OverlapCheck(horizon, int(np.isfinite(r).sum()), rates, hist, calibration_error(p), overlap_note(pos, horizon))


def overlap_note(positions: np.ndarray, horizon: int) -> str:
    """How dependent windows starting at trading-day `positions` (T,) are: the typical spacing, the days neighbours
    share and about how many independent windows they hold."""
    step = int(np.median(np.diff(positions))) if len(positions) > 1 else horizon
    if step >= horizon:
        return ""
    independent = int((positions[-1] - positions[0]) // horizon) + 1
    every = "every trading day" if step == 1 else f"every {step} trading days"
    return OVERLAP_NOTE.format(every=every, shared=horizon - step, h=horizon, independent=independent)
