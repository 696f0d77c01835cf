"""dashboard/deep_links.py: on a sign-in server, a link an anonymous visitor opened is where Streamlit's sign-in
callback sends them back (remembered in a cookie), and only a path on this server is ever followed."""
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from dashboard import deep_links, signin
from tests.dashboard.asgi_get import get, signed


@pytest.fixture
def server(sign_in_server):
    """Pages at / and /stress_tests, Streamlit's callback (a redirect to the root) and a static file, behind it."""
    routes = [Route("/", lambda request: PlainTextResponse("the app")),
              Route("/stress_tests", lambda request: PlainTextResponse("the app")),
              Route("/oauth2callback", lambda request: RedirectResponse("/", status_code=302)),
              Route("/static/app.js", lambda request: PlainTextResponse("js"))]
    return Starlette(routes=routes, middleware=[Middleware(deep_links.KeepLinkThroughSignIn)])


def set_cookies(headers) -> list[str]:
    return [v.decode() for k, v in headers if k == b"set-cookie" and v.startswith(deep_links.COOKIE.encode())]


def location(headers) -> str | None:
    return next((v.decode() for k, v in headers if k == b"location"), None)


def test_the_link_opened_before_signing_in_is_where_the_sign_in_returns(server):
    _, headers, _ = get(server, {}, "/stress_tests", "view=ab12")
    (remembered,) = set_cookies(headers)
    value = remembered.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in remembered and "Max-Age=600" in remembered
    status, headers, _ = get(server, {deep_links.COOKIE: value}, "/oauth2callback", "code=x&state=y")
    assert status == 302 and location(headers) == "/stress_tests?view=ab12"
    assert any("Max-Age=0" in c for c in set_cookies(headers))  # and forgotten


def test_nothing_is_remembered_without_a_link_or_for_a_signed_in_user_or_an_asset(server):
    assert set_cookies(get(server, {}, "/")[1]) == []  # no query: the root is where the callback goes anyway
    assert set_cookies(get(server, signed("alice"), "/stress_tests", "view=ab12")[1]) == []
    assert set_cookies(get(server, {}, "/static/app.js", "v=1")[1]) == []
    assert location(get(server, {}, "/oauth2callback", "code=x")[1]) == "/"  # nothing remembered: the root


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "/a\nb", ""])
def test_only_a_path_on_this_server_is_followed(server, link):
    assert deep_links.target(link) is None
    from urllib.parse import quote
    assert location(get(server, {deep_links.COOKIE: quote(link, safe="")}, "/oauth2callback", "code=x")[1]) == "/"


def test_without_sign_in_it_does_nothing(server, monkeypatch):
    monkeypatch.delenv(signin.ENV)
    assert set_cookies(get(server, {}, "/stress_tests", "view=ab12")[1]) == []
