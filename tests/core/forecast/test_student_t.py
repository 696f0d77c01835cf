"""Likelihoods of the Student-t factor model against brute force and exact Gaussian densities."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import integrate, stats

from core.forecast import FactorForecast
from core.forecast.student_t import (
    forecast_log_likelihood, forecast_marginal_log_likelihood, iwae_log_likelihood, student_t_logpdf,
)


def _forecast(rng, n, f, fdof, idof, dense_cov=False):
    b = rng.normal(0, 1, (n, f))
    cov = np.diag(rng.uniform(0.5, 2.0, f))
    if dense_cov:
        a = rng.normal(0, 0.5, (f, f))
        cov = cov + a @ a.T
    return FactorForecast(
        date=pd.Timestamp("2020-01-02"), tickers=[f"s{i}" for i in range(n)], mean=rng.normal(0, 0.3, n),
        exposures=b, factor_cov=cov, idio_var=rng.uniform(0.5, 1.5, n), family="student_t",
        factor_dof=np.full(f, fdof), idio_dof=np.full(n, idof),
    )


def test_student_t_logpdf_matches_scipy_and_normal_limit():
    x = torch.linspace(-5, 5, 11, dtype=torch.float64)
    got = student_t_logpdf(x, torch.tensor(0.3, dtype=x.dtype), 1.7, 5.5).numpy()
    np.testing.assert_allclose(got, stats.t.logpdf(x.numpy(), 5.5, loc=0.3, scale=1.7), rtol=1e-10)
    got_n = student_t_logpdf(x, torch.tensor(0.3, dtype=x.dtype), 1.7, float("inf")).numpy()
    np.testing.assert_allclose(got_n, stats.norm.logpdf(x.numpy(), loc=0.3, scale=1.7), rtol=1e-10)


def test_one_factor_matches_numerical_integral():
    rng = np.random.default_rng(1)
    fc = _forecast(rng, n=6, f=1, fdof=5.0, idof=6.0)
    r = fc.sample(1, rng)[0]
    sz = np.sqrt(fc.factor_cov[0, 0] * 3 / 5)
    sx = np.sqrt(fc.idio_var * 4 / 6)

    def integrand(z):
        return np.exp(stats.t.logpdf(z, 5.0, scale=sz)
                      + stats.t.logpdf(r, 6.0, loc=fc.mean + fc.exposures[:, 0] * z, scale=sx).sum())

    exact = np.log(integrate.quad(integrand, -60, 60, points=[0.0], limit=400)[0])
    got = forecast_log_likelihood(fc, r, k=4000, seed=3)
    assert abs(got - exact) < 0.02
    # the marginals: each stock alone, integrated the same way
    marg = forecast_marginal_log_likelihood(fc, r, n_samples=200_000, seed=4)
    for i in (0, 3):
        pi = integrate.quad(lambda z: np.exp(stats.t.logpdf(z, 5.0, scale=sz) + stats.t.logpdf(
            r[i], 6.0, loc=fc.mean[i] + fc.exposures[i, 0] * z, scale=sx[i])), -60, 60, limit=400)[0]
        assert abs(marg[i] - np.log(pi)) < 0.01


@pytest.mark.parametrize("dense", [False, True])
def test_huge_dof_is_the_exact_gaussian_density(dense):
    rng = np.random.default_rng(2)
    fc = _forecast(rng, n=30, f=4, fdof=1e7, idof=1e7, dense_cov=dense)
    r = fc.sample(1, rng)[0]
    exact = stats.multivariate_normal.logpdf(r, fc.mean, fc.dense_cov())
    assert abs(forecast_log_likelihood(fc, r, k=5) - exact) < 1e-3
    marg = forecast_marginal_log_likelihood(fc, r, n_samples=200_000)
    np.testing.assert_allclose(marg, stats.norm.logpdf(r, fc.mean, np.sqrt(fc.total_var())), atol=0.03)


def test_infinite_dof_and_normal_family_and_missing_returns():
    rng = np.random.default_rng(3)
    fc = _forecast(rng, n=10, f=2, fdof=np.inf, idof=np.inf)
    normal = FactorForecast(date=fc.date, tickers=fc.tickers, mean=fc.mean, exposures=fc.exposures,
                            factor_cov=fc.factor_cov, idio_var=fc.idio_var)
    r = fc.sample(1, rng)[0]
    r[[2, 7]] = np.nan
    keep = np.isfinite(r)
    exact = stats.multivariate_normal.logpdf(r[keep], fc.mean[keep], fc.dense_cov()[np.ix_(keep, keep)])
    assert abs(forecast_log_likelihood(fc, r, k=3) - exact) < 1e-8
    assert abs(forecast_log_likelihood(normal, r, k=3) - exact) < 1e-8
    marg = forecast_marginal_log_likelihood(normal, r, n_samples=1000)
    assert np.isnan(marg[[2, 7]]).all() and np.isfinite(marg[keep]).all()


def test_iwae_is_differentiable_and_masked_stock_is_ignored():
    g = torch.Generator().manual_seed(0)
    d, n, f = 3, 8, 2
    r = torch.randn(d, n, generator=g)
    beta = torch.randn(d, n, f, generator=g, requires_grad=True)
    alpha = torch.zeros(d, n, requires_grad=True)
    scale_x = torch.ones(d, n, requires_grad=True)
    dof = torch.full((d, n), 6.0)
    scale_z, dof_z = torch.ones(f, requires_grad=True), torch.full((f,), 5.0)
    mask = torch.ones(d, n, dtype=torch.bool)
    mask[1, 4] = False
    out = iwae_log_likelihood(r, mask, alpha, beta, scale_x, dof, scale_z, dof_z, k=7,
                              generator=torch.Generator().manual_seed(1))
    out.sum().backward()
    for p in (beta, alpha, scale_x, scale_z):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    assert beta.grad[1, 4].abs().sum() == 0
    r2 = r.clone()
    r2[1, 4] = 1e6  # an absent stock's value must not matter
    out2 = iwae_log_likelihood(r2, mask, alpha, beta, scale_x, dof, scale_z, dof_z, k=7,
                               generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(out, out2)
