"""dashboard/services.py: only st.cache_* wrappers and the upload store (checked on its source), and what the
wrappers assemble (no Streamlit runtime needed)."""
import ast
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.synthetic import default_synthetic
from core.forecast import ForecastSeries
from core.workbench import view_dates
from dashboard import services, uploads

SERVICES = Path(services.__file__)


def _is_cache(decorator: ast.expr) -> bool:
    """st.cache_data / st.cache_resource, called with arguments or not."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(node, ast.Attribute) and node.attr in ("cache_data", "cache_resource")
            and isinstance(node.value, ast.Name) and node.value.id == "st")


def test_services_only_caches():
    """Every top-level function is a st.cache_* wrapper (the upload store lives in dashboard/uploads.py) scoped to its
    owner (dashboard.ownership.scoped); no re-exports; under 290 lines (one short wrapper per view, one scoping line
    each; the multi-day VaR view added two, the precomputed views and the dataset's fingerprint theirs)."""
    text = SERVICES.read_text()
    functions = [n for n in ast.parse(text).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    uncached = {f.name for f in functions if not any(_is_cache(d) for d in f.decorator_list)}
    assert uncached == set(), uncached
    unscoped = {f.name for f in functions if not (isinstance(f.decorator_list[0], ast.Name) and
                                                  f.decorator_list[0].id == "scoped" and f.args.args[0].arg == "scope")}
    assert unscoped == set(), unscoped
    assert len(text.splitlines()) < 290
    assert "noqa: F401" not in text


def test_the_cache_check_can_fail():
    cached, plain = ast.parse("@st.cache_data(max_entries=1)\ndef f(): pass\n@functools.cache\ndef g(): pass").body
    assert _is_cache(cached.decorator_list[0]) and not _is_cache(plain.decorator_list[0])


def test_truth_series_matches_per_date_truth_forecasts():
    p = services.panel("synthetic")
    truth = default_synthetic()[1]
    dates = view_dates(p)[::53]
    fast = truth.forecast_series(p, dates)
    slow = ForecastSeries.stack([truth.forecast(p, p.date_position(d)) for d in dates], p.tickers)
    for k in ("mean", "exposures", "factor_cov", "idio_var", "factor_dof", "idio_dof"):
        np.testing.assert_allclose(getattr(fast, k), getattr(slow, k), equal_nan=True, err_msg=k)


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


def test_messages_show_no_server_paths():
    from dashboard.ui import no_paths

    msg = no_paths("could not read /tmp/tmpab12x/prices.csv (bad header); columns ticker/weight")
    assert msg == "could not read prices.csv (bad header); columns ticker/weight"


def test_upload_store_keys_labels_and_resplits():
    data = (Path(__file__).resolve().parents[1] / "data" / "long_prices_daily.csv").read_bytes()
    key = uploads.add_upload("long_prices_daily.csv", data)
    assert key.startswith("upload:") and key in uploads.dataset_options()
    assert uploads.dataset_label(key) == "uploaded: long_prices_daily.csv"
    p = services.panel(key)
    new = uploads.resplit_upload(key, shares=(0.5, 0.25))
    assert new.startswith(f"{key}@") and services.panel(new).split != p.split
    assert uploads.dataset_label(new).startswith("uploaded: long_prices_daily.csv (split ")


def test_a_calibrated_key_is_laid_on_the_cached_base(monkeypatch):
    """"+cal" lays the layer on the raw key's cached forecasts: the raw model is forecast once for both keys, and the
    calibrated series is the one core.workbench.sources makes by itself."""
    from core.workbench import sources

    made, real = [], sources.forecasts
    monkeypatch.setattr(sources, "forecasts", lambda panel, name, *a, **kw: made.append(name) or real(panel, name,
                                                                                                       *a, **kw))
    services.forecasts.clear()
    cal = services.forecasts("sp500-20", "ppca+cal").series
    services.forecasts("sp500-20", "ppca")
    assert made == ["ppca"]
    alone = real(services.panel("sp500-20"), "ppca+cal").series
    assert cal.dates.equals(alone.dates)
    for k in ("mean", "exposures", "factor_cov", "idio_var", "pit_map"):
        np.testing.assert_array_equal(getattr(cal, k), getattr(alone, k), err_msg=k)
