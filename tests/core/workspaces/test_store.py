"""The workspace store: files and workspaces owned by one user each, unguessable ids, a 0700 home, writers at once
(threads and processes) losing nothing, and a kill -9 that leaves every workspace whole."""
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from core.errors import DataError, NotYours
from core.workspaces.identity import User
from core.workspaces.store import Store

ALICE, BOB = User("https://idp.example", "alice-sub", "alice@example.com"), User("https://idp.example", "bob-sub")
ROOT = Path(__file__).resolve().parents[3]


def _record(store: Store, user: User, name: str, day: str = "2021-06-01") -> str:
    f = store.add_file(user, "prices.csv", f"data of {name}".encode())
    ws = store.new_workspace(user, name, f.id, "ppca", "2021-01-29", "2021-03-31")
    store.record_refresh(user, ws, True, day, {"today": {}}, {"var95": 0.01, "var99": 0.02, "vol": 0.007})
    return ws.id


def test_home_is_private_and_the_database_is_in_wal_mode(tmp_path):
    store = Store(tmp_path / "home")
    assert stat.S_IMODE(os.stat(store.home).st_mode) == 0o700
    import sqlite3

    assert sqlite3.connect(store.db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_identity_is_issuer_and_subject_not_the_email():
    assert User("https://idp.example", "alice-sub", "other@example.com").id == ALICE.id
    assert User("https://other-idp.example", "alice-sub").id != ALICE.id and len(ALICE.id) == 64


def test_files_are_deduplicated_within_one_user_only(tmp_path):
    store = Store(tmp_path)
    a1, a2 = store.add_file(ALICE, "x.csv", b"same bytes"), store.add_file(ALICE, "y.csv", b"same bytes")
    b = store.add_file(BOB, "x.csv", b"same bytes")
    assert a1.id == a2.id and b.id != a1.id and len(a1.id) == 64 and a1.path != b.path
    assert [f.id for f in store.files(ALICE)] == [a1.id] and [f.id for f in store.files(BOB)] == [b.id]
    with pytest.raises(NotYours) as other:
        store.file(BOB, a1.id)
    with pytest.raises(NotYours) as missing:
        store.file(BOB, "0" * 64)
    assert str(other.value).replace(a1.id[:12], "") == str(missing.value).replace("0" * 12, "")  # no hint either way


def test_a_workspace_is_seen_and_opened_by_its_owner_only(tmp_path):
    store = Store(tmp_path)
    ws_id = _record(store, ALICE, "book")
    assert [w.name for w in store.workspaces(ALICE)] == ["book"] and store.workspaces(BOB) == []
    for ask in (lambda: store.workspace(BOB, ws_id), lambda: store.workspace_named(BOB, "book"),
                lambda: store.last_refresh(BOB, ws_id), lambda: store.published(BOB, ws_id, "2021-06-01")):
        with pytest.raises(NotYours):
            ask()
    assert store.workspace(ALICE, ws_id).name == "book" and store.published(ALICE, ws_id, "2021-06-01")["var99"] == 0.02
    with pytest.raises(DataError, match="already have a workspace named 'book'"):
        store.new_workspace(ALICE, "book", store.files(ALICE)[0].id, "ppca", "2021-01-29", "2021-03-31")
    _record(store, BOB, "book")  # the same name is another user's own


def test_a_workspace_cannot_name_another_users_file(tmp_path):
    store = Store(tmp_path)
    theirs = store.add_file(ALICE, "p.csv", b"alice's prices")
    with pytest.raises(NotYours):
        store.new_workspace(BOB, "mine", theirs.id, "ppca", "2021-01-29", "2021-03-31")


def test_what_was_published_is_never_replaced(tmp_path):
    store = Store(tmp_path)
    ws_id = _record(store, ALICE, "book")
    ws = store.workspace(ALICE, ws_id)
    store.record_refresh(ALICE, ws, False, "2021-06-01", {"today": {}}, {"var95": 0.5, "var99": 0.9, "vol": 0.3})
    assert store.published(ALICE, ws_id, "2021-06-01")["var99"] == 0.02
    assert store.last_refresh(ALICE, ws_id)["n"] == 2


def test_threads_writing_at_once_lose_nothing(tmp_path):
    store = Store(tmp_path)
    ids = [_record(store, u, "book") for u in (ALICE, BOB)]

    def write(user, ws_id, k):
        ws = store.workspace(user, ws_id)
        for i in range(15):
            day = str((pd.Timestamp("2021-06-02") + pd.Timedelta(days=100 * k + i)).date())
            store.record_refresh(user, ws, False, day, {"today": {}}, {"var95": 0.01, "var99": 0.02, "vol": 0.01})

    threads = [threading.Thread(target=write, args=(u, i, k)) for k, (u, i) in
               enumerate([(ALICE, ids[0]), (ALICE, ids[0]), (BOB, ids[1]), (BOB, ids[1])])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.last_refresh(ALICE, ids[0])["n"] == 31 and store.last_refresh(BOB, ids[1])["n"] == 31


WRITER = textwrap.dedent("""
    import sys
    from core.workspaces.identity import User
    from core.workspaces.store import Store
    store, user = Store(sys.argv[1]), User("https://idp.example", sys.argv[2])
    for i in range(10_000):
        f = store.add_file(user, "p.csv", f"{sys.argv[2]} {i}".encode())
        ws = store.new_workspace(user, f"ws{i}", f.id, "ppca", "2021-01-29", "2021-03-31")
        store.record_refresh(user, ws, True, "2021-06-01", {"today": {}, "i": i},
                             {"var95": 0.01, "var99": 0.02, "vol": 0.01})
        print(i, flush=True)
""")


def test_kill_9_while_two_processes_write_leaves_every_workspace_whole(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), who], stdout=subprocess.PIPE, env=env,
                              text=True) for who in ("alice-sub", "bob-sub")]
    for p in procs:  # let each write a few workspaces, then kill it mid-write
        for _ in range(5):
            assert p.stdout.readline(), "a writer ended before writing 5 workspaces (its error is above)"
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    store = Store(tmp_path)  # the restart
    for who in ("alice-sub", "bob-sub"):
        user = User("https://idp.example", who)
        spaces = store.workspaces(user)
        assert len(spaces) >= 5
        for ws in spaces:  # each with its data file, its refresh and its published VaR, or not there at all
            assert store.file(user, ws.data_file).path.exists()
            assert store.last_refresh(user, ws.id)["n"] == 1
            assert store.published(user, ws.id, "2021-06-01") is not None


def test_saved_views_are_their_owners_only(tmp_path):
    store = Store(tmp_path)
    ws_id = _record(store, ALICE, "book")
    choices = {"page": "var", "dataset": "sp500-20", "model": "ppca", "date": "2021-06-01", "portfolio": "custom",
               "custom": "AAA:0.5,BBB:0.5"}
    view = store.save_view(ALICE, "morning", choices, ws_id)
    loose = store.save_view(ALICE, "loose", {**choices, "portfolio": "equal weight", "custom": ""})
    assert len(view.id) == 64 and (view.page, view.custom, view.workspace) == ("var", "AAA:0.5,BBB:0.5", ws_id)
    assert [v.name for v in store.views(ALICE)] == ["loose", "morning"]
    assert [v.name for v in store.views(ALICE, ws_id)] == ["morning"] and loose.workspace is None
    assert store.view(ALICE, view.id) == view and store.views(BOB) == []
    with pytest.raises(NotYours):
        store.view(BOB, view.id)
    with pytest.raises(NotYours):
        store.save_view(BOB, "mine", choices, ws_id)  # not into another user's workspace
    with pytest.raises(DataError, match="needs a name"):
        store.save_view(ALICE, "  ", choices)


MIXED_WRITER = textwrap.dedent("""
    import sys, pathlib
    from core.workspaces.identity import User
    from core.workspaces.store import Store
    store, user, stop = Store(sys.argv[1]), User("https://idp.example", sys.argv[2]), pathlib.Path(sys.argv[3])
    i = 0
    while not stop.exists() or i < 5:
        f = store.add_file(user, "p.csv", f"{sys.argv[2]} {i}".encode())
        ws = store.new_workspace(user, f"ws{i}", f.id, "ppca", "2021-01-29", "2021-03-31")
        store.record_refresh(user, ws, True, "2021-06-01", {"today": {}}, {"var95": 0.01, "var99": 0.02, "vol": 0.01})
        store.save_view(user, f"view{i}", {"page": "var", "dataset": "sp500-20"}, ws.id)
        store.add_run(user, f"{sys.argv[2]}-run{i}")
        i += 1
        print(i, flush=True)
""")


def test_two_writers_and_a_cli_refresh_at_once_lose_nothing(tmp_path, monkeypatch):
    """Two processes write files, workspaces, refreshes, saved views and runs as fast as they can while the command
    line refreshes a workspace of the local user in a third: every write of each is there afterwards."""
    from core.cli import main
    from core.workspaces.identity import local_user
    from benchmarks.userfiles import write_vendor_csv

    home, stop = tmp_path / "home", tmp_path / "stop"
    table = pd.read_csv(write_vendor_csv(tmp_path / "prices.csv", n_stocks=30, splits={}).path)
    table[table["date"] < table["date"].max()].to_csv(tmp_path / "old.csv", index=False)
    table.to_csv(tmp_path / "new.csv", index=False)
    monkeypatch.setenv("NEURALFACTORS_HOME", str(home))
    assert main(["workspace", "create", "--name", "desk", "--data", str(tmp_path / "old.csv"), "--model", "ppca"]) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", MIXED_WRITER, str(home), who, str(stop)], env=env, text=True,
                                stdout=subprocess.PIPE) for who in ("alice-sub", "bob-sub")]
    refresh = subprocess.run([sys.executable, "-m", "core.cli", "refresh", "--workspace", "desk", "--data",
                              str(tmp_path / "new.csv"), "--json"], env=env, capture_output=True, text=True,
                             timeout=600, cwd=ROOT)
    stop.touch()
    written = [int(w.communicate(timeout=120)[0].split()[-1]) for w in writers]
    assert refresh.returncode in (0, 4), refresh.stderr  # 4: a VaR breach, which a scheduler is told of
    store = Store(home)
    desk = store.workspace_named(local_user(), "desk")
    assert store.last_refresh(local_user(), desk.id)["n"] == 2
    for who, n in zip(("alice-sub", "bob-sub"), written):
        user = User("https://idp.example", who)
        assert len(store.workspaces(user)) == n and len(store.views(user)) == n and len(store.run_ids(user)) == n
        assert all(store.last_refresh(user, ws.id)["n"] == 1 for ws in store.workspaces(user))
