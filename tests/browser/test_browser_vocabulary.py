"""Real browser, issue 33: one factor vocabulary on every page. On sp500-20 with NeuralFactors + its layer at
2020-03-16, the factor names the vocabulary gives (core.workbench.vocabulary) are read on Factor exposures,
Attribution, the Shocks tab of Stress tests and the downloaded report, and are the same on all four; a named
factor is never called by its raw name ("f4") in a table or chart where its name is shown. Run:

    CI=true .venv/bin/python -m pytest -q -p no:cacheprovider -s tests/browser/test_browser_vocabulary.py
"""
import re

import pytest

from benchmarks import browser_driver as b
from tests.browser.helpers import vendor_app

pytestmark = pytest.mark.browser
QUERY = "?dataset=sp500-20&model=neuralfactors%2Bcal&date=2020-03-16"


def _expected() -> dict[str, str]:
    from core.data.embedded import load_dataset
    from core.workbench.sources import forecasts
    from core.workbench.vocabulary import model_vocabulary

    panel = load_dataset("sp500-20")
    names = model_vocabulary(panel, forecasts(panel, "neuralfactors+cal"), "2020-03-16")  # QUERY's date
    return {raw: label for raw, label in names.items() if label != raw}


def _squash(text: str) -> str:
    """Text without whitespace (chart labels wrap onto several lines)."""
    return re.sub(r"\s+", "", text)


def _main_text(page) -> str:
    return page.evaluate("document.querySelector('[data-testid=\"stMain\"]').textContent")


def _found(text: str, names: dict[str, str]) -> set[str]:
    squashed = _squash(text)
    return {label for label in names.values() if _squash(label) in squashed}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with vendor_app(tmp_path_factory, QUERY) as pg:
        yield pg


def test_the_same_factor_names_on_exposures_attribution_shocks_and_the_report(page):
    names = _expected()
    assert len(names) >= 2, names  # the shipped model names several factors (market, sectors, ...)
    seen = {}
    b.go_to(page, "Factor exposures", timeout=300)
    b.charts(page, 1, timeout=120)
    seen["Factor exposures"] = _found(_main_text(page), names)
    b.go_to(page, "Attribution", timeout=300)
    b.charts(page, 1, timeout=120)
    seen["Attribution"] = _found(_main_text(page), names)
    b.go_to(page, "Stress tests", timeout=300)
    before = b.runs(page)
    page.get_by_role("tab", name="Shocks").click()  # the tab runs once opened
    b.settle(page, 120, before, what="the Shocks tab")
    for expander in page.locator('[data-testid="stExpander"] summary').all():
        if "latent" in (expander.text_content() or "").lower():
            before = b.runs(page)
            expander.click()  # its content runs once opened
            b.settle(page, 120, before, what="the latent factor units' expander opened")
    seen["Shocks"] = _found(_main_text(page), names)
    b.go_to(page, "Overview", timeout=300)
    b.click(page, "Prepare an HTML report of this view")
    with page.expect_download(timeout=300_000) as info:
        page.get_by_role("button", name="Download report (HTML)").click()
    report = open(info.value.path(), encoding="utf-8").read()
    seen["report"] = _found(report, names)
    everywhere = set(names.values())
    assert all(found == everywhere for found in seen.values()), {k: sorted(everywhere - v) for k, v in seen.items()}
