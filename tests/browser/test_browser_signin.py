"""Two users on one server with sign-in, in real Chromium against a real OpenID Connect provider started here on
loopback (oidc-provider-mock). An anonymous visitor sees only the sign-in, even on a saved view's link. Alice
uploads a file, uses it in every page (every page's cache warmed), saves the view, has a workspace on it, a finished
run of the training queue on it and downloads its report. Then Bob, signed in beside her, never sees any of it: not
in his Dataset box, Model box (even on his own upload of the very same bytes) or Workspaces page, not by the
dataset's, the saved view's or the run's link, nor by an id (the store answers NotYours); the report is built in
Alice's session from her data only (its download link: see the note at the end)."""
import re
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from benchmarks import browser_driver as b, oidc
from core.errors import NotYours
from core.workbench.keys import run_key, upload_key
from core.workspaces import jobs, user_runs
from core.workspaces.identity import User
from core.workspaces.refresh import open_workspace
from core.workspaces.store import Store
from tests.browser.helpers import require_chromium
from benchmarks.userfiles import write_vendor_csv

MAIN = '[data-testid="stMainBlockContainer"]'


def sidebar(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def opened(page, base: str, who: str, query: str) -> None:
    """`page` at `query`, its run over (the sidebar drawn for `who`)."""
    page.goto(f"{base}/{query}")
    page.get_by_text(f"signed in as {who}").wait_for(timeout=120_000)
    b.settle(page, 120, what=f"the run of {query}")


def test_two_users_see_only_their_own_data(tmp_path, monkeypatch):
    require_chromium()
    vf = write_vendor_csv(tmp_path / "acme_book_universe.csv", n_stocks=40, splits={})
    data = vf.path.read_bytes()
    provider_port, app_port = b.free_port(), b.free_port()
    secrets = oidc.secrets_file(tmp_path / "secrets.toml", app_port, provider_port)
    home = tmp_path / "home"
    monkeypatch.setenv("NEURALFACTORS_HOME", str(home))  # the server (and the queue's training) inherit it
    base = f"http://localhost:{app_port}"  # a server on 0.0.0.0: not loopback-only, so sign-in is required
    with oidc.provider(provider_port, tmp_path / "provider.log") as issuer, \
            b.serve(app_port, extra=("--host", "0.0.0.0", "--auth", str(secrets))), b.browser_page() as alice:
        browser = alice.context.browser
        alice.goto(base + "/")
        alice.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
        assert alice.locator('[data-testid="stSidebar"]').count() == 0  # anonymous: the sign-in and nothing else
        oidc.sign_in(alice, base, "alice")
        b.go_to(alice, "Your data", timeout=300)
        alice.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(vf.path))
        alice.get_by_role("button", name="Use this dataset in every page").click()
        b.wait_for(alice, f'{MAIN} :text("Every page is ready")', "'Every page is ready' for Alice's upload", 600)
        assert "acme_book_universe.csv" in sidebar(alice)
        link = re.search(r"dataset=(upload[^&]+)", alice.url).group(1)  # as the address bar has it
        key = unquote(link)

        # Alice's workspace and her run, through the functions the CLI and the queue call, as her
        store, ann, bob_user = Store(home), User(issuer, "alice"), User(issuer, "bob")
        (stored,) = store.files(ann, "data")  # the server kept the upload as hers: the same identity
        assert upload_key(stored.id) == key
        done = open_workspace(store, ann, "acme desk", vf.path.name, data, "ppca")
        ws = store.workspace_named(ann, "acme desk")
        job = jobs.submit(store, ann, stored.path, "neuralfactors", split=done.panel.split, preset="tiny",
                          max_steps=3)  # a network's run records its data's fingerprint: offered on this data

        alice.get_by_role("button", name="Save this view").click()  # the sidebar's popover
        alice.get_by_label("Name of the view").fill("acme morning")
        alice.get_by_label("Name of the view").press("Enter")
        b.click(alice, "Save")
        b.wait_until(alice, "() => location.search.startsWith('?view=')", "the link to name the saved view", 120)
        view = re.search(r"view=([0-9a-f]{64})$", alice.url).group(1)  # the view's id and nothing else

        b.go_to(alice, "Overview", timeout=300)  # her report, offered to her
        b.click(alice, "Prepare an HTML report of this view")
        b.wait_for(alice, f'{MAIN} button:has-text("Download report (HTML)")', "Alice's report", 300)
        with alice.expect_download(timeout=60_000) as got:
            b.click(alice, "Download report (HTML)")
        report_url = got.value.url
        assert "acme_book_universe.csv" in Path(got.value.path()).read_text()

        deadline = time.monotonic() + 300
        while (state := jobs.status(store, ann, job.run)["state"]) in ("queued", "running"):
            assert time.monotonic() < deadline, "Alice's training did not finish in 300 s"
            time.sleep(2)
        assert state == "finished", jobs.status(store, ann, job.run)
        opened(alice, base, "alice", f"?dataset={link}")
        assert any(job.run in o for o in b.options(alice, "Model", "run:")), "Alice's run is on offer to her"

        bob = b.visitor(browser)  # no shared cookies
        oidc.sign_in(bob, base, "bob")
        assert not any("acme" in o for o in b.options(bob, "Dataset"))
        b.go_to(bob, "Workspaces", timeout=300)
        text = bob.locator(MAIN).inner_text()
        assert "No workspace yet" in text and "No saved view yet" in text and "No training of yours" in text

        opened(bob, base, "bob", f"?dataset={link}")  # Alice's dataset by its link
        assert "acme_book_universe.csv" not in sidebar(bob) and "uploaded:" not in sidebar(bob)
        assert link not in bob.url and key not in bob.url  # the link falls back to a dataset Bob may see
        assert "not one of yours" in sidebar(bob) and "40 stocks" not in bob.locator(MAIN).inner_text()
        bob.goto(f"{base}/?view={view}")  # Alice's saved view by its link
        bob.get_by_text("not one of yours").wait_for(timeout=120_000)
        assert "acme_book_universe.csv" not in sidebar(bob) and "uploaded:" not in sidebar(bob)

        b.go_to(bob, "Your data", timeout=300)  # Bob uploads the very same bytes: his own copy
        bob.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(vf.path))
        b.wait_for(bob, f'{MAIN} :text("40 stocks")', "the upload's '40 stocks' for Bob", 120)
        (own,) = store.files(bob_user, "data")
        assert upload_key(own.id) != key
        opened(bob, base, "bob", f"?dataset={upload_key(own.id)}&model={run_key(job.run)}")  # Alice's run's link
        assert job.run not in bob.url and "not available here" in sidebar(bob)
        assert not any(job.run in o for o in b.options(bob, "Model", "run:")), "the same data, but not his run"
        assert b.exceptions(bob) == 0, b.describe(bob)

        for ask in (lambda: store.file(bob_user, stored.id), lambda: store.workspace(bob_user, ws.id),
                    lambda: store.view(bob_user, view), lambda: user_runs.run_path(store, bob_user, job.run),
                    lambda: store.job(bob_user, job.run), lambda: store.last_refresh(bob_user, ws.id)):
            with pytest.raises(NotYours):  # by id, whatever the id names
                ask()
        assert store.workspaces(bob_user) == [] and store.views(bob_user) == []
        assert user_runs.list_runs(store, bob_user) == [] and store.jobs(bob_user) == []

        stranger = b.visitor(browser)  # anonymous, on Alice's links
        for query in (f"?view={view}", f"?dataset={link}&model={run_key(job.run)}"):
            stranger.goto(f"{base}/{query}")
            stranger.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
            assert stranger.locator('[data-testid="stSidebar"]').count() == 0
            assert "acme" not in stranger.locator("body").inner_text()
        # Alice's report by its download link (Streamlit's /media/<id>): hers to fetch again, nobody else's
        # (dashboard.downloads: 404, as for a file that does not exist)
        assert re.fullmatch(r".*/media/[0-9a-f]+\.html", report_url)
        got_again = alice.request.get(report_url)
        assert got_again.status == 200 and "acme_book_universe.csv" in got_again.text()
        for other in (bob, stranger):  # each page's request shares its browser context's cookies
            answer = other.request.get(report_url)
            assert answer.status == 404 and "acme" not in answer.text(), (answer.status, answer.text()[:200])

        later = b.visitor(browser)  # Alice on another machine, opening her saved view's link before signing in
        oidc.sign_in(later, base, "alice", link=f"/?view={view}")
        b.settle(later, 120, what="Alice's saved view after the sign-in")
        assert f"view={view}" in later.url and "acme_book_universe.csv" in sidebar(later)  # the link survived it
