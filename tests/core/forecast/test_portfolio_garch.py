"""Portfolio GARCH(1,1)-t for univariate models (issue 14): one code path, no look-ahead (cut on, just before and
off its refit grid; failing on a planted one-day leak), closed-form tails that match Monte Carlo."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import NotAvailable
from core.forecast import portfolio_garch as pg
from tests.lookahead import assert_no_lookahead, changed_frame, grid_cuts, reading_ahead


@pytest.fixture(scope="module")
def returns():
    """600 days, 3 stocks sharing a common Student-t shock with slowly varying volatility."""
    rng = np.random.default_rng(3)
    n = 600
    vol = 0.01 * (1.0 + 0.3 * np.sin(np.arange(n) / 40.0))
    common = rng.standard_t(5, n) * vol
    r = common[:, None] + rng.normal(0, 0.005, (n, 3))
    return pd.DataFrame(r, index=pd.bdate_range("2015-01-01", periods=n), columns=["A", "B", "C"])


def test_tail_matches_monte_carlo():
    var, cvar = pg.tail(0.0005, 0.012, 5.0, 0.99)
    e = stats.t.rvs(5.0, size=2_000_000, random_state=np.random.default_rng(0)) * np.sqrt(3 / 5)
    loss = -(0.0005 + 0.012 * e)
    q = np.quantile(loss, 0.99)
    assert var == pytest.approx(q, rel=0.01) and cvar == pytest.approx(loss[loss >= q].mean(), rel=0.01)
    assert cvar > var > 0


def test_next_variance_is_the_garch_recursion():
    p = pg.GarchParams(mu=0.001, omega=1e-6, alpha=0.1, beta=0.85, nu=6.0)
    x = np.array([0.01, -0.02, 0.005])
    s = p.unconditional_var
    for v in x:
        s = p.omega + p.alpha * (v - p.mu) ** 2 + p.beta * s
    assert pg.next_variance(x, p) == pytest.approx(s, rel=1e-12)


def test_single_date_equals_a_history_with_cached_fits_and_no_look_ahead(returns):
    w = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    dates = returns.index[400:430]
    history = pg.History(returns)
    many = {d: history.portfolio(d, w) for d in dates}
    assert len(history.fits) == 2  # one fit per refit anchor (dates 400..429 span anchors 400 and 420)
    one = pg.portfolio_garch(returns, dates[17], w)
    assert many[dates[17]].var[0.99] == pytest.approx(one.var[0.99], rel=1e-12)
    assert many[dates[17]].vol == pytest.approx(one.vol, rel=1e-12)
    assert one.fit_date <= dates[17]
    shocked = returns.copy()
    shocked.loc[shocked.index > dates[17]] *= 5.0  # the future changes, the forecast at dates[17] does not
    assert pg.portfolio_garch(shocked, dates[17], w).var[0.99] == pytest.approx(one.var[0.99], rel=1e-12)


def test_portfolio_vol_reflects_correlation_not_independence(returns):
    """Stocks share a common shock: the portfolio GARCH vol is near the realised portfolio vol, far above
    what independent stocks would give."""
    w = pd.Series(1 / 3, index=returns.columns)
    g = pg.portfolio_garch(returns, returns.index[500], w)
    realised = (returns.iloc[400:500] @ w).std()
    independent = np.sqrt(((returns.iloc[400:500].std() * w) ** 2).sum())
    assert abs(np.log(g.vol / realised)) < abs(np.log(independent / realised))
    assert 0.0 < g.cdf(0.0) < 1.0 and g.sample(1000).std() == pytest.approx(g.vol, rel=0.15)


def test_too_little_history_is_not_available(returns):
    with pytest.raises(NotAvailable, match="250 days"):
        pg.portfolio_garch(returns, returns.index[100], pd.Series({"A": 1.0}))


def test_workbench_dispatches_univariate_and_covariance_only_forecasts():
    """Issue 14: views must never combine univariate forecasts as if stocks were independent, and factor
    views need a factor structure; each says so in one line (NotAvailable)."""
    from core.forecast import FactorForecast
    from core.workbench.capabilities import has_factors
    from core.workbench.clusters import embedding
    from core.workbench.covariance import covariance_view
    from core.workbench.exposures import exposures_table
    from core.workbench.portfolios import optimise
    from core.workbench.scenarios import scenarios, stock_scenarios

    uni = FactorForecast(date="2020-01-02", tickers=["A", "B"], mean=np.zeros(2), exposures=np.zeros((2, 0)),
                         factor_cov=np.zeros((0, 0)), idio_var=np.full(2, 1e-4), joint=False, model="garch")
    cov = FactorForecast.from_covariance(pd.Timestamp("2020-01-02"), ["A", "B"], np.zeros(2),
                                         np.array([[1e-4, 5e-5], [5e-5, 1e-4]]), model="ledoit-wolf")
    short = SimpleNamespace(returns=pd.DataFrame(0.01, index=pd.bdate_range("2019-12-02", "2020-01-02"),
                                                 columns=["A", "B"]))  # too little history for the portfolio GARCH
    assert not has_factors(uni) and not has_factors(cov)
    for call in (lambda: optimise(None, uni, "min_variance"), lambda: covariance_view(None, uni),
                 lambda: stock_scenarios(uni, ("A", "B")), lambda: exposures_table(cov),
                 lambda: embedding(None, cov), lambda: scenarios(short, uni, pd.Series({"A": 1.0}))):
        with pytest.raises(NotAvailable) as err:
            call()
        assert "\n" not in str(err.value)


GARCH_FROM = 395  # outputs for the dates at positions 395..449: refit anchors 380, 400, 420, 440
GARCH_CUTS = grid_cuts(400 - GARCH_FROM, pg.REFIT_EVERY)  # just before, on and off the refit at position 420
W = pd.Series({"A": 0.5, "B": 0.3, "C": -0.2})


def _garch_outputs(returns: pd.DataFrame) -> dict[str, np.ndarray]:
    """A History run over the dates in order (as a VaR series runs): row k = the forecast at position 395 + k."""
    history = pg.History(returns)
    rows = [history.portfolio(d, W) for d in returns.index[GARCH_FROM:GARCH_FROM + 55]]
    return {"mean": np.array([g.mean for g in rows]), "vol": np.array([g.vol for g in rows]),
            "nu": np.array([g.nu for g in rows]), "var": np.array([[g.var[lv] for lv in g.var] for g in rows]),
            "cvar": np.array([[g.cvar[lv] for lv in g.cvar] for g in rows]),
            "fit_date": np.array([g.fit_date.value for g in rows]), "n_obs": np.array([g.n_obs for g in rows])}


def _garch_change(returns: pd.DataFrame, t: int) -> pd.DataFrame:
    return changed_frame(returns, returns.index[GARCH_FROM + t], seed=t)


def test_no_look_ahead_around_the_refit_anchors(returns):
    assert_no_lookahead(_garch_outputs, returns, _garch_change, GARCH_CUTS)


def test_a_history_that_reads_day_t_plus_1_is_caught(returns, monkeypatch):
    """The filter is a daily update: a leak in what it reads is seen off the refit grid too."""
    monkeypatch.setattr(pg, "portfolio_history", reading_ahead(pg.portfolio_history))
    with pytest.raises(AssertionError, match="look-ahead"):
        assert_no_lookahead(_garch_outputs, returns, _garch_change, {"off": GARCH_CUTS["off"]})


def test_a_refit_anchor_a_day_early_cannot_leak(returns, monkeypatch):
    """The fit and the filter both read the history cut at the forecast's own date, so even a refit anchor moved a
    day early (the date before an anchor fitted for it) sees nothing after the date: the check passes."""
    honest = pg.anchor
    monkeypatch.setattr(pg, "anchor", lambda dates, date: honest(dates, dates[min(dates.get_loc(date) + 1,
                                                                                   len(dates) - 1)]))
    assert _garch_outputs(returns)["fit_date"][GARCH_CUTS["before"]] == returns.index[420].value  # it moved
    assert_no_lookahead(_garch_outputs, returns, _garch_change, GARCH_CUTS)


def test_paths_run_the_variance_recursion_forward():
    """From a volatile day (sigma_1 twice the long-run level) the variance of the h-day sum mean-reverts:
    sum_k [s2_bar + (alpha + beta)^(k-1) (sigma_1^2 - s2_bar)], not h sigma_1^2 (square-root-of-time)."""
    p = pg.GarchParams(mu=0.0, omega=2e-6, alpha=0.1, beta=0.8, nu=6.0)
    vol = 2 * np.sqrt(p.unconditional_var)
    g = pg.PortfolioGarch(pd.Timestamp("2020-01-02"), 0.0, vol, p.nu, {}, {}, pd.Timestamp("2020-01-02"), 500, p)
    h = 21
    paths = g.paths(200_000, h, seed=1)
    np.testing.assert_array_equal(paths[:, 0], g.sample(200_000, seed=1))  # day 1 is the one-day forecast
    k = np.arange(h)
    expected = np.sum(p.unconditional_var + (p.alpha + p.beta) ** k * (vol ** 2 - p.unconditional_var))
    assert paths.sum(axis=1).var() == pytest.approx(expected, rel=0.03)
    assert expected < 0.6 * h * vol ** 2
    flat = pg.PortfolioGarch(g.date, 0.0, vol, 6.0, {}, {}, g.date, 500, pg.GarchParams(0.0, vol ** 2, 0.0, 0.0, 6.0))
    assert flat.paths(100_000, h, seed=2).sum(axis=1).var() == pytest.approx(h * vol ** 2, rel=0.03)  # no dynamics
