"""`neuralfactors report`: one self-contained HTML report (core.report) of a dataset / model / date / portfolio."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add(sub) -> None:
    from core.cli.common import add_source

    p = sub.add_parser("report", help="write a self-contained HTML report of one model, date and portfolio")
    add_source(p)
    p.add_argument("--model", required=True, help="model name (`neuralfactors models`)")
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help="forecast date (default: the last one); a date without a forecast snaps to the one before")
    p.add_argument("--portfolio", default="equal weight",
                   help="equal weight, minimum variance, mean-variance optimal, one per sector or custom")
    p.add_argument("--weights", default="", metavar="TICKER:W,...", help="custom weights (with --portfolio custom)")
    p.add_argument("--value", type=float, default=None, metavar="AMOUNT",
                   help="portfolio value: VaR and CVaR are also shown in money")
    p.add_argument("--out", default=None, help="HTML file to write")
    p.add_argument("--xlsx", default=None, metavar="FILE",
                   help="also (or only) write the report's tables as an Excel workbook, one sheet each")
    p.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    import pandas as pd

    from core.cli.common import load_source, names
    from core.errors import ModelError
    from core.io import atomic_write_bytes
    from core.report import for_view
    from core.workbench import forecasts
    from core.workbench.portfolios import PORTFOLIOS

    if not args.out and not args.xlsx:
        raise ModelError("report needs --out FILE.html and/or --xlsx FILE.xlsx")
    if args.portfolio not in PORTFOLIOS:
        raise ModelError(f"--portfolio {args.portfolio!r} is not one of: {', '.join(PORTFOLIOS)}")
    model = names(args.model)[0]
    panel = load_source(args)
    fc = forecasts(panel, model)
    dates = fc.series.dates
    pos = len(dates) if args.date is None else int(dates.searchsorted(pd.Timestamp(args.date), "right"))
    date = dates[max(pos - 1, 0)]
    if args.date is not None and date != pd.Timestamp(args.date):
        print(f"report: no forecast at {args.date}; using the forecast date before it, {date.date()}", file=sys.stderr)
    if args.value is not None and args.value <= 0:
        raise ModelError(f"--value {args.value:g} must be a positive amount (the portfolio's value)")
    page = book = None
    if args.out and args.xlsx:  # one view for both files: their tables computed once
        from core.report.bundle import page_and_workbook

        page, book = page_and_workbook(panel, fc, date, args.portfolio, args.weights, value=args.value)
    if args.out:
        page = page or for_view(panel, fc, date, args.portfolio, args.weights, value=args.value)
        atomic_write_bytes(Path(args.out), page.encode("utf-8"))
        print(f"wrote {args.out} ({len(page) / 1024:.0f} KiB): {model}, {panel.name}, {date.date()}, {args.portfolio}")
    if args.xlsx:
        from core.report.workbook import build_workbook

        book = book or build_workbook(panel, fc, date, args.portfolio, args.weights, value=args.value)
        atomic_write_bytes(Path(args.xlsx), book)
        print(f"wrote {args.xlsx} ({len(book) / 1024:.0f} KiB): the report's tables, one sheet each")
    return 0
