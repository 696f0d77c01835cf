"""core.workspaces.user_runs: every run has one owner; a user lists and opens only their own (another user's run id
gets the same answer as a missing one); runs from before owners were recorded are the local user's and keep loading;
a workspace cannot name another user's run."""
import pytest

from core import runs
from core.errors import NotYours
from core.io import write_json
from core.workspaces import user_runs
from core.workspaces.identity import User, local_user
from core.workspaces.store import Store

ALICE, BOB = User("https://idp.example", "alice-sub"), User("https://idp.example", "bob-sub")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    return Store(tmp_path)


def _finished(run: str, fingerprint: str = "f1") -> None:
    write_json(runs.runs_dir() / run / "config.json", {"model": "ppca", "fingerprint": fingerprint, "training": {}})


def test_a_run_is_listed_and_opened_by_its_owner_only(store):
    mine = runs.new_run_id(ALICE.id)
    store.add_run(ALICE, mine)
    _finished(mine)
    assert [r.id for r in user_runs.list_runs(store, ALICE)] == [mine]
    assert user_runs.list_runs(store, ALICE, "f1")[0].id == mine and user_runs.list_runs(store, ALICE, "f2") == []
    assert user_runs.run_path(store, ALICE, mine) == runs.runs_dir() / mine
    assert user_runs.list_runs(store, BOB) == []
    with pytest.raises(NotYours) as theirs:
        user_runs.run_path(store, BOB, mine)
    with pytest.raises(NotYours) as missing:
        user_runs.run_path(store, BOB, "0" * 32)
    assert str(theirs.value).replace(mine[:12], "") == str(missing.value).replace("0" * 12, "")
    with pytest.raises(NotYours):
        user_runs.remove_run(store, BOB, mine)
    assert (runs.runs_dir() / mine / "config.json").exists()
    user_runs.remove_run(store, ALICE, mine)
    assert not (runs.runs_dir() / mine).exists() and user_runs.list_runs(store, ALICE) == []


def test_runs_from_before_owners_are_the_local_users_and_keep_loading(store):
    """A runs folder written before owners were recorded (old run ids too): the local user's, nobody else's; a run
    folder recorded for a user before it existed is never taken for one of those."""
    _finished("20240101-120000-abcdef")
    _finished("20240102-120000-fedcba", "f2")
    hers = runs.new_run_id(ALICE.id)
    store.add_run(ALICE, hers)  # recorded first, as the queue does, then the training writes its folder
    _finished(hers)
    assert sorted(r.id for r in user_runs.list_runs(store, local_user())) == ["20240101-120000-abcdef",
                                                                                 "20240102-120000-fedcba"]
    assert user_runs.run_path(store, local_user(), "20240101-120000-abcdef").name == "20240101-120000-abcdef"
    assert [r.id for r in user_runs.list_runs(store, ALICE)] == [hers]
    with pytest.raises(NotYours):
        user_runs.run_path(store, ALICE, "20240101-120000-abcdef")
    assert [r.id for r in user_runs.list_runs(Store(store.home), local_user(), "f2")] == ["20240102-120000-fedcba"]


def test_a_workspace_cannot_use_another_users_run(store, tmp_path):
    from core.workspaces.refresh import open_workspace

    theirs = runs.new_run_id(ALICE.id)
    store.add_run(ALICE, theirs)
    _finished(theirs)
    with pytest.raises(NotYours):
        open_workspace(store, BOB, "book", "p.csv", b"date,ticker,close\n", f"run:{theirs}")
    assert store.files(BOB) == [] and store.workspaces(BOB) == []
