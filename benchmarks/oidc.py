"""A test OpenID Connect provider for a dashboard served with sign-in: oidc-provider-mock on loopback (the dev
extra installs it beside Python), the secrets file naming it for `neuralfactors dashboard --auth`, and a visitor
signed in through its form. The browser sign-in test and the load benchmark use it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def _metadata(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=10) as r:
        return json.load(r)


@contextmanager
def provider(port: int, log: Path):
    """oidc-provider-mock on loopback `port` (its output in `log`), yielded as its issuer once its metadata answers
    (with a subject, who a signed-in user is: core.workspaces.identity); stopped on the way out."""
    exe = Path(sys.executable).with_name("oidc-provider-mock")
    proc = subprocess.Popen([str(exe), "--port", str(port)], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                issuer = _metadata(port)["issuer"]
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the OIDC provider did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield issuer
    finally:
        proc.terminate()
        proc.wait(10)


def secrets_file(path: Path, app_port: int, provider_port: int) -> Path:
    """Streamlit's [auth] section naming the provider on `provider_port` for a dashboard on `app_port` (chmod 600,
    as `dashboard --auth` asks)."""
    path.write_text(f'[auth]\nredirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
                    f'cookie_secret = "{os.urandom(24).hex()}"\nclient_id = "neuralfactors"\n'
                    'client_secret = "not-a-secret"\n'
                    f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n')
    path.chmod(0o600)
    return path


def sign_in(page, base: str, who: str, timeout: float = 120.0, link: str = "/") -> None:
    """Sign `page` in as subject `who` on the dashboard at `base` (the provider's form) from the page `link` (a path
    on it, "/?view=ID" say), back on the app."""
    page.goto(base + link)
    page.get_by_role("button", name="Sign in").click(timeout=timeout * 1000)
    page.wait_for_selector('input[name="sub"]', timeout=timeout * 1000)
    page.fill('input[name="sub"]', who)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text(f"signed in as {who}").wait_for(timeout=timeout * 1000)
