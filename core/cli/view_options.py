"""Options shared by the commands that look at one model, forecast date and portfolio (stress, shock,
attribution): --model, --date, --portfolio, --weights, --pretrained, --json, and the loading of them."""
from __future__ import annotations

import argparse
import sys

from core.cli.common import add_source


def add_view(p: argparse.ArgumentParser) -> None:
    """--dataset | --data (with the split options), --model, --date, --portfolio, --weights, --pretrained, --json."""
    add_source(p)
    p.add_argument("--model", required=True, help="model name (`neuralfactors models`)")
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help="forecast date of the weights (default: the last one); a date without a forecast snaps to "
                        "the one before")
    p.add_argument("--portfolio", default="equal weight",
                   help="equal weight, minimum variance, mean-variance optimal, one per sector or custom")
    p.add_argument("--weights", default="", metavar="TICKER:W,...", help="custom weights (with --portfolio custom)")
    p.add_argument("--pretrained", default=None, help="directory of shipped models and outputs (default: the installed ones)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def load_view(args: argparse.Namespace):
    """(panel, Forecasts, forecast date, weights by ticker) that the options name."""
    import pandas as pd

    from core.cli.common import load_source, names
    from core.errors import ModelError
    from core.training.threads import limit_math_threads
    from core.workbench import PORTFOLIOS, forecasts, named_portfolio

    limit_math_threads()
    if args.portfolio not in PORTFOLIOS:
        raise ModelError(f"--portfolio {args.portfolio!r} is not one of: {', '.join(PORTFOLIOS)}")
    model = names(args.model)[0]
    panel = load_source(args, announce=not args.json)
    fc = forecasts(panel, model, root=args.pretrained)
    dates = fc.series.dates
    pos = len(dates) if args.date is None else int(dates.searchsorted(pd.Timestamp(args.date), "right"))
    if pos == 0:
        raise ModelError(f"--date {args.date}: {model} has forecasts from {dates[0].date()} on")
    date = dates[pos - 1]
    if args.date is not None and date != pd.Timestamp(args.date):
        print(f"no forecast at {args.date}; using the forecast date before it, {date.date()}", file=sys.stderr)
    return panel, fc, date, named_portfolio(panel, fc.series.at(date), args.portfolio, args.weights)


def parse_assignments(items: list[str], flag: str) -> dict[str, str]:
    """["NAME=VALUE", ...] -> {NAME: VALUE} (the name may hold spaces and colons)."""
    from core.errors import ModelError

    bad = [item for item in items if "=" not in item]
    if bad:
        raise ModelError(f"{flag} {bad[0]!r}: expected NAME=VALUE, e.g. {flag} f1=-0.03")
    return {k.strip(): v.strip() for k, v in (item.rsplit("=", 1) for item in items)}


def series_json(s) -> dict:
    """A pd.Series as {str(index): float}."""
    return {str(k): float(v) for k, v in s.items()}
