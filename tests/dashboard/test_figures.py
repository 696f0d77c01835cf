"""Plain tests of the dashboard's figure builders: data in, go.Figure out, no Streamlit."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures

SECTORS = pd.Series({"A": "Tech", "B": "Energy", "C": "Tech", "D": "Health"})


@pytest.fixture
def colours():
    return figures.sector_colours(SECTORS)


def _titled(fig: go.Figure) -> None:
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert fig.layout.plot_bgcolor is None and fig.layout.paper_bgcolor is None  # themes decide


def test_sector_colours_stable_and_distinct():
    a = figures.sector_colours(["Tech", "Energy", "Health", "Tech"])
    b = figures.sector_colours(["Health", "Energy", "Tech"])
    assert a == b and len(set(a.values())) == 3


def test_png_config_names_file():
    cfg = figures.png_config("var")
    assert cfg["toImageButtonOptions"]["format"] == "png" and cfg["toImageButtonOptions"]["filename"] == "var"


def test_exposure_heatmap_groups_by_sector(colours):
    beta = pd.DataFrame(np.arange(8.0).reshape(4, 2) - 3, index=list("ABCD"), columns=["f1", "f2"])
    fig = figures.exposure_heatmap(beta, SECTORS, colours)
    _titled(fig)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)][0]
    order = list(heat.y)
    assert sorted(order) == list("ABCD")
    assert order.index("A") + 1 == order.index("C")  # both Tech rows sit together
    strips = {t.name: t.marker.color for t in fig.data if isinstance(t, go.Scatter)}
    assert strips == {s: colours[s] for s in ("Energy", "Health", "Tech")}
    assert np.allclose(heat.z, beta.loc[order].to_numpy())


def test_time_series_percent_scaling():
    frame = pd.DataFrame({"x": [0.01, -0.02]}, index=pd.date_range("2020-01-01", periods=2))
    fig = figures.time_series(frame, "T", "return (%)", percent=True)
    _titled(fig)
    assert np.allclose(fig.data[0].y, [1.0, -2.0]) and fig.layout.yaxis.title.text == "return (%)"


def test_risk_split_shares_sum_to_100():
    fig = figures.risk_split(0.75, 0.25)
    assert np.isclose(sum(fig.data[0].y), 100.0) and np.isclose(fig.data[0].y[0], 75.0)


def test_bar_by_ticker_colours_by_sector(colours):
    fig = figures.bar_by_ticker(pd.Series([0.1, 0.2, 0.3, 0.4], index=list("ABCD")), SECTORS, colours, "W", "w (%)")
    _titled(fig)
    by_name = {t.name: t for t in fig.data}
    assert by_name["Tech"].marker.color == colours["Tech"] and list(by_name["Tech"].x) == ["A", "C"]
    assert np.allclose(by_name["Tech"].y, [10.0, 30.0])


def test_correlation_heatmaps_difference():
    f = pd.DataFrame([[1, 0.5], [0.5, 1.0]], index=list("AB"), columns=list("AB"))
    r = pd.DataFrame([[1, 0.2], [0.2, 1.0]], index=list("AB"), columns=list("AB"))
    fig = figures.correlation_heatmaps(f, r, "corr")
    assert len(fig.data) == 3 and np.isclose(fig.data[2].z[0][1], 0.3)


def test_eigen_spectra_sorted_descending_in_pct2():
    fig = figures.eigen_spectra(np.array([1e-4, 4e-4]), np.array([2e-4, 3e-4]))
    assert np.allclose(fig.data[0].y, [4.0, 1.0]) and fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.tickformat == "~g"  # plain numbers, not "1f/1p/1µ"


def test_var_chart_marks_exceedances():
    idx = pd.date_range("2020-01-01", periods=4)
    ret = pd.Series([-0.05, 0.01, -0.015, 0.0], index=idx)
    var = pd.DataFrame({"VaR 95%": [0.02] * 4, "VaR 99%": [0.04] * 4}, index=idx)
    fig = figures.var_chart(ret, var, "VaR")
    _titled(fig)
    hits = {t.name: list(t.x) for t in fig.data if t.mode == "markers"}
    assert hits["breaches VaR 95% (1)"] == [idx[0]] and hits["breaches VaR 99% (1)"] == [idx[0]]
    band = [t for t in fig.data if t.name == "-VaR 95%"][0]
    assert np.allclose(band.y, -2.0)


def test_frontier_and_equity_curves():
    pts = pd.DataFrame({"vol": [0.1, 0.2], "ret": [0.05, 0.08]})
    fig = figures.frontier(pts, pd.DataFrame({"vol": [0.15], "ret": [0.06]}, index=["mine"]))
    assert [t.name for t in fig.data] == ["frontier", "mine"] and np.allclose(fig.data[0].x, [10, 20])
    eq = figures.equity_curves(pd.DataFrame({"a": [1.0, 1.1]}, index=pd.date_range("2020", periods=2)))
    assert eq.layout.yaxis.title.text == "value of 1 invested"


def test_scenario_figures():
    rng = np.random.default_rng(0)
    s, h = rng.normal(0, 0.01, 500), rng.normal(0, 0.012, 300)
    hist = figures.scenario_histogram(s, h)
    assert len(hist.data) == 2 and hist.layout.barmode == "overlay"
    qq = figures.quantile_plot(s, h)
    assert len(qq.data[0].x) == 199 and np.all(np.diff(qq.data[0].x) >= 0)
    sc = figures.scenario_scatter(rng.normal(size=(50, 2)), rng.normal(size=(40, 2)), ("A", "B"))
    assert "A daily return" in sc.layout.xaxis.title.text


# --- issue 14 ----------------------------------------------------------------------------
def test_bar_by_ticker_labels_every_ticker_and_shows_top_n(colours):
    """Bar charts labelled every second ticker only: now every bar has its tick label."""
    tickers = [f"T{i:02d}" for i in range(30)]
    values = pd.Series(np.linspace(0.001, 0.03, 30), index=tickers)
    fig = figures.bar_by_ticker(values, pd.Series("Tech", index=tickers), colours, "Weights", "weight (%)")
    assert list(fig.layout.xaxis.tickvals) == tickers and fig.layout.xaxis.tickmode == "array"
    assert fig.layout.xaxis.title.text == "ticker" and fig.layout.yaxis.title.text == "weight (%)"
    assert max(max(t.y) for t in fig.data) == pytest.approx(3.0)  # percent of a 0.03 weight
    big = pd.Series(np.arange(1, 101) / 5050.0, index=[f"S{i}" for i in range(100)])
    fig = figures.bar_by_ticker(big, pd.Series(dtype=str), colours, "Weights", "weight (%)", top=40)
    assert len(fig.layout.xaxis.tickvals) == 40 and "largest 40 of 100" in fig.layout.title.text
    assert "S99" in fig.layout.xaxis.tickvals and "S0" not in fig.layout.xaxis.tickvals


def test_bar_by_ticker_draws_no_zero_weights(colours):
    """Issue 23: a 30-stock portfolio was padded with 10 zero-weight names."""
    w = pd.Series(0.0, index=[f"S{i}" for i in range(40)])
    w.iloc[:30] = 1 / 30
    fig = figures.bar_by_ticker(w, pd.Series(dtype=str), colours, "Weights", "weight (%)")
    assert len(fig.layout.xaxis.tickvals) == 30 and "largest" not in fig.layout.title.text


def test_time_series_marks_the_selected_date():
    idx = pd.bdate_range("2020-01-01", periods=50)
    frame = pd.DataFrame({"a": np.linspace(0, 0.01, 50)}, index=idx)
    fig = figures.time_series(frame, "t", "return (% per day)", percent=True, date=idx[20])
    assert len(fig.layout.shapes) == 1 and pd.Timestamp(fig.layout.shapes[0].x0) == idx[20]
    assert fig.layout.yaxis.title.text == "return (% per day)" and max(fig.data[0].y) == pytest.approx(1.0)
    var = pd.DataFrame({"VaR 99%": np.full(50, 0.02)}, index=idx)
    fig = figures.var_chart(pd.Series(np.full(50, -0.01), index=idx), var, "VaR", date=idx[10])
    assert len(fig.layout.shapes) == 1 and fig.layout.yaxis.title.text == "daily return (%)"
    assert min(fig.data[1].y) == pytest.approx(-2.0)


def test_equity_curves_keep_the_benchmark_colour():
    """The benchmark changed colour when the re-optimised strategies were switched on."""
    idx = pd.bdate_range("2020-01-01", periods=5)
    base = pd.DataFrame({"chosen portfolio (fixed weights)": 1.0, "equal weight": 1.0, "benchmark (SPY)": 1.0},
                        index=idx)
    more = base.assign(**{"minimum variance": 1.0, "mean-variance": 1.0})[
        ["chosen portfolio (fixed weights)", "equal weight", "minimum variance", "mean-variance", "benchmark (SPY)"]]
    colour = lambda fig: {t.name: t.line.color for t in fig.data}  # noqa: E731
    a, b = colour(figures.equity_curves(base)), colour(figures.equity_curves(more))
    assert a["benchmark (SPY)"] == b["benchmark (SPY)"] and a["equal weight"] == b["equal weight"]
    assert len(set(b.values())) == 5


def test_risk_split_says_share_of_variance():
    fig = figures.risk_split(0.75, 0.25)
    assert "variance" in fig.layout.yaxis.title.text and "variance" in fig.layout.title.text
    assert list(fig.data[0].y) == pytest.approx([75.0, 25.0])


def test_factor_returns_chart_in_the_units_of_the_exposures():
    """Issue 14: factor returns (unit-scale z, B z a return) were drawn x100 as "% per day" (+-800)."""
    idx = pd.bdate_range("2020-01-01", periods=30)
    z = pd.DataFrame({"f1": np.linspace(-8, 8, 30)}, index=idx)
    fig = figures.factor_returns_chart(z, date=idx[5])
    assert max(fig.data[0].y) == pytest.approx(8.0) and "%" not in fig.layout.yaxis.title.text
    assert "B z" in fig.layout.yaxis.title.text and len(fig.layout.shapes) == 1


def test_factor_correlations_fixed_scale_and_named_rows():
    corr = pd.DataFrame({"market": [0.9, -0.1], "value (VLUE)": [0.2, -0.5]}, index=["f1", "f2"])
    fig = figures.factor_correlations(corr, pd.Series({"f1": "market", "f2": "-value (VLUE)"}))
    _titled(fig)
    h = fig.data[0]
    assert (h.zmin, h.zmax, h.zmid) == (-1, 1, 0) and list(h.y) == ["f1: market", "f2: -value (VLUE)"]
    assert np.asarray(h.z).max() == pytest.approx(0.9)  # correlations, not percent
    assert "factor" in fig.layout.yaxis.title.text


def test_active_risk_bars_in_percent_per_day_largest_first():
    fig = figures.active_risk_bars(pd.Series({"f1": 0.001, "f2": -0.004, "specific": 0.002}),
                                   "Active risk by factor", "factor")
    _titled(fig)
    assert list(fig.data[0].x) == ["f2", "specific", "f1"]
    assert list(fig.data[0].y) == pytest.approx([-0.4, 0.2, 0.1])
    assert "tracking error (% per day)" in fig.layout.yaxis.title.text
