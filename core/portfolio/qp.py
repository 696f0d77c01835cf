"""Direct Clarabel QP for the paper's four mean-variance variants (evaluation's hot loop).

The general optimiser (core.portfolio.optimiser, cvxpy) spends ~40 ms per solve re-applying its
parameters; the evaluation solves three variants on every day of a split for every model, so it
uses this factor-form QP handed straight to Clarabel (the same solver), ~1-2 ms per solve.
Only long_only, budget and gross_leverage constraints are supported; anything else goes to cvxpy.

Variables x = [w (N), y (F), t (N, only with a leverage limit)]:
    min 1/2 (w' D w + y' Sz y) / s^2 - m'w / (lambda s^2)     (s: median stock volatility, scaling only)
    s.t. B'w - y = 0;  sum w = budget;  w >= 0;  -t <= w <= t, sum t <= L
No N x N matrix is formed.
"""
from __future__ import annotations

import clarabel
import numpy as np
from scipy import sparse

from core.errors import PortfolioError
from core.models.base import FactorForecast
from core.portfolio.constraints import Constraints

SUPPORTED = {"long_only", "budget", "gross_leverage"}


def supports(c: Constraints) -> bool:
    """True when `c` uses only long-only, budget and gross-leverage constraints."""
    return (c.max_weight is None and not c.sector_caps and not c.factor_bounds and c.turnover is None
            and c.target_vol is None)


def mean_variance_qp(fc: FactorForecast, c: Constraints, risk_aversion: float) -> np.ndarray:
    """argmax m'w - (lambda/2) w' Sigma w under `c` (see `supports`): weights (N,)."""
    n, f = fc.n_stocks, fc.n_factors
    lev = c.gross_leverage is not None
    nt = n if lev else 0
    s2 = max(float(np.median(fc.total_var())), 1e-24)
    p = sparse.block_diag([sparse.diags(fc.idio_var / s2), sparse.csc_matrix(np.triu(fc.factor_cov) / s2),
                           sparse.csc_matrix((nt, nt))], format="csc")
    q = np.concatenate([-fc.mean / (risk_aversion * s2), np.zeros(f + nt)])
    eq_rows, eq_b, ineq_rows, ineq_b = [], [], [], []
    if f:
        eq_rows.append(sparse.hstack([sparse.csc_matrix(fc.exposures.T), -sparse.eye(f), sparse.csc_matrix((f, nt))]))
        eq_b.append(np.zeros(f))
    if c.budget is not None:
        eq_rows.append(sparse.hstack([np.ones((1, n)), sparse.csc_matrix((1, f + nt))]))
        eq_b.append([c.budget])
    if c.long_only:
        ineq_rows.append(sparse.hstack([-sparse.eye(n), sparse.csc_matrix((n, f + nt))]))
        ineq_b.append(np.zeros(n))
    if lev:
        zero = sparse.csc_matrix((n, f))
        ineq_rows += [sparse.hstack([sparse.eye(n), zero, -sparse.eye(n)]),
                      sparse.hstack([-sparse.eye(n), zero, -sparse.eye(n)]),
                      sparse.hstack([sparse.csc_matrix((1, n + f)), np.ones((1, n))])]
        ineq_b += [np.zeros(n), np.zeros(n), [c.gross_leverage]]
    rows = eq_rows + ineq_rows
    if not rows:  # unconstrained long-short: only the link rows are missing when F = 0
        rows, ineq_b = [sparse.csc_matrix((0, n + f + nt))], []
    a = sparse.vstack(rows, format="csc")
    b = np.concatenate([np.ravel(x) for x in eq_b + ineq_b]) if eq_b + ineq_b else np.zeros(0)
    n_eq = sum(r.shape[0] for r in eq_rows)
    cones = ([clarabel.ZeroConeT(n_eq)] if n_eq else []) + ([clarabel.NonnegativeConeT(a.shape[0] - n_eq)]
                                                            if a.shape[0] > n_eq else [])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    sol = clarabel.DefaultSolver(sparse.triu(p, format="csc"), q, a, b, cones, settings).solve()
    if "Solved" not in str(sol.status):
        raise PortfolioError(f"the mean-variance QP was not solved ({sol.status}); check the forecast or constraints")
    return np.asarray(sol.x[:n], dtype=float)
