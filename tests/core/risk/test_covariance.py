"""Covariance scores: whitening, QLIKE and correlation error against dense references."""
import numpy as np
import pytest

from core.errors import ModelError
from core.risk.covariance import correlation_error, qlike, whitened, whitening_scores
from tests.core.risk.forecasts import make_fc


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
