"""dashboard/early_charts.py: every HTML page of the app imports Streamlit's Plotly chunk from its <head> (so the
browser evaluates it while the page connects), and nothing else changes: other responses pass as they are."""
from pathlib import Path

import pytest
import streamlit as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from dashboard import early_charts
from tests.dashboard.asgi_get import get

PAGE = "<html><head><title>x</title></head><body>" + "app " * 400 + "</body></html>"


@pytest.fixture
def server():
    """Pages at / and /stress_tests, a static file and a JSON route, compressed as Streamlit compresses them."""
    routes = [Route("/", lambda request: HTMLResponse(PAGE)), Route("/stress_tests", lambda request: HTMLResponse(PAGE)),
              Route("/static/js/app.js", lambda request: PlainTextResponse("js " * 400)),
              Route("/_stcore/health", lambda request: PlainTextResponse("ok"))]
    return Starlette(routes=routes, middleware=[Middleware(early_charts.EarlyCharts), Middleware(GZipMiddleware)])


def header(headers, name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


def test_this_streamlit_ships_the_chunk_imported():
    tag = early_charts.import_tag().decode()
    name = tag.split("./static/js/")[1].split('"')[0]
    assert name.startswith("PlotlyChart.") and (Path(st.__file__).parent / "static/static/js" / name).is_file()


@pytest.mark.parametrize("path", ["/", "/stress_tests"])
def test_a_page_imports_the_chunk_in_its_head(server, path):
    status, headers, body = get(server, {}, path, headers=[(b"accept-encoding", b"gzip")])
    assert status == 200 and header(headers, b"content-encoding") is None  # asked uncompressed, to be read
    assert body == PAGE.replace("</head>", early_charts.import_tag().decode() + "</head>").encode()
    assert header(headers, b"content-length") == str(len(body)).encode()


@pytest.mark.parametrize("path", ["/static/js/app.js", "/_stcore/health"])
def test_other_responses_pass_unchanged(server, path):
    _, headers, body = get(server, {}, path, headers=[(b"accept-encoding", b"gzip")])
    assert not early_charts.is_page(path)
    if path.endswith(".js"):  # compressed as before (the health answer is too short to be)
        assert header(headers, b"content-encoding") == b"gzip"


def test_without_the_chunk_pages_pass_unchanged(server, monkeypatch):
    monkeypatch.setattr(early_charts, "import_tag", lambda: b"")
    _, _, body = get(server, {}, "/")
    assert body == PAGE.encode()
