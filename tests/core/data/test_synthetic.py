"""The synthetic market: shapes, ragged listing, and ground truth consistent with the returns."""
from __future__ import annotations

import numpy as np
import pytest

from core.data.synthetic import make_market


def test_shapes_and_metadata(small_market):
    panel, truth = small_market
    t, n = panel.returns.shape
    assert (t, n) == (400, 40) and panel.synthetic and "SYNTHETIC" in panel.source
    assert truth.exposures.shape == (t, n, 3) and truth.factor_returns.shape == (t, 3)
    assert truth.listed.shape == (t, n) and truth.idio_scale.shape == (n,)
    assert sorted(panel.features) == ["char1", "char2"]
    assert panel.meta["sector"].nunique() > 1 and len(panel.split_dates("test")) == 80
    assert truth.factor_cov().shape == (3, 3)


def test_ragged_listing_matches_missing_returns(small_market):
    panel, truth = small_market
    r = panel.returns.to_numpy()
    assert np.isnan(r[~truth.listed]).all()
    assert np.isfinite(r[1:][truth.listed[1:]]).all()
    partly = ~truth.listed.all(axis=0)
    assert 0 < partly.sum() < panel.n_tickers
    # each stock is listed over one contiguous stretch
    for i in np.flatnonzero(partly):
        on = np.flatnonzero(truth.listed[:, i])
        assert len(on) and np.all(np.diff(on) == 1)


def test_returns_are_exposures_times_next_factor_returns_plus_noise():
    panel, truth = make_market(n_stocks=30, n_dates=3000, n_factors=3, ragged_share=0.0, seed=1)
    r = panel.returns.to_numpy()[1:]
    z = truth.factor_returns[1:]
    systematic = np.einsum("tnf,tf->tn", truth.exposures[:-1], z)
    resid = r - systematic
    idio_sd = truth.idio_scale * np.sqrt(truth.idio_dof / (truth.idio_dof - 2))
    assert np.allclose(resid.std(axis=0) / idio_sd, 1.0, atol=0.15)
    # OLS of each stock's returns on the true factor returns recovers its average exposure
    x = np.c_[np.ones(len(z)), z]
    coef = np.linalg.lstsq(x, r, rcond=None)[0][1:].T
    mean_beta = truth.exposures[:-1].mean(axis=0)
    assert np.corrcoef(coef.ravel(), mean_beta.ravel())[0, 1] > 0.9
    assert np.median(np.abs(coef - mean_beta)) < 0.15


def test_truth_forecast_covers_listed_stocks(small_market):
    panel, truth = small_market
    t = 200
    fc = truth.forecast(panel, t)
    assert set(fc.tickers) == {panel.tickers[i] for i in np.flatnonzero(truth.listed[t + 1])}
    assert fc.exposures.shape == (len(fc.tickers), 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_same_seed_same_market(seed):
    a, _ = make_market(n_stocks=10, n_dates=100, seed=seed)
    b, _ = make_market(n_stocks=10, n_dates=100, seed=seed)
    assert a.returns.equals(b.returns)
