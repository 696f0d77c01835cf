"""`python -m dashboard.serve APP [Streamlit options]`: `streamlit run APP`, with the default view loaded while the
server starts (what `neuralfactors dashboard` runs).

A background thread imports what the pages run (the workbench, Plotly) and fills the caches every visitor's first page
reads (dashboard.services: the default dataset, its fingerprint, the default model's forecasts and its precomputed
views) while Streamlit starts and the browser connects, so the first page waits on none of it; then it loads what
later pages run and the first does not (the default model's network, the other models' classes: torch, arch). The caches are the server's own (st.cache_resource is shared by every session); a visitor arriving
before the thread is done waits on the same computation (Streamlit computes a cached value once), never twice. What
the thread cannot load is left to the page, which says why."""
from __future__ import annotations

import importlib
import logging
import os
import sys
import threading

from dashboard.state import DEFAULT_DATASET


THREAD = "neuralfactors-preload"


class _OutsideAnyRun(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warnings of the preload thread (it runs outside any script run on
    purpose); a level would not do, Streamlit resets its loggers' levels when it reads its configuration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != THREAD


def preload(dataset: str = DEFAULT_DATASET) -> str | None:
    """Load the default view of `dataset` into the dashboard's caches; the model key it loaded (None on failure)."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_OutsideAnyRun())
    try:
        from core.models.registry import model_class, model_names
        from core.workbench.sources import model_keys
        from dashboard import services

        for name in ("figures", "figures_risk", "figures_universe"):  # the pages' figures (Plotly)
            importlib.import_module(f"dashboard.{name}")
        key = model_keys(services.panel(dataset), fingerprint=services.fingerprint(dataset))[0]
        services.forecast_dates(dataset, key)
        services.views(dataset, key)
        # then what later pages run and the first does not: the default model itself (Sector clusters, Attribution)
        # and the other models' classes (a model picked in the sidebar)
        _ = services.forecasts(dataset, key).model
        for name in model_names():
            model_class(name)
        return key
    except Exception as exc:  # noqa: BLE001 - the first page computes what this could not, and says why
        print(f"dashboard preload of {dataset}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    """`streamlit run` with `argv` (default: this command's), the preload started first unless NEURALFACTORS_PRELOAD
    is 0 (a server that serves uploads only, or a measurement of what the preload saves)."""
    if os.environ.get("NEURALFACTORS_PRELOAD", "1") != "0":
        threading.Thread(target=preload, name=THREAD, daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *(sys.argv[1:] if argv is None else argv)]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
