"""cvxpy portfolio optimisation in factor form: the variable y = B'w (F,) carries the factor risk,

    w' Sigma w = || L' y ||^2 + || sqrt(d) * w ||^2,   Sz = L L',

so the problem has N + F variables and O(N F) non-zeros (no N x N matrix). Per-day numbers are
cvxpy Parameters, so a backtest re-solves the same compiled problem (DPP) instead of rebuilding it.
Internally the objective is divided by s^2 (s = typical stock volatility) for solver accuracy;
this does not change the argmax.

Objectives: "mean_variance"  max m'w - (lambda/2) w' Sigma w   (paper Eq. 13)
            "min_variance"   min w' Sigma w   (needs a budget, default sum w = 1)
            "max_return"     max m'w  s.t. vol <= target_vol   (target-volatility portfolio)
Infeasible constraints raise PortfolioError naming the constraints in conflict: the problem is
re-solved as a feasibility problem with each constraint group dropped in turn.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np
import pandas as pd

from core.errors import PortfolioError
from core.forecast import FactorForecast
from core.forecast.linalg import safe_cholesky
from core.portfolio.constraints import Constraints

OBJECTIVES = ("mean_variance", "min_variance", "max_return")
_BAD = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE)


@dataclass
class OptimResult:
    weights: pd.Series
    mean: float
    vol: float
    status: str


class FactorProblem:
    """A compiled problem for fixed tickers, F, objective and constraints; the forecast
    (`set_forecast`) is a set of Parameters; mean-variance uses m / lambda so lambda is set there too."""

    def __init__(self, tickers: list[str], n_factors: int, factor_names: list[str], objective: str,
                 cons: Constraints, risk_aversion: float = 1.0, sectors: pd.Series | None = None):
        if objective not in OBJECTIVES:
            raise PortfolioError(f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}")
        n, f = len(tickers), n_factors
        self.tickers, self.objective, self.cons = list(tickers), objective, cons
        self.w, self.y = cp.Variable(n), cp.Variable(f)
        self.m, self.bt = cp.Parameter(n), cp.Parameter((f, n))
        self.lt, self.sd = cp.Parameter((f, f)), cp.Parameter(n, nonneg=True)
        self.prev, self.scale = cp.Parameter(n), 1.0
        self.risk_aversion = float(risk_aversion)
        self.risk = cp.sum_squares(cp.multiply(self.sd, self.w))
        if f:  # a forecast with no factors (diagonal covariance) has no factor term
            self.risk = self.risk + cp.sum_squares(self.lt @ self.y)
        self.groups = self._groups(cons, factor_names, sectors)
        if objective == "mean_variance":
            goal = cp.Maximize(self.m @ self.w - 0.5 * self.risk)  # m holds mean / lambda (DPP)
        elif objective == "min_variance":
            goal = cp.Minimize(self.risk)
        else:
            if cons.target_vol is None:
                raise PortfolioError("the max_return objective needs a target volatility; set target_vol")
            goal = cp.Maximize(self.m @ self.w)
        self.problem = cp.Problem(goal, self._constraints(self.groups))

    def _groups(self, c: Constraints, factor_names: list[str], sectors: pd.Series | None) -> dict[str, list]:
        w, g = self.w, {}
        if c.long_only:
            g["long-only"] = [w >= 0]
        if c.budget is not None:
            g[f"budget (sum w = {c.budget:g})"] = [cp.sum(w) == c.budget]
        if c.gross_leverage is not None:
            g[f"gross leverage <= {c.gross_leverage:g}"] = [cp.norm1(w) <= c.gross_leverage]
        if c.max_weight is not None:
            g[f"max weight {c.max_weight:g}"] = [cp.abs(w) <= c.max_weight]
        for sector, cap in c.sector_caps.items():
            if sectors is None:
                raise PortfolioError("sector caps need the tickers' sectors; pass sectors=panel.sectors")
            mask = np.asarray(sectors.reindex(self.tickers) == sector, dtype=float)
            if not mask.any():
                raise PortfolioError(f"no stock of the portfolio is in sector {sector!r}; check the sector name")
            g[f"sector cap {sector} {cap:g}"] = [cp.abs(mask @ w) <= cap]
        for name, (lo, hi) in c.factor_bounds.items():
            if name not in factor_names:
                raise PortfolioError(f"unknown factor {name!r} in factor bounds; the model's factors are {factor_names}")
            k = factor_names.index(name)
            g[f"exposure {name} in [{lo:g}, {hi:g}]"] = [self.y[k] >= lo, self.y[k] <= hi]
        if c.turnover is not None:
            g[f"turnover <= {c.turnover:g}"] = [cp.norm1(w - self.prev) <= c.turnover]
        if c.target_vol is not None:
            g[f"target vol {c.target_vol:g}"] = [self.risk <= 1.0]  # risk is scaled by target_vol^2 in set_forecast
        return g

    def _constraints(self, groups: dict[str, list]) -> list:
        link = [self.y == self.bt @ self.w] if self.y.size else []
        return link + [c for cs in groups.values() for c in cs]

    def set_forecast(self, fc: FactorForecast, previous: np.ndarray | None = None) -> None:
        """Load one day's forecast (its tickers must be this problem's tickers)."""
        s = self.cons.target_vol if self.cons.target_vol is not None else float(np.sqrt(np.median(fc.total_var())))
        s = max(s, 1e-12)
        self.scale = s
        chol = safe_cholesky(fc.factor_cov) if fc.n_factors else np.zeros((0, 0))
        self.m.value = fc.mean / s**2 / (self.risk_aversion if self.objective == "mean_variance" else 1.0)
        self.bt.value = fc.exposures.T
        self.lt.value = chol.T / s
        self.sd.value = np.sqrt(fc.idio_var) / s
        self.prev.value = np.zeros(len(self.tickers)) if previous is None else np.asarray(previous, dtype=float)

    def solve(self) -> np.ndarray:
        """Solve; PortfolioError naming the conflicting constraints when infeasible."""
        _solve(self.problem)
        if self.problem.status in _BAD:
            raise PortfolioError(self._conflict_message())
        if self.problem.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
            raise PortfolioError(f"the {self.objective} portfolio is unbounded; add a budget, leverage or volatility limit")
        if self.w.value is None:
            raise PortfolioError(f"the solver failed ({self.problem.status}); loosen the constraints or check the forecast")
        return np.asarray(self.w.value, dtype=float)

    def _conflict_message(self) -> str:
        names = list(self.groups)
        culprits = []
        for name in names:
            rest = {k: v for k, v in self.groups.items() if k != name}
            trial = cp.Problem(cp.Minimize(0), self._constraints(rest))
            _solve(trial)
            if trial.status not in _BAD:
                culprits.append(name)
        conflict = culprits or names
        return f"constraints in conflict: {', '.join(conflict)}; relax or remove one of them"


def _solve(problem: cp.Problem) -> None:
    try:
        problem.solve(solver=cp.CLARABEL)
    except cp.SolverError:
        problem.solve(solver=cp.SCS)


def optimise(fc: FactorForecast, objective: str = "mean_variance", constraints: Constraints | None = None,
             risk_aversion: float = 1.0, sectors: pd.Series | None = None) -> OptimResult:
    """Optimal weights for one forecast. sectors: Series ticker -> sector (for sector caps)."""
    cons = constraints or Constraints()
    if objective == "min_variance" and cons.budget is None:
        cons = replace(cons, budget=1.0)
    prob = FactorProblem(fc.tickers, fc.n_factors, list(fc.factor_names), objective, cons, risk_aversion, sectors)
    prob.set_forecast(fc, _align(cons.previous, fc))
    w = prob.solve()
    return OptimResult(pd.Series(w, index=fc.tickers, name="weight"), fc.portfolio_mean(w),
                       float(np.sqrt(max(fc.portfolio_var(w), 0.0))), prob.problem.status)


def efficient_frontier(fc: FactorForecast, constraints: Constraints | None = None, n_points: int = 25,
                       sectors: pd.Series | None = None, max_solves: int = 90) -> pd.DataFrame:
    """Mean-variance portfolios from minimum variance (risk aversion 1e7) to the highest-return
    feasible portfolio (1e-3), budget sum w = 1 unless given. A coarse log grid of risk aversion
    first; then the widest gap in forecast mean between neighbouring distinct portfolios is bisected
    (in log risk aversion) until `n_points` distinct portfolios are found (or `max_solves`), so a
    cap that makes most of the grid collapse onto a few corners still gives a traced curve.
    Returns a frame sorted by mean with columns risk_aversion, mean, vol and one column per ticker."""
    cons = constraints or Constraints()
    if cons.budget is None:
        cons = replace(cons, budget=1.0)
    prob = FactorProblem(fc.tickers, fc.n_factors, list(fc.factor_names), "mean_variance", cons, 1.0, sectors)
    prev = _align(cons.previous, fc)

    def solve(lam: float) -> dict:
        prob.risk_aversion = lam
        prob.set_forecast(fc, prev)
        w = prob.solve()
        return {"risk_aversion": lam, "mean": fc.portfolio_mean(w),
                "vol": float(np.sqrt(max(fc.portfolio_var(w), 0.0))), **dict(zip(fc.tickers, w))}

    rows = [solve(lam) for lam in np.logspace(-3, 7, 11)]
    solves = len(rows)
    while solves < max_solves:
        frame = pd.DataFrame(rows).sort_values("mean")
        span = frame["mean"].iloc[-1] - frame["mean"].iloc[0]
        group = (frame["mean"].diff().fillna(np.inf) > 1e-4 * max(span, 1e-12)).cumsum()
        if group.iloc[-1] >= n_points or span <= 0:
            break
        means = frame.groupby(group)["mean"].first().to_numpy()
        k = int(np.argmax(np.diff(means)))  # the widest gap, between groups k+1 and k+2 (ids from 1)
        # the mean falls as risk aversion rises: the boundary is group k+1's smallest and k+2's largest lambda
        lo = frame.loc[group == k + 1, "risk_aversion"].min()
        hi = frame.loc[group == k + 2, "risk_aversion"].max()
        rows.append(solve(float(np.sqrt(lo * hi))))
        solves += 1
    frame = pd.DataFrame(rows).sort_values("mean")
    span = frame["mean"].iloc[-1] - frame["mean"].iloc[0]
    keep = frame["mean"].diff().fillna(np.inf) > 1e-4 * max(span, 1e-12)
    return frame.loc[keep].reset_index(drop=True)


def _align(previous, fc: FactorForecast) -> np.ndarray | None:
    """Previous weights as (N,) on fc.tickers: a Series is reindexed (missing = 0), an array must match N."""
    if previous is None:
        return None
    if isinstance(previous, pd.Series):
        return previous.reindex(fc.tickers).fillna(0.0).to_numpy(dtype=float)
    prev = np.asarray(previous, dtype=float)
    if prev.shape != (fc.n_stocks,):
        raise PortfolioError(f"previous weights have {prev.size} entries for {fc.n_stocks} stocks; pass a Series by ticker")
    return prev
