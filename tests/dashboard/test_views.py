"""Saved views (dashboard/views.py, the Workspaces page): the sidebar saves the page and its choices under a name;
the link then names the view (?view=ID) and opens it for its owner only; on a sign-in server no link carries the
holdings; the Workspaces page lists a user's own workspaces and views and opens a view."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.workspaces.identity import User
from dashboard import ownership, services, signin

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
ALICE, BOB = User("https://idp.example", "alice-sub", "alice"), User("https://idp.example", "bob-sub", "bob")


@pytest.fixture
def as_user(monkeypatch, tmp_path):
    """Sign-in mode with `user` signed in (what st.login gives a real server: tests/browser/test_browser_signin.py)."""
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    ownership._store.clear()

    def switch(user):
        monkeypatch.setattr(signin, "required", lambda: True)
        monkeypatch.setattr(signin, "signed_in", lambda: True)
        monkeypatch.setattr(signin, "current_user", lambda: user)

    yield switch
    ownership._store.clear()


def _app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run(timeout=120)


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _query(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_a_saved_view_is_named_by_its_link_and_opens_for_its_owner_only(as_user):
    as_user(ALICE)
    dates = services.forecast_dates("synthetic", "truth")
    tickers = services.forecast_at("synthetic", "truth", dates[-30]).tickers
    held = f"{tickers[0]}:0.6,{tickers[1]}:0.4"
    at = _app(dataset="synthetic", model="truth", date=dates[-30], portfolio="custom", w=held)
    _clean(at)
    assert at.session_state["selection"].custom == held
    assert "w" not in _query(at)  # a sign-in server: the holdings stay out of the link
    at.switch_page("app_pages/var.py").run(timeout=120)
    at.text_input(key="view_name").input("morning VaR").run(timeout=120)
    at.button(key="view_save").click().run(timeout=120)
    _clean(at)
    (view,) = ownership.store().views(ALICE)
    assert (view.name, view.page, view.dataset, view.date, view.custom) == ("morning VaR", "var", "synthetic",
                                                                            dates[-30], held)
    assert _query(at) == {"view": view.id}  # the link names the view, nothing else
    again = _app(view=view.id)  # a new session from the link: the view's page and choices
    _clean(again)
    sel = again.session_state["selection"]
    assert (sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom) == ("synthetic", "truth", dates[-30],
                                                                            "custom", held)
    assert again.title[0].value == "VaR: Value at Risk"
    as_user(BOB)
    theirs = _app(view=view.id)
    _clean(theirs)
    assert "not one of yours" in " ".join(w.value for w in theirs.sidebar.warning)
    assert theirs.session_state["selection"].custom == "" and ownership.store().views(BOB) == []
    theirs.switch_page("app_pages/workspaces.py").run(timeout=120)
    _clean(theirs)
    assert "morning VaR" not in " ".join(str(d.value) for d in theirs.dataframe)


def test_the_workspaces_page_lists_and_opens_a_users_views(as_user):
    as_user(ALICE)
    at = _app(dataset="synthetic", model="truth", portfolio="equal weight")
    at.switch_page("app_pages/stress.py").run(timeout=120)
    at.text_input(key="view_name").input("stress book").run(timeout=120)
    at.button(key="view_save").click().run(timeout=120)
    at.switch_page("app_pages/workspaces.py").run(timeout=120)
    _clean(at)
    assert at.dataframe[0].value["view"].tolist() == ["stress book"]  # no workspace yet: the views come first
    at.button(key="open_view_go").click().run(timeout=120)
    _clean(at)
    assert at.title[0].value == "Stress tests"
