"""FactorVAE: forecast covariance from the network's outputs, persistence, zero-shot, a time-varying
prior, determinism, no look-ahead."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core.data.synthetic import make_market
from core.errors import ModelError
from core.models.registry import create_model, load_model, model_class
from tests.panels import with_returns

FAST = {"preset": "tiny", "steps": 30, "valid_every": 15}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def market():
    return make_market(n_stocks=12, n_dates=300, n_factors=2, seed=5)[0]


@pytest.fixture(scope="module")
def trained(market):
    return create_model("factorvae", **FAST).fit(market, market.split_dates("train"), market.split_dates("valid"))


def test_capabilities():
    cls = model_class("factorvae")
    assert cls.learned and cls.joint and cls.has_factors and cls.zero_shot and not cls.step_trained


def test_forecast_covariance_is_b_diag_sigma_z_b_plus_diag_sigma_alpha(trained, market):
    date = market.split_dates("test")[5]
    fc = trained.forecast(market, date)
    t = np.array([market.date_position(date)])
    feats = trained._features(market)
    x, _, elig, _ = trained._batch(feats, t)
    net = trained.net
    with torch.no_grad():
        e = net.features(x, elig)
        mu_a, s_a, beta = net.decoder(e)
        mu_z, s_z = net.predictor(e, elig)
    ok = elig[0].numpy()
    s = trained.scaler.return_scale
    b = beta[0].double().numpy()[ok] * s
    cov = b @ np.diag(s_z[0].double().numpy() ** 2) @ b.T + np.diag(s_a[0].double().numpy()[ok] ** 2 * s * s)
    mean = (mu_a[0] + beta[0] @ mu_z[0]).double().numpy()[ok] * s
    assert fc.family == "normal" and fc.n_stocks == ok.sum() == 12
    np.testing.assert_allclose(fc.exposures @ fc.factor_cov @ fc.exposures.T + np.diag(fc.idio_var), cov, rtol=1e-5)
    np.testing.assert_allclose(fc.mean, mean, rtol=1e-5, atol=1e-9)


def test_save_load_roundtrip_gives_identical_forecasts(trained, market, tmp_path):
    trained.save(tmp_path / "fvae")
    again = load_model(tmp_path / "fvae")
    dates = market.split_dates("test")[:10]
    a, b = trained.forecast_series(market, dates), again.forecast_series(market, dates)
    for field in ("mean", "exposures", "factor_cov", "idio_var"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_zero_shot_on_other_tickers(trained):
    other = make_market(n_stocks=7, n_dates=120, n_factors=1, seed=11)[0]
    def z(c):
        return f"Z{c}"

    other = replace(other, returns=other.returns.rename(columns=z), meta=other.meta.rename(index=z),
                    features={k: f.rename(columns=z) for k, f in other.features.items()})
    date = other.dates[-2]
    fc = trained.forecast(other, date)
    assert fc.n_stocks == other.returns.loc[date].notna().sum() > 3 and all(t.startswith("Z") for t in fc.tickers)
    assert np.isfinite(fc.total_var()).all() and (fc.total_var() > 0).all()


def test_prior_varies_across_dates(trained, market):
    series = trained.forecast_series(market, market.split_dates("test")[:20])
    sigma_z = np.sqrt(np.diagonal(series.factor_cov, axis1=1, axis2=2))
    assert np.ptp(sigma_z, axis=0).min() > 0
    assert np.ptp(series.mean[:, 0]) > 0


def test_same_seed_same_weights_and_another_seed_differs(trained, market):
    again = create_model("factorvae", **FAST).fit(market, market.split_dates("train"), market.split_dates("valid"))
    other = create_model("factorvae", **FAST, seed=1).fit(market, market.split_dates("train"), market.split_dates("valid"))
    for k, v in trained.arrays.items():
        np.testing.assert_array_equal(again.arrays[k], v, err_msg=k)
    assert any(not np.array_equal(other.arrays[k], v) for k, v in trained.arrays.items())


def test_forecast_ignores_returns_after_its_date(trained, market):
    date = market.split_dates("test")[10]
    before = trained.forecast(market, date)
    r = market.returns.copy()
    r.loc[r.index > date] *= 3.0
    after = trained.forecast(with_returns(market, r), date)
    np.testing.assert_array_equal(before.mean, after.mean)
    np.testing.assert_array_equal(before.idio_var, after.idio_var)


def test_factor_returns_are_indexed_by_the_realised_date(trained, market):
    dates = market.split_dates("test")[:5]
    fr = trained.factor_returns(market, dates)
    assert list(fr.columns) == ["f1", "f2"] and fr.index[0] == market.dates[market.date_position(dates[0]) + 1]
    assert np.isfinite(fr.to_numpy()).all()


def test_bad_settings_name_the_fix():
    with pytest.raises(ModelError, match="preset"):
        create_model("factorvae", preset="huge")
    with pytest.raises(ModelError, match="n_factors"):
        create_model("factorvae", n_factors="8")
