"""The chart library loaded with the page: Streamlit loads its Plotly module (a 4.7 MB chunk) only once a chart
reaches the browser, and evaluating it then held the browser's main thread for about 0.8 s after the server had
sent the first page (docs/bench_dashboard.md). Every page of the dashboard draws Plotly charts, so the middleware
`EarlyCharts` (installed by dashboard/asgi.py) adds to each HTML page one `import()` of that chunk: the browser loads
and evaluates it while the page connects and the server runs the script. ES modules are evaluated once, so Streamlit's
own import later finds it ready. Where Streamlit ships no such chunk (another version), pages pass unchanged."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import streamlit as st

from dashboard.held_responses import has_header, hold_whole

#: Streamlit's own routes (its API, static files, media): never a page
ROUTES = re.compile(r"^/(_stcore|static|media|component|app/static)(/|$)")


@lru_cache(maxsize=1)
def import_tag() -> bytes:
    """The <script> that imports Streamlit's Plotly chunk, b"" where this Streamlit has none."""
    chunks = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return f'<script type="module">import("./static/js/{chunks[0].name}")</script>'.encode() if chunks else b""


def is_page(path: str) -> bool:
    """`path` is a page of the app (served Streamlit's index.html), not one of its routes or files."""
    return not ROUTES.match(path) and "." not in path.rsplit("/", 1)[-1]


class EarlyCharts:
    """ASGI middleware: an HTML page gets `import_tag()` before its </head> (its content-length set anew). A page
    request is asked uncompressed (its accept-encoding dropped: index.html is a few kB) so its body can be read."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or not is_page(scope.get("path", "")) \
                or not import_tag():
            await self.app(scope, receive, send)
            return

        async def rewrite(start: dict, body: bytes) -> None:
            html = body.replace(b"</head>", import_tag() + b"</head>", 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send(dict(start, headers=headers + [(b"content-length", str(len(html)).encode())]))
            await send({"type": "http.response.body", "body": html})

        await hold_whole(self.app, scope, receive, send, lambda start: has_header(start, b"content-type", b"text/html"),
                         rewrite)
