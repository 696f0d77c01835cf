"""Drive the dashboard in a real Chromium (Playwright): used by the screenshots and the speed benchmark
(benchmarks/screenshots.py, benchmarks/dashboard.py) and by the browser tests (tests/browser/, whose
tests/browser/helpers.py adds the pytest side: skip or fail without Chromium, a dashboard on a vendor file).
Needs /usr/bin/chromium (`apt-get install chromium`).

Every wait here is bounded and, when it runs out, raises `WaitTimeout` saying what was awaited,
on which page, what the page showed (its exception boxes, the end of its text) and where the
Streamlit run stood. "Streamlit has finished" is read from the server's own messages (`PROBE`
counts the script_finished messages on the app's websocket) and from the page (script state
`notRunning`, no stale element, no running indicator), held for a quiet period: not from the
`data-test-script-state` attribute flipping, which a fast run skips (its running and not-running
statuses reach the browser in one flush and React renders them as one state, so the attribute
never changes), and not from fixed sleeps.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from dashboard.pages import PAGES as ALL_PAGES, url_path

CHROMIUM = os.environ.get("NF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("Chromium not found at {path}: install it with `apt-get update && apt-get install -y chromium` "
                "(or `make browser-deps`), or point NF_CHROMIUM at a Chromium binary")
ROOT = Path(__file__).resolve().parents[1]  # the repository root
PAGES = {url_path(p): p.title for p in ALL_PAGES}  # url path -> sidebar link text (dashboard/pages.py)
ACTION_TIMEOUT_MS = 60_000  # Playwright's default for clicks, reads, ... (each bounded; its own default is 30 s)
QUIET_MS = 500  # a run counts as settled once nothing has moved for this long
REACT_S = 15  # an edit or click that changes a widget has the server running the script within this


class WaitTimeout(RuntimeError):
    """A bounded browser wait ran out; the message says what was awaited and what the page showed."""


def chromium_path() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent_death_signal():
    """Linux: a preexec_fn giving the child SIGTERM when this process dies (PR_SET_PDEATHSIG), else None.
    prctl is looked up here, in the parent: the child only calls it between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_bytes()[-chars:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the dashboard's process group (the CLI and its Streamlit child); SIGKILL what is left after 10 s."""
    def signal_group(sig) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):  # the whole group is gone already
            pass

    signal_group(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    signal_group(signal.SIGKILL)  # whatever did not stop in time, and any member outliving the CLI
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@contextmanager
def serve(port: int | None = None, timeout: float = 90.0, extra: tuple[str, ...] = ()):
    """Start `neuralfactors dashboard --headless --port P [extra...]` and yield its base URL once healthy.

    The server is always stopped on the way out, however the block ends (a failed test, a timeout, Ctrl-C),
    and on Linux it also stops if this process dies without getting there."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "core.cli", "dashboard", "--headless", "--port", str(port), *extra]
    log_path = Path(tempfile.gettempdir()) / f"neuralfactors-dashboard-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        # its own process group (stopped as one below); SIGTERM if this process dies first (the CLI forwards it)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_parent_death_signal())
        _SERVERS[url] = proc
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"dashboard exited with {proc.returncode} before answering on {url}; "
                                       f"log {log_path}:\n{_log_tail(log_path)}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dashboard did not answer on {url}/_stcore/health within {timeout:.0f} s; "
                                       f"log {log_path}:\n{_log_tail(log_path)}")
                time.sleep(0.2)
            yield url
        finally:
            _SERVERS.pop(url, None)
            _stop(proc)


_SERVERS: dict[str, subprocess.Popen] = {}  # base URL -> the `serve` process answering there


def crash(url: str) -> None:
    """kill -9 the dashboard `serve` started at `url` (the CLI and its Streamlit process: a crash, with no chance to
    clean up); its `serve` block then finds nothing left to stop."""
    proc = _SERVERS[url]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@contextmanager
def browser_page(width: int = 1280, height: int = 800, dark: bool = False):
    """A Playwright page in headless Chromium at width x height, with `PROBE` installed
    (NF_CPU_THROTTLE=N slows its CPU N times, to reproduce what a loaded machine does)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError(INSTALL_HINT.format(path=CHROMIUM))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=ACTION_TIMEOUT_MS)
        try:
            yield visitor(browser, width, height, dark)
        finally:
            browser.close()


def visitor(browser, width: int = 1280, height: int = 800, dark: bool = False):
    """A page of `browser` in a context of its own (its own cookies: another visitor), with `PROBE` installed; a
    page's browser is `page.context.browser`."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(2 * ACTION_TIMEOUT_MS)
    context.add_init_script(PROBE)
    page = context.new_page()
    slow = float(os.environ.get("NF_CPU_THROTTLE") or 1)
    if slow > 1:  # e.g. 8: the page runs 8x slower, as on a loaded machine (to reproduce timing bugs)
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slow})
    return page


# Installed in every page before the app's own scripts. It wraps WebSocket to read the top level of each
# ForwardMsg the server sends (protobuf: script_finished = field 6, a varint; session_status_changed = field 9,
# whose field 2 is script_is_running; heartbeat_ack = field 26), and it notes when the app's
# data-test-script-state attribute last changed. `settle` reads window.__nf.
PROBE = """
(() => {
  if (window.__nf) return;
  const nf = window.__nf = {finished: 0, early: 0, statuses: 0, serverRunning: null, msgs: 0, lastMsg: 0,
                            flips: 0, lastFlip: 0, lastChart: 0, okSince: null, log: []};
  const note = (what) => { nf.log.push(Math.round(performance.now()) + ' ' + what);
                           if (nf.log.length > 40) nf.log.shift(); };
  const varint = (b, i) => { let x = 0, s = 0, c;
    do { if (i >= b.length) throw new Error('truncated'); c = b[i++]; x += (c & 0x7f) * 2 ** s; s += 7; }
    while (c & 0x80);
    return [x, i]; };
  const fields = (b, cb) => { let i = 0;
    while (i < b.length) {
      let k; [k, i] = varint(b, i); const f = Math.floor(k / 8), w = k % 8;
      if (w === 0) { let v; [v, i] = varint(b, i); cb(f, w, v); }
      else if (w === 2) { let n; [n, i] = varint(b, i); cb(f, w, b.subarray(i, i + n)); i += n; }
      else if (w === 1) i += 8; else if (w === 5) i += 4; else return;
    } };
  const onMessage = (ev) => {
    if (!(ev.data instanceof ArrayBuffer)) return;
    let heartbeat = false;
    try {
      fields(new Uint8Array(ev.data), (f, w, v) => {
        if (f === 6 && w === 0) {  // script_finished: 2 is FINISHED_EARLY_FOR_RERUN (another run follows)
          if (v === 2) nf.early += 1; else nf.finished += 1;
          note('finished ' + v);
        } else if (f === 9 && w === 2) {
          let running = false;
          fields(v, (g, gw, gv) => { if (g === 2 && gw === 0) running = gv !== 0; });
          nf.serverRunning = running; nf.statuses += 1; note(running ? 'server running' : 'server not running');
        } else if (f === 26) heartbeat = true;
      });
    } catch (e) { note('unparsed message: ' + e); }
    if (!heartbeat) { nf.msgs += 1; nf.lastMsg = performance.now(); }
  };
  const Native = window.WebSocket;
  class ProbedWebSocket extends Native {
    constructor(...args) { super(...args); this.addEventListener('message', onMessage); }
  }
  window.WebSocket = ProbedWebSocket;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.getAttribute && r.target.getAttribute('data-testid') === 'stApp') {
        nf.flips += 1; nf.lastFlip = performance.now();
        note('state ' + r.target.getAttribute('data-test-script-state'));
      }
    }
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
  // when a Plotly chart last drew its SVG (after the run's last message, in the browser: part of a page's time)
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType === 1 && (n.classList.contains('main-svg') || n.querySelector && n.querySelector('.main-svg'))) {
          nf.lastChart = performance.now();
        }
      }
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""

# True once the server has finished more than `after` runs and the app stands still: the server's last status
# says not running, the page shows notRunning and CONNECTED, no stale element or running indicator, no message
# and no state change for QUIET_MS, all of it seen on consecutive polls for QUIET_MS / 2 more.
_SETTLED = """([after, quiet]) => {
  const nf = window.__nf; if (!nf) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  const now = performance.now();
  const ok = !!app && nf.finished > after && nf.serverRunning === false
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && now - nf.lastMsg >= quiet && now - nf.lastFlip >= quiet;
  if (!ok) { nf.okSince = null; return false; }
  if (nf.okSince === null) nf.okSince = now;
  return now - nf.okSince >= quiet / 2;
}"""

_STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]'); const nf = window.__nf || {};
  return {script_state: app && app.getAttribute('data-test-script-state'),
          connection: app && app.getAttribute('data-test-connection-state'),
          runs_finished: nf.finished, runs_ended_early: nf.early, server_running: nf.serverRunning,
          stale: document.querySelectorAll('[data-stale="true"]').length,
          running_icon: !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'),
          last_events: (nf.log || []).slice(-12)};
}"""


def describe(page, chars: int = 1500) -> str:
    """Where the page stands: url, heading, Streamlit run state, exception boxes, the end of the main text.
    Each read is bounded (a page that does not answer is said so, not waited on)."""
    parts = []
    try:
        parts.append(f"url: {page.url}")
    except Exception as exc:  # noqa: BLE001 - a description must not raise
        parts.append(f"url: ? ({exc})")
    try:
        parts.append(f"run: {page.locator('html').evaluate(_STATE, timeout=5000)}")
    except Exception as exc:  # noqa: BLE001
        parts.append(f"run: ? ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    try:
        h1 = page.locator('[data-testid="stMainBlockContainer"] h1')
        parts.append(f"heading: {h1.first.inner_text(timeout=2000) if h1.count() else '(none)'}")
        boxes = page.locator('[data-testid="stException"]')
        for i in range(min(boxes.count(), 3)):
            parts.append(f"exception box {i + 1}: {boxes.nth(i).inner_text(timeout=2000)[:chars]}")
        main = page.locator('[data-testid="stMainBlockContainer"]')
        text = main.inner_text(timeout=5000) if main.count() else "(no main block)"
        parts.append(f"main text (last {chars} chars): ...{text[-chars:]}")
    except Exception as exc:  # noqa: BLE001
        parts.append(f"page text: ? ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    try:
        shot = Path(tempfile.gettempdir()) / f"neuralfactors-browser-{time.time():.3f}.png"
        page.screenshot(path=str(shot), timeout=10_000)
        parts.append(f"screenshot: {shot}")
    except Exception:  # noqa: BLE001
        pass
    return "\n".join(parts)


@contextmanager
def waiting(page, what: str, timeout: float):
    """Run a bounded Playwright wait; if it fails, raise WaitTimeout naming `what` with `describe(page)`."""
    from playwright.sync_api import Error as PlaywrightError

    t0 = time.monotonic()
    try:
        yield
    except PlaywrightError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WaitTimeout(f"waited {time.monotonic() - t0:.1f} s (limit {timeout:.0f} s) for {what}: {first}\n"
                          f"{describe(page)}") from exc


def runs(page) -> int:
    """How many Streamlit script runs (full or fragment) the server has finished for this page so far.
    Take it before an action; `settle(page, after=that)` then waits for the action's run."""
    return int(page.locator("html").evaluate("() => (window.__nf && window.__nf.finished) || 0",
                                             timeout=ACTION_TIMEOUT_MS))


def settle(page, timeout: float = 120.0, after: int | None = None, what: str = "") -> None:
    """Wait until a script run finished after count `after` (default: any run) and the app has stood still
    (not running, nothing stale, no message) for QUIET_MS (see _SETTLED); WaitTimeout after `timeout` seconds."""
    after = 0 if after is None else after
    label = what or "the Streamlit run to finish"
    with waiting(page, f"{label} (a run after run {after}, then {QUIET_MS} ms with nothing running)", timeout):
        page.wait_for_function(_SETTLED, arg=[after, QUIET_MS], timeout=timeout * 1000, polling=100)


def wait_for(page, selector: str, what: str, timeout: float = 60.0) -> None:
    """Wait for `selector` to be attached and visible; WaitTimeout naming `what` after `timeout` seconds."""
    with waiting(page, what, timeout):
        page.wait_for_selector(selector, timeout=timeout * 1000)


def wait_until(page, js: str, what: str, timeout: float = 60.0, arg=None) -> None:
    """Wait for the JS predicate `js` to be true; WaitTimeout naming `what` after `timeout` seconds."""
    with waiting(page, what, timeout):
        page.wait_for_function(js, arg=arg, timeout=timeout * 1000, polling=100)


def charts(page, at_least: int = 1, timeout: float = 60.0) -> int:
    """Wait until `at_least` Plotly charts are drawn; how many chart containers the page has."""
    wait_until(page, "(n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
               f"{at_least} drawn Plotly chart(s)", timeout, arg=at_least)
    return page.locator(".js-plotly-plot").count()


def heading(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()


def open_app(page, url: str, query: str = "", timeout: float = 120.0) -> None:
    with waiting(page, f"{url}/{query} to load", timeout):
        page.goto(f"{url}/{query}", timeout=timeout * 1000)
    wait_for(page, '[data-testid="stSidebar"]', "the sidebar of the first page", timeout)
    wait_for(page, '[data-testid="stMainBlockContainer"] h1', "the heading of the first page", timeout)
    settle(page, timeout, after=0, what="the first page's run to finish")


def _now_ms(page) -> float:
    return float(page.locator("html").evaluate("() => performance.now()", timeout=ACTION_TIMEOUT_MS))


def go_to(page, title: str, timeout: float = 120.0) -> float:
    """Click the sidebar link of a page and wait until its run has finished and its heading shows.
    Returns the page's time: seconds from the click to the app's last change (its last message from the
    server or script-state change), without the quiet period `settle` then waits out."""
    before = runs(page)
    link = page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True)
    with waiting(page, f"the sidebar link {title!r} to be clickable", ACTION_TIMEOUT_MS / 1000):
        link.wait_for(timeout=ACTION_TIMEOUT_MS)
    clicked = _now_ms(page)
    with waiting(page, f"the sidebar link {title!r} to be clicked", ACTION_TIMEOUT_MS / 1000):
        link.click()
    word = title.split()[0]
    settle(page, timeout, before, what=f"page {title!r}: its run to finish")
    last = page.locator("html").evaluate("() => Math.max(window.__nf.lastMsg, window.__nf.lastFlip)",
                                         timeout=ACTION_TIMEOUT_MS)
    wait_for(page, f'[data-testid="stMainBlockContainer"] h1:has-text("{word}")',
             f"page {title!r}: a heading with {word!r} once its run finished", 30)
    return max(float(last) - clicked, 0.0) / 1000


#: when a page was drawn, in its performance.now() ms: the last of the server's last message, the last script-state
#: change and the last chart drawn (`visit`, `drawn_at`)
_LAST_CHANGE = "Math.max(window.__nf.lastMsg, window.__nf.lastFlip, window.__nf.lastChart)"

#: a page is drawn: no spinner left, every Plotly chart holding its SVG
_DRAWN = """() => !document.querySelector('[data-testid="stSpinner"]')
  && [...document.querySelectorAll('.js-plotly-plot')].every(g => g.querySelector('.main-svg'))"""


def visit(page, title: str, timeout: float = 180.0) -> float:
    """Open page `title` from the sidebar and wait until it is drawn: its run finished (`go_to`), no spinner left and
    every chart drawn. Seconds from the click to the last of: the server's last message, the last script-state
    change and the last chart drawn (the quiet period the waits hold is not counted)."""
    before = runs(page)
    link = page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True)
    with waiting(page, f"the sidebar link {title!r} to be clickable", ACTION_TIMEOUT_MS / 1000):
        link.wait_for(timeout=ACTION_TIMEOUT_MS)
    clicked = _now_ms(page)
    with waiting(page, f"the sidebar link {title!r} to be clicked", ACTION_TIMEOUT_MS / 1000):
        link.click()
    settle(page, timeout, before, what=f"page {title!r}: its run to finish")
    word = title.split()[0]
    wait_for(page, f'[data-testid="stMainBlockContainer"] h1:has-text("{word}")',
             f"page {title!r}: a heading with {word!r} once its run finished", 30)
    wait_until(page, _DRAWN, f"page {title!r}: its spinners gone and its charts drawn", timeout)
    last = page.locator("html").evaluate(f"() => {_LAST_CHANGE}", timeout=ACTION_TIMEOUT_MS)
    return max(float(last) - clicked, 0.0) / 1000


def drawn_at(page, timeout: float = 180.0) -> float:
    """Wait until the page is drawn (no spinner left, every chart holding its SVG); when it was, in seconds since
    the epoch (as time.time()): the last of the server's last message, the last script-state change and the last
    chart drawn, as `visit` counts them (the quiet period the waits hold is not counted)."""
    wait_until(page, _DRAWN, "the page's spinners gone and its charts drawn", timeout)
    last = page.locator("html").evaluate(f"() => Date.now() - (performance.now() - {_LAST_CHANGE})",
                                         timeout=ACTION_TIMEOUT_MS)  # Date.now(): the clock time.time() reads
    return float(last) / 1000


def upload_file(page, path, timeout: float = 120.0) -> None:
    """Upload the data file `path` through Your data's file uploader and wait for its checks ("N stocks")."""
    go_to(page, "Your data", timeout=300)
    before = runs(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    wait_for(page, '[data-testid="stMainBlockContainer"] :text(" stocks")', f"the checks of {Path(path).name}",
             timeout)
    settle(page, 60, before, what=f"the run after uploading {Path(path).name}")


def use_this_dataset(page, timeout: float = 850.0) -> float:
    """Press "Use this dataset in every page" on Your data and wait for "Every page is ready" (the zero-shot forecasts,
    then every page's default view computed once); seconds from the click to the page's run finished."""
    before = runs(page)
    t0 = time.perf_counter()
    page.get_by_role("button", name="Use this dataset in every page").click()
    wait_for(page, '[data-testid="stMainBlockContainer"] :text("Every page is ready")',
             "'Every page is ready' after pressing 'Use this dataset in every page' (forecasts, then every page's "
             "default view computed once)", timeout)
    settle(page, 60, before, what="the run after pressing 'Use this dataset in every page'")
    return time.perf_counter() - t0


def _open_list(page, box, label: str, shown, wait_ms: int, what: str, typed: str = "") -> None:
    """Click the selectbox `box` (labelled `label`), type `typed`, and wait `wait_ms` for `shown` in its list; a rerun
    finishing just as the box opens can close the list again, so 3 tries (Escape between), then WaitTimeout naming
    `what`."""
    for attempt in range(3):
        with waiting(page, f"the selectbox {label!r} to be clicked", ACTION_TIMEOUT_MS / 1000):
            box.click()
        page.keyboard.type(typed)
        try:
            shown.wait_for(timeout=wait_ms)
            return
        except Exception:
            if attempt == 2:
                raise WaitTimeout(f"{what} did not show in 3 tries\n{describe(page)}") from None
            page.keyboard.press("Escape")


def select_option(page, label: str, option: str, timeout: float = 120.0) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    before = runs(page)
    choice = page.get_by_role("option", name=option, exact=True)
    _open_list(page, page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first, label, choice,
               10_000, f"the option {option!r} of the selectbox {label!r}")
    with waiting(page, f"the option {option!r} of {label!r} to be clicked", ACTION_TIMEOUT_MS / 1000):
        choice.click()
    settle(page, timeout, before, what=f"the run after picking {option!r} in {label!r}")


def options(page, label: str, typed: str = "", timeout: float = 120.0) -> list[str]:
    """The options of the sidebar's selectbox `label` (those matching `typed` when given: a long list is drawn
    only in part), read from its open list (opened again when a rerun closed it) and closed again."""
    settle(page, timeout, what=f"the run before opening {label!r}")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=label).first
    _open_list(page, box, label, page.locator('[role="option"], :text("No results")').first, 20_000,
               f"the list of the selectbox {label!r}", typed)
    texts = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return texts


def step_date(page, steps: int = -5, timeout: float = 120.0) -> None:
    """Move the sidebar date by `steps` forecast dates with its previous / next buttons."""
    name = "Previous date" if steps < 0 else "Next date"
    button = page.locator('[data-testid="stSidebar"] button').filter(has_text=name).first
    for i in range(abs(steps)):
        before = runs(page)
        with waiting(page, f"the sidebar button {name!r} to be clicked", ACTION_TIMEOUT_MS / 1000):
            button.click()
        settle(page, timeout, before, what=f"the run after pressing {name!r} ({i + 1} of {abs(steps)})")


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    with waiting(page, f"the metric {label!r}", ACTION_TIMEOUT_MS / 1000):
        return box.locator('[data-testid="stMetricValue"]').inner_text()


def exceptions(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def _still_box(page, locator, timeout: float = 10.0) -> dict:
    """The bounding box of `locator` once two readings 200 ms apart agree (or the last one after `timeout`)."""
    box, deadline = locator.bounding_box(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        again = locator.bounding_box()
        if again == box:
            break
        box = again
    if box is None:
        raise WaitTimeout(f"the data editor has no box (hidden?)\n{describe(page)}")
    return box


_EDITING = "() => { const a = document.activeElement; return !!a && ['INPUT', 'TEXTAREA'].includes(a.tagName); }"
_HOLDS = "(v) => { const a = document.activeElement; return !!a && a.value === v; }"
_HELD = "() => { const a = document.activeElement; return a ? [a.tagName, a.className, a.value] : null; }"


def edit_first_weight(page, value: str, timeout: float = 120.0) -> None:
    """Type `value` into the weight (2nd) column of the first row of the first data editor and wait for the
    run it starts. Each try checks its steps (the cell editor opened, it holds `value` before Enter) and the
    next try starts over; a run counts from before the first try, so a late one is not missed."""
    from playwright.sync_api import Error as PlaywrightError

    grid = page.locator('[data-testid="stDataFrame"]').first
    with waiting(page, "the data editor", timeout):
        grid.wait_for(timeout=timeout * 1000)
    before = runs(page)
    tries = []
    for attempt in range(1, 4):  # the canvas grid can move while charts above it finish drawing
        grid.scroll_into_view_if_needed()
        box = _still_box(page, grid)
        page.mouse.dblclick(box["x"] + 150, box["y"] + 35 + 17)  # first row, weight column (header ~35 px)
        try:  # the cell's editor opened (it takes the focus): else the click missed
            page.wait_for_function(_EDITING, timeout=5_000, polling=100)
        except PlaywrightError:
            tries.append(f"try {attempt}: no cell editor opened")
            page.keyboard.press("Escape")
            continue
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(value)
        try:  # what Enter will commit: a keystroke lost while the editor mounted would commit the old value
            page.wait_for_function(_HOLDS, arg=value, timeout=5_000, polling=100)
        except PlaywrightError:
            held = page.locator("html").evaluate(_HELD, timeout=5_000)
            tries.append(f"try {attempt}: the cell editor held {held!r}, not {value!r}")
            page.keyboard.press("Escape")
            continue
        statuses = page.locator("html").evaluate("() => window.__nf.statuses", timeout=5_000)
        page.keyboard.press("Enter")
        try:  # a committed edit makes the server start a run (status 'running') at once
            page.wait_for_function("([f, s]) => window.__nf.finished > f || window.__nf.statuses > s",
                                   arg=[before, statuses], timeout=REACT_S * 1000, polling=100)
        except PlaywrightError:
            tries.append(f"try {attempt}: typed {value!r} and Enter, the server started no run within {REACT_S} s")
            continue
        settle(page, timeout, before, what=f"the run after typing {value!r} as the first weight ({attempt} tries)")
        return
    raise WaitTimeout(f"editing the first weight to {value!r} started no Streamlit run in 3 tries: "
                      f"{'; '.join(tries)}\n{describe(page)}")


_LAST_VALUE = """(title) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => g.layout && g.layout.title && String(g.layout.title.text || g.layout.title).includes(title));
    if (!gd || !gd._fullData || !gd._fullData.length) return null;
    const y = gd._fullData[0].y;  // decoded (gd.data may hold numpy arrays as base64)
    return y.length ? y[y.length - 1] : null;
}"""


def curve_end(page) -> float:
    """The last value of the first line of the Lab's backtest chart, once it is drawn."""
    wait_until(page, f"(t) => ({_LAST_VALUE})(t) !== null", "the backtest chart", 120, arg="Growth of 1")
    return page.evaluate(_LAST_VALUE, "Growth of 1")


def click(page, name: str, last: bool = False) -> None:
    """Click the button `name` (the last one of that name when `last`) and wait for the run it starts."""
    before = runs(page)
    buttons = page.get_by_role("button", name=name, exact=True)
    (buttons.last if last else buttons.first).click()
    settle(page, 180, before, what=f"the run after clicking {name!r}")


def committee_path(page, healthy) -> None:
    """Issue 23, the path a PM walks before an investment committee: a typed date applied on Enter; a weight edit
    that changes the tracking error and the backtest with no other click; optimise; use the optimum; the report.
    `healthy(page)` asserts the page shows no exception after each step."""
    go_to(page, "Overview")
    start = pd.Timestamp(re.search(r"date=(\d{4}-\d{2}-\d{2})", page.url).group(1))
    typed = str((start - pd.Timedelta(days=40)).date())
    box = page.locator('[data-testid="stSidebar"] input[aria-label^="Forecast date"]')
    before = runs(page)
    box.fill(typed)
    box.press("Enter")  # Enter alone applies it: no click outside
    settle(page, 180, before, what="the run after typing a date and Enter")
    now = pd.Timestamp(re.search(r"date=(\d{4}-\d{2}-\d{2})", page.url).group(1))
    assert now <= pd.Timestamp(typed) and (pd.Timestamp(typed) - now).days < 7, (typed, now)

    go_to(page, "Portfolio lab", timeout=180)
    te0 = metric(page, "Tracking error (daily)")
    curve0 = curve_end(page)
    edit_first_weight(page, "0.4321")  # a weight no portfolio holds: the edit must change it
    healthy(page)
    assert metric(page, "Tracking error (daily)") != te0  # the edit reached the benchmark-relative risk
    assert curve_end(page) != curve0  # and the backtest

    click(page, "Optimise")
    healthy(page)
    assert metric(page, "Tracking error vs equal weight (annualised)").endswith("%")
    click(page, "Use as the custom portfolio", last=True)  # the optimum's button
    healthy(page)
    assert "portfolio=custom" in page.url
    assert page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').filter(
        has_text="custom weights").count() == 0  # no warning from the product's own rounding

    go_to(page, "Overview")
    click(page, "Prepare an HTML report of this view")
    healthy(page)
    assert page.get_by_role("button", name="Download report (HTML)").count() == 1
