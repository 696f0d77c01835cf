"""core.risk.horizon: multi-day VaR by simulating the forecast day after day (Normal i.i.d. days scale with sqrt(h),
Student-t days do not; a calibrated forecast is calibrated each day), and the h-day backtests on non-overlapping
windows and the overlapping calibration check, on planted series."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import ModelError
from core.forecast import FactorForecast
from core.forecast.distributions import IID_DAYS
from core.forecast.recalibrated import EACH_DAY
from core.risk.backtest import kupiec
from core.risk.horizon import (compound, horizon_backtest, horizon_vars, non_overlapping, overlap_check,
                               simulate)
from core.risk.recalibration import fit_map
from core.risk.var import forecast_vars

W = np.array([0.5, 0.3, 0.2])


def _fc(family="normal", vol=0.001, pit_map=None) -> FactorForecast:
    """Three stocks on one factor, zero mean, daily vol ~ `vol` (small: compounding is negligible next to the
    Monte Carlo error); Student-t: a dof-3 factor and dof-4 noise."""
    kw = {"factor_dof": np.array([3.0]), "idio_dof": np.full(3, 4.0)} if family == "student_t" else {}
    return FactorForecast(pd.Timestamp("2020-01-02"), ["A", "B", "C"], np.zeros(3), np.full((3, 1), vol),
                          np.eye(1), np.full(3, (0.3 * vol) ** 2), family=family, pit_map=pit_map, **kw)


def test_compound_multiplies_daily_returns():
    out = compound(np.array([[0.1, -0.1, 0.2]]))
    np.testing.assert_allclose(out, [[0.1, 1.1 * 0.9 - 1, 1.1 * 0.9 * 1.2 - 1]])


def test_normal_iid_days_give_sqrt_h_times_the_one_day_var():
    fc = _fc()
    res = horizon_vars(fc, W, (1, 10, 21), (0.95, 0.99), n_samples=200_000, seed=1)
    assert list(res) == [1, 10, 21]
    assert res[1][0.99].var == forecast_vars(fc, W, (0.99,))[0.99].var and res[1][0.99].method == "parametric"
    for h in (10, 21):
        for lv in (0.95, 0.99):
            r = res[h][lv]
            assert (r.horizon, r.method, r.n_samples) == (h, IID_DAYS, 200_000)
            assert r.var == pytest.approx(np.sqrt(h) * res[1][lv].var, rel=0.02)
            assert r.cvar == pytest.approx(np.sqrt(h) * res[1][lv].cvar, rel=0.02)


def test_student_t_days_are_not_square_root_of_time():
    """A sum of heavy-tailed days is closer to Normal than one day: sqrt(h) x the one-day VaR is too low at 95% and
    too high at 99%; the simulated figure agrees with an independent simulation from the joint draws."""
    fc = _fc("student_t")
    n, h = 100_000, 10
    res = horizon_vars(fc, W, (1, h), (0.95, 0.99), n_samples=n, seed=2)
    assert res[h][0.99].method == IID_DAYS and res[1][0.99].method == "monte_carlo"
    ratio = {lv: res[h][lv].var / (np.sqrt(h) * res[1][lv].var) for lv in (0.95, 0.99)}
    assert ratio[0.95] > 1.08 and ratio[0.99] < 0.96, ratio
    days = (fc.sample(n * h, rng=7) @ W).reshape(n, h)  # the same model through FactorForecast.sample
    other = -np.quantile(compound(days)[:, -1], [0.05, 0.01])
    assert res[h][0.95].var == pytest.approx(other[0], rel=0.03)
    assert res[h][0.99].var == pytest.approx(other[1], rel=0.04)


def test_simulation_is_seeded_and_day_one_is_the_one_day_draws():
    fc = _fc("student_t")
    a, b = simulate(fc, W, 5, 1_000, seed=4), simulate(fc, W, 5, 1_000, seed=4)
    np.testing.assert_array_equal(a.cum, b.cum)
    np.testing.assert_allclose(a.cum[:, 0], fc.distribution.portfolio_scenarios(fc, W, 1_000, 4))
    assert a.cdf(5, np.inf) == 1.0 and np.isnan(a.cdf(5, np.nan))


def test_a_calibrated_forecast_is_calibrated_every_day():
    """A map learned from outcomes twice as wide as the forecast widens every day: the h-day VaR doubles."""
    raw = _fc()
    vol = np.sqrt(raw.portfolio_var(W))
    outcomes = np.random.default_rng(1).normal(0, 2 * vol, 20_000)
    cal = _fc(pit_map=fit_map(stats.norm.cdf(outcomes / vol)))
    r_raw = horizon_vars(raw, W, (10,), (0.99,), n_samples=100_000)[10][0.99]
    r_cal = horizon_vars(cal, W, (10,), (0.99,), n_samples=100_000)[10][0.99]
    assert r_cal.method == f"{IID_DAYS}, {EACH_DAY}"
    assert r_cal.var == pytest.approx(2 * r_raw.var, rel=0.06)


def test_bad_horizons_and_levels_are_refused():
    with pytest.raises(ModelError, match="whole trading days"):
        horizon_vars(_fc(), W, (0, 10))
    with pytest.raises(ModelError, match="whole trading days"):
        horizon_vars(_fc(), W, (2.5,))
    with pytest.raises(ModelError, match="level"):
        horizon_vars(_fc(), W, (10,), (99,))


def test_non_overlapping_windows_skip_gaps():
    assert np.flatnonzero(non_overlapping(np.arange(25), 10)).tolist() == [0, 10, 20]
    # a date missing from the forecasts: the next window starts at least h days after the last one kept
    pos = np.array([0, 1, 2, 12, 13, 21, 22, 23])
    assert pos[non_overlapping(pos, 10)].tolist() == [0, 12, 22]


def test_backtest_counts_breaches_on_non_overlapping_windows_only():
    """100 dates, h = 10: windows at dates 0, 10, ..., 90. Breaches planted at dates 0 and 50 (windows) and 5
    (inside window 0, so not counted by the backtest, only by the overlapping check)."""
    r, v = np.zeros(100), np.full(100, 0.05)
    r[[0, 5, 50]] = -0.1
    bt = horizon_backtest(r, v, 0.99, 10)
    assert (bt.n_days, bt.n_exceedances, bt.rate) == (10, 2, 0.2)
    assert bt.kupiec_p == pytest.approx(kupiec(2, 10, 0.99)[1])
    assert bt.traffic_light is None and bt.traffic_light_count is None  # defined for 250 one-day outcomes only
    assert horizon_backtest(r, v, 0.99, 1).traffic_light == "green"  # one day: the usual backtest
    pit = np.linspace(0.005, 0.995, 100)
    check = overlap_check(r, {0.99: v, 0.95: np.full(100, 0.2)}, pit, 10)
    assert check.n_windows == 100 and check.breach_rates == {0.99: 0.03, 0.95: 0.0}
    np.testing.assert_allclose(check.pit_histogram, np.full(10, 0.1))
    assert check.calibration_error < 0.01
    assert "dependent" in check.note and "about 10 independent windows" in check.note
    assert "one starting every trading day, share 9 of their 10 days" in check.note
    thinned = overlap_check(r[::4], {0.99: v[::4]}, pit[::4], 10, positions=np.arange(0, 100, 4))
    assert "one starting every 4 trading days, share 6 of their 10 days" in thinned.note
    assert overlap_check(r[::10], {0.99: v[::10]}, pit[::10], 10, positions=np.arange(0, 100, 10)).note == ""
