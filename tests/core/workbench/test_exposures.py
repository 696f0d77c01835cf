"""core.workbench.exposures: exposures over time and the shipped-or-computed choice of factor returns."""
import numpy as np
import pandas as pd
import pytest

from core.models.registry import create_model
from core import store
from core.data.embedded import load_dataset
from core.data.synthetic import default_synthetic, default_synthetic_panel
from core.errors import NotAvailable
from core.models.registry import create_model
from core.workbench import forecasts
from core.workbench.dates import window
from core.workbench.exposures import exposures_over_time, exposures_table, factor_returns
from core.workbench.sources import Forecasts


def test_exposures_over_time_is_w_b():
    p = default_synthetic_panel()
    series = forecasts(p, "truth").series
    dates = window(p, series, "test")[:5]
    w = pd.Series(np.linspace(0, 1, len(series.tickers)), index=series.tickers)
    y = exposures_over_time(series, dates, w)
    fc = series.at(dates[2])
    np.testing.assert_allclose(y.loc[dates[2]].to_numpy(), w.reindex(fc.tickers).to_numpy() @ exposures_table(fc))


def test_factor_returns_shipped_truth_or_none():
    p = load_dataset("sp500-20")
    shipped = forecasts(p, "neuralfactors")
    assert shipped.source == "shipped"
    dates = window(p, shipped.series, "valid")
    want = store.load_factor_returns(p.name, "neuralfactors").reindex(dates)
    pd.testing.assert_frame_equal(factor_returns(p, shipped, dates), want)
    syn = default_synthetic_panel()
    truth = forecasts(syn, "truth")
    got = factor_returns(syn, truth, syn.dates[-3:])
    np.testing.assert_allclose(got.to_numpy(), default_synthetic()[1].factor_returns[-3:])
    no_table = Forecasts("ppca", shipped.series, create_model("ppca"), "fitted", "")  # factors, but no posterior
    with pytest.raises(NotAvailable, match="does not define realised factor returns"):
        factor_returns(p, no_table, dates)


def test_a_calibrated_key_reads_its_base_models_shipped_factor_returns(monkeypatch):
    """The layer changes the forecasts' covariance and quantiles, not the posterior factor returns: "+cal" reads the
    shipped table of its base model instead of running the network on every date (10 s on Factor exposures)."""
    p = load_dataset("sp500-20")
    f = forecasts(p, "neuralfactors+cal")
    assert f.source == "shipped" and f.model is not None

    def refuse(*args, **kwargs):
        raise AssertionError("the posterior was run although the table ships")

    monkeypatch.setattr(type(f.model), "factor_returns", refuse)
    dates = window(p, f.series, "valid")
    got = factor_returns(p, f, dates)
    shipped = store.load_factor_returns("sp500-20", "neuralfactors").reindex(dates)
    pd.testing.assert_frame_equal(got, shipped)
    assert got.notna().all().all()
