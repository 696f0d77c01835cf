"""VaR backtests against hand-worked examples (sign convention, transition direction)."""
import numpy as np
import pytest
from scipy import stats

from core.errors import ModelError
from core.risk.backtest import (christoffersen, exceedances, kupiec, traffic_light, transition_counts,
                                var_backtest)


def test_sign_convention_loss_larger_than_var():
    # VaR is a positive loss of 2%: only the -3% day is an exceedance; +3% and -2% exactly are not
    r = np.array([-0.03, 0.03, -0.02, -0.01])
    np.testing.assert_array_equal(exceedances(r, np.full(4, 0.02)), [True, False, False, False])
    with pytest.raises(ModelError, match="align"):
        exceedances(r, np.full(3, 0.02))


def test_transition_matrix_direction():
    # I = 0 0 1 1 0 1: pairs (0,0) (0,1) (1,1) (1,0) (0,1)
    exc = np.array([0, 0, 1, 1, 0, 1], dtype=bool)
    n00, n01, n10, n11 = transition_counts(exc)
    assert (n00, n01, n10, n11) == (1, 2, 1, 1)
    # reversing time swaps n01 and n10 here: a classic bug would not notice
    assert transition_counts(exc[::-1]) == (1, 1, 2, 1)


def test_kupiec_hand_worked():
    # n = 250, x = 10 at 99%: p = 0.01, phat = 0.04
    lr, p = kupiec(10, 250, 0.99)
    hand = -2 * (240 * np.log(0.99) + 10 * np.log(0.01) - 240 * np.log(0.96) - 10 * np.log(0.04))
    assert lr == pytest.approx(hand)
    assert lr == pytest.approx(12.955, abs=1e-3)
    assert p == pytest.approx(stats.chi2.sf(hand, 1))
    assert kupiec(0, 100, 0.99)[0] == pytest.approx(-2 * 100 * np.log(0.99))  # 0 log 0 = 0
    assert kupiec(5, 500, 0.99) == (0.0, 1.0)  # exactly the expected rate


def test_christoffersen_hand_worked():
    # 10 days: 0 0 1 1 0 0 0 1 0 0 -> n00 = 4, n01 = 2, n10 = 2, n11 = 1
    exc = np.array([0, 0, 1, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    assert transition_counts(exc) == (4, 2, 2, 1)
    pi01, pi11, pi = 2 / 6, 1 / 3, 3 / 9
    l_null = 6 * np.log(1 - pi) + 3 * np.log(pi)
    l_alt = 4 * np.log(1 - pi01) + 2 * np.log(pi01) + 2 * np.log(1 - pi11) + 1 * np.log(pi11)
    lr_ind, p_ind, lr_cc, p_cc = christoffersen(exc, 0.95)
    assert lr_ind == pytest.approx(-2 * (l_null - l_alt), abs=1e-12)  # pi01 == pi11 here: 0
    assert lr_cc == pytest.approx(kupiec(3, 10, 0.95)[0] + lr_ind)
    assert p_cc == pytest.approx(stats.chi2.sf(lr_cc, 2))
    # clustered exceedances: 0 0 0 0 1 1 1 0 0 0 -> n00 = 5, n01 = 1, n10 = 1, n11 = 2
    clustered = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 0], dtype=bool)
    lr_ind, p_ind, _, _ = christoffersen(clustered, 0.95)
    p01, p11, p = 1 / 6, 2 / 3, 3 / 9
    hand = -2 * ((6 * np.log(1 - p) + 3 * np.log(p))
                 - (5 * np.log(1 - p01) + np.log(p01) + np.log(1 - p11) + 2 * np.log(p11)))
    assert lr_ind == pytest.approx(hand)
    assert p_ind == pytest.approx(stats.chi2.sf(hand, 1))


def test_traffic_light_zones_use_last_250_days():
    exc = np.zeros(300, dtype=bool)
    exc[:40] = True  # old exceedances outside the window do not count
    assert traffic_light(exc) == ("green", 0)
    exc[-4:] = True
    assert traffic_light(exc) == ("green", 4)
    exc[-5:] = True
    assert traffic_light(exc) == ("yellow", 5)
    exc[-9:] = True
    assert traffic_light(exc)[0] == "yellow"
    exc[-10:] = True
    assert traffic_light(exc) == ("red", 10)


def test_var_backtest_summary_drops_nan_and_reports_light_at_99_only():
    r = np.array([-0.05, 0.01, np.nan, -0.001, 0.02])
    v = np.array([0.02, 0.02, 0.02, 0.02, np.nan])
    b = var_backtest(r, v, 0.99)
    assert (b.n_days, b.n_exceedances, b.rate) == (3, 1, pytest.approx(1 / 3))
    assert b.traffic_light == "green"
    assert var_backtest(r, v, 0.95).traffic_light is None
