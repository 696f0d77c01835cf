"""AppTest of the Stress tests and Attribution pages (issue 24) on sp500-20: they render without exception for
NeuralFactors (factors) and Ledoit-Wolf (covariance-only: said in words, no error), and a shock input changes the
expected P&L; shocks are set in each factor's reference units by default, the latent units in an expander. The
Shocks tab runs only once opened, and keeps its choices while the other tab is open."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import services

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _app(model: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"dataset": "sp500-20", "model": model, "portfolio": "equal weight"})
    at.run(timeout=300)
    return at.switch_page(f"app_pages/{page}.py").run(timeout=300)


def _shocks(at: AppTest, tab: str = "Shocks") -> AppTest:
    """The Stress tests page with tab `tab` opened (a tab runs only while open)."""
    at.session_state["stress_tab"] = tab
    return at.run(timeout=300)


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("model", ["neuralfactors", "ledoit-wolf"])
def test_stress_page_renders(model):
    at = _app(model, "stress")
    _clean(at)
    assert at.title[0].value == "Stress tests"
    m = _metrics(at)
    assert m["Replay return"].endswith("%") and "Expected P&L" not in m  # the Shocks tab runs once opened
    assert ("Factor replay return" in m) == ("Specific band" in m) == (model == "neuralfactors")
    if model == "ledoit-wolf":  # no factors: the factor replay is explained
        assert any("no factors" in i.value for i in at.info)
    _clean(_shocks(at))
    assert _metrics(at)["Expected P&L"].endswith("%") and "Replay return" not in _metrics(at)
    if model == "ledoit-wolf":  # no factors: the shock moves observable series
        assert at.radio(key="shock_kind").options == ["Observable series"]
    _shocks(at, "Historical windows")
    at.selectbox(key="stress_window").set_value("Your own window").run(timeout=300)
    _clean(at)
    assert "Replay return" in _metrics(at)


@pytest.mark.parametrize("kind,key", [("Observable series", "shock_s_market"), ("Factor references", "shock_r_market")])
def test_a_shock_input_changes_the_pnl(kind, key):
    at = _shocks(_app("neuralfactors", "stress"))
    at.radio(key="shock_kind").set_value(kind).run(timeout=300)
    _clean(at)
    before = _metrics(at)["Expected P&L"]
    at.number_input(key=key).set_value(-6.0).run(timeout=300)
    _clean(at)
    after = _metrics(at)["Expected P&L"]
    assert after != before
    if kind == "Observable series":  # from -3% to a deeper market fall: an equal-weight portfolio loses more
        assert float(after.rstrip("%")) < float(before.rstrip("%"))
    else:  # the market reference from -10% to -6%: it loses less; the R-squared is said
        assert float(after.rstrip("%")) > float(before.rstrip("%"))
        assert any("market = -6.00% (R-squared" in c.value for c in at.caption)


def test_the_reference_shock_is_the_default_and_latent_units_sit_in_an_expander():
    at = _shocks(_app("neuralfactors", "stress"))
    assert at.radio(key="shock_kind").value == "Factor references"
    assert at.multiselect(key="shock_refs").value == ["market"]
    assert sum("no reference series" in c.value for c in at.caption) == 1  # the unnamed factor, said once
    assert "Expected P&L (latent shock)" not in _metrics(at)  # computed only once its expander is opened
    at.session_state["shock_latent"] = True
    at.run(timeout=300)
    _clean(at)
    first = at.multiselect(key="shock_factors").value[0]  # the latent shock, by the vocabulary's name
    names = services.dated_names("sp500-20", "neuralfactors", at.session_state["selection"].date).vocabulary
    assert first == names["f1"] != "f1"
    before = _metrics(at)["Expected P&L (latent shock)"]
    at.number_input(key=f"shock_f_{first}").set_value(-6.0).run(timeout=300)
    _clean(at)
    assert _metrics(at)["Expected P&L (latent shock)"] != before


def test_a_shock_is_kept_while_the_historical_windows_are_open():
    """A tab runs only while open, and Streamlit forgets the value of a widget a run does not draw: the page keeps
    the closed tab's choices (persist_state="page"), so a PM who sets a shock, looks at a window and comes back finds it set."""
    at = _shocks(_app("neuralfactors", "stress"))
    at.radio(key="shock_kind").set_value("Observable series").run(timeout=300)
    at.number_input(key="shock_s_market").set_value(-6.0).run(timeout=300)
    pnl = _metrics(at)["Expected P&L"]
    _shocks(at, "Historical windows")
    window = at.selectbox(key="stress_window").options[1]
    at.selectbox(key="stress_window").set_value(window).run(timeout=300)
    _clean(at)
    assert "Expected P&L" not in _metrics(at)
    _clean(_shocks(at))
    assert at.radio(key="shock_kind").value == "Observable series"
    assert at.number_input(key="shock_s_market").value == -6.0
    assert _metrics(at)["Expected P&L"] == pnl
    _clean(_shocks(at, "Historical windows"))
    assert at.selectbox(key="stress_window").value == window


@pytest.mark.parametrize("model", ["neuralfactors", "ledoit-wolf"])
def test_attribution_page_renders(model):
    at = _app(model, "attribution")
    _clean(at)
    assert at.title[0].value == "Attribution"
    if model == "ledoit-wolf":
        assert not at.metric and any("covariance-only" in i.value for i in at.info)
        return
    m = _metrics(at)
    assert {"Factors", "Specific", "Compounding"} <= set(m)
    at.radio(key="attr_benchmark").set_value("equal").run(timeout=300)
    _clean(at)
    assert "Compounded active return" in _metrics(at)


@pytest.mark.parametrize("model", ["ledoit-wolf", "garch"])
def test_var_page_over_ten_days(model):
    """The VaR page's horizon switch: the 10-day figures are the simulated ones of the 1/10/21 table (method said,
    the square-root-of-time figure only beside them), backtested on non-overlapping windows (how many said) with the
    calibration check on overlapping ones; a factor model (Normal, i.i.d. days) and a univariate one (its portfolio
    GARCH run forward)."""
    at = _app(model, "var")
    _clean(at)
    date = at.session_state["selection"].date
    assert f"VaR 99% on {date} (daily)" in _metrics(at)
    at.radio(key="var_horizon").set_value(10).run(timeout=300)
    _clean(at)
    m = _metrics(at)
    table = at.dataframe[0].value
    assert list(table.index) == ["1 day", "10 days", "21 days"]
    assert float(m[f"VaR 99% on {date} (10 days)"].rstrip("%")) == pytest.approx(
        100 * table.loc["10 days", "VaR 99%"], abs=0.006)
    method = table.loc["10 days", "method"]
    assert ("i.i.d. days" in method) if model == "ledoit-wolf" else ("GARCH(1,1)-t, its volatility updated" in method)
    verdicts = at.dataframe[1].value
    windows = verdicts.loc[verdicts["test"] == "Kupiec", "window"].iloc[0]
    assert "non-overlapping 10-day windows" in windows and 80 <= int(windows.split()[1]) <= 101
    assert "Basel traffic light" not in set(verdicts["test"])
    assert any("NON-overlapping" in c.value for c in at.caption)
    assert any("dependent" in c.value for c in at.caption) and "Calibration error (0 = perfect)" in m
