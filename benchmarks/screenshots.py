"""Screenshots of every dashboard page at 1280 x 800, light and dark, into <out>/<page>.png and
<out>/<page>_dark.png. Run: `python -m benchmarks screenshots --out docs/screenshots` (`make screenshots`)."""
from __future__ import annotations

from pathlib import Path

from benchmarks import browser_driver as b


def run(out: str | Path = ".", query: str = "") -> int:
    """Shoot every page of b.PAGES; query: the URL query, e.g. '?dataset=synthetic&model=truth'."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with b.serve() as url:
        for dark in (False, True):
            with b.browser_page(dark=dark) as page:
                b.open_app(page, url, query, timeout=300)
                for path, title in b.PAGES.items():
                    b.go_to(page, title, timeout=300)
                    if path not in ("comparison", "your_data"):
                        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
                    page.wait_for_timeout(800)
                    name = out / f"{path or 'overview'}{'_dark' if dark else ''}.png"
                    page.screenshot(path=str(name))
                    print(name)
    return 0
