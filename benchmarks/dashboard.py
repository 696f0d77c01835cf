"""Dashboard speed in a real browser: cold start to the first page, every page's first and second visit, and
widget-change updates.

Cold start: from launching `neuralfactors dashboard --headless` (a fresh process, empty caches)
to the Overview's metrics and charts drawn in a Chromium started before it (a user's browser is open already; its own
launch is timed apart). Page visits: after a cold start, every page opened from the
sidebar in navigation order, then each once more; a page counts as drawn when its run has finished, its spinners are
gone and its charts are drawn (browser_driver.visit). Widget change: from the change (date
slider one step, portfolio switch) to the end of the rerun with the new numbers on screen.
Upload: on one fresh server, the 500-stock one-year vendor file of benchmarks/userfiles.py uploaded on Your data, then
"Use this dataset in every page" (its zero-shot forecasts and every page's default view), then every page's first
and second visit on it.
Run: `python -m benchmarks dashboard [--quick] [--query Q] [--out DIR]` (writes DIR/bench_dashboard.md).
"""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks import COMMAND, browser_driver as b, write

PORTFOLIOS = ("one per sector", "equal weight")


def _first_page(page, url: str, query: str) -> None:
    b.open_app(page, url, query, timeout=600)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=600_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=600_000)


@contextmanager
def _cold_page(query: str):
    """(page, (seconds from the server's launch to the first page drawn, seconds Chromium took to launch, seconds
    from the launch to the end of the harness's wait)) on a fresh server: the browser is started first, as a user's
    browser is already open when the server starts, and its own launch is timed apart. Drawn: the last of the
    server's last message, the last script-state change and the last chart drawn, as a page visit counts it
    (browser_driver.drawn_at); the harness's wait adds the quiet period of browser_driver.settle, which the cold
    starts of runs before 2026-12-07 included. The server and browser stop when the block ends."""
    tb = time.perf_counter()
    with b.browser_page() as page:
        launch = time.perf_counter() - tb
        t0, w0 = time.perf_counter(), time.time()
        with b.serve(timeout=600) as url:
            _first_page(page, url, query)
            waited = time.perf_counter() - t0
            yield page, (b.drawn_at(page, 600) - w0, launch, waited)


def cold_start(query: str) -> tuple[tuple[float, float, float], str]:
    """(the timings of `_cold_page`, the model the first page shows)."""
    from urllib.parse import parse_qs, urlparse

    with _cold_page(query) as (page, timing):
        model = parse_qs(urlparse(page.url).query).get("model", ["?"])[0]
    return timing, model


def page_visits(query: str, titles: list[str] | None = None) -> tuple[list[tuple[float, float, float]],
                                                                       dict[str, list[float]]]:
    """([the timings of `_cold_page`], {page: [first visit, second visit]}): for each page a fresh server (empty
    caches) and browser, the first page drawn (the cold start, which is also the first page's first visit, as
    `_cold_page` times it), then the page from the sidebar (its first visit, nothing but the first page computed
    before it), the first page again and the page again (its second visit). The first page's second visit: after
    Your data."""
    from dashboard.pages import PAGES as ALL

    titles = titles or [p.title for p in ALL]
    home, other = ALL[0].title, ALL[-1].title
    colds, out = [], {}
    for title in titles:
        with _cold_page(query) as (page, timing):
            colds.append(timing)
            first = float("nan") if title == home else b.visit(page, title, timeout=600)
            b.visit(page, other if title == home else home, timeout=600)
            out[title] = [first, b.visit(page, title, timeout=600)]
        print(f"{title}: cold start {timing[0]:.2f} s (to the harness's wait {timing[2]:.2f} s; Chromium's launch "
              f"before it {timing[1]:.2f} s), first visit {first:.2f} s, second {out[title][1]:.2f} s", flush=True)
    return colds, out


def widget_changes(query: str, repeats: int) -> dict[str, list[float]]:
    """Seconds per widget change on a warm server (first visit of each value excluded: cached after)."""
    out: dict[str, list[float]] = {"date step (new date)": [], "portfolio switch": [], "page switch": []}
    with b.serve(timeout=600) as url, b.browser_page() as page:
        _first_page(page, url, query)
        for k in range(repeats):
            t = time.perf_counter()
            b.step_date(page, -1)
            out["date step (new date)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            b.select_option(page, "Portfolio", PORTFOLIOS[k % 2])
            out["portfolio switch"].append(time.perf_counter() - t)
        for title in ("Factor exposures", "Overview") * repeats:
            t = time.perf_counter()
            b.go_to(page, title)
            out["page switch"].append(time.perf_counter() - t)
    return out


def _source(query: str, model: str) -> str:
    """Where the first page's forecasts came from (shipped outputs or computed at start-up) and whether precomputed
    views of the default model were served (core.workbench.precomputed)."""
    from urllib.parse import parse_qs

    from core.data.embedded import DATASETS, load_dataset
    from core.store import ROOT, has_forecasts
    from core.workbench import precomputed
    from core.workbench.keys import parse_model
    from core.workbench.sources import forecasts

    dataset = parse_qs(query.lstrip("?")).get("dataset", ["sp500-20"])[0]
    base = parse_model(model).base
    if not has_forecasts(dataset, base):
        return f"no shipped outputs for it under {ROOT}/{dataset}/: the cold start includes fitting it and forecasting"
    views = precomputed.load(load_dataset(dataset), forecasts(load_dataset(dataset), model)) \
        if dataset in DATASETS else precomputed.Views(note="an upload")
    said = "its precomputed views served" if views.entries else f"no precomputed views served: {views.note}"
    return f"shipped outputs under {ROOT}/{dataset}/{base}; {said}"


def upload_visits(folder: Path) -> tuple[float, dict[str, list[float]]]:
    """(seconds of "Use this dataset", {page: [first visit, second visit]}) on the 500-stock vendor file written
    into `folder`, one fresh server for all: each page opened from the sidebar, then Your data (Overview for Your
    data itself), then the page again."""
    from dashboard.pages import PAGES as ALL
    from benchmarks.userfiles import write_vendor_csv

    path = write_vendor_csv(Path(folder) / "vendor500.csv").path
    out = {}
    with b.serve(timeout=600) as url, b.browser_page(height=1000) as page:
        b.open_app(page, url, "?dataset=sp500-20", timeout=600)
        b.upload_file(page, path)
        used = b.use_this_dataset(page)
        print(f"500-stock upload: 'Use this dataset' {used:.1f} s", flush=True)
        for title in [p.title for p in ALL]:
            first = b.visit(page, title, timeout=600)
            b.visit(page, "Your data" if title != "Your data" else ALL[0].title, timeout=600)
            out[title] = [first, b.visit(page, title, timeout=600)]
            print(f"{title} (500 stocks): first visit {first:.2f} s, second {out[title][1]:.2f} s", flush=True)
    return used, out


def run(quick: bool = False, out: str | Path = ".", query: str = "") -> int:
    """Measure, print and write <out>/bench_dashboard.md: the cold starts of every page's own server, each page's
    first and second visit, widget changes (quick: 2 repeats of each, else 5); query: the URL query of the first
    page (default: the default view)."""
    first, model = cold_start(query)
    starts, visits = page_visits(query)
    colds, launches, waits = ([t[i] for t in [first, *starts]] for i in range(3))
    changes = widget_changes(query, 2 if quick else 5)
    load = os.getloadavg()
    lines = [
        "# Dashboard speed (real browser)", "",
        f"Command: `{COMMAND} dashboard{' --quick' if quick else ''}{' --query ' + repr(query) if query else ''}`", "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average during the "
        f"run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min; the machine was shared)", "",
        f"Headless Chromium ({b.chromium_path()}) at 1280 x 800, driven by Playwright; first page model: "
        f"{model} ({_source(query, model)}).", "",
        "| measure | median (s) | max (s) | n | goal |", "|---|---|---|---|---|",
        f"| cold start to first page drawn | {statistics.median(colds):.2f} | {max(colds):.2f} | {len(colds)} | < 5 s |",
        f"| cold start to the end of the harness's wait (its quiet period of {b.QUIET_MS} + {b.QUIET_MS // 2} ms "
        "and the first chart after the page is drawn: the row of runs before 2026-12-07) | "
        f"{statistics.median(waits):.2f} | {max(waits):.2f} | {len(waits)} | |",
        f"| Chromium's own launch, before the server (not in the cold start) | {statistics.median(launches):.2f} | "
        f"{max(launches):.2f} | {len(launches)} | |",
    ]
    for name, vals in changes.items():
        lines.append(f"| {name} | {statistics.median(vals):.2f} | {max(vals):.2f} | {len(vals)} | < 1 s |")
    lines += ["", "Cold start = process launch -> Streamlit up -> first script run (data load, forecasts) -> "
              "metrics and Plotly charts drawn in a Chromium launched before the server (a user's browser is "
              "already open; a fresh profile, so nothing of the page is cached), counted as a page visit is: to the "
              "last of the server's last message, the last script-state change and the last chart drawn. Runs before "
              "2026-12-07 counted to the end of the harness's wait, which holds a quiet period after the page is "
              "drawn; that row is kept beside it. A widget change = input -> rerun "
              "finished (stApp data-test-script-state back to notRunning).", "",
              "Every page after its own cold server start (a fresh server and browser per page, so no other page "
              "has computed anything for it; the cold start row counts every one of them): the first page drawn, "
              "then the page from the sidebar (first visit), the first page, the page again (second visit). A page "
              "counts as drawn when its run has finished, its spinners are gone and every chart holds its SVG: "
              "seconds from the click to the last of the server's last message and the last chart drawn.", "",
              "| page | first visit (s) | second visit (s) | goal |", "|---|---|---|---|"]
    for title, (first, second) in visits.items():
        shown = "(the cold start)" if first != first else f"{first:.2f}"
        lines.append(f"| {title} | {shown} | {second:.2f} | < 2 s |")
    with tempfile.TemporaryDirectory() as folder:
        used, uploaded = upload_visits(Path(folder))
    lines += ["", "The 500-stock one-year vendor file of benchmarks/userfiles.py (unadjusted splits, blank sectors, no "
              "benchmark) on one fresh server: uploaded on Your data, then \"Use this dataset in every page\" "
              f"(click to 'Every page is ready'): **{used:.1f} s** (goal < 20 s). Then every page:", "",
              "| page (500 stocks) | first visit (s) | second visit (s) | goal |", "|---|---|---|---|"]
    lines += [f"| {title} | {first:.2f} | {second:.2f} | < 2 s |" for title, (first, second) in uploaded.items()]
    lines.append("")
    print("\n".join(lines))
    write(out, "dashboard", "\n".join(lines))
    return 0
