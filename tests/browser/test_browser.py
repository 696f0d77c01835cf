"""Real-browser tests: start `neuralfactors dashboard --headless` on a free port and drive
/usr/bin/chromium through Playwright: every page, a date change, a portfolio change, a weight
edit; no exception box, charts drawn. Install Chromium with `apt-get install chromium`."""
import pytest

from benchmarks import browser_driver as b
from tests.browser.helpers import healthy, require_chromium

pytestmark = pytest.mark.browser
QUERY = "?dataset=synthetic&model=truth"  # ground-truth forecasts: no fitting, no shipped files needed


@pytest.fixture(scope="module")
def page():
    require_chromium()
    with b.serve() as url, b.browser_page() as pg:
        b.open_app(pg, url, QUERY, timeout=180)
        yield pg


def _charts(pg, at_least: int = 1) -> int:
    return b.charts(pg, at_least, timeout=60)


def test_first_page_renders(page):
    healthy(page)
    assert _charts(page, 2) >= 2
    assert b.metric(page, "Volatility (daily)").endswith("%")
    assert "SYNTHETIC" in page.locator('[data-testid="stSidebar"]').inner_text()


def test_date_and_portfolio_change_numbers(page):
    b.go_to(page, "Overview")
    vol0 = b.metric(page, "Volatility (daily)")
    b.step_date(page, -1)
    healthy(page)
    assert "date=" in page.url
    vol1 = b.metric(page, "Volatility (daily)")
    b.select_option(page, "Portfolio", "one per sector")
    healthy(page)
    assert "portfolio=one+per+sector" in page.url
    vol2 = b.metric(page, "Volatility (daily)")
    assert len({vol0, vol1, vol2}) >= 2, (vol0, vol1, vol2)
    _charts(page, 2)


@pytest.mark.parametrize("title", [t for t in b.PAGES.values() if t not in ("Overview", "VaR")])
def test_every_page(page, title):
    b.go_to(page, title, timeout=180)
    healthy(page)
    if title not in ("Model comparison", "Your data", "Workspaces"):  # pages of tables and lists, no chart
        assert _charts(page) >= 1


@pytest.mark.slow
def test_var_page(page):
    b.go_to(page, "VaR", timeout=240)
    healthy(page)
    assert _charts(page) >= 1
    assert "Kupiec" in page.locator('[data-testid="stMainBlockContainer"]').inner_text() or \
        page.locator('[data-testid="stDataFrame"]').count() >= 1


def test_edit_weight_updates_risk(page):
    b.go_to(page, "Portfolio lab", timeout=180)
    before = b.metric(page, "Volatility (daily)")
    b.edit_first_weight(page, "0.9")
    healthy(page)
    after = b.metric(page, "Volatility (daily)")
    assert after != before
    assert page.locator('[data-testid="stAlert"]').filter(has_text="sum to").count() >= 1  # 0.9 + rest != 1


def test_previous_and_next_date_buttons(page):
    """Issue 14: the date was picked on a 228 px slider of 2,265 dates; now stepped by buttons (typed dates:
    tests/dashboard/test_pages_apptest.py::test_typed_date_snaps_and_previous_next_buttons_step)."""
    import re

    b.go_to(page, "Overview")
    start = re.search(r"date=(\d{4}-\d{2}-\d{2})", page.url).group(1)
    b.step_date(page, 1)
    healthy(page)
    after = re.search(r"date=(\d{4}-\d{2}-\d{2})", page.url).group(1)
    assert after > start, (start, after)
    b.step_date(page, -1)
    assert f"date={start}" in page.url


@pytest.mark.slow
def test_committee_path(page):
    """Issue 23, the path a PM walks before an investment committee (benchmarks/browser_driver.py committee_path)."""
    b.committee_path(page, healthy)
