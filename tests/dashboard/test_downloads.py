"""dashboard/downloads.py: on a sign-in server a download (Streamlit's /media/<id>) reaches only a user it was offered
to, read from the same signed cookie Streamlit's st.login sets; without sign-in everything passes as before."""
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from core.workspaces.identity import User
from dashboard import downloads, signin
from tests.dashboard.asgi_get import cookie, get, signed

REPORT = b"<html>Alice's book</html>"


@pytest.fixture
def server(monkeypatch, sign_in_server):
    """A Starlette app serving a download and an image under /media/ and a page at /other, behind the guard, with
    sign-in on."""
    monkeypatch.setattr(downloads, "_GIVEN", type(downloads._GIVEN)())
    attachment = {"Content-Disposition": 'attachment; filename="report.html"'}
    routes = [Route("/media/{file_id}.html", lambda request: PlainTextResponse(REPORT, headers=attachment)),
              Route("/media/{file_id}.png", lambda request: PlainTextResponse("an image")),
              Route("/other", lambda request: PlainTextResponse("a page"))]
    return Starlette(routes=routes, middleware=[Middleware(downloads.OwnerOnlyMedia)])


def fetch(app, cookies: dict, path: str = "/media/0f1e2d3c.html") -> int:
    return get(app, cookies, path)[0]


def test_a_download_reaches_its_owner_and_nobody_else(server):
    downloads.grant(REPORT, User("https://idp.example", "alice").id)
    assert fetch(server, signed("alice")) == 200
    status, _, body = get(server, signed("alice"), "/media/0f1e2d3c.html")
    assert (status, body) == (200, REPORT)
    assert fetch(server, signed("bob")) == 404  # another user holding the link
    assert fetch(server, signed("alice", issuer="https://other-idp.example")) == 404  # same subject, other issuer
    assert fetch(server, {}) == 404  # anonymous
    assert fetch(server, cookie({"is_logged_in": True, "iss": "https://idp.example", "sub": "alice"},
                                secret="forged")) == 404  # a cookie not signed by this server
    assert fetch(server, cookie({"is_logged_in": False, "iss": "https://idp.example", "sub": "alice"})) == 404
    assert fetch(server, {}, "/other") == 200  # only /media/ is guarded,
    assert fetch(server, {}, "/media/9a8b7c.png") == 200  # and there only downloads (attachments), not images


def test_other_bytes_at_the_same_link_are_not_granted(server):
    downloads.grant(b"another file of Alice's", User("https://idp.example", "alice").id)
    assert fetch(server, signed("alice")) == 404


def test_without_sign_in_every_download_passes(server, monkeypatch):
    monkeypatch.delenv(signin.ENV)
    assert fetch(server, {}) == 200


def test_the_grants_are_bounded(monkeypatch):
    monkeypatch.setattr(downloads, "_GIVEN", type(downloads._GIVEN)())
    monkeypatch.setattr(downloads, "KEEP", 3)
    for i in range(5):
        downloads.grant(f"file {i}".encode(), "u")
    assert not downloads.granted(b"file 1", "u") and downloads.granted(b"file 4", "u")
    assert not downloads.granted(b"file 4", "v")
