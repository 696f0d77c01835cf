"""Uploads are each user's own and survive a restart: listed, labelled and opened by their owner only (another
user's key gets the same answer as a key that never existed), kept in the workspace store under
NEURALFACTORS_HOME; and a sign-in server shows a visitor who is not signed in nothing but the sign-in."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import DataError, NotYours
from core.workspaces.identity import User
from dashboard import ownership, uploads
from benchmarks.userfiles import write_vendor_csv

ALICE, BOB = User("https://idp.example", "alice-sub", "alice"), User("https://idp.example", "bob-sub", "bob")
APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def test_an_upload_is_its_owners_only_and_survives_a_restart(as_user, tmp_path):
    vf = write_vendor_csv(tmp_path / "acme_book_universe.csv", n_stocks=20, splits={})
    data = vf.path.read_bytes()
    as_user(ALICE)
    key = uploads.add_upload("acme_book_universe.csv", data)
    assert key in uploads.dataset_options() and uploads.get(key).n_tickers == 20
    assert uploads.dataset_label(key) == "uploaded: acme_book_universe.csv"
    as_user(BOB)
    assert key not in uploads.dataset_options()
    with pytest.raises(NotYours, match="not yours, or deleted") as theirs:
        uploads.get(key)
    with pytest.raises(NotYours, match="not yours, or deleted") as none:
        uploads.get("upload:" + "0" * 16)
    assert str(theirs.value).replace(key, "K") == str(none.value).replace("upload:" + "0" * 16, "K")
    assert uploads.add_upload("same.csv", data) != key  # the same bytes: Bob's own key
    ownership._store.clear()  # a restart: the process's panels are gone, the store is not
    uploads._panels.clear()
    as_user(ALICE)
    assert key in uploads.dataset_options() and uploads.get(key).n_tickers == 20


def test_a_refused_upload_is_not_kept(as_user):
    as_user(ALICE)
    with pytest.raises(DataError):
        uploads.add_upload("bad.csv", b"this,is\nnot;a,,panel\n\x00\x01")
    assert uploads.dataset_options() == [k for k in uploads.dataset_options() if not k.startswith("upload:")]


def test_a_sign_in_server_shows_only_the_sign_in(monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_SIGN_IN", "1")
    at = AppTest.from_file(APP, default_timeout=60).run(timeout=120)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.metric and not at.exception
