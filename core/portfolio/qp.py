"""Direct Clarabel QPs for the paper's four mean-variance variants (evaluation's hot loop).

The general optimiser (core.portfolio.optimiser, cvxpy) spends ~40 ms per solve re-applying its
parameters; the evaluation solves the variants on every day of a split for every model, so it hands
them straight to Clarabel (the same solver). Only long_only, budget and gross_leverage constraints
are supported; anything else goes to cvxpy. In scaled units (s: median stock volatility):

    min 1/2 w' Sigma w / s^2 - q'w,   q = m / (lambda s^2)   (lambda = inf: minimum variance, q = 0)
    s.t. sum w = budget;  w >= 0;  ||w||_1 <= L

Three routes, one answer:
- no sign or leverage constraint: closed form, w = Sigma^-1 (q - nu 1) (Woodbury, O(N F^2));
- few factors: one factor-form QP, variables [w (N), y = B'w (F), t (N, with L)], no N x N matrix;
- many factors (a covariance written as ~N/3 principal components, where the factor-form KKT
  costs O(N F^2) per interior-point iteration): a working set. Solve on a subset S with the dense
  Sigma_SS, price every stock left out with the KKT conditions of the full problem, add the
  violators, repeat. It stops only when the full problem's KKT conditions hold, so the weights are
  those of the full QP (tested against it); hand-written because no library exploits that the
  solution holds few stocks.
"""
from __future__ import annotations

import clarabel
import numpy as np
from scipy import sparse

from core.errors import PortfolioError
from core.forecast import FactorForecast
from core.forecast.linalg import FactorPrecision
from core.portfolio.constraints import Constraints

#: the working set is used above this many factors (below, the factor-form QP takes a few ms)
WORKING_SET_FACTORS = 32
#: stocks added to the working set per round
WORKING_SET_STEP = 40


def supports(c: Constraints) -> bool:
    """True when `c` uses only long-only, budget and gross-leverage constraints."""
    return (c.max_weight is None and not c.sector_caps and not c.factor_bounds and c.turnover is None
            and c.target_vol is None)


def mean_variance_qp(fc: FactorForecast, c: Constraints, risk_aversion: float) -> np.ndarray:
    """argmax m'w - (lambda/2) w' Sigma w under `c` (see `supports`): weights (N,)."""
    return mean_variance_qps(fc, c, (risk_aversion,))[0]


def mean_variance_qps(fc: FactorForecast, c: Constraints, risk_aversions) -> list[np.ndarray]:
    """`mean_variance_qp` for several risk aversions (inf = minimum variance) on one forecast."""
    s2 = max(float(np.median(fc.total_var())), 1e-24)
    qs = [fc.mean / (ra * s2) for ra in risk_aversions]
    if not c.long_only and c.gross_leverage is None and np.all(fc.idio_var > 0):
        prec = FactorPrecision(fc.exposures, fc.factor_cov / s2, fc.idio_var / s2)
        return [_closed_form(prec, c, q) for q in qs]
    if fc.n_factors > WORKING_SET_FACTORS and fc.n_stocks > 2 * WORKING_SET_STEP:
        return [_working_set(fc, c, q, s2) for q in qs]
    qp = _QP(c, fc.n_stocks, *_factor_objective(fc, s2))
    return [qp.solve(q)[0] for q in qs]


def _closed_form(prec: FactorPrecision, c: Constraints, q: np.ndarray) -> np.ndarray:
    """w = Sigma^-1 (q - nu 1), nu setting sum w = budget (0 without a budget)."""
    x = prec.solve(np.column_stack([q, np.ones_like(q)]))
    if c.budget is None:
        return x[:, 0]
    return x[:, 0] + (c.budget - x[:, 0].sum()) / x[:, 1].sum() * x[:, 1]


def _factor_objective(fc: FactorForecast, s2: float):
    """(P's upper triangle over [w, y] (N+F), link rows [B', -I] (F rows over [w, y]), F extra variables), each
    matrix as (rows, cols, values) triplets; B's zeros are left out of the link."""
    n, f = fc.n_stocks, fc.n_factors
    fi, fj = np.triu_indices(f)
    diag = np.arange(n)
    p = (np.r_[diag, n + fi], np.r_[diag, n + fj], np.r_[fc.idio_var, fc.factor_cov[fi, fj]] / s2)
    j, i = np.nonzero(fc.exposures)  # B' has B[j, i] in row i, column j
    link = (np.r_[i, np.arange(f)], np.r_[j, n + np.arange(f)], np.r_[fc.exposures[j, i], -np.ones(f)])
    return p, link, f


def _working_set(fc: FactorForecast, c: Constraints, q: np.ndarray, s2: float) -> np.ndarray:
    """Full-problem weights from QPs on growing subsets of stocks (module docstring)."""
    n = fc.n_stocks
    b, sz, d = fc.exposures, fc.factor_cov / s2, fc.idio_var / s2

    def gradient(w_s, s):  # Sigma w - q for every stock, w zero outside s: (N,)
        return b @ (sz @ (b[s].T @ w_s)) + _scatter(d[s] * w_s, s, n) - q

    g0 = gradient(np.full(n, 1.0 / n), np.arange(n))  # at equal weights: the first set is the steepest stocks
    s = np.sort(np.argsort(-np.abs(g0) if not c.long_only else g0)[:WORKING_SET_STEP])
    while True:
        cov = b[s] @ sz @ b[s].T + np.diag(d[s])
        i, j = np.triu_indices(len(s))
        w_s, nu, mu = _QP(c, len(s), (i, j, cov[i, j]), None, 0).solve(q[s])
        reduced = gradient(w_s, s) + nu
        out = np.setdiff1d(np.arange(n), s)
        r = reduced[out]
        tol = 1e-6 * max(1.0, float(np.abs(q).max()), float(np.abs(reduced[s]).max()))
        if c.long_only:
            gap = -(r + mu)  # adding stock i lowers the objective iff r_i < -mu
        else:
            gap = np.abs(r) - mu  # |r_i| > mu: worth holding long or short
        bad = out[gap > tol]
        if not len(bad):
            return _scatter(w_s, s, n)
        s = np.sort(np.r_[s, bad[np.argsort(-gap[gap > tol])][:WORKING_SET_STEP]])
        if len(s) > n // 2:  # the solution is not sparse: solve the full problem once
            return _QP(c, n, *_factor_objective(fc, s2)).solve(q)[0]


def _scatter(values: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[idx] = values
    return out


class _QP:
    """One Clarabel problem: n weights, `extra` further variables tied by `link` rows (= 0), the
    constraints of `c`, quadratic `p` (upper triangle over [w, extra]); only q changes per solve. `p` and `link` are
    (rows, cols, values) triplets; the constraint matrix is assembled from triplets in one conversion (scipy's block
    stacking cost ~2.5 ms a problem, six times Clarabel's solve at 20 stocks)."""

    def __init__(self, c: Constraints, n: int, p, link, extra: int):
        nt = n if c.gross_leverage is not None else 0
        nx = n + extra + nt
        self.n = n
        iw, it = np.arange(n), n + extra + np.arange(nt)
        self.p = sparse.csc_matrix((p[2], (p[0], p[1])), shape=(nx, nx))
        triplets, rhs, n_eq = [], [], 0
        if link is not None:
            triplets.append(link)
            rhs.append(np.zeros(extra))
            n_eq += extra
        self.budget_row = None
        if c.budget is not None:
            self.budget_row = n_eq
            triplets.append((np.full(n, n_eq), iw, np.ones(n)))
            rhs.append([c.budget])
            n_eq += 1
        rows = n_eq
        if c.long_only:  # -w <= 0
            triplets.append((rows + iw, iw, -np.ones(n)))
            rhs.append(np.zeros(n))
            rows += n
        self.leverage_row = None
        if nt:  # w - t <= 0, -w - t <= 0, sum t <= L
            k = np.arange(n)
            triplets.append((rows + np.r_[k, k, n + k, n + k, np.full(n, 2 * n)], np.r_[iw, it, iw, it, it],
                             np.r_[np.ones(n), -np.ones(n), -np.ones(n), -np.ones(n), np.ones(n)]))
            rhs.append(np.r_[np.zeros(2 * n), c.gross_leverage])
            rows += 2 * n + 1
            self.leverage_row = rows - 1
        if not triplets:
            triplets.append((np.zeros(0, int), np.zeros(0, int), np.zeros(0)))
        r, col, v = (np.concatenate(x) for x in zip(*triplets))
        self.a = sparse.csc_matrix((v, (r, col)), shape=(rows, nx))
        self.b = np.concatenate([np.ravel(x) for x in rhs]) if rhs else np.zeros(0)
        self.cones = (([clarabel.ZeroConeT(n_eq)] if n_eq else [])
                      + ([clarabel.NonnegativeConeT(rows - n_eq)] if rows > n_eq else []))
        self.settings = clarabel.DefaultSettings()
        self.settings.verbose = False
        self.settings.direct_solve_method = "qdldl"  # 2-3x faster than the default (faer) at these sizes
        self.nx = nx

    def solve(self, q: np.ndarray) -> tuple[np.ndarray, float, float]:
        """(weights (n,), budget multiplier nu, leverage multiplier mu) for linear term -q on w."""
        lin = np.concatenate([-q, np.zeros(self.nx - self.n)])
        sol = clarabel.DefaultSolver(self.p, lin, self.a, self.b, self.cones, self.settings).solve()
        if "Solved" not in str(sol.status):
            raise PortfolioError(f"the mean-variance QP was not solved ({sol.status}); check the forecast or "
                                 "constraints")
        z = np.asarray(sol.z)
        nu = float(z[self.budget_row]) if self.budget_row is not None else 0.0
        mu = float(z[self.leverage_row]) if self.leverage_row is not None else 0.0
        return np.asarray(sol.x[:self.n], dtype=float), nu, mu
