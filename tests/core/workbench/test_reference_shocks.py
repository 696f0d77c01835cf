"""core.workbench.reference_shocks: shocks set in the units of each factor's reference series. On the synthetic
market (its benchmark the equal-weighted mean) the market's R-squared on the true factors is high and a -5% market
day moves an equal-weight book by about -5%; the answer does not depend on the factors' coordinates (a rotated
model gives the same stocks); unnamed factors keep latent units, said once; sp500-20 at 2020-03-16."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data.embedded import load_dataset
from core.data.synthetic import default_synthetic
from core.errors import ModelError
from core.workbench import forecasts
from core.workbench.factor_names import factor_names
from core.workbench.reference_shocks import references_of, reference_shock

DATE = "2020-03-16"


@pytest.fixture(scope="module")
def synthetic():
    p = default_synthetic()[0]
    tr = forecasts(p, "truth")
    return p, tr.series.at(tr.series.dates[-30]), factor_names(p, tr)


def test_a_market_day_on_the_synthetic_market(synthetic):
    p, fc, named = synthetic
    refs = references_of(p, fc, named)
    assert "market" in refs.names and refs.r2["market"] > 0.9 and refs.window.startswith("250 days")
    w = pd.Series(1.0 / fc.n_stocks, index=fc.tickers)
    res = reference_shock(fc, w, refs, {"market": -0.05})
    assert res.references["market"] == pytest.approx(-0.05) and res.r2.index.tolist() == ["market"]
    assert res.pnl_mean == pytest.approx(-0.05, abs=0.005) and "scale mixtures" in res.method
    assert res.quantiles[0.05] < res.pnl_mean < res.quantiles[0.95]
    with pytest.raises(ModelError, match="within 10 sd"):
        reference_shock(fc, w, refs, {"market": -5.0})
    with pytest.raises(ModelError, match="unknown references"):
        reference_shock(fc, w, refs, {"the moon": -0.05})


def test_the_answer_does_not_depend_on_the_factors_coordinates(synthetic):
    """A Gaussian model and the same model with its factors rotated and rescaled (as PPCA's fits rotate): the same
    stocks' moves and portfolio given a market day."""
    p, fc, named = synthetic
    normal = replace(fc, family="normal", factor_dof=None, idio_dof=None)
    rot = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))[0] @ np.diag([2.0, 1.0, 0.5, -1.0])
    inv = np.linalg.inv(rot)
    turned = replace(normal, exposures=normal.exposures @ rot, factor_cov=inv @ normal.factor_cov @ inv.T)
    w = pd.Series(np.linspace(-1, 2, fc.n_stocks), index=fc.tickers)
    a = reference_shock(normal, w, references_of(p, normal, named), {"market": -0.04})
    b = reference_shock(turned, w, references_of(p, turned, named), {"market": -0.04})
    np.testing.assert_allclose(b.stocks.to_numpy(), a.stocks.to_numpy(), atol=1e-12)
    assert b.pnl_mean == pytest.approx(a.pnl_mean) and b.pnl_sd == pytest.approx(a.pnl_sd)
    pd.testing.assert_series_equal(b.references, a.references, atol=1e-12)
    assert a.method == "Gaussian closed form"


def test_unnamed_factors_keep_latent_units_said_once(synthetic):
    p, fc, _ = synthetic
    refs = references_of(p, fc, None)
    assert refs.names == refs.latent == fc.factor_names and len(refs.notes) == 1 and "latent units" in refs.notes[0]
    w = pd.Series(1.0 / fc.n_stocks, index=fc.tickers)
    res = reference_shock(fc, w, refs, {"f1": -0.01})
    assert res.references.empty and res.r2.empty and res.factors["f1"] == pytest.approx(-0.01)


def test_a_market_fall_of_10pct_on_sp500_20():
    """The issue's question: the equal-weight book given a -10% day of the market reference at 2020-03-16."""
    p = load_dataset("sp500-20")
    nf = forecasts(p, "neuralfactors")
    fc = nf.series.at(DATE)
    refs = references_of(p, fc, factor_names(p, nf))
    assert {"market", "quality (QUAL)", "Energy"} <= set(refs.names) and refs.latent == ["f2 (unnamed)"]
    res = reference_shock(fc, pd.Series(1 / 20, index=p.tickers), refs, {"market": -0.10})
    assert refs.r2["market"] > 0.9 and -0.13 < res.pnl_mean < -0.08
    assert (res.references.drop("market") < 0).all()  # every reference falls with the market that day


def test_the_first_fall_offered_is_inside_the_supported_range(synthetic):
    p, fc, named = synthetic
    refs = references_of(p, fc, named)
    sd = refs.sd(fc)["market"]
    fall = refs.default_fall(fc, "market")
    assert fall == pytest.approx(-min(0.10, round(5 * sd / 0.005) * 0.005)) and fall <= -0.005
    reference_shock(fc, pd.Series(1.0 / fc.n_stocks, index=fc.tickers), refs, {"market": fall})  # not refused
