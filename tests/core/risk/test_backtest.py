"""VaR backtests against hand-worked examples (sign convention, transition direction), and in plain language
(issue 14): one verdict per test, its window, formatted p-values."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import ModelError
from core.risk.backtest import (TRAFFIC_NA, christoffersen, exceedances, format_p, kupiec, plausible, plausible_range,
                                tone, traffic_light, transition_counts, var_backtest, verdicts)


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


def test_format_p():
    assert format_p(1e-60) == "< 0.0001" and format_p(0.002456) == "0.002456" and format_p(0.123456789) == "0.1235"
    assert format_p(float("nan")) == "n/a" and format_p(1.0) == "1"


def test_kupiec_rejects_while_the_traffic_light_is_green():
    """The page showed "green" beside Kupiec p = 0.0025 with no word on the windows: 21 breaches in 1005
    days, only 2 of them in the last 250 days."""
    n = 1005
    exc = np.zeros(n, dtype=bool)
    exc[np.linspace(10, 740, 19).astype(int)] = True
    exc[[900, 950]] = True
    r = np.where(exc, -0.05, 0.0)
    bt = var_backtest(r, np.full(n, 0.03), 0.99)
    rows = pd.DataFrame(verdicts(bt)).set_index("test")
    assert rows.loc["Kupiec", "verdict"] == "reject at 5%" and rows.loc["Kupiec", "window"] == "all 1005 days"
    assert rows.loc["Basel traffic light", "verdict"] == "green zone"
    assert rows.loc["Basel traffic light", "tone"] == "warn"  # green zone beside an implausible rate: not green
    assert rows.loc["Basel traffic light", "window"] == "last 250 days"
    assert rows.loc["breach rate", "verdict"].startswith("implausible")  # 2.1% against 1%
    assert all(len(p) <= 8 for p in rows["p-value"]) and rows["what it checks"].str.len().min() > 20


def test_a_good_var_passes():
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.01, 2000)
    bt = var_backtest(r, np.full(2000, 0.01 * 1.6449), 0.95)
    rows = pd.DataFrame(verdicts(bt)).set_index("test")
    assert plausible(bt) and rows.loc["Kupiec", "verdict"] == "pass" and "Basel traffic light" not in rows.index


def _breaches(n: int, hits: int) -> np.ndarray:
    r = np.zeros(n)
    r[np.linspace(3, n - 3, hits).astype(int)] = -0.05
    return r


def assert_one_rule(rows: pd.DataFrame) -> None:
    """No row is green whose VaR level's breach rate is outside its plausible range."""
    for lv, group in rows.groupby("VaR"):
        rate = group.set_index("test").loc["breach rate"]
        if rate["verdict"].startswith("implausible"):
            assert (group["tone"] != "good").all(), group[["test", "verdict", "tone"]]
        assert rate["tone"] == ("bad" if rate["verdict"].startswith("implausible") else "good")


def test_a_short_window_is_judged_by_its_plausible_range_not_waved_through():
    """The 524-stock file at 2010-05-06: 8 of 49 days beyond the 95% VaR (16.33%) read "plausible" in green, the
    99% VaR's 10.20% too, and the traffic light judged "last 49 days"."""
    r = _breaches(49, 8)
    b95 = var_backtest(r, np.full(49, 0.03), 0.95)
    assert not plausible(b95) and plausible_range(49, 0.95)[1] < 8 / 49
    rows = pd.DataFrame(verdicts(b95) + verdicts(var_backtest(_breaches(49, 5), np.full(49, 0.03), 0.99)))
    assert_one_rule(rows)
    assert (rows.query("test == 'breach rate'")["tone"] == "bad").all()
    light = rows.set_index("test").loc["Basel traffic light"]
    assert light["verdict"] == TRAFFIC_NA and light["tone"] == "" and light["window"] == "all 49 days"
    quiet = pd.DataFrame(verdicts(var_backtest(np.zeros(49), np.full(49, 0.03), 0.99))).set_index("test")
    assert quiet.loc["breach rate", "tone"] == "good"  # no breach in 49 days of a 99% VaR is plausible


def test_tones():
    assert tone("pass", True) == "good" and tone("pass", False) == "warn" and tone("reject at 5%", True) == "bad"
    assert tone("yellow zone", True) == "warn" and tone(TRAFFIC_NA, True) == "" and tone("n/a", True) == ""


@pytest.fixture(scope="module")
def vendor_panel(tmp_path_factory):
    from benchmarks.userfiles import write_vendor_csv

    from core.data.files import load_file

    return load_file(write_vendor_csv(tmp_path_factory.mktemp("vendor") / "prices.csv").path)


@pytest.mark.parametrize("case", ["sp500-20", "vendor-500"])
def test_no_green_row_beside_an_implausible_breach_rate(case, request):
    from core.data.embedded import load_dataset
    from core.workbench import forecasts
    from core.workbench.dates import window
    from core.workbench.portfolios import named_portfolio
    from core.workbench.var import var_series, verdict_table

    panel, model = (load_dataset("sp500-20"), "neuralfactors") if case == "sp500-20" else \
        (request.getfixturevalue("vendor_panel"), "sample")
    series = forecasts(panel, model).series
    dates = window(panel, series, "valid")
    for span in (dates[:49], dates):  # a short window and the whole split
        w = named_portfolio(panel, series.at(span[0]), "equal weight")
        table = verdict_table(var_series(panel, series, span, w, n_samples=200))
        assert_one_rule(table)
        assert len(table) == 9 and set(table["tone"]) <= {"good", "warn", "bad", ""}


def test_a_bare_breach_rate_is_judged_by_the_same_range():
    from core.risk.backtest import rate_tone

    assert rate_tone(8 / 49, 49, 0.95) == "bad" and rate_tone(0.05, 1000, 0.95) == "good"
    assert rate_tone(0.032, 1000, 0.99) == "bad" and rate_tone(float("nan"), 1000, 0.99) == ""
