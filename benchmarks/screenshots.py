"""Screenshots of every dashboard page at 1280 x 800 into docs/screenshots/, light and dark
(<page>.png, <page>_dark.png). Run: `python -m dashboard.screenshots` or `make screenshots`."""
from __future__ import annotations

import argparse
from pathlib import Path

from dashboard import browser as b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(b.ROOT / "docs" / "screenshots"))
    ap.add_argument("--query", default="", help="URL query, e.g. '?dataset=synthetic&model=truth'")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with b.serve() as url:
        for dark in (False, True):
            with b.browser_page(dark=dark) as page:
                b.open_app(page, url, args.query, timeout=300)
                for path, title in b.PAGES.items():
                    b.go_to(page, title, timeout=300)
                    if path not in ("comparison", "your_data"):
                        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
                    page.wait_for_timeout(800)
                    name = out / f"{path or 'overview'}{'_dark' if dark else ''}.png"
                    page.screenshot(path=str(name))
                    print(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
