"""Real browser, a PM's own universe (issues 13 and 25): upload the 500-stock vendor-style file of
benchmarks/userfiles.py through the file uploader, press "Use this dataset in every page" (the
pretrained NeuralFactors scores it zero-shot and Your data computes every page's default view once,
with a progress bar), visit every page: no exception box, the page navigation stays, and each page's
first visit and later visit are printed (their goal is measured by `python -m benchmarks dashboard`, not
asserted here: a timed assertion fails on a slower or busier machine without a fault); then the committee path on
it. Adapting the shipped model to the file is tests/browser/test_browser_adapt.py (its own server, so the two long
flows can run side by side). Run:

    CI=true .venv/bin/python -m pytest -q -p no:cacheprovider -s tests/browser/test_browser_upload.py
"""
import os

import pytest

from benchmarks import browser_driver as b
from tests.browser.helpers import healthy, vendor_app

pytestmark = pytest.mark.browser
CHARTS = {"Stress tests": 2, "Attribution": 2}  # the committee pages (issue 24) draw at least these on the upload
TIMES: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with vendor_app(tmp_path_factory, "?dataset=sp500-20") as pg:
        yield pg


def _main(pg) -> str:
    return pg.locator('[data-testid="stMainBlockContainer"]').inner_text()


def test_failed_upload_keeps_the_dataset_and_says_why(page, tmp_path):
    b.go_to(page, "Your data", timeout=300)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"this,is\nnot;a,,panel\n\x00\x01")
    before = b.runs(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    b.wait_for(page, '[data-testid="stAlertContentError"]', "the error box for bad.csv", 60)
    b.settle(page, 60, before, what="the run after the bad upload")
    assert page.locator('[data-testid="stAlertContentError"]').count() == 1
    assert "bad.csv was not loaded" in _main(page) and "still sp500-20" in _main(page)
    healthy(page)
    assert "dataset=sp500-20" in page.url


def test_upload_and_use_everywhere(page):
    b.upload_file(page, page.vendor_file)
    healthy(page)
    text = _main(page)
    assert "500 stocks" in text and "data warnings" in text and "unadjusted split" in text
    summaries = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="data warnings")
    assert summaries.count() == 1  # one summary, not one box each (the blank-sector warning is its own box)
    seconds = b.use_this_dataset(page)
    print(f"\nuse the upload (zero-shot NeuralFactors on 500 stocks and every page's default view, first time): "
          f"{seconds:.1f} s")
    healthy(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "vendor500.csv" in sidebar and "How the pretrained model reads this data" in sidebar
    assert "dataset=upload" in page.url


@pytest.mark.parametrize("title", [t for t in b.PAGES.values()])
def test_every_page_on_the_upload(page, title):
    # the times run from the click to the run's end (go_to's quiet period excluded); the limits add up to less
    # than pytest's --timeout, so a page that does not finish is reported by go_to, with what it showed
    first = b.go_to(page, title, timeout=300)
    healthy(page)
    b.go_to(page, "Your data" if title != "Your data" else "Overview", timeout=120)
    again = b.go_to(page, title, timeout=120)
    healthy(page)
    if title in CHARTS:
        assert b.charts(page, CHARTS[title], timeout=60) >= CHARTS[title]
    TIMES[title] = (first, again)
    if os.environ.get("NF_UPLOAD_SHOTS"):  # a folder: full-page screenshots to look at the 500-stock views
        page.screenshot(path=os.path.join(os.environ["NF_UPLOAD_SHOTS"], f"{title.replace(' ', '_')}.png"),
                        full_page=True)
    print(f"\n{title}: first visit {first:.1f} s, once computed {again:.2f} s")
    assert "dataset=upload" in page.url


def test_print_page_times(page):
    print("\npage | first visit (s) | once computed (s)")
    for title, (first, again) in TIMES.items():
        print(f"{title} | {first:.1f} | {again:.2f}")


@pytest.mark.slow
def test_committee_path_on_the_upload(page):
    """Issue 23: the committee path (a typed date on Enter; a weight edit reaching the tracking error and the
    backtest; optimise; use the optimum; the report) on the 500-stock upload, with whatever model is in use."""
    b.go_to(page, "Overview", timeout=120)
    assert "dataset=upload" in page.url
    b.committee_path(page, healthy)
