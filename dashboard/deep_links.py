"""Deep links survive the sign-in round trip. On a sign-in server a visitor who opens a link to a page or a saved
view (`/stress_tests?view=ID`) before signing in is sent to the provider by st.login, and Streamlit's callback
brings them back to the app's root: the link would be lost. This ASGI middleware (installed by dashboard/asgi.py)
remembers the link in a short-lived cookie when an anonymous visitor asks for a page with a query string, and
turns the callback's redirect into one to that link (then forgets it). Only a path on this server is followed
(`target`); the page itself still checks what the link names belongs to the user who arrives."""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

from dashboard import signin

COOKIE = "neuralfactors_next"
KEEP_S = 600  # a sign-in that takes longer than this lands on the root, as before
NOT_PAGES = re.compile(r"/(_stcore|static|media|component|auth|oauth2callback|app/static)(/|$)")


def target(raw: str | None) -> str | None:
    """The link to return to, if `raw` (the cookie's value) names a path on this server, else None."""
    link = unquote(raw or "")
    if not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 2000:
        return None
    return None if any(ord(c) < 32 for c in link) else link


def _cookie(value: str, max_age: int) -> tuple[bytes, bytes]:
    return (b"set-cookie",
            f"{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax".encode("latin-1"))


class KeepLinkThroughSignIn:
    """ASGI middleware; see the module's docstring. Without sign-in it does nothing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not signin.required() or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection

        cookies = dict(HTTPConnection(scope).cookies)
        path, query = scope.get("path", ""), scope.get("query_string", b"").decode("latin-1")
        if path.endswith("/oauth2callback") and (link := target(cookies.get(COOKIE))):
            await self.app(scope, receive, _redirecting(send, link))
        elif query and not NOT_PAGES.search(path) and signin.cookie_user(cookies) is None:
            await self.app(scope, receive, _remembering(send, quote(f"{path}?{query}", safe="")))
        else:
            await self.app(scope, receive, send)


def _remembering(send, link: str):
    """`send`, with the cookie that remembers `link` added to the response."""
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message, headers=[*message.get("headers", []), _cookie(link, KEEP_S)])
        await send(message)
    return wrapped


def _redirecting(send, link: str):
    """`send`, with a redirect's Location turned to `link` and the cookie that remembered it cleared."""
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start" and message.get("status") in (302, 303, 307):
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"location"]
            message = dict(message, headers=[*headers, (b"location", link.encode("latin-1")), _cookie("", 0)])
        await send(message)
    return wrapped
