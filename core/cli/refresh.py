"""`neuralfactors refresh --workspace NAME --data NEW.csv`: the morning refresh for a scheduler.

Exit code: 0 nothing to flag; +4 yesterday's return breached the VaR published yesterday; +8 the new file brought
data warnings (so 12: both); 2 an error (one line on stderr). `--report` writes today's HTML report atomically."""
from __future__ import annotations

import argparse
from pathlib import Path

BREACH, DATA_PROBLEM = 4, 8


def add(sub) -> None:
    p = sub.add_parser("refresh", help="add new prices to a workspace: today's forecast and what changed since the "
                                       "last refresh (exit code 4: VaR breach, 8: data warnings)")
    p.add_argument("--workspace", required=True, help="the workspace's name (`neuralfactors workspace list`)")
    p.add_argument("--data", required=True, help="a newer file of the workspace's universe")
    p.add_argument("--holdings", default=None, help="new holdings, a ticker,weight CSV (default: keep them)")
    p.add_argument("--date-format", default=None, metavar="FMT", help="strftime format of ambiguous dates")
    p.add_argument("--report", default=None, metavar="HTML", help="also write today's report there")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=refresh_command)


def refresh_command(args: argparse.Namespace) -> int:
    from core import runs
    from core.cli.output import emit
    from core.io import atomic_write_bytes
    from core.portfolio.weights import format_weights
    from core.report import for_view
    from core.workbench.sources import Forecasts
    from core.workspaces.identity import local_user
    from core.workspaces.refresh import refresh
    from core.workspaces.store import Store
    from core.workspaces.summary import summary_lines

    holdings = None if args.holdings is None else Path(args.holdings).read_bytes()
    done = refresh(Store(runs.home()), local_user(), args.workspace, Path(args.data).name,
                   Path(args.data).read_bytes(), holdings, args.date_format)
    r = done.result
    if args.report:
        fc = Forecasts(r.model, done.series, None, "workspace", f"workspace {r.workspace}, refresh {r.n}")
        page = for_view(done.panel, fc, done.panel.dates[-1], "custom", format_weights(done.weights.to_dict()))
        atomic_write_bytes(Path(args.report), page.encode("utf-8"))
    if args.json:
        emit(r.to_json())
    else:
        for line in summary_lines(r):
            print(line)
    return (BREACH if r.breach else 0) + (DATA_PROBLEM if r.problems else 0)

