"""The morning refresh: only new or restated days are forecast (and the result equals a full recompute), yesterday's
outcome is judged against the VaR published yesterday, new data warnings only, other universes refused; and the
same from the command line with exit codes a scheduler reads."""
import io
import json

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.data.files import load_file
from core.data.splits import resplit
from core.errors import DataError
from core.workbench import sources
from core.workspaces.identity import User, local_user
from core.workspaces.refresh import open_workspace, refresh
from core.workspaces.store import Store
from benchmarks.userfiles import write_vendor_csv

ALICE = User("https://idp.example", "alice-sub")


@pytest.fixture(scope="module")
def vendor(tmp_path_factory):
    """A vendor's long file, 40 stocks x 252 dates (no splits), as a DataFrame and its last date."""
    vf = write_vendor_csv(tmp_path_factory.mktemp("vendor") / "prices.csv", n_stocks=40, splits={})
    table = pd.read_csv(vf.path)
    return table, table["date"].max()


def _csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode()


def _before(table, last):
    return table[table["date"] < last]


def _full_recompute(path_bytes: bytes, ws, key: str, tmp_path):
    (tmp_path / "full.csv").write_bytes(path_bytes)
    panel = resplit(load_file(tmp_path / "full.csv"), None, ws.train_end, ws.valid_end)
    dates = sources.view_dates(panel).union(panel.dates[-1:])
    return sources.forecasts(panel, key, dates).series


@pytest.mark.parametrize("model", ["ppca", "neuralfactors"])
def test_one_new_day_is_the_only_forecast_made_and_equals_a_full_recompute(vendor, tmp_path, model):
    table, last = vendor
    store = Store(tmp_path / "home")
    first = open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), model).result
    assert first.kept == 0 and first.then is None and first.outcome is None
    done = refresh(store, ALICE, "book", "prices.csv", _csv(table))
    r = done.result
    assert (r.made, r.kept, r.new_days, r.restated_from) == (1, first.made, [last], None)
    full = _full_recompute(_csv(table), store.workspace_named(ALICE, "book"), model, tmp_path)
    assert done.series.dates.equals(full.dates)
    for d in full.dates[::10].append(full.dates[-1:]):
        np.testing.assert_allclose(done.series.at(d).total_var(), full.at(d).total_var(), rtol=2e-3)
    assert r.outcome.date == last and r.then.date == first.last_date and r.today.date == last


def test_a_restated_history_is_found_and_exactly_its_days_made_again(vendor, tmp_path):
    table, last = vendor
    store = Store(tmp_path / "home")
    open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca")
    ws = store.workspace_named(ALICE, "book")
    dates = sorted(table["date"].unique())
    cut = dates[-30]  # the vendor corrects one stock's close of `cut`: its returns of `cut` and the day after change
    restated = table.copy()
    one = (restated["ticker"] == restated["ticker"].iloc[0]) & (restated["date"] == cut)
    restated.loc[one, "close"] *= 1.01
    done = refresh(store, ALICE, "book", "prices.csv", _csv(restated))
    r = done.result
    assert r.restated_from is not None and pd.Timestamp(r.restated_from) == pd.Timestamp(cut)
    assert r.made == int((done.series.dates >= pd.Timestamp(cut)).sum()) and r.kept == len(done.series) - r.made
    assert "restates history from" in r.notes[0]
    full = _full_recompute(_csv(restated), ws, "ppca", tmp_path)
    got = refresh(store, ALICE, "book", "prices.csv", _csv(restated))
    assert got.result.made == 0  # nothing changed since: every forecast kept
    np.testing.assert_allclose(got.series.at(cut).total_var(), full.at(cut).total_var(), rtol=2e-3)


def test_a_crash_day_breaches_the_var_published_the_day_before(vendor, tmp_path):
    table, last = vendor
    store = Store(tmp_path / "home")
    first = open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca").result
    crash = table.copy()
    day_before = crash[crash["date"] < last].groupby("ticker")["close"].last()
    crash.loc[crash["date"] == last, "close"] = crash.loc[crash["date"] == last, "ticker"].map(day_before) * 0.8
    r = refresh(store, ALICE, "book", "prices.csv", _csv(crash)).result
    listed = crash.loc[crash["date"] == last, "ticker"].nunique() / crash["ticker"].nunique()  # equal weight held
    assert r.outcome.ret == pytest.approx(-0.2 * listed, abs=1e-6) and r.outcome.breach99 and r.breach
    assert r.outcome.var99 == first.today.var99  # the number published then, not a recomputed one


def test_only_new_data_warnings_are_reported(vendor, tmp_path):
    table, last = vendor
    store = Store(tmp_path / "home")
    for name in ("clean", "book"):
        open_workspace(store, ALICE, name, "prices.csv", _csv(_before(table, last)), "ppca")
    assert refresh(store, ALICE, "clean", "prices.csv", _csv(table)).result.problems == []
    split = table.copy()
    tk = split["ticker"].iloc[0]
    split.loc[(split["ticker"] == tk) & (split["date"] == last), "close"] /= 2.0
    r = refresh(store, ALICE, "book", "prices.csv", _csv(split)).result
    assert len(r.problems) == 1 and tk in r.problems[0] and "split" in r.problems[0]


def test_another_universe_and_a_file_that_stops_early_are_refused(vendor, tmp_path):
    table, last = vendor
    store = Store(tmp_path / "home")
    open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca")
    other = table.assign(ticker="X" + table["ticker"].astype(str))
    with pytest.raises(DataError, match="another universe"):
        refresh(store, ALICE, "book", "prices.csv", _csv(other))
    short = table[table["date"] < sorted(table["date"].unique())[150]]
    with pytest.raises(DataError, match="inside the workspace's validation period"):
        refresh(store, ALICE, "book", "prices.csv", _csv(short))


def test_the_refresh_command_for_a_scheduler(vendor, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    table, last = vendor
    (tmp_path / "old.csv").write_bytes(_csv(_before(table, last)))
    assert main(["workspace", "create", "--name", "desk", "--data", str(tmp_path / "old.csv"), "--model", "ppca"]) == 0
    crash = table.copy()
    day_before = crash[crash["date"] < last].groupby("ticker")["close"].last()
    crash.loc[crash["date"] == last, "close"] = crash.loc[crash["date"] == last, "ticker"].map(day_before) * 0.8
    (tmp_path / "new.csv").write_bytes(_csv(crash))
    capsys.readouterr()
    code = main(["refresh", "--workspace", "desk", "--data", str(tmp_path / "new.csv"), "--json",
                 "--report", str(tmp_path / "today.html")])
    out = json.loads(capsys.readouterr().out)
    assert code == 4 and out["breach"] and out["outcome"]["breach99"] and out["made"] == 1
    assert (tmp_path / "today.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["refresh", "--workspace", "nope", "--data", str(tmp_path / "new.csv")]) == 2
    assert "no workspace named 'nope'" in capsys.readouterr().err
    assert main(["workspace", "list", "--json"]) == 0
    assert [w["name"] for w in json.loads(capsys.readouterr().out)["workspaces"]] == ["desk"]
    assert Store(tmp_path / "home").workspaces(local_user())[0].name == "desk"


def test_a_day_restated_inside_validation_makes_every_validation_forecast_again(vendor, tmp_path):
    """A fitted model reads the data up to the end of validation: a change there reaches every forecast."""
    table, last = vendor
    store = Store(tmp_path / "home")
    first = open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca")
    ws = store.workspace_named(ALICE, "book")
    inside = str(ws.valid_end.date() - pd.Timedelta(days=10))
    day = sorted(d for d in table["date"].unique() if d <= inside)[-1]
    restated = table.copy()
    restated.loc[(restated["ticker"] == restated["ticker"].iloc[0]) & (restated["date"] == day), "close"] *= 1.01
    r = refresh(store, ALICE, "book", "prices.csv", _csv(restated)).result
    assert pd.Timestamp(r.restated_from) == first.series.dates[0] and r.kept == 0


def test_a_refused_file_stores_nothing_and_two_refreshes_at_once_lose_nothing(vendor, tmp_path):
    import threading

    table, last = vendor
    store = Store(tmp_path / "home")
    with pytest.raises(DataError):
        open_workspace(store, ALICE, "book", "prices.csv", b"date,ticker\nnot,a panel\n", "ppca")
    assert store.files(ALICE) == [] and store.workspaces(ALICE) == []
    open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca")
    errors = []

    def go():
        try:
            refresh(store, ALICE, "book", "prices.csv", _csv(table))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.last_refresh(ALICE, store.workspace_named(ALICE, "book").id)["n"] == 3
    again = refresh(store, ALICE, "book", "prices.csv", _csv(table)).result
    assert again.made == 0 and again.kept > 100  # the kept forecasts survived both


def test_a_dollar_neutral_book_is_held_as_a_share_of_gross(vendor, tmp_path):
    table, last = vendor
    tickers = sorted(table["ticker"].unique())[:4]
    book = pd.DataFrame({"ticker": tickers, "weight": [2.0, 2.0, -2.0, -2.0]}).to_csv(index=False).encode()
    store = Store(tmp_path / "home")
    done = open_workspace(store, ALICE, "book", "prices.csv", _csv(_before(table, last)), "ppca", weights=book)
    assert done.weights.abs().sum() == pytest.approx(1.0) and done.weights.sum() == pytest.approx(0.0)
    assert np.isfinite(done.result.today.var99) and done.result.today.var99 > 0
