"""The test side of the browser tests, on the Playwright driver (benchmarks/browser_driver.py): a missing Chromium
skips them, or fails them under CI; a fresh dashboard on the 500-stock vendor file of benchmarks/userfiles.py."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from benchmarks import browser_driver as b


def require_chromium() -> None:
    """Return when Chromium is there; else fail under CI=true (CI installs it, so its absence is a failure) and
    skip elsewhere, naming the install command."""
    if b.chromium_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(b.INSTALL_HINT.format(path=b.CHROMIUM), pytrace=False)
        pytest.skip(b.INSTALL_HINT.format(path=b.CHROMIUM))


def healthy(pg) -> None:
    """The page shows no exception box and its page navigation is there."""
    assert b.exceptions(pg) == 0, f"the page shows an exception box\n{b.describe(pg)}"
    assert pg.locator('[data-testid="stSidebarNav"]').count() == 1, \
        f"the page navigation disappeared\n{b.describe(pg)}"


@contextmanager
def vendor_app(tmp_path_factory, query: str, timeout: float = 300):
    """A page on a fresh dashboard opened at `query`, its user data folder (NEURALFACTORS_HOME) a temporary one;
    page.vendor_file is the 500-stock vendor file of benchmarks/userfiles.py, written to a temporary folder."""
    from benchmarks.userfiles import write_vendor_csv

    require_chromium()
    vf = write_vendor_csv(tmp_path_factory.mktemp("vendor") / "vendor500.csv")
    old = os.environ.get("NEURALFACTORS_HOME")
    os.environ["NEURALFACTORS_HOME"] = str(tmp_path_factory.mktemp("nfhome"))  # the dashboard process inherits it
    try:
        with b.serve() as url, b.browser_page(height=1000) as pg:
            b.open_app(pg, url, query, timeout=timeout)
            pg.vendor_file = vf.path
            yield pg
    finally:
        if old is None:
            os.environ.pop("NEURALFACTORS_HOME", None)
        else:
            os.environ["NEURALFACTORS_HOME"] = old
