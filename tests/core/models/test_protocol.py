"""The contract for every model of issue 4: PSD forecasts, no look-ahead (daily refits cut at three dates, each check
failing on a planted one-day leak), save/load round trip."""
from __future__ import annotations

import numpy as np
import pytest

from core.data.synthetic import make_market
from core.errors import ModelError
from core.models import covariance, garch, ppca, predefined, rolling
from core.models.registry import create_model, load_model, model_names
from tests.lookahead import assert_no_lookahead, changed_after, reading_ahead

# small, fast settings; everything else is the registered default
FAST = {
    "ca0": {"n_seeds": 2, "max_epochs": 3}, "ca1": {"n_seeds": 1, "max_epochs": 2},
    "ca2": {"n_seeds": 1, "max_epochs": 2}, "ca3": {"n_seeds": 1, "max_epochs": 2},
    "pca": {"window": 252, "max_factors": 5}, "ppca": {"window": 252, "max_factors": 5},
    "ipca": {"max_iter": 30}, "ts-regression": {}, "xs-regression": {"characteristics": "all"},
    "sample": {}, "ledoit-wolf": {}, "ewma": {}, "garch": {},
}
NAMES = list(FAST)


@pytest.fixture(scope="module")
def market():
    panel, _ = make_market(n_stocks=24, n_dates=700, n_factors=3, seed=11)
    return panel


@pytest.fixture(scope="module")
def fitted(market):
    cache: dict = {}

    def get(name):
        if name not in cache:
            p = market
            cache[name] = create_model(name, **FAST[name]).fit(p, p.split_dates("train"), p.split_dates("valid"))
        return cache[name]

    return get


def _arrays(fc) -> dict[str, np.ndarray]:
    out = {"mean": fc.mean, "exposures": fc.exposures, "factor_cov": fc.factor_cov, "idio_var": fc.idio_var}
    if fc.family == "student_t":
        out |= {"factor_dof": fc.factor_dof, "idio_dof": fc.idio_dof}
    return out


def test_all_names_registered():
    assert set(NAMES) <= set(model_names())


def test_unknown_setting_is_a_model_error():
    with pytest.raises(ModelError, match="unknown setting"):
        create_model("sample", windw=10)


@pytest.mark.parametrize("name, setting", [("ewma", {"lam": "0.9"}), ("ca1", {"hidden": 32}),
                                           ("ppca", {"n_factors": 2.5}), ("ipca", {"price_characteristics": 1})])
def test_setting_of_the_wrong_kind_is_a_model_error(name, setting):
    with pytest.raises(ModelError, match=f"{next(iter(setting))}=.* should be"):
        create_model(name, **setting)


@pytest.mark.parametrize("name", NAMES)
def test_forecast_is_psd_and_well_formed(name, market, fitted):
    model = fitted(name)
    date = market.split_dates("test")[5]
    fc = model.forecast(market, date)
    assert fc.n_stocks > 10 and set(fc.tickers) <= set(market.tickers)
    assert np.all(np.isfinite(fc.mean)) and np.all(fc.idio_var > 0)
    listed = market.returns.loc[date].dropna().index
    assert set(fc.tickers) <= set(listed), "a stock not listed at the date was forecast"
    if name == "garch":
        assert fc.exposures.shape == (fc.n_stocks, 0) and not fc.joint and fc.family == "student_t"
        assert "no joint distribution" in model.description.lower()
        return
    eig_f = np.linalg.eigvalsh(fc.factor_cov)
    assert eig_f.min() >= -1e-12 * max(eig_f.max(), 1e-300)
    eig = np.linalg.eigvalsh(fc.dense_cov())
    assert eig.min() > 0
    vol = np.sqrt(fc.total_var())
    assert np.all((vol > 0.002) & (vol < 0.2)), vol  # daily vols of the synthetic market are ~1-3%


@pytest.mark.parametrize("name", NAMES)
def test_no_look_ahead_in_a_single_forecast(name, market, fitted):
    model = fitted(name)
    date = market.split_dates("test")[10]
    before = model.forecast(market, date)
    after = model.forecast(changed_after(market, date), date)
    assert after.tickers == before.tickers
    for key, value in _arrays(before).items():
        np.testing.assert_array_equal(_arrays(after)[key], value, err_msg=key)


# The classical models refit every day on a trailing window (sample, Ledoit-Wolf, EWMA, PCA, PPCA, the two
# regressions), or run a daily filter / a window of realised factors (GARCH, IPCA, xs-regression, the conditional
# autoencoders): every date is a refit date, so "on the grid" and "just before a refit" are every cut. Cut at the
# first test forecast, the one after it and one further on.
DAILY_CUTS = {"first": 0, "next": 1, "later": 12}


def _daily_case(model, market):
    """(outputs, change) of `model`'s forecast_series over the first 25 test dates, for assert_no_lookahead."""
    dates = market.split_dates("test")[:25]

    def outputs(panel) -> dict[str, np.ndarray]:
        s = model.forecast_series(panel, dates)
        return {k: v for k in ("mean", "exposures", "factor_cov", "idio_var", "factor_dof", "idio_dof")
                if (v := getattr(s, k)) is not None}

    return outputs, lambda panel, t: changed_after(panel, dates[t], seed=t)


@pytest.mark.parametrize("name", NAMES)
def test_no_look_ahead_in_the_daily_refits(name, market, fitted):
    outputs, change = _daily_case(fitted(name), market)
    assert_no_lookahead(outputs, market, change, DAILY_CUTS)


@pytest.mark.parametrize("name", NAMES)
def test_a_window_that_reads_day_t_plus_1_is_caught(name, market, fitted, monkeypatch):
    """Planted leak: every trailing window (and the GARCH filter) reads one day more than it may."""
    for module in (rolling, covariance, ppca, predefined):
        monkeypatch.setattr(module, "trailing", reading_ahead(rolling.trailing))
    monkeypatch.setattr(garch, "garch_filter", reading_ahead(garch.garch_filter))
    outputs, change = _daily_case(fitted(name), market)
    with pytest.raises(AssertionError, match="look-ahead"):
        assert_no_lookahead(outputs, market, change, {"later": DAILY_CUTS["later"]})


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name, market, fitted, tmp_path):
    model = fitted(name)
    model.save(tmp_path / name)
    assert not list((tmp_path / name).glob("*.pkl"))
    again = load_model(tmp_path / name)
    assert type(again) is type(model) and again.config == model.config
    date = market.split_dates("test")[3]
    a, b = model.forecast(market, date), again.forecast(market, date)
    assert a.tickers == b.tickers and a.family == b.family
    for key, value in _arrays(a).items():
        np.testing.assert_allclose(_arrays(b)[key], value, rtol=1e-6, atol=1e-12, err_msg=key)
