"""core.workbench.horizon: the multi-day VaR table of one date, and the h-day VaR series over a split: realised h-day
returns compounded from t+1..t+h only (look-ahead), non-overlapping windows for the backtest, every date for the
calibration check."""
import numpy as np
import pandas as pd
import pytest

from core.forecast import FactorForecast, ForecastSeries
from core.workbench import horizon as hz
from tests.panels import with_returns

VOL = 0.01


@pytest.fixture(scope="module")
def market(small_market):
    """The small synthetic panel (40 stocks x 400 days) with a handmade Normal one-factor forecast at every date
    and equal weights."""
    panel = small_market[0]
    tickers = panel.tickers
    n = len(tickers)
    fcs = [FactorForecast(d, tickers, np.zeros(n), np.full((n, 1), VOL), np.eye(1), np.full(n, VOL ** 2))
           for d in panel.dates]
    weights = pd.Series(1.0 / n, index=tickers)
    return panel, ForecastSeries.stack(fcs, tickers), weights


def test_table_has_every_horizon_the_method_and_the_square_root_reference(market):
    panel, series, w = market
    table = hz.horizon_table(panel, series.at(panel.dates[200]), w)
    assert list(table.index) == ["1 day", "10 days", "21 days"] and list(table["horizon"]) == [1, 10, 21]
    one = table.loc["1 day", "VaR 99%"]
    np.testing.assert_allclose(table["1-day VaR 99% x sqrt(h)"], one * np.sqrt([1, 10, 21]))
    assert table.loc["10 days", "VaR 99%"] == pytest.approx(np.sqrt(10) * one, rel=0.04)  # Normal: sqrt(h) holds
    assert (table["CVaR 99%"] > table["VaR 99%"]).all() and (table["VaR 99%"] > table["VaR 95%"]).all()
    assert table.loc["1 day", "method"] == "the closed-form Normal quantile"
    assert table.loc["10 days", "method"].startswith("simulated paths of i.i.d. days")
    assert table.loc["10 days", "paths"] == hz.VIEW_SAMPLES


def test_realised_h_day_return_uses_days_t_plus_1_to_t_plus_h_only(market):
    """Look-ahead: the row of forecast date t is unchanged when returns up to t or after t+h change, and moves when
    the return of t+h changes; it is the compounded return of the fixed weights over t+1..t+h."""
    panel, series, w = market
    pos, h = 150, 10
    t = panel.dates[pos]

    def row(p):
        return hz.horizon_series(p, series, [t], w, horizons=(h,))[h].loc[t]

    base = row(panel)
    daily = panel.returns.iloc[pos + 1:pos + 1 + h].fillna(0.0).to_numpy() @ w.to_numpy()
    assert base["return"] == pytest.approx(np.prod(1 + daily) - 1)
    assert base["position"] == pos
    for rows, moves in (([pos + h + 1, pos + h + 5], False), ([pos, pos - 3], False), ([pos + h], True),
                        ([pos + 1], True)):
        r = panel.returns.copy()
        r.iloc[rows] = r.iloc[rows] - 0.05
        other = row(with_returns(panel, r))
        assert (other["return"] != base["return"]) == moves, rows
        assert other["VaR 99%"] == base["VaR 99%"]  # the forecast made at t is the same


def test_backtest_uses_non_overlapping_windows_and_the_check_every_date(market):
    panel, series, w = market
    dates = panel.dates[100:300]
    every = hz.horizon_series(panel, series, dates, w)
    only = hz.horizon_series(panel, series, dates, w, every=None)
    for h in hz.LONGER:
        assert len(every[h]) == 200 and np.all(np.diff(only[h]["position"]) >= h)
        assert len(only[h]) == len(range(100, 300, h)) and only[h]["non-overlapping"].all()
        pd.testing.assert_frame_equal(every[h][every[h]["non-overlapping"]], only[h])
        a, b = hz.horizon_verdicts(every[h], h), hz.horizon_verdicts(only[h], h)
        pd.testing.assert_frame_equal(a, b)
        assert f"all {len(only[h])} non-overlapping {h}-day windows" in set(a["window"])
        check = hz.horizon_check(every[h], h)
        assert check.n_windows == 200 and "dependent" in check.note
        assert list(hz.check_table(check)["VaR"]) == ["95%", "99%"]
    assert set(every) == {10, 21}


def test_the_check_thins_its_dates_beyond_the_draw_budget(market, monkeypatch):
    _, series, _ = market
    dates = series.dates[:400]
    assert hz.check_every(series, dates) == 1
    monkeypatch.setattr(hz, "DRAW_BUDGET", 400 * hz.MC_SAMPLES * 21 / 4)
    assert hz.check_every(series, dates) == 4
