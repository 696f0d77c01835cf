"""Likelihoods: Woodbury against scipy, the scale shift, Student-t routed to the same scale."""
import numpy as np
import pytest
from scipy import stats

from core.forecast import Normal
from core.risk.likelihood import nll_ind, nll_joint
from tests.core.risk.forecasts import make_fc


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
