"""The direct Clarabel QP gives the cvxpy optimiser's weights for the four mean-variance variants."""
import numpy as np
import pytest

from core.forecast import FactorForecast
from core.portfolio import qp
from core.portfolio.constraints import MV_VARIANTS, Constraints
from core.portfolio.optimiser import FactorProblem


def _forecast(seed: int, n: int = 15, f: int = 3) -> FactorForecast:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(f, f)) * 0.01
    return FactorForecast(date="2020-01-02", tickers=[f"T{i}" for i in range(n)], mean=rng.normal(0, 5e-4, n),
                          exposures=rng.normal(1, 0.5, (n, f)), factor_cov=a @ a.T + 1e-5 * np.eye(f),
                          idio_var=rng.uniform(1e-4, 4e-4, n))


@pytest.mark.parametrize("variant", list(MV_VARIANTS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qp_matches_cvxpy(variant, seed):
    fc, cons = _forecast(seed), MV_VARIANTS[variant]
    ref = FactorProblem(fc.tickers, fc.n_factors, fc.factor_names, "mean_variance", cons, risk_aversion=20.0)
    ref.set_forecast(fc)
    expected = ref.solve()
    got = qp.mean_variance_qp(fc, cons, 20.0)
    assert np.allclose(got, expected, atol=1e-5 * max(1.0, np.abs(expected).sum()))
    if cons.long_only:
        assert got.min() > -1e-7
    if cons.budget is not None:
        assert got.sum() == pytest.approx(cons.budget, abs=1e-7)
    if cons.gross_leverage is not None:
        assert np.abs(got).sum() <= cons.gross_leverage + 1e-6


def test_unsupported_constraints_are_not_claimed():
    assert qp.supports(MV_VARIANTS["mv_lo_l1"])
    assert not qp.supports(Constraints(long_only=True, max_weight=0.1))


@pytest.mark.parametrize("seed", [0, 1])
def test_minimum_variance_by_the_qp_matches_cvxpy(seed):
    """The backtest's daily minimum-variance strategy now runs on the QP (risk aversion inf), issue 14."""
    from core.portfolio.optimiser import optimise

    fc, cons = _forecast(seed), Constraints(long_only=True, budget=1.0)
    expected = optimise(fc, objective="min_variance", constraints=cons).weights.to_numpy()
    minv, mv = qp.mean_variance_qps(fc, cons, (np.inf, 20.0))
    assert np.allclose(minv, expected, atol=1e-5) and np.allclose(mv, qp.mean_variance_qp(fc, cons, 20.0), atol=1e-9)


def _many_factor_forecast(seed: int, n: int = 240, f: int = 60) -> FactorForecast:
    """A shrunk sample covariance in factor form (like ledoit-wolf with fewer dates than stocks)."""
    rng = np.random.default_rng(seed)
    window = rng.standard_t(5, size=(f, n)) * 0.02 + rng.normal(0, 0.01, (f, 1))
    u, sv, _ = np.linalg.svd((window - window.mean(0)).T / np.sqrt(f), full_matrices=False)
    return FactorForecast(date="2020-01-02", tickers=[f"T{i}" for i in range(n)], mean=rng.normal(3e-4, 8e-4, n),
                          exposures=u * sv * 0.9, factor_cov=np.eye(f), idio_var=np.full(n, 2e-5))


@pytest.mark.parametrize("variant, risk_aversion", [("mv_lo", 20.0), ("mv_lo_l1", 20.0), ("mv_ls_l1", 20.0),
                                                     ("mv_lo_l1", np.inf)])  # inf: minimum variance
@pytest.mark.parametrize("seed", [0, 1])
def test_working_set_gives_the_full_qp_weights(variant, seed, risk_aversion, monkeypatch):
    """Many factors: the working set (QPs on subsets priced by the full KKT conditions) gives the
    weights of the full factor-form QP, and never solves the full problem to get them."""
    fc, cons = _many_factor_forecast(seed), MV_VARIANTS[variant]
    assert fc.n_factors > qp.WORKING_SET_FACTORS
    s2 = float(np.median(fc.total_var()))
    full = qp._QP(cons, fc.n_stocks, *qp._factor_objective(fc, s2)).solve(fc.mean / (risk_aversion * s2))[0]
    sizes = []
    solve = qp._QP.solve
    monkeypatch.setattr(qp._QP, "solve", lambda self, q: sizes.append(self.n) or solve(self, q))
    got = qp.mean_variance_qp(fc, cons, risk_aversion)
    assert max(sizes) <= fc.n_stocks // 2, sizes
    assert np.allclose(got, full, atol=1e-5 * max(1.0, np.abs(full).sum()))


@pytest.mark.parametrize("budget", [None, 1.0])
def test_closed_form_without_sign_constraints_matches_the_qp(budget):
    fc = _forecast(3)
    cons = Constraints(budget=budget)
    ref = FactorProblem(fc.tickers, fc.n_factors, fc.factor_names, "mean_variance", cons, risk_aversion=20.0)
    ref.set_forecast(fc)
    assert np.allclose(qp.mean_variance_qp(fc, cons, 20.0), ref.solve(), atol=1e-6)


@pytest.mark.parametrize("variant", list(MV_VARIANTS))
def test_the_assembled_matrices_are_those_of_block_stacking(variant):
    """The QP's matrices, assembled from triplets in one conversion, equal scipy's block stacking of the problem
    (module docstring) entry for entry, pattern included, so Clarabel is handed the same problem; B's zeros are left
    out of the link rows."""
    from dataclasses import replace

    from scipy import sparse

    fc, c = _forecast(0), MV_VARIANTS[variant]
    fc = replace(fc, exposures=np.where(np.arange(fc.n_factors) == 1, 0.0, fc.exposures))
    n, f = fc.n_stocks, fc.n_factors
    nt = n if c.gross_leverage is not None else 0
    got = qp._QP(c, n, *qp._factor_objective(fc, 2.0))

    def zero(rows, cols):
        return sparse.csr_matrix((rows, cols))

    eye, t_cols = sparse.eye(n), [zero(n, nt)] if nt else []
    p = sparse.block_diag([sparse.diags(fc.idio_var / 2.0), sparse.coo_matrix(np.triu(fc.factor_cov) / 2.0)]
                          + ([zero(nt, nt)] if nt else []))
    rows = [sparse.hstack([sparse.csr_matrix(fc.exposures.T), -sparse.eye(f)] + ([zero(f, nt)] if nt else []))]
    if c.budget is not None:
        rows.append(sparse.hstack([np.ones((1, n)), zero(1, f)] + ([zero(1, nt)] if nt else [])))
    if c.long_only:
        rows.append(sparse.hstack([-eye, zero(n, f)] + t_cols))
    if nt:
        rows += [sparse.hstack([eye, zero(n, f), -eye]), sparse.hstack([-eye, zero(n, f), -eye]),
                 sparse.hstack([zero(1, n + f), np.ones((1, n))])]
    for mine, ref in ((got.p, sparse.csc_matrix(p)), (got.a, sparse.csc_matrix(sparse.vstack(rows)))):
        ref.sort_indices()
        assert mine.shape == ref.shape and mine.has_sorted_indices
        np.testing.assert_array_equal(mine.indptr, ref.indptr)
        np.testing.assert_array_equal(mine.indices, ref.indices)
        np.testing.assert_array_equal(mine.data, ref.data)
    assert got.b.size == got.a.shape[0]
