"""ASGI responses held whole, for the dashboard's middlewares that read or rewrite a body Streamlit sends
(downloads.OwnerOnlyMedia checks a download's bytes, early_charts.EarlyCharts adds to a page's head). The request is
asked uncompressed (its accept-encoding dropped), so the bytes held are the bytes Streamlit produced."""
from __future__ import annotations

from typing import Awaitable, Callable


def has_header(start: dict, name: bytes, prefix: bytes) -> bool:
    """The response (its http.response.start message) has header `name` starting with `prefix` (lower case)."""
    return any(k.lower() == name and v.lower().startswith(prefix) for k, v in start.get("headers", []))


async def hold_whole(app, scope, receive, send, held: Callable[[dict], bool],
                     finish: Callable[[dict, bytes], Awaitable[None]]) -> None:
    """Run the ASGI `app` on `scope` asked uncompressed. A response whose start message `held(start)` picks is held
    until its last body part and handed whole to `finish(start, body)`, which sends what goes out; any other response
    passes as it comes."""
    scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"])
    start: dict = {}
    body = bytearray()

    async def hold(message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            if not held(message):
                await send(message)
            return
        if message["type"] != "http.response.body" or not held(start):
            await send(message)
            return
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            await finish(start, bytes(body))

    await app(scope, receive, hold)
