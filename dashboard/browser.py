"""Drive the dashboard in a real Chromium (Playwright): used by the browser tests, the
screenshots and the speed benchmark. Needs /usr/bin/chromium (`apt-get install chromium`)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("NF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("Chromium not found at {path}: install it with `apt-get update && apt-get install -y chromium` "
                "(or `make browser-deps`), or point NF_CHROMIUM at a Chromium binary")
ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # url path -> sidebar link text
    "": "Overview", "exposures": "Factor exposures", "clusters": "Sector clusters", "covariance": "Covariance",
    "var": "VaR", "lab": "Portfolio lab", "comparison": "Model comparison", "scenarios": "Scenarios",
    "your_data": "Your data",
}


def chromium_path() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(port: int | None = None, timeout: float = 90.0):
    """Start `neuralfactors dashboard --headless --port P` and yield its base URL once healthy."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "core.cli", "dashboard", "--headless", "--port", str(port)]
    log_path = Path(tempfile.gettempdir()) / f"neuralfactors-dashboard-{port}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()


@contextmanager
def browser_page(width: int = 1280, height: int = 800, dark: bool = False):
    """A Playwright page in headless Chromium at width x height."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError(INSTALL_HINT.format(path=CHROMIUM))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height},
                                      color_scheme="dark" if dark else "light")
        context.add_init_script(RUN_COUNTER)
        try:
            yield context.new_page()
        finally:
            browser.close()


RUN_COUNTER = """
window.__nfRuns = 0;
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.getAttribute('data-test-script-state') === 'notRunning') window.__nfRuns += 1;
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""


def runs(page) -> int:
    """How many Streamlit script runs (full or fragment) have finished in this page."""
    return int(page.evaluate("() => window.__nfRuns || 0"))


def settle(page, timeout: float = 120.0, after: int | None = None) -> None:
    """Wait until a script run that finished after count `after` (default: any run) and none is running."""
    after = 0 if after is None else after
    page.wait_for_function(
        """(after) => { const a = document.querySelector('[data-testid="stApp"]');
                        const s = a && a.getAttribute('data-test-script-state');
                        return window.__nfRuns > after && s === 'notRunning'; }""",
        arg=after, timeout=timeout * 1000)


def open_app(page, url: str, query: str = "", timeout: float = 120.0) -> None:
    page.goto(f"{url}/{query}", timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout * 1000)
    settle(page, timeout, after=0)


def go_to(page, title: str, timeout: float = 120.0) -> None:
    """Click the sidebar link of a page and wait for it."""
    before = runs(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.wait_for_selector(f'[data-testid="stMainBlockContainer"] h1:has-text("{title.split()[0]}")',
                           timeout=timeout * 1000)
    settle(page, timeout, before)


def select_option(page, label: str, option: str, timeout: float = 120.0) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    before = runs(page)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):  # a rerun finishing just as the box opens can close its list again
        page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
        try:
            choice.wait_for(timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    choice.click()
    settle(page, timeout, before)


def step_date(page, steps: int = -5, timeout: float = 120.0) -> None:
    """Move the sidebar date by `steps` forecast dates with its previous / next buttons."""
    name = "Previous date" if steps < 0 else "Next date"
    button = page.locator('[data-testid="stSidebar"] button').filter(has_text=name).first
    for _ in range(abs(steps)):
        before = runs(page)
        button.click()
        settle(page, timeout, before)


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def exceptions(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def edit_first_weight(page, value: str, timeout: float = 120.0) -> None:
    """Type `value` into the weight (2nd) column of the first row of the first data editor."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=timeout * 1000)
    before = runs(page)
    for attempt in range(3):  # the canvas grid can move while charts above it finish drawing
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = grid.bounding_box()
        page.mouse.dblclick(box["x"] + 150, box["y"] + 35 + 17)  # first row, weight column (header ~35 px)
        page.wait_for_timeout(300)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        try:
            settle(page, timeout / 3, before)
            return
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
