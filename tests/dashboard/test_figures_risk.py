"""dashboard/figures_risk.py without Streamlit: stress, shock and attribution figures at 500 stocks."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures, figures_risk as fr

DATES = pd.bdate_range("2020-02-20", periods=22)


def _titled(fig: go.Figure) -> None:
    assert isinstance(fig, go.Figure) and fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


@pytest.fixture
def universe():
    rng = np.random.default_rng(0)
    tickers = [f"S{i:03d}" for i in range(500)]
    sectors = pd.Series([f"sector {i % 11}" for i in range(500)], index=tickers)
    return pd.Series(rng.normal(0, 0.01, 500), index=tickers), sectors


def test_stress_windows_with_and_without_factor_replay():
    table = pd.DataFrame({"replay": [-0.3, -0.1], "factor replay": [-0.25, -0.12], "specific band": [0.02, 0.01]},
                         index=["2020 COVID crash", "2008 GFC"])
    fig = fr.stress_windows(table)
    _titled(fig)
    assert len(fig.data) == 2 and list(fig.data[1].y) == pytest.approx([-25.0, -12.0])
    assert list(fig.data[1].error_y.array) == pytest.approx([2.0, 1.0])
    assert len(fr.stress_windows(table.assign(**{"factor replay": np.nan})).data) == 1  # covariance-only model


def test_stress_path_band_widens_to_the_window_band():
    replay = pd.Series(np.linspace(-0.01, -0.3, len(DATES)), index=DATES)
    factor = replay * 1.1
    fig = fr.stress_path(replay, factor, band=0.04)
    _titled(fig)
    band = fig.data[0]
    n = len(DATES)
    assert band.y[n - 1] - factor.iloc[-1] * 100 == pytest.approx(4.0)  # the full band on the last day
    assert band.y[0] - factor.iloc[0] * 100 == pytest.approx(4.0 * np.sqrt(1 / n))
    assert len(fr.stress_path(replay).data) == 1


def test_contributions_at_500_stocks_show_top_n(universe):
    moves, _ = universe
    fig = fr.contributions(moves, "By stock", "stock")
    _titled(fig)
    assert len(fig.data[0].y) == fr.TOP_N + 1 and fig.data[0].y[0].startswith("other (480)")
    assert sum(fig.data[0].x) == pytest.approx(100 * moves.sum())


def test_shock_figures(universe):
    moves, sectors = universe
    colours = figures.sector_colours(sectors)
    fig = fr.shock_pnl(-0.05, 0.01, {0.05: -0.0664, 0.5: -0.05, 0.95: -0.0336})
    _titled(fig)
    assert len(fig.layout.shapes) == 3
    top = fr.shock_moves(moves, sectors, colours)
    _titled(top)
    assert sum(len(t.x) for t in top.data) == fr.TOP_N and "largest 20 of 500" in top.layout.title.text
    by_sector = fr.sector_moves(moves, sectors, colours)
    _titled(by_sector)
    assert len(by_sector.data[0].x) == 11
    assert by_sector.data[0].y == pytest.approx(np.sort(100 * moves.groupby(sectors).mean().to_numpy()))


def test_attribution_paths_keep_top_factors_and_the_rest():
    cum = pd.DataFrame(np.cumsum(np.full((len(DATES), 12), 0.001) * np.arange(1, 13), axis=0), index=DATES,
                       columns=[f"f{k}" for k in range(1, 11)] + ["specific", "total"])
    fig = fr.attribution_paths(cum, "total", "specific", top=3)
    _titled(fig)
    names = [t.name for t in fig.data]
    assert names == ["f10", "f9", "f8", "other factors (7)", "specific", "total"]
    assert fig.data[3].y[-1] == pytest.approx(100 * cum[[f"f{k}" for k in range(1, 8)]].iloc[-1].sum())


def test_window_labels_are_whole_on_short_lines():
    from dashboard.figures_risk import stress_windows, wrapped

    assert wrapped("2015 China devaluation") == "2015 China<br>devaluation"
    table = pd.DataFrame({"replay": [-0.1], "factor replay": [-0.12], "specific band": [0.02]},
                         index=["2015 China devaluation"])
    fig = stress_windows(table)
    assert list(fig.data[0].x) == ["2015 China<br>devaluation"] and fig.layout.xaxis.tickangle == 0


def test_horizon_var_marks_the_non_overlapping_windows_and_their_breaches():
    dates = pd.bdate_range("2020-01-01", periods=40)
    frame = pd.DataFrame({"VaR 95%": 0.05, "VaR 99%": 0.08, "return": 0.0, "PIT": 0.5, "position": range(40),
                          "non-overlapping": [i % 10 == 0 for i in range(40)], "method": "i.i.d. days"}, index=dates)
    frame.iloc[[0, 5, 20], frame.columns.get_loc("return")] = [-0.06, -0.2, -0.09]  # 5: inside window 0
    fig = fr.horizon_var(frame, 10, "10-day VaR", date=dates[3])
    _titled(fig)
    names = [t.name for t in fig.data]
    assert "non-overlapping windows (4)" in names
    assert "breaches VaR 95%, windows (2)" in names and "breaches VaR 99%, windows (1)" in names
    assert fig.layout.yaxis.title.text == "10-day return (%)"


def test_pit_histogram_against_the_calibrated_line():
    fig = fr.pit_histogram(np.full(10, 0.1))
    _titled(fig)
    assert list(fig.data[0].y) == pytest.approx([10.0] * 10) and fig.data[0].x[0] == "0.0-0.1"
    assert fig.layout.shapes[0].y0 == pytest.approx(10.0)
