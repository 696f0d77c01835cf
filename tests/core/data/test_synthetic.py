"""The synthetic market: shapes, ragged listing, and ground truth consistent with the returns; opt-in GARCH
volatility clustering, the 11 sector names and the S&P-like market (issue 15)."""
from __future__ import annotations

import numpy as np
import pytest

from core.data.synthetic import SECTOR_NAMES, default_synthetic_panel, make_market, sp500_like_market
from core.errors import DataError


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


GARCH = (0.1, 0.85)


def lag1_autocorr(x: np.ndarray) -> float:
    x = x - x.mean()
    return float((x[1:] * x[:-1]).sum() / (x * x).sum())


@pytest.fixture(scope="module")
def markets():
    kw = dict(n_stocks=20, n_dates=3000, n_factors=2, ragged_share=0.0, seed=1)
    return make_market(**kw), make_market(**kw, factor_garch=GARCH, idio_garch=GARCH)


def test_clustering_shows_in_absolute_returns_and_only_rescales_the_shocks(markets):
    (p0, t0), (p1, t1) = markets
    z0, z1 = t0.factor_returns[1:], t1.factor_returns[1:]
    assert all(lag1_autocorr(np.abs(z1[:, f])) > 0.08 for f in range(2))
    assert all(abs(lag1_autocorr(np.abs(z0[:, f]))) < 0.04 for f in range(2))
    for (p, t), lo, hi in (((p1, t1), 0.05, 1.0), ((p0, t0), -0.04, 0.04)):  # each stock's noise too
        noise = p.returns.to_numpy()[1:] - np.einsum("tnf,tf->tn", t.exposures[:-1], t.factor_returns[1:])
        assert lo < np.median([lag1_autocorr(np.abs(noise[:, i])) for i in range(20)]) < hi
    # same draws rescaled: exposures and listings unchanged, z1 = z0 sqrt(h)
    assert np.array_equal(t0.exposures, t1.exposures) and np.array_equal(t0.listed, t1.listed)
    assert np.allclose(z1, z0 * np.sqrt(t1.factor_var_mult[:-1]), rtol=1e-5)  # row s = h_{s+1}
    assert t0.factor_var_mult is None and t1.idio_var_mult.shape == (3000, 20)
    assert abs(t1.factor_var_mult.mean() - 1) < 0.3  # E h = 1


def test_truth_forecast_carries_the_conditional_variances(markets):
    (p1, t1) = markets[1]
    t = 1500
    fc = t1.forecast(p1, t)
    assert np.allclose(np.diag(fc.factor_cov), np.diag(t1.factor_cov()) * t1.factor_var_mult[t])
    assert np.allclose(fc.idio_var, t1.idio_var() * t1.idio_var_mult[t])
    series = t1.forecast_series(p1, p1.dates[[t, t + 1]])
    assert np.allclose(series.factor_cov[0], fc.factor_cov) and np.allclose(series.idio_var[0], fc.idio_var)
    # returns standardised by the true conditional std of the systematic part have unit variance
    z = t1.factor_returns[1:] / np.sqrt(np.diag(t1.factor_cov()) * t1.factor_var_mult[:-1])
    assert np.allclose(z.std(axis=0), 1.0, atol=0.1)


def test_bad_garch_parameters_are_refused():
    with pytest.raises(DataError, match="a \\+ b < 1"):
        make_market(n_stocks=5, n_dates=50, factor_garch=(0.2, 0.8))


def test_default_market_unchanged():
    # fingerprint of the embedded `synthetic` dataset before volatility clustering and the 11 sectors
    panel = default_synthetic_panel()
    assert panel.fingerprint() == "e472f1ea91b592fd"
    assert set(panel.meta["sector"]) <= set(SECTOR_NAMES[:5])
    assert SECTOR_NAMES[:8] == ("Alpha Tech", "Beta Energy", "Gamma Health", "Delta Finance", "Epsilon Retail",
                                "Zeta Industrials", "Eta Utilities", "Theta Materials") and len(SECTOR_NAMES) == 11


def test_sp500_like_market_at_a_reduced_size():
    panel, truth = sp500_like_market(seed=2, n_stocks=80, years=2)
    assert panel.returns.shape == (504, 80) and panel.synthetic and "SYNTHETIC" in panel.source
    assert panel.name == "synthetic-sp500" and panel.meta["sector"].nunique() == 11
    assert truth.factor_var_mult.shape == (504, 4) and truth.idio_var_mult.shape == (504, 80)
    partly = ~truth.listed.all(axis=0)
    assert 0 < partly.sum() < 80 and np.isnan(panel.returns.to_numpy()[~truth.listed]).all()
    late = truth.listed.argmax(axis=0) > 0  # listed after the start
    early = ~truth.listed[-1]  # delisted before the end
    assert late.any() and early.any()
