"""Options and steps shared by several commands: the data source, its split and its warnings."""
from __future__ import annotations

import argparse
import sys


def add_source(p: argparse.ArgumentParser, required: bool = True, split: bool = True) -> None:
    """--dataset | --data, --date-format and (for commands that fit or score) the split options."""
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--dataset", help="embedded dataset: sp500-20 or synthetic")
    g.add_argument("--data", help="your own CSV or Parquet file (see docs/data_format.md)")
    p.add_argument("--date-format", default=None, metavar="FMT",
                   help="strftime format of the file's dates when they are ambiguous, e.g. %%d/%%m/%%Y")
    p.set_defaults(takes_split=split)
    if split:
        p.add_argument("--split", default=None, metavar="TRAIN,VALID",
                       help="train and validation shares of the dates, e.g. 0.6,0.2 (test gets the rest)")
        p.add_argument("--train-end", default=None, metavar="DATE", help="last training date (YYYY-MM-DD)")
        p.add_argument("--valid-end", default=None, metavar="DATE", help="last validation date (YYYY-MM-DD)")


def load_source(args: argparse.Namespace, announce: bool = True):
    """The Panel the options name, re-split as asked; prints the split and a warnings summary to stderr."""
    from core.data import load_panel
    from core.data.info import summary_lines
    from core.data.splits import describe, parse_shares, resplit

    panel = load_panel(dataset=args.dataset, path=args.data, date_format=args.date_format)
    if args.takes_split:
        shares = parse_shares(args.split) if args.split else None
        panel = resplit(panel, shares, args.train_end, args.valid_end)
        if announce:
            print(f"{panel.name}: {panel.n_tickers} stocks, {describe(panel)}", file=sys.stderr)
    if announce:
        for line in summary_lines(list(panel.warnings)):
            print(line, file=sys.stderr)
    return panel


def names(text: str) -> list[str]:
    """"a, b" -> ["a", "b"], checked against the registry before any work."""
    from core.errors import ModelError
    from core.workbench.keys import check_model_keys

    out = [n.strip() for n in text.split(",") if n.strip()]
    if not out:
        raise ModelError("--models is empty; give comma-separated names from `neuralfactors models`")
    return check_model_keys(out)
