"""The report's two files of one view at once: the HTML page (core.report.page) and its tables as an Excel workbook
(core.report.workbook) from ONE View, so the tables both show (the VaR and multi-day backtests, the stress replays,
the attribution) are computed once (core.report.tables `per_view`): what the dashboard's report button and
`neuralfactors report --out F --xlsx G` write."""
from __future__ import annotations

import pandas as pd

from core.report.page import make_view, render_page, shipped_comparison
from core.report.workbook import workbook_of


def page_and_workbook(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
                      comparison: pd.DataFrame | None = None, value: float | None = None) -> tuple[str, bytes]:
    """(the page as core.report.for_view writes it, the workbook as core.report.workbook.build_workbook writes it);
    arguments as for_view's."""
    view = make_view(panel, forecasts, date, portfolio, custom, shipped_comparison(panel, date, comparison), value)
    return render_page(view), workbook_of(view)
