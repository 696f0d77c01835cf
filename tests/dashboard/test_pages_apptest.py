"""AppTest of every dashboard page: renders without exception; date, portfolio and model changes
change the numbers shown. Runs on the embedded synthetic market (its ground-truth forecasts are
always available) so it does not depend on shipped outputs."""
from pathlib import Path

import numpy as np
import pandas as pd

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import DataError
from core.workbench.sources import model_keys
from dashboard import pages, services, uploads
from tests.dashboard.opening import open_all

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = [page.stem for page in pages.PAGES]


def _app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in {"dataset": "synthetic", "model": "truth", **params}.items():
        at.query_params[k] = v
    return at.run(timeout=120)


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_every_page_renders_without_exception():
    at = _app()
    _clean(at)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run(timeout=120)
        _clean(at)
        assert at.title and at.title[0].value, page
        _clean(open_all(at, page))  # what the page runs once opened
        if page in ("overview", "lab"):
            assert _metrics(at)["Volatility (daily)"].endswith("%")
    assert at.session_state["selection"].dataset == "synthetic"
    assert any("SYNTHETIC" in w.value for w in at.sidebar.warning)


def test_date_change_changes_numbers_and_link():
    at = _app(portfolio="equal weight")
    _clean(at)
    before, sel = _metrics(at), at.session_state["selection"]
    dates = services.forecast_dates("synthetic", "truth")
    other = dates[len(dates) // 3]
    assert other != sel.date
    at.text_input(key="date_pick").input(other).run()  # what Enter (or leaving the box) does
    _clean(at)
    assert at.session_state["selection"].date == other
    assert at.query_params["date"] == [other] or at.query_params["date"] == other
    assert _metrics(at)["Volatility (daily)"] != before["Volatility (daily)"]


def test_portfolio_change_changes_numbers():
    at = _app(portfolio="equal weight")
    before = _metrics(at)
    at.selectbox(key="portfolio").set_value("one per sector").run()
    _clean(at)
    assert at.session_state["selection"].portfolio == "one per sector"
    assert _metrics(at) != before
    at.selectbox(key="portfolio").set_value("minimum variance").run()
    _clean(at)
    mv = _metrics(at)
    assert float(mv["Volatility (daily)"].rstrip("%")) < float(before["Volatility (daily)"].rstrip("%"))


@pytest.mark.slow
def test_model_change_changes_numbers():
    options = model_keys(services.panel("synthetic"))
    assert "truth" in options and "pca" in options, options
    at = _app(model="truth", portfolio="equal weight")
    before = _metrics(at)
    at.selectbox(key="model").set_value("pca").run(timeout=180)
    _clean(at)
    assert at.session_state["selection"].model == "pca"
    assert _metrics(at)["Volatility (daily)"] != before["Volatility (daily)"]


def test_link_reproduces_view():
    dates = services.forecast_dates("synthetic", "truth")
    at = _app(date=dates[100], portfolio="one per sector")
    _clean(at)
    sel = at.session_state["selection"]
    assert (sel.date, sel.portfolio, sel.model) == (dates[100], "one per sector", "truth")


def test_bad_custom_weights_warn_not_crash():
    tickers = services.forecast_at("synthetic", "truth", services.forecast_dates("synthetic", "truth")[-30]).tickers
    at = _app(portfolio="custom", w=f"{tickers[0]}:0.8,{tickers[1]}:-0.3,NOPE:0.2")
    _clean(at)
    text = " ".join(w.value for w in at.sidebar.warning)
    assert "without a forecast on this date dropped (NOPE)" in text and "negative" in text
    assert at.session_state["selection"].custom.startswith(tickers[0])


def test_custom_weights_say_only_what_is_true():
    """Issue 23: the product's own rounding drew "weights sum to 0.99983, not 1" and "unknown tickers dropped" when
    none were unknown; a 500% weight drew no leverage warning."""
    tickers = services.forecast_at("synthetic", "truth", services.forecast_dates("synthetic", "truth")[-30]).tickers
    n = len(tickers)
    rounded = ",".join(f"{t}:{1 / n:.4g}" for t in tickers)  # the sum is off by the 4-digit rounding only
    at = _app(portfolio="custom", w=rounded)
    _clean(at)
    assert not [w.value for w in at.sidebar.warning if "custom weights" in w.value]
    at = _app(portfolio="custom", w=f"{tickers[0]}:5,{tickers[1]}:-4")
    _clean(at)
    text = " ".join(w.value for w in at.sidebar.warning)
    assert "leverage" in text and "500%" in text and "dropped" not in text


def test_bad_query_values_fall_back():
    at = _app(model="no-such-model", date="1900-01-01", portfolio="nonsense")
    _clean(at)
    sel = at.session_state["selection"]
    assert (sel.model, sel.portfolio) == (model_keys(services.panel("synthetic"))[0], "equal weight")
    assert sel.date == services.forecast_dates("synthetic", sel.model)[0]  # snapped to the first forecast date
    # issue 14: never a silent fallback, and the warning names what the link asked for
    text = " ".join(w.value for w in at.sidebar.warning)
    assert "no-such-model" in text and "1900-01-01" in text


def test_typed_date_snaps_and_previous_next_buttons_step():
    """Issue 14: a date was picked on a 228 px slider of 2,265 dates; now typed and stepped."""
    dates = services.forecast_dates("synthetic", "truth")
    at = _app(date=dates[100], portfolio="equal weight")
    _clean(at)
    at.button(key="date_next").click().run()
    assert at.session_state["selection"].date == dates[101]
    at.button(key="date_prev").click().run()
    at.button(key="date_prev").click().run()
    assert at.session_state["selection"].date == dates[99]
    gap = next(k for k in range(1, len(dates)) if (pd.Timestamp(dates[k]) - pd.Timestamp(dates[k - 1])).days > 1)
    holiday = (pd.Timestamp(dates[gap - 1]) + pd.Timedelta(days=1)).date()  # a day without a forecast
    at.text_input(key="date_pick").input(str(holiday)).run()
    _clean(at)
    assert at.session_state["selection"].date == dates[gap - 1]
    assert any("not a trading date" in w.value for w in at.sidebar.warning)
    at.text_input(key="date_pick").input("2999-01-01").run()  # after the data: the last date, said
    assert at.session_state["selection"].date == dates[-1]
    assert any("after the last forecast date" in w.value for w in at.sidebar.warning)
    at.text_input(key="date_pick").input("not a date").run()
    _clean(at)
    assert at.session_state["selection"].date == dates[-1]
    assert any("is not a date" in w.value for w in at.sidebar.warning)


def test_horizon_and_portfolio_value():
    at = _app(portfolio="equal weight")
    daily = _metrics(at)
    at.radio(key="horizon").set_value("annualised").run()
    at.number_input(key="value").set_value(1_000_000.0).run()
    _clean(at)
    year = _metrics(at)
    d, y = float(daily["Volatility (daily)"].rstrip("%")), float(year["Volatility (annualised)"].rstrip("%"))
    assert y / d == pytest.approx(252 ** 0.5, rel=0.01)
    assert year["VaR 99% (annualised)"].endswith(")") and "," in year["VaR 99% (annualised)"]  # money


def test_malformed_upload_is_a_data_error():
    with pytest.raises(DataError):
        uploads.add_upload("bad.csv", b"this,is\nnot;a,,panel\n\x00\x01")


@pytest.mark.slow
def test_univariate_and_covariance_only_models_on_every_risk_page():
    """Issue 14: GARCH (univariate) was combined as if stocks were independent (0.49% daily vol, 188/1005
    breaches, "0.0% factor share"); Ledoit-Wolf showed a 99% "factor share". Now GARCH's portfolio risk is
    the portfolio GARCH, views it cannot serve say so in one line, and covariance-only models show no
    factor share."""
    at = _app(dataset="sp500-20", model="garch", portfolio="equal weight")
    _clean(at)
    m = _metrics(at)
    assert "Factor share of variance" not in m and float(m["Volatility (daily)"].rstrip("%")) > 0.8
    assert any("GARCH(1,1)-t fitted on the portfolio" in i.value for i in at.info)
    at.switch_page("app_pages/var.py").run(timeout=300)
    _clean(at)
    table = at.dataframe[0].value
    assert {"test", "window", "p-value", "verdict"} <= set(table.columns)
    rate = table.loc[(table["test"] == "breach rate") & (table["VaR"] == "99%"), "result"].iloc[0]
    assert int(rate.split()[0]) < 60  # was 111 of 1005 at 99%
    for page in ("covariance", "scenarios", "lab"):
        at.switch_page(f"app_pages/{page}.py").run(timeout=300)
        _clean(at)
    at = _app(dataset="sp500-20", model="ledoit-wolf", portfolio="equal weight")
    _clean(at)
    assert "Factor share" not in _metrics(at)


@pytest.mark.slow
def test_covariance_only_model_shows_principal_components_not_factors():
    """Issue 14: Ledoit-Wolf showed 20 "pc" factors whose exposures flipped sign over time and a factor share.
    Now the pages say it has no factors and show the principal components of its forecast covariance, labelled
    as such and sign-fixed over time, with no factor share, factor tab, factor returns or factor names; its
    optimiser works (it was hidden behind the missing exposures)."""
    pcs = services.components("sp500-20", "ledoit-wolf", "test")
    dots = np.einsum("tnk,tnk->tk", np.nan_to_num(pcs.loadings[1:]), np.nan_to_num(pcs.loadings[:-1]))
    assert len(pcs.dates) > 500 and (dots > 0).all()
    at = _app(dataset="sp500-20", model="ledoit-wolf", portfolio="equal weight")
    at.switch_page("app_pages/exposures.py").run(timeout=300)
    _clean(at)
    assert not [m for m in at.metric if "factor" in m.label.lower()]
    assert any("principal components of its forecast covariance" in i.value and "not factors" in i.value
               for i in at.info)
    assert [s.value for s in at.subheader] == ["Stocks", "The components"]
    stocks, summary = at.dataframe[0].value, at.dataframe[1].value
    assert list(stocks.columns) == ["name", "sector", "PC1", "PC2", "PC3", "PC4", "PC5"]
    assert list(summary.index) == ["PC1", "PC2", "PC3", "PC4", "PC5"]
    assert 0.2 < summary["share of the stocks' variance"].iloc[0] < 1 and summary.iloc[:, 0].is_monotonic_decreasing
    at.switch_page("app_pages/lab.py").run(timeout=300)
    _clean(at)
    tabs = [t.label for t in at.tabs]
    assert "Principal components" in tabs and not {"Factor exposures", "Active risk by factor"} & set(tabs)
    at.session_state["lab_tab"] = "Principal components"  # a tab runs once opened
    at.run(timeout=300)
    _clean(at)
    assert any("principal components of its forecast covariance" in c.value for c in at.caption)
    assert not [m for m in at.metric if "factor" in m.label.lower()]
    assert any(b.label == "Optimise" for b in at.button)
    metrics = next(d.value for d in at.dataframe if "Sharpe ratio" in d.value.columns)  # the backtest, readable
    assert not [c for c in metrics.columns if "_" in c]


def test_var_method_and_split_in_words():
    """Issue 14: the Overview caption showed the internal "monte_carlo"; the comparison split read "valid"."""
    at = _app(dataset="sp500-20", model="neuralfactors", portfolio="equal weight")
    _clean(at)
    assert "Factor share" in _metrics(at)
    captions = " ".join(c.value for c in at.caption)
    assert "Monte Carlo draws of the Student-t forecast" in captions and "monte_carlo" not in captions
    at.switch_page("app_pages/comparison.py").run(timeout=300)
    _clean(at)
    assert at.radio(key="cmp_split").options == ["validation", "test"]


@pytest.mark.parametrize("model, told", [("neuralfactors", True), ("ppca", False)])
def test_clusters_page_says_when_sector_is_an_input(model, told):
    """Issue 15: NeuralFactors' sector clusters are partly by construction (sector is an input); the page says so
    and shows its kNN sector accuracy beside that of the network trained without the sector input."""
    at = _app(dataset="sp500-20", model=model)
    at.switch_page("app_pages/clusters.py").run(timeout=120)
    _clean(at)
    said = [w.value for w in at.warning if "sector as an input" in w.value]
    assert bool(said) == told
    if told:  # both scores of the date (the network as shipped: the map's metric) and of its split's sample
        sel = at.session_state["selection"]
        day = services.sector_scores(sel.dataset, sel.model, sel.date)
        split = services.split_sector_scores(sel.dataset, sel.model, sel.part)
        shown = f"on {sel.date} **{_metrics(at)['kNN accuracy, exposures']}** with the sector input and " \
                f"**{100 * day.without_input:.1f}%** without it"
        over = f"**{100 * split.with_input:.1f}%** with and **{100 * split.without_input:.1f}%** without"
        assert shown in said[0] and over in said[0] and f"chance {100 * day.chance:.1f}%" in said[0], said[0]


def test_optimiser_result_is_a_portfolio_that_can_be_used():
    """Issue 23: the optimum was a bar chart and a frontier point; now its risk, tracking error and exposures, and
    "use as custom" carries it to the sidebar without a rounding warning."""
    at = _app(portfolio="equal weight")
    at.switch_page("app_pages/lab.py").run(timeout=300)
    _clean(at)
    labels = [t.label for t in at.tabs]
    assert "Sector totals" in labels and "Factor exposures" in labels
    before = _metrics(at)
    assert before["Tracking error (daily)"] == "0.000%"  # equal weight against equal weight
    at.button(key="FormSubmitter:optimiser-Optimise").click().run(timeout=300)
    _clean(at)
    m = _metrics(at)
    assert float(m["Tracking error vs equal weight (annualised)"].rstrip("%")) > 0
    assert any("model's forecast return" in c.value for c in at.caption)
    at.button(key="opt_apply").click().run(timeout=300)
    _clean(at)
    sel = at.session_state["selection"]
    assert sel.portfolio == "custom" and sel.custom
    assert not [w.value for w in at.sidebar.warning if "custom weights" in w.value]
    assert float(_metrics(at)["Tracking error (daily)"].rstrip("%")) > 0  # the used optimum reaches every section


def test_comparison_breach_rates_follow_the_verdict_rule():
    at = _app(dataset="sp500-20", model="neuralfactors", portfolio="equal weight")
    at.switch_page("app_pages/comparison.py").run(timeout=300)
    _clean(at)
    assert any("plausible range" in c.value for c in at.caption)


def test_the_report_button_offers_the_html_and_the_workbook():
    at = _app(portfolio="equal weight")
    at.button(key="report_go").click().run(timeout=180)
    _clean(at)
    sel = at.session_state["selection"]
    _, book = services.report(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    import io

    sheets = pd.read_excel(io.BytesIO(book), sheet_name=None)
    assert {"Risk", "Holdings", "Exposures", "VaR backtest", "Stress", "Attribution"} <= set(sheets)
    assert [b.proto.label for b in at.get("download_button")] == ["Download report (HTML)",
                                                                  "Download its tables (Excel)"]


def test_a_long_short_book_shows_its_legs_and_rotating_factors_are_named_on_the_date():
    """Issue 33: a dollar-neutral custom book shows gross, net, long and short in percent of gross under its weights;
    PPCA (factors refitted every date) is not named on the validation split, says why, and is named on the date."""
    tickers = services.panel("sp500-20").tickers
    at = _app(dataset="sp500-20", model="ppca", portfolio="custom", w=f"{tickers[0]}:2,{tickers[1]}:-1,{tickers[2]}:-1")
    _clean(at)
    legs = ("Gross 100.0%, net 0.0%: long 50.0% in 1 stock, short -50.0% in 2 stocks (percent of gross, a "
            "dollar-neutral book).")
    assert legs in [c.value for c in at.caption]
    at.switch_page("app_pages/exposures.py").run(timeout=300)
    _clean(at)
    sel = at.session_state["selection"]
    assert any("rotates them from one fit to the next" in i.value and f"named on {sel.date} only" in i.value
               for i in at.info)
    table = next(d.value for d in at.dataframe if "check" in d.value.columns)
    assert table["check"].str.startswith(f"named on the 63 trading days to {sel.date}").sum() >= 3
    _clean(open_all(at, "exposures"))  # its history in model units (no name holds on validation)
    assert any("portfolio exposures over time" in str(c.proto.spec) for c in at.get("plotly_chart"))


def test_exposures_over_time_run_once_their_expander_is_opened(monkeypatch):
    """Factor exposures' first view draws the date's exposures and names; the history behind them (the portfolio's
    exposures over time, factor vs specific risk, the realised factor returns) is computed and drawn only once its
    expander is opened."""
    from dashboard import services as svc

    asked = []
    real = svc.exposures_over_time
    monkeypatch.setattr(svc, "exposures_over_time", lambda *a, **k: asked.append(a) or real(*a, **k))
    at = _app(dataset="sp500-20", model="neuralfactors")
    at.switch_page("app_pages/exposures.py").run(timeout=300)
    _clean(at)
    first = len(at.get("plotly_chart"))
    assert asked == [] and first >= 2
    at.session_state["exp_over_time"] = True
    at.run(timeout=300)
    _clean(at)
    assert len(asked) == 1 and len(at.get("plotly_chart")) == first + 3


def test_the_labs_tabs_run_once_opened():
    """Portfolio lab's tabs (risk contributions, sector totals, factor exposures; active weights, active risk by
    factor and by sector) each run only while open: the first view draws the first of each, a tab opened draws its
    own, and the tab left draws nothing."""
    at = _app(dataset="sp500-20", model="neuralfactors", portfolio="equal weight")
    at.switch_page("app_pages/lab.py").run(timeout=300)
    _clean(at)
    first = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Contribution to daily volatility" in f for f in first) and any("Active weights" in f for f in first)
    assert not any("Portfolio factor exposures" in f or "Active risk by factor" in f for f in first)
    at.session_state["lab_tab"], at.session_state["act_tab"] = "Factor exposures", "Active risk by factor"
    at.run(timeout=300)
    _clean(at)
    now = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Portfolio factor exposures" in f for f in now) and any("Active risk by factor" in f for f in now)
    assert not any("Contribution to daily volatility" in f or "Active weights" in f for f in now)
