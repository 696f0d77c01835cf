"""Dashboard speed in a real browser: cold start to the first page, and widget-change updates.

Cold start: from launching `neuralfactors dashboard --headless` (a fresh process, empty caches)
to the Overview's metrics and charts drawn in Chromium. Widget change: from the change (date
slider one step, portfolio switch) to the end of the rerun with the new numbers on screen.
Run: `python -m benchmarks dashboard [--quick] [--query Q] [--out DIR]` (writes DIR/bench_dashboard.md).
"""
from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

from benchmarks import COMMAND, browser_driver as b, write

PORTFOLIOS = ("one per sector", "equal weight")


def _first_page(page, url: str, query: str) -> None:
    b.open_app(page, url, query, timeout=600)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=600_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=600_000)


def cold_start(query: str) -> tuple[float, str]:
    """Seconds from process launch to the first page drawn; and the model that page shows."""
    t0 = time.perf_counter()
    with b.serve(timeout=600) as url, b.browser_page() as page:
        _first_page(page, url, query)
        elapsed = time.perf_counter() - t0
        from urllib.parse import parse_qs, urlparse

        model = parse_qs(urlparse(page.url).query).get("model", ["?"])[0]
    return elapsed, model


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
    """Where the first page's forecasts came from: shipped outputs or computed at start-up."""
    from urllib.parse import parse_qs

    from core.store import has_forecasts

    dataset = parse_qs(query.lstrip("?")).get("dataset", ["sp500-20"])[0]
    if has_forecasts(dataset, model):
        return f"shipped outputs under pretrained/{dataset}/{model}"
    return f"no shipped outputs for it under pretrained/{dataset}/: the cold start includes fitting it and forecasting"


def run(quick: bool = False, out: str | Path = ".", query: str = "") -> int:
    """Measure, print and write <out>/bench_dashboard.md. quick: 1 cold start and 2 repeats of each change
    (else 2 and 5); query: the URL query of the first page (default: the default view)."""
    colds = [cold_start(query) for _ in range(1 if quick else 2)]
    changes = widget_changes(query, 2 if quick else 5)
    load = os.getloadavg()
    lines = [
        "# Dashboard speed (real browser)", "",
        f"Command: `{COMMAND} dashboard{' --quick' if quick else ''}{' --query ' + repr(query) if query else ''}`", "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average during the "
        f"run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min; the machine was shared)", "",
        f"Headless Chromium ({b.chromium_path()}) at 1280 x 800, driven by Playwright; first page model: "
        f"{colds[0][1]} ({_source(query, colds[0][1])}).", "",
        "| measure | median (s) | max (s) | n | goal |", "|---|---|---|---|---|",
        f"| cold start to first page drawn | {statistics.median(c for c, _ in colds):.2f} | "
        f"{max(c for c, _ in colds):.2f} | {len(colds)} | < 15 s |",
    ]
    for name, vals in changes.items():
        lines.append(f"| {name} | {statistics.median(vals):.2f} | {max(vals):.2f} | {len(vals)} | < 1 s |")
    lines += ["", "Cold start = process launch -> Streamlit up -> first script run (data load, forecasts) -> "
              "metrics and Plotly charts in the DOM. A widget change = input -> rerun finished "
              "(stApp data-test-script-state back to notRunning).", ""]
    print("\n".join(lines))
    write(out, "dashboard", "\n".join(lines))
    return 0
