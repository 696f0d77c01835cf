"""core.workbench.attribution: the parts sum to the realised return every day, the compounding line closes the
period, active attribution, a regression-factor model, a dollar-neutral book whose answer is known (the synthetic
truth), and periods outside the data refused."""
import numpy as np
import pandas as pd
import pytest

from core.data.embedded import load_dataset
from core.data.synthetic import default_synthetic
from core.portfolio.weights import basis, normalise
from core.errors import DataError, NotAvailable
from core.workbench import forecasts
from core.workbench.attribution import COMPOUNDED, COMPOUNDING, SPECIFIC, SUM, TOTAL, attribution


@pytest.fixture(scope="module")
def sp():
    p = load_dataset("sp500-20")
    w = pd.Series(np.linspace(1, 2, p.n_tickers), index=p.tickers)
    return p, w / w.sum()


def test_parts_sum_to_the_realised_return_every_day(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    a = attribution(p, nf, w, "2022-07-01", "2022-09-30")
    realised = p.returns.loc["2022-07-01":"2022-09-30", w.index] @ w
    np.testing.assert_allclose(a.daily[TOTAL].to_numpy(), realised.to_numpy(), atol=1e-15)
    np.testing.assert_allclose(a.daily.drop(columns=TOTAL).sum(axis=1).to_numpy(), realised.to_numpy(), atol=1e-15)
    assert list(a.daily.columns) == nf.series.factor_names + [SPECIFIC, TOTAL]
    s = a.summary
    assert s[nf.series.factor_names + [SPECIFIC]].sum() == pytest.approx(s[SUM])
    assert s[SUM] + s[COMPOUNDING] == pytest.approx(s[COMPOUNDED])
    assert s[COMPOUNDED] == pytest.approx(np.prod(1 + realised) - 1)
    x = a.exposures.iloc[0]  # exposures known at the close before the first day
    assert a.exposures.index[0] == pd.Timestamp("2022-06-30")
    np.testing.assert_allclose(x.to_numpy(), w.to_numpy() @ nf.series.exposures[nf.series.dates.get_loc("2022-06-30")])


def test_active_attribution_against_a_benchmark(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    b = pd.Series(1.0 / p.n_tickers, index=p.tickers)
    a = attribution(p, nf, w, "2022-07-01", "2022-07-29", benchmark=b)
    r = p.returns.loc["2022-07-01":"2022-07-29", p.tickers]
    np.testing.assert_allclose(a.daily[TOTAL].to_numpy(), (r @ (w - b)).to_numpy(), atol=1e-15)
    assert a.active and a.summary[COMPOUNDED] == pytest.approx(np.prod(1 + r @ w) - np.prod(1 + r @ b))


def test_regression_factors_and_refusals(sp):
    p, w = sp
    pca = forecasts(p, "pca")
    a = attribution(p, pca, w, "2022-07-01", "2022-07-29")
    assert "regression" in a.source
    np.testing.assert_allclose(a.daily.drop(columns=TOTAL).sum(axis=1), a.daily[TOTAL], atol=1e-15)
    with pytest.raises(DataError, match="1990-01-03..2022-12-28"):
        attribution(p, pca, w, "2022-12-01", "2023-02-01")
    with pytest.raises(NotAvailable, match="covariance-only"):
        attribution(p, forecasts(p, "ledoit-wolf"), w, "2022-07-01", "2022-07-29")


def test_a_dollar_neutral_book_on_the_synthetic_truth():
    """Long the 10 stocks of highest market exposure, short the 10 lowest (net 0, normalised to a gross of 1): each
    factor's contribution is the true (B_{s-1}'w)_k z_k,s, the specific the true w'eps_s, the compounded return
    prod(1 + w'r_s) - 1, all fractions of gross."""
    p, truth = default_synthetic()
    tr = forecasts(p, "truth")
    first = tr.series.dates.get_loc(pd.Timestamp("2013-06-03"))
    fc = tr.series.at(tr.series.dates[first - 1])
    market = pd.Series(fc.exposures[:, 0], index=fc.tickers).sort_values()
    w = normalise({**{k: 1.0 for k in market.index[-10:]}, **{k: -1.0 for k in market.index[:10]}}, fc.tickers)
    assert basis(w) == "of gross (a dollar-neutral book)" and w.abs().sum() == pytest.approx(1.0)
    a = attribution(p, tr, w, "2013-06-03", "2013-08-30")
    pos = p.dates.get_indexer(a.daily.index)
    held = w.reindex(p.tickers).fillna(0.0).to_numpy()
    x = np.einsum("n,tnf->tf", held, truth.exposures[pos - 1])
    true = x * truth.factor_returns[pos]
    np.testing.assert_allclose(a.daily[[f"f{k + 1}" for k in range(4)]].to_numpy(), true, atol=1e-12)
    r = p.returns.iloc[pos].fillna(0.0).to_numpy() @ held
    np.testing.assert_allclose(a.daily[SPECIFIC].to_numpy(), r - true.sum(axis=1), atol=1e-12)
    assert a.summary[COMPOUNDED] == pytest.approx(np.prod(1 + r) - 1)
    assert np.abs(true[:, 0]).sum() > 0.05  # the book's market bet moved day by day
