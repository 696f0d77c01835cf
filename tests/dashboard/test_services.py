"""Dashboard services that assemble data (no Streamlit runtime needed)."""
import numpy as np
import pandas as pd

from core.data.synthetic import default_synthetic
from core.forecast import ForecastSeries
from core.workbench import view_dates
from dashboard import services


def test_truth_series_matches_per_date_truth_forecasts():
    p = services.panel("synthetic")
    truth = default_synthetic()[1]
    dates = view_dates(p)[::53]
    fast = truth.forecast_series(p, dates)
    slow = ForecastSeries.stack([truth.forecast(p, p.date_position(d)) for d in dates], p.tickers)
    for k in ("mean", "exposures", "factor_cov", "idio_var", "factor_dof", "idio_dof"):
        np.testing.assert_allclose(getattr(fast, k), getattr(slow, k), equal_nan=True, err_msg=k)


def test_custom_weights_parse_check_normalise():
    w = services.parse_weights("A:0.5, B:-0.25,junk,C:x")
    assert w == {"A": 0.5, "B": -0.25}
    assert any("negative" in m for m in services.check_custom(w, ["A", "B"], long_only=True))
    assert any("unknown" in m for m in services.check_custom({"Z": 1.0}, ["A", "B"]))
    assert any("sum to" in m for m in services.check_custom({"A": 0.5}, ["A", "B"]))
    assert services.check_custom({"A": 0.5, "B": 0.5}, ["A", "B"]) == []
    n = services.normalise({"A": 2.0, "Z": 5.0}, ["A", "B"])
    assert list(n.index) == ["A", "B"] and np.isclose(n.sum(), 1.0) and n["B"] == 0
    assert services.parse_weights(services.format_weights({"A": 0.25, "B": 0.75})) == {"A": 0.25, "B": 0.75}


def test_one_per_sector_picks_lowest_risk_stock_of_each_sector():
    dates = services.forecast_dates("synthetic", "truth")
    w = services.portfolio_weights("synthetic", "truth", dates[-30], "one per sector")
    fc = services.forecast_at("synthetic", "truth", dates[-30])
    sectors = services.panel("synthetic").sectors.reindex(fc.tickers)
    held = w[w > 0]
    assert np.isclose(w.sum(), 1.0) and sorted(sectors[held.index]) == sorted(sectors.unique())
    var = pd.Series(fc.total_var(), index=fc.tickers)
    for t in held.index:
        assert var[t] == var[sectors == sectors[t]].min()


def test_metrics_table_shows_each_models_shipped_metrics():
    import json

    from core.store import model_dir

    table = services.metrics_table("sp500-20", "test")
    shipped = json.loads((model_dir("sp500-20", "neuralfactors") / "metrics.json").read_text())["test"]["models"]
    assert table.loc["neuralfactors", "nll_joint"] == shipped["neuralfactors"]["nll_joint"]
    assert {"nll_joint", "cov_mse", "var99_rate"} <= set(table.columns) and "nll_scale" not in table.columns
    assert np.isnan(table.loc["garch", "nll_joint"])  # null in the shipped file: no joint distribution


def test_weights_file_round_trips():
    """Issue 14: the lab's weights CSV could not be uploaded back ("columns ['Unnamed: 0', 'weight']") and
    held 0.04999999999999999."""
    import numpy as np

    w = pd.Series(np.full(20, 1 / 20), index=[f"T{i}" for i in range(20)])
    w.iloc[:3] = [0.04999999999999999, 0.05000000000000001, 1 / 3 * 0.15]
    w = w / w.sum()
    data = services.weights_csv(w)
    assert data.decode().splitlines()[0] == "ticker,weight" and "0.04999999999999999" not in data.decode()
    back = pd.Series(services.read_weights_csv(data))
    assert list(back.index) == list(w.index)
    assert np.allclose(back.to_numpy(), w.to_numpy(), atol=1e-10) and abs(back.sum() - 1.0) < 1e-12
    assert services.normalise(back.to_dict(), list(w.index)).round(10).equals(w.round(10))
    old = w.rename("weight").to_frame().to_csv().encode()  # the old download: unnamed index column
    assert services.read_weights_csv(old).keys() == back.to_dict().keys()


def test_messages_show_no_server_paths():
    from dashboard.ui import no_paths

    msg = no_paths("could not read /tmp/tmpab12x/prices.csv (bad header); columns ticker/weight")
    assert msg == "could not read prices.csv (bad header); columns ticker/weight"


def test_backtest_reuses_the_optimised_strategies():
    """Issue 14: the re-optimised backtest took 17-19 s per toggle; its strategies do not depend on the
    chosen weights, so they are computed once and reused (same numbers as computing them inline)."""
    from core.workbench import views

    p = services.panel("synthetic")
    series = services.forecasts("synthetic", "truth")
    dates = views.window(p, series, "test")[:60]
    w = pd.Series(1.0 / len(series.tickers), index=series.tickers)
    inline = views.backtest(p, series, dates, w, True)
    opt = views.optimised_strategies(series, dates)
    reused = views.backtest(p, series, dates, w * 0 + np.r_[1.0, np.zeros(len(w) - 1)], opt)
    again = views.backtest(p, series, dates, w, opt)
    pd.testing.assert_frame_equal(inline["values"], again["values"])
    assert "minimum variance" in reused["values"] and not reused["values"].iloc[-1].isna().any()
