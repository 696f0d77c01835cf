"""Kill -9 and restart (issue 32): the dashboard server stores an upload made in Chromium, the local user's
workspace, saved view and finished run are stored beside it (from another process, as the command line does); the
server is killed with SIGKILL and started again on the same NEURALFACTORS_HOME: the saved view's link opens its page
on the uploaded data, the Workspaces page lists the workspace and the view, and the store holds every piece whole."""
import urllib.request

import pandas as pd
import pytest

from benchmarks import browser_driver as b
from core import runs
from core.io import write_json
from core.workbench.keys import upload_key
from core.workbench.sources import view_dates
from core.workspaces import user_runs
from core.workspaces.identity import local_user
from core.workspaces.refresh import open_workspace
from core.workspaces.store import Store
from tests.browser.helpers import require_chromium
from benchmarks.userfiles import write_vendor_csv

pytestmark = pytest.mark.browser


_HEADING_VAR = "() => document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')?.innerText.startsWith('VaR')"


def _sidebar(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def test_everything_is_there_after_kill_9_and_a_restart(tmp_path, monkeypatch):
    require_chromium()
    home = tmp_path / "home"
    monkeypatch.setenv("NEURALFACTORS_HOME", str(home))  # the servers inherit it
    vf = write_vendor_csv(tmp_path / "book.csv", n_stocks=20, splits={})
    user = local_user()  # a loopback server's one user, and the command line's
    with b.serve() as url, b.browser_page() as page:
        b.open_app(page, url, "?dataset=synthetic&model=truth")
        b.go_to(page, "Your data", timeout=300)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(vf.path))
        b.wait_for(page, '[data-testid="stMainBlockContainer"] :text("20 stocks")', "the upload's '20 stocks'", 120)
        store = Store(home)
        (stored,) = store.files(user, "data")  # written by the server
        done = open_workspace(store, user, "desk", "book.csv", vf.path.read_bytes(), "ppca")
        ws = store.workspace_named(user, "desk")
        view = store.save_view(user, "morning VaR", {"page": "var", "dataset": upload_key(stored.id), "model": "ppca",
                                                     "date": str(view_dates(done.panel)[-1].date()),
                                                     "portfolio": "equal weight"},
                               ws.id)
        run = runs.new_run_id(user.id)
        store.add_run(user, run)
        write_json(runs.runs_dir() / run / "config.json", {"model": "ppca", "fingerprint": "f", "training": {}})
        b.crash(url)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
    with b.serve() as url, b.browser_page() as page:
        b.open_app(page, url, f"?view={view.id}", timeout=300)
        b.wait_until(page, _HEADING_VAR, "the saved view's page (VaR)", 300)
        assert "uploaded: book.csv" in _sidebar(page) and b.exceptions(page) == 0, b.describe(page)
        assert f"view={view.id}" in page.url
        b.go_to(page, "Workspaces", timeout=300)  # its tables are drawn on a canvas: the view's box names both
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Open a saved view").first.click()
        page.get_by_role("option", name="morning VaR (in desk)", exact=True).wait_for(timeout=30_000)
        page.keyboard.press("Escape")
        b.click(page, "Open this view")
        b.wait_until(page, _HEADING_VAR, "the saved view's page (VaR), opened from Workspaces", 300)
    store = Store(home)  # and every piece whole in the store
    ws = store.workspace_named(user, "desk")
    assert store.file(user, ws.data_file).path.read_bytes() == vf.path.read_bytes()
    last = store.last_refresh(user, ws.id)
    assert last["n"] == 1 and store.published(user, ws.id, last["last_date"]) is not None
    assert last["last_date"] == pd.Timestamp(done.result.last_date)
    assert [v.name for v in store.views(user, ws.id)] == ["morning VaR"]
    assert [r.id for r in user_runs.list_runs(store, user)] == [run]
    assert [f.id for f in store.files(user, "data")] == [stored.id]
