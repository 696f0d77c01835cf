"""core.forecast.univariate: a univariate forecast (GARCH per stock) answers portfolio questions with the portfolio
GARCH(1,1)-t on the portfolio's own history, exactly as core.forecast.portfolio_garch computes it, never by
combining its marginals as if the stocks were independent."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.errors import NotAvailable
from core.forecast import FactorForecast, ForecastSeries
from core.forecast import portfolio_garch as pg
from core.forecast.univariate import Univariate, joint_reason

LEVELS = (0.95, 0.99)


@pytest.fixture(scope="module")
def returns():
    """600 days, 3 stocks sharing a common Student-t shock with slowly varying volatility."""
    rng = np.random.default_rng(3)
    n = 600
    vol = 0.01 * (1.0 + 0.3 * np.sin(np.arange(n) / 40.0))
    r = (rng.standard_t(5, n) * vol)[:, None] + rng.normal(0, 0.005, (n, 3))
    return pd.DataFrame(r, index=pd.bdate_range("2015-01-01", periods=n), columns=["A", "B", "C"])


def _series(returns, dates) -> ForecastSeries:
    """Per-stock Student-t forecasts (F = 0, joint=False), like GARCH's: trailing 60-day means and variances."""
    fcs = [FactorForecast(date=d, tickers=list(returns.columns), mean=returns.loc[:d].tail(60).mean().to_numpy(),
                          exposures=np.zeros((3, 0)), factor_cov=np.zeros((0, 0)),
                          idio_var=returns.loc[:d].tail(60).var().to_numpy(), family="student_t",
                          factor_dof=np.zeros(0), idio_dof=np.full(3, 6.0), joint=False, model="garch")
           for d in dates]
    return ForecastSeries.stack(fcs, list(returns.columns))


def test_portfolio_numbers_are_the_portfolio_garch(returns):
    """VaR / CVaR, PIT, mean and variance, and draws of a univariate forecast equal portfolio_garch's."""
    d = returns.index[450]
    fc = _series(returns, [d]).with_history(returns).at(d)
    w = np.array([0.5, 0.3, 0.2])
    g = pg.portfolio_garch(returns, d, pd.Series(w, index=fc.tickers), LEVELS)
    tail, method, _ = fc.distribution.portfolio_var(fc, w, LEVELS, 100, 0)
    assert method == pg.METHOD and tail == {lv: (g.var[lv], g.cvar[lv]) for lv in LEVELS}
    x = float(returns.iloc[451] @ w)
    pit, tail2 = fc.distribution.portfolio_pit_var(fc, w, x, LEVELS, 100, 0)
    assert pit == g.cdf(x) == fc.distribution.portfolio_cdf(fc, w, x, 100, 0) and tail2 == tail
    assert (fc.portfolio_mean(w), fc.portfolio_var(w)) == (g.mean, g.vol ** 2)
    np.testing.assert_array_equal(fc.distribution.portfolio_scenarios(fc, w, 500, 7), g.sample(500, 7))
    paths, how = fc.distribution.portfolio_paths(fc, w, 10, 500, 7)  # multi-day: the portfolio GARCH's own dynamics
    assert how == pg.PATHS and paths.shape == (500, 10)
    np.testing.assert_array_equal(paths, g.paths(500, 10, 7))
    independent = float(np.sum(w * w * fc.idio_var))  # what combining the marginals would have said
    assert abs(np.log(fc.portfolio_var(w) / independent)) > 0.3
    assert "GARCH(1,1)-t fitted on the portfolio's own" in fc.distribution.portfolio_note(fc, w)


def test_marginals_are_the_base_family_and_joint_quantities_are_not_available(returns):
    d = returns.index[450]
    fc = _series(returns, [d]).at(d)
    assert isinstance(fc.distribution, Univariate) and fc.distribution.name == "student_t"
    raw = FactorForecast(d, fc.tickers, fc.mean, fc.exposures, fc.factor_cov, fc.idio_var, family="student_t",
                         factor_dof=np.zeros(0), idio_dof=np.full(3, 6.0))
    r = returns.iloc[451].to_numpy()
    np.testing.assert_array_equal(fc.distribution.marginal_cdf(fc, r, 50, 0),
                                  raw.distribution.marginal_cdf(raw, r, 50, 0))
    assert joint_reason(fc) and joint_reason(_series(returns, [d])) and not joint_reason(raw)
    with pytest.raises(NotAvailable, match="joint log-likelihood"):
        fc.distribution.log_likelihood(fc, r, 10, 0)
    with pytest.raises(NotAvailable, match="history"):  # never given the panel's returns
        fc.portfolio_var(np.full(3, 1 / 3))


def test_series_shares_one_cache_of_fits_and_gives_what_portfolio_garch_gave(returns):
    """The VaR series of a univariate model through the forecast object equals the old path: portfolio_garch on
    every date, in order, with one cache of fits."""
    from core.workbench.var import var_series

    dates = returns.index[400:445]
    series = _series(returns, dates)
    panel = SimpleNamespace(returns=returns, dates=returns.index,
                            date_position=lambda date: returns.index.get_loc(pd.Timestamp(date)))
    w = pd.Series([0.2, 0.5, 0.3], index=returns.columns)
    fits: dict = {}
    expected = {d: pg.portfolio_garch(returns, d, w, LEVELS, fits).var for d in dates}
    got = var_series(panel, series, dates, w)
    assert list(got.index) == list(dates)
    for lv in LEVELS:
        assert got[f"VaR {int(lv * 100)}%"].tolist() == [expected[d][lv] for d in dates]
    np.testing.assert_allclose(got["return"], returns.shift(-1).loc[dates] @ w)
    bound = series.with_history(returns)
    for d in dates:
        bound.at(d).portfolio_var(w.to_numpy())
    assert len(bound.history.fits) == 3  # anchors 400, 420, 440: one fit each, shared by every date
