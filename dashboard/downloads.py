"""Downloads served to their owner only. Streamlit serves a download button's file at /media/<id>, to whoever holds
the link (a bearer link: Alice could pass hers on, and the file stays while the server keeps it). On a sign-in
server every download is offered through `offer`, which records that the signed-in user was given these bytes; the
middleware `OwnerOnlyMedia` (installed by dashboard/asgi.py) answers a /media/ download only when the requester's
sign-in cookie names a user who was given exactly the bytes the response carries, and 404 otherwise (the same as
for a file that does not exist, so a link says nothing of whose it is). Without sign-in (one local user) it lets
everything through, as before.

Why a middleware: Streamlit has no per-file access control, and its media route and file ids are internal. The
check is on the response's bytes (SHA-256), not on the id, so it depends on nothing of how Streamlit names files;
the one internal it reads is the signed cookie Streamlit's st.login sets (`signin.cookie_user`), and the browser
test of two users (tests/browser/test_browser_signin.py) fails if that changes: the guard fails closed (no user:
404)."""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

import streamlit as st

from dashboard import signin
from dashboard.held_responses import has_header, hold_whole

MEDIA = re.compile(r"/media/[^/]+$")
KEEP = 100_000  # (bytes, user) grants remembered; the oldest forgotten first (its file long gone from Streamlit's)

_GIVEN: OrderedDict[tuple[str, str], None] = OrderedDict()  # (SHA-256 of the bytes, user id): server-wide
_LOCK = threading.Lock()


def grant(data: bytes, user_id: str) -> None:
    """Record that `user_id` was offered `data` (so it may fetch the file that carries it)."""
    key = (hashlib.sha256(data).hexdigest(), user_id)
    with _LOCK:
        _GIVEN[key] = None
        _GIVEN.move_to_end(key)
        while len(_GIVEN) > KEEP:
            _GIVEN.popitem(last=False)


def granted(data: bytes, user_id: str) -> bool:
    """`user_id` was offered exactly `data` on this server."""
    with _LOCK:
        return (hashlib.sha256(data).hexdigest(), user_id) in _GIVEN


def offer(label: str, data: bytes | str, where=st, **kwargs) -> bool:
    """`where.download_button(label, data, **kwargs)` (where: st or a column), granted to the current user first."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if signin.required():
        grant(raw, signin.current_user().id)
    return where.download_button(label, raw, **kwargs)


class OwnerOnlyMedia:
    """ASGI middleware: on a sign-in server, a download Streamlit serves under /media/ (a response that is an
    attachment) reaches the requester only when its bytes were offered to them (`granted`); anything else gets 404.
    Other media (images) pass. Such a request is asked uncompressed (its accept-encoding dropped) so the bytes
    checked are the bytes offered, and its response is held whole before it is sent (downloads here are reports,
    workbooks and CSVs, a few MB at most); a partial (range) answer to it is refused."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not signin.required() or not MEDIA.search(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection

        user = signin.cookie_user(dict(HTTPConnection(scope).cookies))

        async def answer(start: dict, body: bytes) -> None:
            if start.get("status") == 200 and user is not None and granted(body, user.id):
                await send(start)
                await send({"type": "http.response.body", "body": body})
            else:
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": b"File not found"})

        await hold_whole(self.app, scope, receive, send, _attachment, answer)


def _attachment(start: dict) -> bool:
    """The response (its http.response.start message) is a file to download (Content-Disposition: attachment)."""
    return has_header(start, b"content-disposition", b"attachment")
