"""Two users on one server with sign-in, in real Chromium against a real OpenID Connect provider started here on
loopback (oidc-provider-mock): an anonymous visitor sees only the sign-in; after Alice uploads a file and uses it
everywhere and saves the view, Bob never sees it, neither in his Dataset box nor by its link nor by the saved
view's link."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks import browser_driver as b
from tests.browser.helpers import require_chromium
from benchmarks.userfiles import write_vendor_csv

ROOT = Path(__file__).resolve().parents[2]


def _provider(port: int, log: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("oidc-provider-mock")
    proc = subprocess.Popen([str(exe), "--port", str(port)], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1)
            return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"the OIDC provider did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)


def _sign_in(page, base: str, who: str) -> None:
    page.goto(base + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('input[name="sub"]')
    page.fill('input[name="sub"]', who)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text(f"signed in as {who}").wait_for(timeout=120_000)


def _sidebar(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def test_two_users_see_only_their_own_upload(tmp_path, monkeypatch):
    require_chromium()
    vf = write_vendor_csv(tmp_path / "acme_book_universe.csv", n_stocks=40, splits={})
    provider_port, app_port = b.free_port(), b.free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[auth]\nredirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
                       f'cookie_secret = "{os.urandom(24).hex()}"\nclient_id = "neuralfactors"\n'
                       'client_secret = "not-a-secret"\n'
                       f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n')
    secrets.chmod(0o600)
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))  # the server inherits it
    provider = _provider(provider_port, tmp_path / "provider.log")
    base = f"http://localhost:{app_port}"
    try:
        with b.serve(app_port, extra=("--host", "0.0.0.0", "--auth", str(secrets))), b.browser_page() as alice:
            alice.goto(base + "/")
            alice.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
            assert alice.locator('[data-testid="stSidebar"]').count() == 0  # anonymous: the sign-in and nothing else
            _sign_in(alice, base, "alice")
            b.go_to(alice, "Your data", timeout=300)
            alice.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(vf.path))
            alice.get_by_role("button", name="Use this dataset in every page").click()
            b.wait_for(alice, '[data-testid="stMainBlockContainer"] :text("Every page is ready")',
                       "'Every page is ready' for Alice's upload", 600)
            assert "acme_book_universe.csv" in _sidebar(alice)
            key = re.search(r"dataset=(upload[^&]+)", alice.url).group(1)
            alice.get_by_role("button", name="Save this view").click()  # the sidebar's popover
            alice.get_by_label("Name of the view").fill("acme morning")
            alice.get_by_label("Name of the view").press("Enter")
            b.click(alice, "Save")
            b.wait_until(alice, "() => location.search.startsWith('?view=')", "the link to name the saved view", 120)
            view = re.search(r"view=([0-9a-f]{64})$", alice.url).group(1)  # the view's id and nothing else
            bob = alice.context.browser.new_context().new_page()  # no shared cookies
            _sign_in(bob, base, "bob")
            assert "acme_book_universe.csv" not in _sidebar(bob)
            bob.goto(f"{base}/?dataset={key}")
            bob.get_by_text("signed in as bob").wait_for(timeout=120_000)
            bob.wait_for_timeout(3000)
            assert "acme_book_universe.csv" not in _sidebar(bob) and "uploaded:" not in _sidebar(bob)
            assert f"dataset={key}" not in bob.url  # the link falls back to a dataset Bob may see
            assert "40 stocks" not in bob.locator('[data-testid="stMainBlockContainer"]').inner_text()
            bob.goto(f"{base}/?view={view}")  # Alice's saved view, by its link
            bob.get_by_text("not one of yours").wait_for(timeout=120_000)
            assert "acme_book_universe.csv" not in _sidebar(bob) and "uploaded:" not in _sidebar(bob)
    finally:
        provider.terminate()
        provider.wait(10)
