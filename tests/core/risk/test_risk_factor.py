"""Factor-form risk, VaR/CVaR, likelihoods, covariance and calibration scores vs dense / scipy references."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import ModelError, PortfolioError
from core.forecast import FactorForecast
from core.risk.calibration import calibration_error, marginal_pit, uni_calibration
from core.risk.covariance import correlation_error, qlike, whitened, whitening_scores
from core.forecast import restrict
from core.risk.factor import portfolio_mean_vol, risk_decomposition
from core.forecast import Normal
from core.risk.likelihood import nll_ind, nll_joint
from core.risk.var import forecast_var


def make_fc(n=12, f=3, family="normal", seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(f, f))
    kw = {}
    if family == "student_t":
        kw = {"factor_dof": np.r_[5.0, np.full(f - 1, np.inf)], "idio_dof": np.full(n, 6.0)}
    return FactorForecast(pd.Timestamp("2020-01-02"), [f"T{i}" for i in range(n)], rng.normal(0, 1e-3, n),
                          rng.normal(0, 1, (n, f)) * 0.01, a @ a.T / f + 0.1 * np.eye(f),
                          rng.uniform(1e-4, 4e-4, n), family=family, **kw)


def test_decomposition_sums_to_total_and_matches_dense():
    fc = make_fc()
    w = np.random.default_rng(1).normal(size=fc.n_stocks)
    sigma = fc.dense_cov()
    dec = risk_decomposition(fc, w)
    assert dec.vol == pytest.approx(np.sqrt(w @ sigma @ w), rel=1e-12)
    assert dec.factor + dec.specific == pytest.approx(dec.vol, rel=1e-12)
    assert dec.per_factor.sum() == pytest.approx(dec.factor, rel=1e-12)
    assert dec.per_stock.sum() == pytest.approx(dec.vol, rel=1e-12)
    np.testing.assert_allclose(dec.per_stock, w * (sigma @ w) / dec.vol, rtol=1e-10)
    assert portfolio_mean_vol(fc, w) == pytest.approx((w @ fc.mean, dec.vol))
    with pytest.raises(PortfolioError, match="one weight per"):
        risk_decomposition(fc, w[:-1])


def test_restrict_keeps_rows():
    fc = make_fc()
    sub = restrict(fc, ["T3", "T1"])
    np.testing.assert_array_equal(sub.exposures, fc.exposures[[3, 1]])
    with pytest.raises(PortfolioError, match="no forecast"):
        restrict(fc, ["ZZZ"])


def test_parametric_var_matches_scipy_and_sign():
    fc = make_fc()
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    mu, sd = portfolio_mean_vol(fc, w)
    res = forecast_var(fc, w, 0.99)
    assert res.method == "parametric"
    assert res.var == pytest.approx(-stats.norm.ppf(0.01, mu, sd))
    # CVaR: E[loss | loss >= VaR] by numerical integration
    lo = stats.norm.ppf(0.01, mu, sd)
    tail = stats.norm.expect(lambda x: -x, loc=mu, scale=sd, ub=lo, conditional=True)
    assert res.cvar == pytest.approx(tail, rel=1e-6)
    assert res.var > 0 and res.cvar > res.var


def test_monte_carlo_var_agrees_with_parametric_and_is_seeded():
    fc = make_fc()
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    mc = forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=200_000, seed=3)
    pa = forecast_var(fc, w, 0.95)
    assert mc.var == pytest.approx(pa.var, rel=0.02)
    assert mc.cvar == pytest.approx(pa.cvar, rel=0.02)
    assert forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=1000, seed=3).var == \
        forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=1000, seed=3).var
    t = make_fc(family="student_t")
    assert forecast_var(t, w, 0.99).method == "monte_carlo"
    with pytest.raises(ModelError, match="monte_carlo"):
        forecast_var(t, w, 0.99, method="parametric")
    with pytest.raises(ModelError, match="level"):
        forecast_var(fc, w, 99)


def test_student_t_scenarios_match_joint_sampler_variance():
    t = make_fc(family="student_t")
    w = np.random.default_rng(2).normal(size=t.n_stocks)
    from core.risk.scenarios import portfolio_scenarios

    draws = portfolio_scenarios(t, w, 200_000, seed=1)
    assert draws.var() == pytest.approx(t.portfolio_var(w), rel=0.03)
    assert draws.mean() == pytest.approx(t.portfolio_mean(w), abs=0.01 * np.sqrt(t.portfolio_var(w)))


def test_woodbury_nll_equals_scipy_and_scale_shift():
    fc = make_fc(n=10, f=4)
    r = fc.sample(1, rng=5)[0]
    ref = stats.multivariate_normal(fc.mean, fc.dense_cov()).logpdf(r)
    assert Normal().log_likelihood(fc, r, 0, 0) == pytest.approx(ref, rel=1e-10)
    s = 0.013
    assert nll_joint(fc, r) == pytest.approx(-ref / 10, rel=1e-10)
    assert nll_joint(fc, r, scale=s) == pytest.approx(-ref / 10 - np.log(s), rel=1e-10)
    marg = stats.norm(fc.mean, np.sqrt(np.diag(fc.dense_cov()))).logpdf(r)
    assert nll_ind(fc, r, scale=s) == pytest.approx(-marg.mean() - np.log(s), rel=1e-10)


def test_student_t_nll_is_routed_to_neuralfactors_likelihood_on_the_same_scale():
    pytest.importorskip("core.forecast.student_t")
    from dataclasses import replace

    fc = make_fc(n=8, f=2)
    # a Student-t forecast whose every dof is inf is the Normal forecast: both paths must agree
    t = replace(fc, family="student_t", factor_dof=np.full(2, np.inf), idio_dof=np.full(8, np.inf))
    r = fc.sample(1, rng=2)[0]
    assert nll_joint(t, r, scale=0.01, k=100, seed=1) == pytest.approx(nll_joint(fc, r, scale=0.01), abs=1e-3)
    assert nll_ind(t, r, scale=0.01, n_samples=20_000, seed=1) == pytest.approx(nll_ind(fc, r, scale=0.01), abs=0.02)


def test_whitening_scores_zero_for_identity_and_detect_bad_forecast():
    rng = np.random.default_rng(0)
    u = rng.standard_normal((20_000, 4))
    mse, box = whitening_scores(u)
    assert mse < 1e-3 and box < 1e-3
    mse2, box2 = whitening_scores(2.0 * u)
    assert mse2 > 1.0 and box2 > 0.5
    fc = make_fc(n=5, f=2)
    r = fc.sample(1, rng=3)[0]
    uw = whitened(fc, r)
    assert uw @ uw == pytest.approx((r - fc.mean) @ np.linalg.solve(fc.dense_cov(), r - fc.mean))
    with pytest.raises(ModelError, match="more days"):
        whitening_scores(u[:3])


def test_qlike_and_correlation_error_match_dense():
    fc = make_fc(n=9, f=3)
    x = fc.sample(21, rng=4)
    sigma = fc.dense_cov()
    d = x - fc.mean
    s = d.T @ d / len(d)
    assert qlike(fc, x) == pytest.approx(np.linalg.slogdet(sigma)[1] + np.trace(np.linalg.solve(sigma, s)), rel=1e-10)
    assert correlation_error(fc, x) > 0


def test_calibration_error_definition_and_pits():
    assert calibration_error(np.random.default_rng(0).uniform(size=100_000)) < 1e-3
    assert calibration_error(np.full(50, 0.999)) == pytest.approx(np.sum((np.arange(1, 101) / 101) ** 2))
    pits = np.full((4, 2), np.nan)
    pits[:, 0] = [0.1, 0.4, 0.6, 0.9]
    pits[:2, 1] = 0.999
    expect = (4 * calibration_error(pits[:, 0]) + 2 * calibration_error(pits[:2, 1])) / 6
    assert uni_calibration(pits) == pytest.approx(expect)
    fc = make_fc()
    r = fc.sample(1, rng=1)[0]
    np.testing.assert_allclose(marginal_pit(fc, r), stats.norm.cdf(r, fc.mean, np.sqrt(fc.total_var())))
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    assert 0 < fc.distribution.portfolio_cdf(fc, w, float(w @ r), 2000, 0) < 1


def test_student_t_pits_are_uniform_for_draws_from_the_forecast():
    t = make_fc(n=3, f=2, family="student_t")
    draws = t.sample(400, rng=7)
    pit = np.array([marginal_pit(t, d, n_samples=400, seed=i) for i, d in enumerate(draws)])
    assert stats.kstest(pit[:, 0], "uniform").pvalue > 0.01
    w = np.full(3, 1 / 3)
    pp = np.array([t.distribution.portfolio_cdf(t, w, float(d @ w), 2000, i) for i, d in enumerate(draws)])
    assert stats.kstest(pp, "uniform").pvalue > 0.01
