"""cvxpy optimiser in factor form: matches dense solutions, respects constraints, names conflicts."""
import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from core.errors import PortfolioError
from core.forecast import FactorForecast
from core.portfolio.constraints import MV_VARIANTS, Constraints
from core.portfolio.optimiser import efficient_frontier, optimise


def make_fc(n=25, f=3, seed=0):
    rng = np.random.default_rng(seed)
    return FactorForecast(pd.Timestamp("2021-03-01"), [f"T{i}" for i in range(n)], rng.normal(4e-4, 6e-4, n),
                          rng.normal(0.5, 0.5, (n, f)), np.diag([1e-4, 4e-5, 2e-5][:f]), rng.uniform(1e-4, 3e-4, n),
                          factor_names=["mkt", "val", "mom"][:f])


def test_long_short_unconstrained_is_textbook():
    fc = make_fc()
    w = optimise(fc, "mean_variance", MV_VARIANTS["mv_ls"], risk_aversion=5.0).weights.to_numpy()
    np.testing.assert_allclose(w, np.linalg.solve(fc.dense_cov(), fc.mean) / 5.0, rtol=1e-4, atol=1e-6)


def test_four_variants_match_dense_cvxpy_and_respect_leverage():
    fc = make_fc()
    sigma = fc.dense_cov()
    for name, cons in MV_VARIANTS.items():
        w = optimise(fc, "mean_variance", cons, risk_aversion=3.0).weights.to_numpy()
        x = cp.Variable(fc.n_stocks)
        dense = [x >= 0] if cons.long_only else []
        dense += [cp.sum(x) == cons.budget] if cons.budget is not None else []
        dense += [cp.norm1(x) <= cons.gross_leverage] if cons.gross_leverage is not None else []
        cp.Problem(cp.Maximize(fc.mean @ x - 1.5 * cp.quad_form(x, cp.psd_wrap(sigma))), dense).solve()
        np.testing.assert_allclose(w, x.value, atol=2e-4 * max(1, np.abs(x.value).max()), err_msg=name)
        if cons.long_only:
            assert w.min() > -1e-7
        if name.endswith("_l1"):
            assert np.abs(w).sum() == pytest.approx(1.0, abs=1e-5)


def test_min_variance_with_user_constraints():
    fc = make_fc()
    sectors = pd.Series(["A"] * 10 + ["B"] * 15, index=fc.tickers)
    prev = pd.Series(1 / 25, index=fc.tickers)
    cons = Constraints(long_only=True, max_weight=0.08, sector_caps={"B": 0.5},
                       factor_bounds={"val": (0.3, 0.4)}, turnover=0.8, previous=prev)
    res = optimise(fc, "min_variance", cons, sectors=sectors)
    w = res.weights
    tol = 1e-6
    assert w.sum() == pytest.approx(1.0, abs=tol) and w.min() > -tol and w.max() <= 0.08 + tol
    assert w[sectors == "B"].sum() <= 0.5 + tol
    y = fc.exposures.T @ w.to_numpy()
    assert 0.3 - tol <= y[1] <= 0.4 + tol
    assert (w - prev).abs().sum() <= 0.8 + tol
    assert res.vol == pytest.approx(np.sqrt(w @ fc.dense_cov() @ w))


def test_target_volatility():
    fc = make_fc()
    res = optimise(fc, "max_return", Constraints(long_only=True, budget=1.0, target_vol=0.012))
    assert res.vol == pytest.approx(0.012, rel=1e-3)
    with pytest.raises(PortfolioError, match="target_vol"):
        optimise(fc, "max_return", Constraints(long_only=True))


def test_infeasible_names_the_constraints_in_conflict():
    fc = make_fc()
    sectors = pd.Series(["A"] * 10 + ["B"] * 15, index=fc.tickers)
    cons = Constraints(long_only=True, max_weight=0.02, sector_caps={"A": 0.9})
    with pytest.raises(PortfolioError) as err:
        optimise(fc, "min_variance", cons, sectors=sectors)
    msg = str(err.value)
    assert "budget (sum w = 1)" in msg and "max weight 0.02" in msg
    assert "sector cap" not in msg and "long-only" not in msg
    with pytest.raises(PortfolioError, match="unknown factor"):
        optimise(fc, "min_variance", Constraints(factor_bounds={"size": (0, 1)}))
    with pytest.raises(PortfolioError, match="unknown objective"):
        optimise(fc, "max_sharpe")


def test_efficient_frontier_is_monotone():
    fc = make_fc()
    fr = efficient_frontier(fc, Constraints(long_only=True), n_points=6)
    assert list(fr.columns[:3]) == ["risk_aversion", "mean", "vol"]
    # from minimum variance up to the highest return: both rise along the frontier
    assert np.all(np.diff(fr["vol"]) >= -1e-9) and np.all(np.diff(fr["mean"]) > 0)
    np.testing.assert_allclose(fr[fc.tickers].sum(axis=1), 1.0, atol=1e-6)


def test_efficient_frontier_with_a_cap_is_traced_with_20_points():
    """Issue 14: a 10% cap collapsed the log grid onto 3 corner portfolios."""
    fc = make_fc()
    cap = max(0.1, 1.0 / fc.n_stocks)
    fr = efficient_frontier(fc, Constraints(long_only=True, max_weight=cap))
    assert len(fr) >= 20 and np.all(np.diff(fr["mean"]) > 0)
    assert fr[fc.tickers].to_numpy().max() <= cap + 1e-6
    lo = efficient_frontier(fc, Constraints(long_only=True, max_weight=cap), n_points=2)
    assert fr["mean"].iloc[-1] == pytest.approx(lo["mean"].iloc[-1], rel=1e-4)  # reaches the max-return end
