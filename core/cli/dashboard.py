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
                   help="address to listen on (default 127.0.0.1: this machine only); another address needs --auth "
                        "(or an explicit --no-auth)")
    p.add_argument("--auth", default=None, metavar="SECRETS.toml",
                   help="Streamlit secrets file with an [auth] section naming your OpenID Connect provider "
                        "(redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url); readable by "
                        "you only (chmod 600): every visitor signs in and sees only their own uploads")
    p.add_argument("--no-auth", action="store_true",
                   help="serve beyond loopback without sign-in: anyone who reaches the port is in (not advised)")
    p.add_argument("--headless", action="store_true", help="do not open a browser window")
    p.set_defaults(handler=dashboard_command)


def streamlit_command(port: int, host: str) -> list[str]:
    """The Streamlit command line: headless (no e-mail prompt), usage statistics off, bound to `host`, the toolbar
    reduced to what a viewer needs (no Deploy button; the same as .streamlit/config.toml for `streamlit run`), and no
    watch of the source files (a developer's reload on save: on a served dashboard it walked every imported module at
    the end of each session's runs, on the server's event loop). Run through dashboard/serve.py, which is `streamlit
    run` loading the default view while the server starts."""
    from importlib.util import find_spec

    spec = find_spec("dashboard")  # located, not imported: core never imports the dashboard
    app = Path(spec.origin).resolve().parent / "asgi.py"
    return [sys.executable, "-m", "dashboard.serve", str(app), "--server.port", str(port),
            "--server.address", host, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none",
            "--browser.serverAddress", "localhost" if host == LOOPBACK else host]


def check_secrets(path: Path) -> None:
    """A secrets file with an [auth] section, readable by its owner only (DataError naming the fix otherwise)."""
    import stat
    import tomllib

    from core.errors import DataError

    if not path.is_file():
        raise DataError(f"--auth {path}: no such file; write the provider's settings there (see the README, "
                        "'Running it for a team')")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise DataError(f"--auth {path} can be read by other users; make it private: chmod 600 {path}")
    auth = tomllib.loads(path.read_text()).get("auth", {})
    missing = [k for k in ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
               if k not in auth]
    if missing:
        raise DataError(f"--auth {path}: the [auth] section lacks {', '.join(missing)}; see the README, 'Running it "
                        "for a team'")


def dashboard_command(args: argparse.Namespace) -> int:
    import os

    from core.errors import DataError

    env = dict(os.environ)
    if args.auth is not None:
        check_secrets(Path(args.auth))
        env["NEURALFACTORS_SIGN_IN"] = "1"
    elif args.host != LOOPBACK and not args.no_auth:
        raise DataError(f"--host {args.host} serves the dashboard beyond this machine, so visitors must sign in: give "
                        "--auth SECRETS.toml with your OpenID Connect provider (see the README, 'Running it for a "
                        "team'), or --no-auth to let anyone who reaches the port in")
    elif args.host != LOOPBACK:
        print(f"warning: the dashboard listens on {args.host}:{args.port} with no sign-in (--no-auth); anyone who "
              "can reach this address sees every upload", file=sys.stderr)
    command = streamlit_command(args.port, args.host)
    if args.auth is not None:
        command += ["--secrets.files", str(Path(args.auth).resolve())]
    proc = subprocess.Popen(command, env=env)

    def forward(signum, _frame):
        proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    if not args.headless:
        import threading
        import webbrowser

        threading.Timer(3.0, webbrowser.open, [f"http://localhost:{args.port}"]).start()
    return proc.wait()
