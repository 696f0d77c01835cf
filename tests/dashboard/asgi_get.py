"""One GET through an ASGI app in the test's own event loop (no HTTP client library needed), with the sign-in
cookie Streamlit's st.login sets, signed as a server with cookie secret SECRET signs it (the fixture
`sign_in_server` in conftest.py): the dashboard's middlewares are tested with them."""
import asyncio
import json

from streamlit.web.server.starlette.starlette_app_utils import create_signed_value
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

SECRET = "a-test-cookie-secret"


def cookie(claims: dict, secret: str = SECRET) -> dict:
    """The sign-in cookie carrying `claims`, signed with `secret`."""
    return {USER_COOKIE_NAME: create_signed_value(secret, USER_COOKIE_NAME, json.dumps(claims)).decode()}


def signed(subject: str, issuer: str = "https://idp.example") -> dict:
    """The cookie of `subject` signed in at `issuer`."""
    return cookie({"origin": "http://testserver", "is_logged_in": True, "iss": issuer, "sub": subject})


def get(app, cookies: dict, path: str, query: str = "", headers: tuple = ()) -> tuple[int, list[tuple[bytes, bytes]],
                                                                                     bytes]:
    """GET `path?query` from the ASGI `app` with `cookies` and other request `headers` ((name, value) bytes):
    (status, headers, body)."""
    headers = list(headers) + ([(b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode())]
                               if cookies else [])
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "headers": headers, "scheme": "http", "server": ("testserver", 80),
             "client": ("127.0.0.1", 1), "root_path": ""}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], list(sent[0].get("headers", [])), b"".join(m.get("body", b"") for m in sent[1:])
