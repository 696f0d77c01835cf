"""AppTest of the Stress tests and Attribution pages (issue 24) on sp500-20: they render without exception for
NeuralFactors (factors) and Ledoit-Wolf (covariance-only: said in words, no error), and a shock input changes the
expected P&L."""
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
    assert m["Replay return"].endswith("%") and m["Expected P&L"].endswith("%")
    assert ("Factor replay return" in m) == (model == "neuralfactors")
    if model == "ledoit-wolf":  # no factors: the factor replay is explained, the shock moves observable series
        assert any("no factors" in i.value for i in at.info)
        assert at.radio(key="shock_kind").options == ["Observable series"]
    at.selectbox(key="stress_window").set_value("Your own window").run(timeout=300)
    _clean(at)
    assert "Replay return" in _metrics(at)


@pytest.mark.parametrize("kind,key", [("Observable series", "shock_s_market"), ("Factors", "shock_f_")])
def test_a_shock_input_changes_the_pnl(kind, key):
    at = _app("neuralfactors", "stress")
    at.radio(key="shock_kind").set_value(kind).run(timeout=300)
    _clean(at)
    if key == "shock_f_":  # the factor is offered by its name in the vocabulary, the one every page uses
        first = at.multiselect(key="shock_factors").value[0]
        assert first == services.factor_vocabulary("sp500-20", "neuralfactors")["f1"] != "f1"
        key += first
    before = _metrics(at)["Expected P&L"]
    at.number_input(key=key).set_value(-6.0).run(timeout=300)
    _clean(at)
    after = _metrics(at)["Expected P&L"]
    assert after != before
    if key == "shock_s_market":  # a deeper market fall: an equal-weight portfolio loses more
        assert float(after.rstrip("%")) < float(before.rstrip("%"))


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
