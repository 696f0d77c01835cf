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
from core.forecast import FactorForecast
from core.portfolio.constraints import Constraints

SUPPORTED = {"long_only", "budget", "gross_leverage"}


def supports(c: Constraints) -> bool:
    """True when `c` uses only long-only, budget and gross-leverage constraints."""
    return (c.max_weight is None and not c.sector_caps and not c.factor_bounds and c.turnover is None
            and c.target_vol is None)


def mean_variance_qp(fc: FactorForecast, c: Constraints, risk_aversion: float) -> np.ndarray:
    """argmax m'w - (lambda/2) w' Sigma w under `c` (see `supports`): weights (N,)."""
    return mean_variance_qps(fc, c, (risk_aversion,))[0]


def mean_variance_qps(fc: FactorForecast, c: Constraints, risk_aversions) -> list[np.ndarray]:
    """`mean_variance_qp` for several risk aversions (inf = minimum variance) on one forecast: the
    matrices are built once and only the linear term changes."""
    n, f = fc.n_stocks, fc.n_factors
    nt = n if c.gross_leverage is not None else 0
    nx = n + f + nt
    s2 = max(float(np.median(fc.total_var())), 1e-24)
    iw, iy, it = np.arange(n), n + np.arange(f), n + f + np.arange(nt)
    fi, fj = np.triu_indices(f)
    p = sparse.csc_matrix((np.r_[fc.idio_var, fc.factor_cov[fi, fj]] / s2, (np.r_[iw, iy[fi]], np.r_[iw, iy[fj]])),
                          shape=(nx, nx))
    rows, cols, vals, b = [], [], [], []
    r = 0

    def add(row_idx, col_idx, values):
        rows.append(np.asarray(row_idx) + r)
        cols.append(np.asarray(col_idx))
        vals.append(np.asarray(values, dtype=float))

    if f:  # B'w - y = 0
        add(np.repeat(np.arange(f), n), np.tile(iw, f), fc.exposures.T.ravel())
        add(np.arange(f), iy, -np.ones(f))
        b.append(np.zeros(f))
        r += f
    if c.budget is not None:  # sum w = budget
        add(np.zeros(n, int), iw, np.ones(n))
        b.append([c.budget])
        r += 1
    n_eq = r
    if c.long_only:  # -w <= 0
        add(np.arange(n), iw, -np.ones(n))
        b.append(np.zeros(n))
        r += n
    if nt:  # w - t <= 0, -w - t <= 0, sum t <= L
        k = np.arange(n)
        add(np.r_[k, k, n + k, n + k], np.r_[iw, it, iw, it], np.r_[np.ones(n), -np.ones(n), -np.ones(n), -np.ones(n)])
        add(np.full(n, 2 * n), it, np.ones(n))
        b.append(np.r_[np.zeros(2 * n), c.gross_leverage])
        r += 2 * n + 1
    a = sparse.csc_matrix((np.concatenate(vals) if vals else [], (np.concatenate(rows) if rows else [],
                           np.concatenate(cols) if cols else [])), shape=(r, nx))
    cones = ([clarabel.ZeroConeT(n_eq)] if n_eq else []) + ([clarabel.NonnegativeConeT(r - n_eq)] if r > n_eq else [])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    rhs = np.concatenate([np.ravel(x) for x in b]) if b else np.zeros(0)
    out = []
    for risk_aversion in risk_aversions:
        q = np.concatenate([-fc.mean / (risk_aversion * s2), np.zeros(f + nt)])
        sol = clarabel.DefaultSolver(p, q, a, rhs, cones, settings).solve()
        if "Solved" not in str(sol.status):
            raise PortfolioError(f"the mean-variance QP was not solved ({sol.status}); check the forecast or "
                                 "constraints")
        out.append(np.asarray(sol.x[:n], dtype=float))
    return out
