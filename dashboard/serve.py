"""`python -m dashboard.serve APP [Streamlit options]`: `streamlit run APP`, with the default view loaded while the
server starts (what `neuralfactors dashboard` runs).

Once the server answers, a background thread imports what the pages run (the workbench, Plotly) and fills the caches
every visitor's first page reads (dashboard.services: the default dataset, its fingerprint, the default model's
forecasts and its precomputed views) while the browser starts and connects, so the first page waits on none of it.
It stops there: loading what only later pages run (the NeuralFactors network, torch: 1.3 s of CPU) in the background
slowed whichever page was opened next by as much. The libraries the other pages use (LATER: scipy.stats, cvxpy,
skfolio, scikit-learn, about 1.2 s to import) are imported neither by the preload nor by the first page, but on a
background thread once a first page's run is over (`warm_later`, called at the end of app.py), one module at a time
and only while no page runs (`page_run`, called at the top of app.py): an import holds the interpreter's lock, and
a page opened meanwhile took twice as long when it shared it. The caches are the
server's own (st.cache_resource is shared by every session); a visitor arriving before the thread is done waits on
the same computation (Streamlit computes a cached value once), never twice. What the thread cannot load is left to
the page, which says why."""
from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import weakref


THREAD = "neuralfactors-preload"


class _OutsideAnyRun(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warnings of the preload thread (it runs outside any script run on
    purpose); a level would not do, Streamlit resets its loggers' levels when it reads its configuration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != THREAD


def preload(dataset: str | None = None) -> str | None:
    """Load the default view of `dataset` (default: the one a first visit opens on) into the dashboard's caches; the
    model key it loaded (None on failure). Everything is imported here, in the thread: this module imports nothing
    heavy, so Streamlit starts as fast as without it."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_OutsideAnyRun())
    try:
        from dashboard.state import DEFAULT_DATASET

        dataset = dataset or DEFAULT_DATASET
        from core.workbench.sources import model_keys
        from dashboard import services

        for name in ("figures", "figures_risk", "figures_universe"):  # the pages' figures (Plotly)
            importlib.import_module(f"dashboard.{name}")
        key = model_keys(services.panel(dataset), fingerprint=services.fingerprint(dataset))[0]
        services.forecast_dates(dataset, key)
        services.views(dataset, key)
        return key
    except Exception as exc:  # noqa: BLE001 - the first page computes what this could not, and says why
        print(f"dashboard preload of {dataset or 'the default dataset'}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


#: the libraries only the other pages run (core imports them inside the functions that use them, so the first page
#: waits on none of them): Portfolio lab's backtest metrics (skfolio, which imports cvxpy and scipy.stats) and
#: optimiser (cvxpy), Sector clusters' t-SNE and the layer's isotonic maps (scikit-learn). Imported in this order, a
#: module and what it needs at a time (none above about 0.3 s), so that a page run that starts meanwhile waits on
#: one of them at most.
LATER = ("scipy.optimize", "scipy.integrate", "scipy.ndimage", "scipy.interpolate", "scipy.stats.distributions",
         "scipy.stats", "cvxpy", "sklearn.base", "sklearn.isotonic", "sklearn.preprocessing", "sklearn.metrics",
         "sklearn.manifold", "skfolio.measures")
#: how often the background imports look whether the page runs they wait for are over
QUIET_POLL_S = 0.05
_later = threading.Lock()
_later_started: list[threading.Thread] = []
_runs: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()  # the threads of page runs (Streamlit: one per run)
_runs_lock = threading.Lock()  # script threads add to _runs while the background thread reads it


def page_run() -> None:
    """Called at the top of app.py: this script run's thread (Streamlit starts one per run, and it ends with the
    run) is a page run the background imports of `warm_later` wait for."""
    with _runs_lock:
        _runs.add(threading.current_thread())


def running() -> bool:
    """Whether a page run is in progress (a thread `page_run` marked is alive)."""
    with _runs_lock:
        return any(t.is_alive() for t in _runs)


def _import_later(modules=LATER) -> None:
    """Import `modules` in order, each only once no page runs (under steady traffic they wait; a page that needs one
    meanwhile imports it itself, as without this thread)."""
    for name in modules:
        while running():
            time.sleep(QUIET_POLL_S)
        importlib.import_module(name)


def warm_later() -> None:
    """Import LATER on a background thread, once per server (`_import_later`): called at the end of a script run
    (the thread waits for that run to be over), so the page a visitor opens next finds them loaded instead of
    importing them itself. Nothing when NEURALFACTORS_PRELOAD is 0."""
    if os.environ.get("NEURALFACTORS_PRELOAD", "1") == "0":
        return
    with _later:
        if not _later_started:
            thread = threading.Thread(target=_import_later, name=f"{THREAD}-later", daemon=True)
            _later_started.append(thread)
            thread.start()


def _option(argv: list[str], name: str, default: str) -> str:
    """The value of Streamlit option `name` ("--server.port") on the command line `argv`, else `default`."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def health_url(argv: list[str]) -> str:
    """Where the server started with `argv` answers once it is up."""
    host = _option(argv, "--server.address", "127.0.0.1")
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{_option(argv, '--server.port', '8501')}" \
           "/_stcore/health"


def _when_up(url: str, wait_s: float = 60.0) -> None:
    """Preload once the server answers at `url` (or after `wait_s`): importing alongside Streamlit's own start held
    its imports back (its health answered 4 s later), so the preload runs while the browser starts instead."""
    import urllib.request

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    preload()


def main(argv: list[str] | None = None) -> int:
    """`streamlit run` with `argv` (default: this command's), the preload started once the server is up unless
    NEURALFACTORS_PRELOAD is 0 (a server that serves uploads only, or a measurement of what the preload saves)."""
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("NEURALFACTORS_PRELOAD", "1") != "0":
        threading.Thread(target=_when_up, args=(health_url(argv),), name=THREAD, daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
