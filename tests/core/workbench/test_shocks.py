"""core.workbench.shocks: a one-factor shock on a hand-built Gaussian forecast against the hand-worked conditional;
series shocks against the dense conditional; Student-t labelled; out-of-range shocks refused."""
import numpy as np
import pandas as pd
import pytest

from core.data.embedded import load_dataset
from core.errors import ModelError
from core.forecast import FactorForecast
from core.workbench import forecasts
from core.workbench.shocks import factor_shock, series_shock, series_weights

TICKERS = ["A", "B", "C"]


def gaussian() -> FactorForecast:
    # two correlated factors: var 4 and 1, covariance 1
    return FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=TICKERS, mean=np.array([0.001, 0.0, -0.001]),
                          exposures=np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 2.0]]),
                          factor_cov=np.array([[4.0, 1.0], [1.0, 1.0]]), idio_var=np.array([0.1, 0.2, 0.3]),
                          factor_names=["market", "value"])


def test_one_factor_shock_gives_the_hand_worked_expected_moves():
    w = pd.Series([0.5, 0.25, 0.25], index=TICKERS)
    res = factor_shock(gaussian(), w, {"market": -2.0})
    # E[value | market = -2] = 1/4 * -2 = -0.5;  Var(value | market) = 1 - 1/4 = 0.75
    np.testing.assert_allclose(res.factors.to_numpy(), [-2.0, -0.5])
    np.testing.assert_allclose(res.stocks["move"].to_numpy(), [-2.0, -0.5, 0.5 * -2 + 2 * -0.5])
    np.testing.assert_allclose(res.stocks["expected"].to_numpy(), [0.001 - 2.0, -0.5, -0.001 - 2.0])
    np.testing.assert_allclose(res.stocks["sd"].to_numpy(), np.sqrt([0.1, 0.75 + 0.2, 4 * 0.75 + 0.3]))
    # portfolio exposures y = (0.5 + 0.125, 0.25 + 0.5); only the value factor stays uncertain
    assert res.pnl_mean == pytest.approx(0.5 * 0.001 - 0.25 * 0.001 + 0.625 * -2 + 0.75 * -0.5)
    assert res.pnl_sd == pytest.approx(np.sqrt(0.75 ** 2 * 0.75 + 0.25 * 0.1 + 0.0625 * 0.5))
    assert res.quantiles[0.5] == pytest.approx(res.pnl_mean)
    assert res.quantiles[0.05] == pytest.approx(res.pnl_mean - 1.6448536 * res.pnl_sd)
    assert res.method == "Gaussian closed form"


def test_shocks_outside_the_range_or_unknown_are_refused():
    w = pd.Series(1 / 3, index=TICKERS)
    with pytest.raises(ModelError, match=r"-20 \.\. 20"):
        factor_shock(gaussian(), w, {"market": 25.0})
    with pytest.raises(ModelError, match="market, value"):
        factor_shock(gaussian(), w, {"size": 1.0})


def test_series_shock_matches_the_dense_conditional():
    fc = gaussian()
    w = pd.Series([0.2, 0.3, 0.5], index=TICKERS)
    c = pd.Series([1.0, 1.0], index=["A", "C"]) / 2
    res = series_shock(fc, w, {"mine": c}, {"mine": -0.5})
    s, cv = fc.dense_cov(), c.reindex(TICKERS).fillna(0).to_numpy()
    k = s @ cv / (cv @ s @ cv)
    mu = fc.mean + k * (-0.5 - cv @ fc.mean)
    cov = s - np.outer(k, cv @ s)
    np.testing.assert_allclose(res.stocks["expected"].to_numpy(), mu)
    np.testing.assert_allclose(res.stocks["sd"].to_numpy(), np.sqrt(np.diag(cov)))
    assert res.pnl_mean == pytest.approx(w.to_numpy() @ mu)
    assert res.pnl_sd == pytest.approx(np.sqrt(w.to_numpy() @ cov @ w.to_numpy()))


def test_covariance_only_and_student_t_models_on_sp500_20():
    p = load_dataset("sp500-20")
    w = pd.Series(0.0, index=p.tickers)
    w[["AAPL", "XOM"]] = 0.5
    lw = forecasts(p, "ledoit-wolf").series
    fc = lw.at(lw.dates[-1])
    energy = series_weights(fc, p.sectors, "sector: Energy")
    res = series_shock(fc, w, {"market": series_weights(fc, p.sectors, "market"), "sector: Energy": energy},
                       {"market": -0.05, "sector: Energy": 0.02})
    assert res.stocks.loc[energy.index, "expected"].mean() == pytest.approx(0.02)
    assert res.stocks["expected"].mean() == pytest.approx(-0.05)
    assert res.factors.empty and res.method == "Gaussian closed form"
    nf = forecasts(p, "neuralfactors").series
    res = series_shock(nf.at(nf.dates[-1]), w, {"market": series_weights(fc, p.sectors, "market")}, {"market": -0.05})
    assert "Student-t" in res.method and res.stocks["expected"].mean() == pytest.approx(-0.05)
    with pytest.raises(ModelError, match="unknown series"):
        series_weights(fc, p.sectors, "sector: Utilities")


def _student(dof: float) -> FactorForecast:
    """Independent Student-t factors (as NeuralFactors' prior) with the Gaussian fixture's exposures."""
    g = gaussian()
    return FactorForecast(date=g.date, tickers=TICKERS, mean=g.mean, exposures=g.exposures,
                          factor_cov=np.diag([4.0, 1.0]), idio_var=g.idio_var, family="student_t",
                          factor_dof=np.array([dof, dof]), idio_dof=np.full(3, dof), factor_names=g.factor_names)


def test_student_t_shocks_use_the_models_own_draws():
    """Near-Normal dofs: exact conditional draws (factor shock) and importance resampling (series shock) agree with
    the Gaussian closed form; heavy tails widen the factor shock's band beyond the Normal one."""
    w = pd.Series([0.5, 0.25, 0.25], index=TICKERS)
    normal = gaussian()
    normal.factor_cov = np.diag([4.0, 1.0])
    res, ref = factor_shock(_student(1e6), w, {"market": -2.0}), factor_shock(normal, w, {"market": -2.0})
    assert "exact conditional draws" in res.method and res.pnl_mean == pytest.approx(ref.pnl_mean)
    for q in (0.05, 0.5, 0.95):
        assert res.quantiles[q] == pytest.approx(ref.quantiles[q], abs=0.03)
    heavy = factor_shock(_student(2.5), w, {"market": -2.0})
    assert heavy.quantiles[0.5] - heavy.quantiles[0.05] < ref.quantiles[0.5] - ref.quantiles[0.05]  # peaked centre
    combo = {"market": pd.Series(1 / 3, index=TICKERS)}
    res = series_shock(_student(1e6), w, combo, {"market": -1.0})
    ref = series_shock(normal, w, combo, {"market": -1.0})
    assert "importance resampling" in res.method and "effective draws kept" in res.method
    # about 1,100 effective draws: each stock's kernel estimate has a Monte Carlo sd of 0.03-0.06 over seeds (0.05 held
    # for one stream only); 0.15 is 2.5 sd of the noisiest, far below the unconditional means' distance from the shock
    np.testing.assert_allclose(res.stocks["expected"], ref.stocks["expected"], atol=0.15)
    assert res.pnl_mean == pytest.approx(ref.pnl_mean, abs=0.05)
