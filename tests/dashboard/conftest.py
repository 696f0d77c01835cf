"""Fixtures of the dashboard tests that act as one signed-in user or another."""
import pytest

from dashboard import ownership, signin, uploads


@pytest.fixture
def as_user(monkeypatch, tmp_path):
    """switch(user): the dashboard's current user from now on, in a fresh NEURALFACTORS_HOME (the store and the
    uploads' cache emptied before and after)."""
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    ownership._store.clear()
    uploads._panels.clear()

    def switch(user):
        monkeypatch.setattr(signin, "current_user", lambda: user)

    yield switch
    ownership._store.clear()
    uploads._panels.clear()
