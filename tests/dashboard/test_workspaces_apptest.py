"""AppTest of the Workspaces page's forms: a workspace made from one of the user's uploads and refreshed with a
newer file of the same stocks, through the functions `neuralfactors workspace create` and `neuralfactors refresh`
call (core.workspaces.refresh); the "since the last refresh" summary shown as the CLI prints it; a form without a
file says so."""
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.workspaces.identity import local_user
from core.workspaces.store import Store
from benchmarks.userfiles import write_vendor_csv

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def _submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run(timeout=300)


def test_a_workspace_made_and_refreshed_from_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    table = pd.read_csv(write_vendor_csv(tmp_path / "prices.csv", n_stocks=20, splits={}).path)
    last = table["date"].max()
    store, user = Store(tmp_path / "home"), local_user()  # a loopback server's user
    first = store.add_file(user, "prices.csv", table[table["date"] < last].to_csv(index=False).encode())
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(dataset="synthetic", model="truth")
    at.run(timeout=120).switch_page("app_pages/workspaces.py").run(timeout=120)
    assert not at.exception and "No workspace yet" in at.info[0].value

    at.text_input(key="new_ws_name").input("book")
    _submit(at, "Create the workspace")
    assert "no file" in at.error[0].value and store.workspaces(user) == []
    at.selectbox(key="new_ws_stored").set_value(first.id)
    at.selectbox(key="new_ws_model").set_value("ppca")
    _submit(at, "Create the workspace")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "workspace 'book' made" and at.code[0].value.startswith("book: refresh 1 to ")
    (ws,) = store.workspaces(user)
    assert (ws.name, ws.model, ws.data_file) == ("book", "ppca", first.id)

    newer = store.add_file(user, "prices.csv", table.to_csv(index=False).encode())
    at.run(timeout=120)
    at.selectbox(key=f"refresh_{ws.id[:16]}_stored").set_value(newer.id)
    _submit(at, "Refresh with new prices")
    assert not at.exception and not at.error, [e.value for e in at.error]
    lines = at.code[0].value.splitlines()
    assert at.success[0].value == "book refreshed"
    assert lines[0].startswith(f"book: refresh 2 to {last} (1 new days; ") and "(was " in lines[1]
    assert store.last_refresh(user, ws.id)["n"] == 2 and store.workspace(user, ws.id).data_file == newer.id
