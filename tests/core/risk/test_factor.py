"""Factor-form risk: the decomposition sums to the total and matches the dense covariance."""
import numpy as np
import pytest

from core.errors import PortfolioError
from core.risk.factor import portfolio_mean_vol, risk_decomposition
from tests.core.risk.forecasts import make_fc


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
