"""core.workbench.stress: the COVID replay equals the compounded realised buy-and-hold return; factor replay,
band and proxies; covariance-only models replay; windows outside the data are refused."""
import numpy as np
import pandas as pd
import pytest

from core.data.embedded import load_dataset
from core.errors import DataError
from core.workbench import forecasts
from core.workbench.realised import realised_factor_returns
from core.workbench.stress import WINDOWS, Window, stress_test, summarise, windows_in
from tests.panels import with_returns

COVID = next(w for w in WINDOWS if w.name == "2020 COVID crash")


@pytest.fixture(scope="module")
def sp():
    p = load_dataset("sp500-20")
    return p, pd.Series(1.0 / p.n_tickers, index=p.tickers)


def test_covid_replay_is_compounded_equal_weight_buy_and_hold(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    s = stress_test(p, nf, nf.series.dates[-1], w, COVID)
    r = p.returns.loc["2020-02-20":"2020-03-23"]
    assert s.dates[0] == pd.Timestamp("2020-02-20") and s.dates[-1] == pd.Timestamp("2020-03-23")
    assert s.replay.result.total == pytest.approx(((1 + r).prod() - 1).mean(), abs=1e-12)
    assert s.replay.rebalanced == pytest.approx(np.prod(1 + r.mean(axis=1)) - 1, abs=1e-12)
    assert s.replay.by_sector.sum() == pytest.approx(s.replay.result.total)
    assert not s.replay.proxied
    fr = s.factor_replay
    assert fr.by_factor.sum() == pytest.approx(fr.result.total)  # factor contributions + compounding
    fc = nf.series.at(nf.series.dates[-1])
    assert fr.band == pytest.approx(1.645 * np.sqrt(np.sum(fc.idio_var / 400) * len(s.dates)))
    assert fr.result.total < -0.1 and s.replay.result.max_drawdown <= s.replay.result.worst_day


def test_missing_stock_is_proxied_through_its_factor_replay(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    returns = p.returns.copy()
    returns.loc["2020-02-01":"2020-04-30", "AAPL"] = np.nan
    s = stress_test(with_returns(p, returns), nf, nf.series.dates[-1], w, COVID)
    assert s.replay.proxied == {"AAPL": len(s.dates)}
    fc = nf.series.at(nf.series.dates[-1])
    f, _ = realised_factor_returns(p, nf, s.dates)  # AAPL's replay: its exposures times the factor returns
    proxy = f.fillna(0.0).to_numpy() @ fc.exposures[fc.tickers.index("AAPL")]
    assert s.replay.by_stock["AAPL"] == pytest.approx(w["AAPL"] * (np.prod(1 + proxy) - 1), rel=1e-10)


def test_covariance_only_model_replays_without_factor_replay(sp):
    p, w = sp
    lw = forecasts(p, "ledoit-wolf")
    s = stress_test(p, lw, lw.series.dates[-1], w, COVID)
    assert s.factor_replay is None and s.notes
    r = p.returns.loc[s.dates]
    assert s.replay.result.total == pytest.approx(((1 + r).prod() - 1).mean(), abs=1e-12)


def test_windows_outside_the_data_are_refused_with_its_range(sp):
    p, w = sp
    lw = forecasts(p, "ledoit-wolf")
    with pytest.raises(DataError, match="1990-01-03..2022-12-28"):
        stress_test(p, lw, lw.series.dates[-1], w, Window("mine", pd.Timestamp("1987-10-01"), pd.Timestamp("1987-11-01")))
    assert [x.name for x in windows_in(p)] == [x.name for x in WINDOWS]
    assert windows_in(p.select(end="2019-12-31"))[-1].name == "2018-02 volatility shock"


def test_summarise_worst_day_and_drawdown():
    path = pd.Series([0.1, -0.12, 0.0], index=pd.date_range("2020-01-01", periods=3))
    r = summarise(path)
    assert r.worst_date == path.index[1] and r.worst_day == pytest.approx(0.88 / 1.1 - 1)
    assert r.max_drawdown == pytest.approx(0.88 / 1.1 - 1) and r.total == pytest.approx(0.0)
