"""core.workbench.attribution: the parts sum to the realised return every day, the compounding line closes the
period, active attribution, a regression-factor model, and periods outside the data refused."""
import numpy as np
import pandas as pd
import pytest

from core.data.embedded import load_dataset
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
