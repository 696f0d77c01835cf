"""dashboard/ownership.py: every cached service checks that the upload or run it names is the user's BEFORE its
cache is asked, and carries the user in its cache key wherever the user's own data is involved, so a cache warmed by
A gives B nothing; the downloads (report, workbook, CSV tables) are built only from the asking user's data."""
from pathlib import Path

import pytest

from core import runs
from core.errors import NotYours
from core.io import write_json
from core.workspaces.identity import User
from dashboard import ownership, services, uploads
from benchmarks.userfiles import write_vendor_csv

ALICE, BOB = User("https://idp.example", "alice-sub", "alice"), User("https://idp.example", "bob-sub", "bob")


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> bytes:
    return write_vendor_csv(tmp_path_factory.mktemp("book") / "book.csv", n_stocks=12, splits={}).path.read_bytes()


def test_the_scope_is_the_owner_where_the_data_is_the_users_own(as_user, book):
    as_user(ALICE)
    key = uploads.add_upload("book.csv", book)
    assert ownership.scope("sp500-20", ("neuralfactors+cal",)) == ""  # everyone's data: one shared entry
    assert ownership.scope(key, ("ppca",)) == ALICE.id
    run = runs.new_run_id(ALICE.id)
    ownership.store().add_run(ALICE, run)
    assert ownership.scope("sp500-20", (f"run:{run}+cal",)) == ALICE.id
    as_user(BOB)
    for dataset, models in ((key, ()), (key + "@2021-03-01,2021-06-01", ()), ("sp500-20", (f"run:{run}",))):
        with pytest.raises(NotYours):
            ownership.scope(dataset, models)


def test_a_cache_warmed_by_alice_gives_bob_nothing(as_user, book):
    """Alice opens her upload and downloads its report, workbook and tables; Bob, asking for the very same keys (as a
    link would), gets NotYours from every one of them, before any cache is read; his own upload of the same bytes
    is his, under another key, and computed for him."""
    as_user(ALICE)
    key = uploads.add_upload("book.csv", book)
    dates = services.forecast_dates(key, "ppca")
    date = dates[-5]
    w = services.portfolio_weights(key, "ppca", date, "equal weight")
    report, workbook = services.report(key, "ppca", date, "equal weight")
    table = services.var_series(key, "ppca", "test", w)
    assert report.startswith("<!DOCTYPE html>") and workbook[:2] == b"PK" and len(table)
    as_user(BOB)
    asks = {"panel": lambda: services.panel(key), "forecasts": lambda: services.forecasts(key, "ppca"),
            "dates": lambda: services.forecast_dates(key, "ppca"),
            "weights": lambda: services.portfolio_weights(key, "ppca", date, "equal weight"),
            "report and workbook": lambda: services.report(key, "ppca", date, "equal weight"),
            "var table": lambda: services.var_series(key, "ppca", "test", w),
            "risk": lambda: services.risk(key, "ppca", date, w),
            "evaluate": lambda: services.evaluate(key, ("ppca",), "valid"),
            "upload": lambda: uploads.get(key)}
    for name, ask in asks.items():
        with pytest.raises(NotYours):
            ask()
            pytest.fail(f"{name}: Bob got Alice's")
    assert key not in uploads.dataset_options()
    mine = uploads.add_upload("book.csv", book)
    assert mine != key and services.report(mine, "ppca", date, "equal weight")[0].startswith("<!DOCTYPE html>")


def test_bob_cannot_open_alices_run_by_its_key(as_user, tmp_path):
    as_user(ALICE)
    run = runs.new_run_id(ALICE.id)
    ownership.store().add_run(ALICE, run)
    write_json(runs.runs_dir() / run / "config.json", {"model": "ppca", "fingerprint": "f", "training": {}})
    assert [r.id for r in ownership.own_runs()] == [run]
    as_user(BOB)
    assert ownership.own_runs() == []
    with pytest.raises(NotYours):
        services.forecasts("synthetic", f"run:{run}")
    with pytest.raises(NotYours):
        services.adaptation("synthetic", run)
    assert not any(k.startswith("run:") for k in ownership.model_keys(services.panel("synthetic")))


def test_every_service_is_scoped():
    """The check of dashboard/services.py's source (tests/dashboard/test_services.py) sees every wrapper; here: each
    takes the dataset first after its scope, so `scoped` finds what to check."""
    import inspect

    for name, fn in inspect.getmembers(services, inspect.isfunction):
        if fn.__module__ == services.__name__:
            params = list(inspect.signature(fn).parameters)
            assert params[:2] == ["scope", "dataset"], name
    assert Path(services.__file__).read_text().count("@scoped") == len(
        [f for f, fn in inspect.getmembers(services, inspect.isfunction) if fn.__module__ == services.__name__])


def test_one_users_cache_entries_are_limited_per_service(as_user, book, monkeypatch):
    """Beyond NEURALFACTORS_CACHE_PER_USER entries of a user's own data, the user's least recently used is cleared
    (computed again when asked); everyone's data is not limited this way."""
    import pandas as pd
    import streamlit as st

    monkeypatch.setenv("NEURALFACTORS_CACHE_PER_USER", "2")
    calls = []

    @ownership.scoped
    @st.cache_data
    def f(scope: str, dataset: str, x, w: pd.Series | None = None):
        calls.append(x)
        return x

    as_user(ALICE)
    key = uploads.add_upload("book.csv", book)
    w = pd.Series([0.5, 0.5], index=["A", "B"])
    for x in (1, 2, 1, 3, 2):  # 3 pushes out 2 (1 was used since), then 2 is computed again
        f(key, x, w)
    assert calls == [1, 2, 3, 2]
    assert f(key, 2, w) == 2 and f(key, 2, w * 2) == 2 and calls == [1, 2, 3, 2, 2]  # other weights: another entry
    calls.clear()
    for x in (1, 2, 3, 4, 1):
        f("sp500-20", x)
    assert calls == [1, 2, 3, 4]
