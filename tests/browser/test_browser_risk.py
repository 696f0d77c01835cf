"""Real browser, the committee pages (issue 24): Stress tests and Attribution show no exception box and draw their
charts on sp500-20 with NeuralFactors (on the 500-stock vendor upload the same pages, their charts and their times
are checked by tests/browser/test_browser_upload.py, which uploads the file once for every page). Run:

    CI=true .venv/bin/python -m pytest -q -p no:cacheprovider -s tests/browser/test_browser_risk.py
"""

import pytest

from benchmarks import browser_driver as b
from tests.browser.helpers import healthy, require_chromium

pytestmark = pytest.mark.browser
TITLES = ("Stress tests", "Attribution")


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with b.serve() as url, b.browser_page(height=1000) as pg:
        b.open_app(pg, url, "?dataset=sp500-20&model=neuralfactors", timeout=300)
        yield pg


@pytest.mark.parametrize("title", TITLES)
def test_page_on_sp500_20(page, title):
    b.go_to(page, title, timeout=300)
    healthy(page)
    assert b.charts(page, 2, timeout=60) >= 2

