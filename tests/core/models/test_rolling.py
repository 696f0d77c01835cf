"""Issue 13: the classical models adapt to a portfolio manager's short file (500 stocks, one year,
split 60/20/20, about 150 training dates): windows capped by the history, PCA/PPCA fitted on it,
sample/EWMA shrunk when stocks outnumber the days, and every adaptation stated in `model.notes`."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import ledoit_wolf_shrinkage
from threadpoolctl import threadpool_limits

from core.data.features import FeatureScaler
from core.data.synthetic import make_market
from core.errors import ModelError
from core.forecast import FactorForecast
from core.forecast.factor_forecast import restrict
from core.models.registry import load_model
from core.models.rolling import shrinkage_intensity, trailing, window_moments
from core.risk.likelihood import nll_joint
from core.workbench.sources import forecast_dates
from tests.core.models.handmade import fit
from tests.panels import with_returns

CLASSICAL = ["sample", "ledoit-wolf", "ewma", "pca", "ppca"]


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS thread: on 2 shared cores OpenBLAS's second thread makes a 450 x 450 eigh 25x slower."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def vendor_panel(tmp_path_factory):
    """The PM's file: 500 stocks x 252 dates from a vendor CSV, the loader's default 60/20/20 split."""
    from benchmarks.userfiles import write_vendor_csv

    from core.data.files import load_file

    vf = write_vendor_csv(tmp_path_factory.mktemp("pm") / "prices.csv", n_stocks=500, n_dates=252)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the vendor file's injected splits and text columns
        return load_file(vf.path)


@pytest.fixture(scope="module")
def short_panel():
    """150 stocks x 252 dates (N > T as in the PM's file, cheaper to forecast on every date)."""
    return make_market(n_stocks=150, n_dates=252, n_factors=3, seed=4, ragged_share=0.1)[0]


def mean_nll(panel, model, dates) -> float:
    """Mean per-stock Gaussian (Student-t for PPCA) NLL of r_{t+1} / return_scale, as the evaluation scales it."""
    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    values = []
    for d in dates:
        fc = model.forecast(panel, d)
        r = panel.returns.iloc[panel.date_position(d) + 1].reindex(fc.tickers).to_numpy()
        seen = np.isfinite(r)
        values.append(nll_joint(restrict(fc, [t for t, s in zip(fc.tickers, seen) if s]), r[seen], scale))
    return float(np.mean(values))


def history(panel) -> int:
    end = panel.date_position(panel.split_dates("train")[-1])
    return end + 1 - int(np.flatnonzero(panel.returns.iloc[: end + 1].notna().any(axis=1).to_numpy())[0])


@pytest.mark.parametrize("name", CLASSICAL)
def test_the_pm_file_fits_with_a_plausible_nll(name, vendor_panel):
    panel = vendor_panel
    assert panel.n_tickers == 500 and len(panel.split_dates("train")) == 150
    model = fit(name, panel)
    days = history(panel)
    default = model.config["window"]
    assert model.state["window_used"] == days < default
    assert f"{name}: window {default} capped to {days} days (the training history)" in model.notes
    valid, test = forecast_dates(panel, "valid"), forecast_dates(panel, "test")
    for d in (valid[0], valid[-1], test[0], test[-1]):
        assert model.forecast(panel, d).n_stocks > 400
    nll = mean_nll(panel, model, test[::12])
    assert np.isfinite(nll) and nll < 10, nll  # a singular covariance gave 5e8 and more
    shrunk = [n for n in model.notes if "shrunk toward the scaled identity" in n]
    assert len(shrunk) == (name in ("sample", "ewma")), model.notes
    if shrunk:
        assert shrunk[0].startswith(f"{name}: N=") and "(Ledoit-Wolf, re-estimated every date)" in shrunk[0]


@pytest.mark.parametrize("name", CLASSICAL)
def test_every_valid_and_test_date_is_forecast(name, short_panel):
    panel = short_panel
    model = fit(name, panel)
    assert model.state["window_used"] == history(panel)
    dates = forecast_dates(panel, "valid").append(forecast_dates(panel, "test"))
    series = model.forecast_series(panel, dates)
    assert series.dates.equals(dates)
    listed = np.isfinite(panel.returns.reindex(dates).to_numpy())
    covered = np.isfinite(series.idio_var)
    assert (covered.sum(axis=1) >= 0.8 * listed.sum(axis=1)).all()
    assert mean_nll(panel, model, dates[::15]) < 10


@pytest.mark.parametrize("name", ["sample", "ewma"])
def test_a_window_shorter_than_the_universe_stays_bounded(name, short_panel):
    """The old failure: --set window=60 with 150 stocks, a rank-59 covariance and a 1e8 NLL."""
    panel = short_panel
    model = fit(name, panel, window=60)
    date = forecast_dates(panel, "test")[10]
    fc = model.forecast(panel, date)
    assert model.state["shrink"] and any("shrunk toward the scaled identity" in n for n in model.notes)
    assert np.linalg.eigvalsh(fc.dense_cov()).min() > 1e-3 * np.mean(fc.total_var())
    assert mean_nll(panel, model, forecast_dates(panel, "test")[::10]) < 10
    # what the unshrunk estimator gives on the same day: the failure this guards against
    block = trailing(panel.returns.to_numpy(), panel.date_position(date), 60)[:, [panel.tickers.index(t) for t in fc.tickers]]
    mean, cov = window_moments(block, model.weights(len(block)))
    raw = FactorForecast.from_covariance(date, fc.tickers, mean, cov)
    r = panel.returns.iloc[panel.date_position(date) + 1].reindex(fc.tickers).to_numpy()
    seen = np.isfinite(r)
    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    assert nll_joint(restrict(raw, [t for t, s in zip(fc.tickers, seen) if s]), r[seen], scale) > 100


def test_long_history_and_few_stocks_change_nothing():
    """sp500-20-like data (20 stocks, years of history): no cap, no shrinkage, no notes."""
    panel = make_market(n_stocks=20, n_dates=1400, n_factors=3, seed=5, ragged_share=0.0)[0]
    for name in CLASSICAL:
        model = fit(name, panel, **({"max_factors": 4} if "pca" in name else {}))
        assert model.notes == [] and model.state["window_used"] == model.config["window"], name
        assert "shrink" not in model.state, name
    sample = fit("sample", panel)
    date = forecast_dates(panel, "test")[0]
    mean, cov = window_moments(trailing(panel.returns.to_numpy(), panel.date_position(date), 252))
    np.testing.assert_allclose(sample.forecast(panel, date).dense_cov(), cov, rtol=1e-8, atol=1e-14)


def test_too_little_history_names_the_fix():
    panel = make_market(n_stocks=30, n_dates=30, n_factors=2, seed=6)[0]  # 18 training dates
    for name in CLASSICAL:
        with pytest.raises(ModelError, match=r"needs at least 20: use a file with more dates or a later --train-end"):
            fit(name, panel)


def test_min_obs_share_applies_to_the_capped_window():
    """150 training dates: a stock needs ceil(0.9 * 150) = 135 of them, not 0.9 * 252."""
    rng = np.random.default_rng(0)
    r = rng.normal(0.0, 0.01, (250, 30))
    r[:16, 0] = np.nan  # listed 134 of the 150 training dates: out
    r[:15, 1] = np.nan  # 135: in
    panel = make_market(n_stocks=30, n_dates=250, n_factors=2, seed=7, ragged_share=0.0)[0]
    panel = with_returns(panel, pd.DataFrame(r, index=panel.dates, columns=panel.tickers))
    model = fit("sample", panel)
    assert model.state["window_used"] == 150
    fc = model.forecast(panel, panel.split_dates("train")[-1])
    assert panel.tickers[0] not in fc.tickers and panel.tickers[1] in fc.tickers


def test_weighted_intensity_is_sklearns_for_equal_weights():
    dev = np.random.default_rng(1).normal(size=(40, 60))
    dev -= dev.mean(axis=0)
    ours = shrinkage_intensity(dev, np.full(40, 1.0 / 40))
    assert ours == pytest.approx(float(ledoit_wolf_shrinkage(dev, assume_centered=True)), rel=1e-10)
    assert shrinkage_intensity(dev) == pytest.approx(ours, rel=1e-10)


def test_notes_survive_save_and_load(short_panel, tmp_path):
    model = fit("ewma", short_panel)
    model.save(tmp_path / "ewma")
    again = load_model(tmp_path / "ewma")
    assert again.notes == model.notes and again.state["window_used"] == model.state["window_used"]
    date = forecast_dates(short_panel, "test")[0]
    np.testing.assert_allclose(again.forecast(short_panel, date).total_var(), model.forecast(short_panel, date).total_var())


def test_garch_caps_its_training_requirement(short_panel):
    panel = short_panel.select(tickers=short_panel.tickers[:12])
    days = int(panel.returns.reindex(panel.split_dates("train")).notna().any(axis=1).sum())
    model = fit("garch", panel)
    need = int(np.ceil(0.9 * days))
    assert model.notes == [f"garch: min_train_obs 250 capped to {need} returns (90% of the {days} training dates)"]
    fc = model.forecast(panel, forecast_dates(panel, "test")[0])
    assert fc.n_stocks > 0.8 * panel.returns.iloc[panel.date_position(fc.date)].notna().sum()
    assert np.all(np.isfinite(fc.idio_var) & (fc.idio_var > 0))


@pytest.mark.parametrize("name", ["ledoit-wolf", "ewma"])
def test_fewer_rows_than_stocks_is_the_shrunk_covariance_in_few_factors(name, short_panel):
    """N > window rows: at most `rows` factors, exactly (1 - d) S + d mu I."""
    panel = short_panel
    model = fit(name, panel, window=60)
    date = forecast_dates(panel, "test")[3]
    fc = model.forecast(panel, date)
    assert fc.n_factors <= 60 < fc.n_stocks
    block = trailing(panel.returns.to_numpy(), panel.date_position(date), 60)[:, [panel.tickers.index(t) for t in fc.tickers]]
    w = model.weights(len(block))
    mean, cov = window_moments(block, w)
    d = shrinkage_intensity(np.where(np.isfinite(block), block - mean, 0.0), w)
    target = (1 - d) * cov + d * np.trace(cov) / len(cov) * np.eye(len(cov))
    np.testing.assert_allclose(fc.dense_cov(), target, rtol=1e-9, atol=1e-12 * np.trace(cov))
    np.testing.assert_allclose(fc.mean, mean)
