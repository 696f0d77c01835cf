"""Every page in real Chromium with the models added by issues 22 and 26 on sp500-20: FactorVAE (issue 26:
"every dashboard page works with it") and the calibrated NeuralFactors, the sp500-20 default (issue 22)."""
import pytest

from core.workbench.keys import model_label
from benchmarks import browser_driver as b
from tests.browser.helpers import require_chromium

pytestmark = pytest.mark.browser
MODELS = ("factorvae", "neuralfactors+cal")
NO_CHARTS = ("Model comparison", "Your data", "Workspaces")


@pytest.fixture(scope="module", params=MODELS)
def page(request):
    require_chromium()
    with b.serve() as url, b.browser_page() as pg:
        b.open_app(pg, url, f"?dataset=sp500-20&model={request.param}", timeout=240)
        sidebar = pg.locator('[data-testid="stSidebar"]').inner_text()
        assert model_label(request.param) in sidebar, sidebar  # the link chose the model, not a fallback
        yield pg


@pytest.mark.parametrize("title", list(b.PAGES.values()))
def test_every_page_with_the_model(page, title):
    b.go_to(page, title, timeout=240)
    assert b.exceptions(page) == 0, f"the page shows an exception box\n{b.describe(page)}"
    if title not in NO_CHARTS:
        assert b.charts(page, 1, timeout=90) >= 1
