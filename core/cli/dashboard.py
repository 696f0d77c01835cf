"""`neuralfactors dashboard`: start the Streamlit dashboard on loopback (or --host), one process to stop."""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1"


def add(sub) -> None:
    p = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--host", default=LOOPBACK,
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 shares it on every "
                        "interface, with no authentication)")
    p.add_argument("--headless", action="store_true", help="do not open a browser window")
    p.set_defaults(handler=dashboard_command)


def streamlit_command(port: int, host: str) -> list[str]:
    """The Streamlit command line: headless (no e-mail prompt), usage statistics off, bound to `host`, the toolbar
    reduced to what a viewer needs (no Deploy button; the same as .streamlit/config.toml for `streamlit run`)."""
    from importlib.util import find_spec

    spec = find_spec("dashboard")  # located, not imported: core never imports the dashboard
    app = Path(spec.origin).resolve().parent / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", host, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer",
            "--browser.serverAddress", "localhost" if host == LOOPBACK else host]


def dashboard_command(args: argparse.Namespace) -> int:
    if args.host != LOOPBACK:
        print(f"warning: the dashboard listens on {args.host}:{args.port} with no authentication; anyone who "
              "can reach this address sees your data", file=sys.stderr)
    proc = subprocess.Popen(streamlit_command(args.port, args.host))

    def forward(signum, _frame):
        proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    if not args.headless:
        import threading
        import webbrowser

        threading.Timer(3.0, webbrowser.open, [f"http://localhost:{args.port}"]).start()
    return proc.wait()
