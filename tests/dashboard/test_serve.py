"""dashboard/serve.py: `neuralfactors dashboard` runs Streamlit through it, and its preload fills the caches the
first page reads (the default dataset, its fingerprint, the default model's forecasts and precomputed views)."""
import pytest

from core.cli.dashboard import LOOPBACK, streamlit_command
from core.workbench.sources import model_keys
from dashboard import serve, services


def test_the_cli_starts_streamlit_through_the_preloading_launcher():
    command = streamlit_command(8501, LOOPBACK)
    assert command[1:3] == ["-m", "dashboard.serve"] and command[3].endswith("asgi.py")
    assert command[command.index("--server.address") + 1] == LOOPBACK
    # no reload on save: the watcher walked every imported module at the end of each session's runs, on the event
    # loop (about 1 s of a cold start's profile samples; docs/bench_dashboard.md)
    assert command[command.index("--server.fileWatcherType") + 1] == "none"


def test_preload_fills_the_caches_the_first_page_reads(monkeypatch):
    key = serve.preload()
    assert key == model_keys(services.panel("sp500-20"))[0] == "neuralfactors+cal"

    def recompute(*args, **kwargs):
        raise AssertionError("computed again: the preload did not fill this cache")

    monkeypatch.setattr(services, "load_dataset", recompute)
    monkeypatch.setattr(services.sources, "forecasts", recompute)
    monkeypatch.setattr(services.precomputed, "load", recompute)
    assert services.panel("sp500-20").name == "sp500-20"
    assert services.forecasts("sp500-20", key).name == key
    assert services.forecast_dates("sp500-20", key)
    services.views("sp500-20", key)


def test_a_failed_preload_is_said_and_left_to_the_page(capsys):
    assert serve.preload("no-such-dataset") is None
    assert "dashboard preload of no-such-dataset" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["app.py", "--server.port", "1"]])
def test_the_launcher_hands_streamlit_its_own_command_line(monkeypatch, argv):
    seen = {}
    monkeypatch.setattr(serve.sys, "argv", list(serve.sys.argv))  # restored after the test
    monkeypatch.setattr(serve, "_when_up", lambda url: seen.setdefault("preloaded after", url))
    import streamlit.web.cli as cli

    monkeypatch.setattr(cli, "main", lambda prog_name: seen.setdefault("argv", list(serve.sys.argv)) and 0)
    assert serve.main(argv) == 0
    assert seen["argv"] == ["streamlit", "run", *argv]


def test_the_preload_waits_for_the_server_it_was_started_with():
    assert serve.health_url(["app.py", "--server.port", "8765"]) == "http://127.0.0.1:8765/_stcore/health"
    assert serve.health_url(["app.py", "--server.address", "0.0.0.0", "--server.port=9"]) == \
        "http://127.0.0.1:9/_stcore/health"
    assert serve.health_url(["app.py", "--server.address", "10.0.0.5"]) == "http://10.0.0.5:8501/_stcore/health"


def test_the_preload_imports_none_of_the_libraries_the_first_page_does_not_run():
    """A cold start's first page waits on the preload; scipy.stats, cvxpy, scikit-learn and skfolio take about 1.2
    seconds to import there and torch and matplotlib more, and the first page runs none of them: they are imported
    where they are used (portfolio optimisation, isotonic maps, GARCH, shocks, the report, the network). Run in a
    fresh interpreter, since this one has imported them all."""
    import subprocess
    import sys

    heavy = ("scipy.stats", "cvxpy", "sklearn", "skfolio", "torch", "matplotlib")
    code = ("import sys; from dashboard.serve import preload; key = preload(); "
            f"print(key, [m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == "neuralfactors+cal []", out.stdout


def test_the_later_imports_wait_while_a_page_runs(monkeypatch):
    """warm_later's imports hold the interpreter's lock: each waits until no page run (a thread marked by page_run,
    as app.py marks each of Streamlit's run threads) is alive, so a page opened meanwhile does not share it."""
    import threading
    from types import SimpleNamespace

    imported, marked, release = [], threading.Event(), threading.Event()
    monkeypatch.setattr(serve, "importlib", SimpleNamespace(import_module=imported.append))  # serve's view only
    monkeypatch.setattr(serve, "QUIET_POLL_S", 0.01)
    page = threading.Thread(target=lambda: (serve.page_run(), marked.set(), release.wait(10)))
    page.start()
    assert marked.wait(5)
    worker = threading.Thread(target=serve._import_later, args=(("a", "b"),))
    worker.start()
    worker.join(0.3)
    assert serve.running() and imported == [], "an import ran while a page was running"
    release.set()
    page.join()
    worker.join(5)
    assert not serve.running() and imported == ["a", "b"]
