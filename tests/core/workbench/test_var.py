"""core.workbench.var: VaR methods in words and the verdict table of a VaR series."""
import numpy as np
import pandas as pd
import pytest

from core.workbench.var import method_label, verdict_table


def test_var_methods_in_words():
    assert method_label("monte_carlo") == "Monte Carlo draws of the Student-t forecast"
    assert method_label("portfolio GARCH(1,1)-t") == "a GARCH(1,1)-t fitted on the portfolio's own returns"
    assert method_label("something new") == "something new"


def test_verdict_table_has_rows_for_both_levels():
    r = np.random.default_rng(0).normal(0.0, 0.01, 500)
    dates = pd.bdate_range("2020-01-01", periods=500)
    series = pd.DataFrame({"VaR 95%": 0.0165, "VaR 99%": 0.0233, "return": r}, index=dates)
    table = verdict_table(series)
    assert {"verdict"} <= set(table.columns) and len(table) >= 4
    assert table.astype(str).apply(lambda c: c.str.contains("99")).any().any()


def test_recalibrated_method_in_words():
    said = method_label("monte_carlo, recalibrated")
    assert said.startswith("Monte Carlo draws") and "recalibrated" in said and "calibration layer" in said


def _var_series_date_by_date(panel, series, dates, weights, n_samples=1_000):
    """The reference: each date's forecast, its VaR and its realised next-day return, one date at a time."""
    from core.errors import NotAvailable
    from core.risk.var import forecast_vars
    from core.workbench.portfolios import VAR_LEVELS, realised_return

    series = series.with_history(panel.returns)
    rows = {}
    for d in dates:
        fc = series.at(d)
        w = weights.reindex(fc.tickers).fillna(0.0)
        if w.abs().sum() < 1e-9:
            continue
        try:
            tail = forecast_vars(fc, w.to_numpy(), VAR_LEVELS, n_samples)
        except NotAvailable:
            continue
        rows[pd.Timestamp(d)] = {**{f"VaR {int(lv * 100)}%": v.var for lv, v in tail.items()},
                                 "return": realised_return(panel, d, w)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["VaR 95%", "VaR 99%", "return"])
    return out[out["return"].notna()]


@pytest.mark.parametrize("model", ["truth", "garch"])
def test_var_series_reads_every_outcome_at_once_and_keeps_each_dates_var(model, monkeypatch):
    """Student-t draws (the truth, its dates on threads) and a univariate portfolio GARCH: the same frame as date by
    date, with a stock not forecast on some dates, a date where the book holds nothing and the last date (no
    outcome)."""
    from dataclasses import replace

    from core import parallel

    monkeypatch.setattr(parallel, "available_cores", lambda: 4)  # the threaded path, whatever this machine has
    from core.data.embedded import load_dataset
    from core.workbench import forecasts
    from core.workbench.var import var_series

    panel = load_dataset("synthetic" if model == "truth" else "sp500-20")
    series = forecasts(panel, model).series
    dates = series.dates[-40:]
    mean = series.mean.copy()
    held = series.tickers[:3]
    mean[len(series.dates) - 30, 0] = np.nan  # the first stock has no forecast on one date
    mean[len(series.dates) - 20, :3] = np.nan  # none of the book's stocks on another
    series = replace(series, mean=mean)
    w = pd.Series(0.0, index=series.tickers)
    w[held] = [0.5, 0.3, 0.2]
    got = var_series(panel, series, dates, w)
    want = _var_series_date_by_date(panel, series, dates, w)
    pd.testing.assert_frame_equal(got, want)
    assert series.dates[-20] not in got.index and len(got) >= 35
    assert (dates[-1] in got.index) == (dates[-1] < panel.dates[-1])  # the data's last date has no outcome


def test_realised_returns_of_many_dates_are_each_dates_realised_return():
    from core.data.embedded import load_dataset
    from core.workbench.portfolios import realised_return, realised_returns

    panel = load_dataset("sp500-20")
    dates = panel.dates[-6:]
    tickers = panel.tickers[:4]
    books = pd.DataFrame(0.25, index=dates, columns=tickers)
    books.iloc[1, 0] = np.nan  # not in that date's book
    books.iloc[2] = 0.0  # held at zero: a return of 0, not NaN
    got = realised_returns(panel, books)
    for d in dates:
        want = realised_return(panel, d, books.loc[d].dropna())
        assert (np.isnan(got[d]) and np.isnan(want)) or got[d] == pytest.approx(want, abs=1e-15), d
    assert np.isnan(got[dates[-1]]) and got[dates[2]] == 0.0


def _pair_forecast(date, tickers):
    """A Normal forecast of 3 stocks whose first two share their mean and exposures (specific variances 1e-4 and
    3e-4): long the first, short the second, the factors cancel and the book's variance is 0.25 (d_A + d_B)."""
    from core.forecast import FactorForecast

    b = np.array([[1.0, 0.5], [1.0, 0.5], [0.3, 1.0]]) * 0.01
    return FactorForecast(pd.Timestamp(date), list(tickers), np.array([4e-4, 4e-4, 1e-3]), b,
                          np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([1e-4, 3e-4, 2e-4]), factor_names=["f1", "f2"])


def test_a_dollar_neutral_pair_has_its_hand_computed_var():
    """Long A, short B (normalised to a gross of 1: +0.5 / -0.5) with the same exposures and mean: no factor risk,
    vol 0.5 sqrt(d_A + d_B), the Normal VaR / CVaR of that vol, Euler contributions 0.25 d / vol; over a window in
    which B's returns are A's, every realised return of the book is 0 and every date's VaR the same."""
    from scipy import stats

    from core.data.embedded import load_dataset
    from core.forecast import ForecastSeries
    from core.portfolio.weights import normalise
    from core.workbench.portfolios import portfolio_risk
    from core.workbench.var import var_series
    from tests.panels import with_returns

    panel = load_dataset("sp500-20")
    a, b, c = panel.tickers[:3]
    dates = panel.dates[-12:-2]
    returns = panel.returns.copy()
    returns[b] = returns[a]  # the two legs earn the same
    panel = with_returns(panel, returns)
    w = normalise({a: 1.0, b: -1.0}, [a, b, c])
    assert w.to_dict() == {a: 0.5, b: -0.5, c: 0.0}
    vol = 0.5 * np.sqrt(1e-4 + 3e-4)
    r = portfolio_risk(panel, _pair_forecast(dates[0], [a, b, c]), w)
    assert r.vol == pytest.approx(vol, rel=1e-12) and r.factor_share == pytest.approx(0.0, abs=1e-12)
    assert r.var[0.95] == pytest.approx(stats.norm.ppf(0.95) * vol, rel=1e-9)
    assert r.cvar[0.99] == pytest.approx(stats.norm.pdf(stats.norm.ppf(0.99)) / 0.01 * vol, rel=1e-9)
    np.testing.assert_allclose(r.contributions.to_numpy(), [0.25e-4 / vol, 0.75e-4 / vol, 0.0], rtol=1e-9)
    assert np.abs(r.exposures.to_numpy()).max() < 1e-15 and r.realised == 0.0
    series = ForecastSeries.stack([_pair_forecast(d, [a, b, c]) for d in dates], list(panel.tickers))
    vs = var_series(panel, series, dates, w)
    assert list(vs.index) == list(dates) and (vs["return"] == 0.0).all()
    np.testing.assert_allclose(vs["VaR 99%"], stats.norm.ppf(0.99) * vol, rtol=1e-9)
