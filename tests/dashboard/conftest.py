"""Fixtures of the dashboard tests that act as one signed-in user or another."""
import pytest
from streamlit import config

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


@pytest.fixture
def sign_in_server(monkeypatch):
    """Sign-in on (as `neuralfactors dashboard --auth` sets it) and Streamlit's cookie secret the one
    tests.dashboard.asgi_get signs with, restored after."""
    from tests.dashboard.asgi_get import SECRET

    monkeypatch.setenv(signin.ENV, "1")
    before = config.get_option("server.cookieSecret")
    config.set_option("server.cookieSecret", SECRET)
    yield
    config.set_option("server.cookieSecret", before)
