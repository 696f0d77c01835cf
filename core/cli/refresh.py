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


def summary_lines(r) -> list[str]:
    """The refresh in plain words, one line each."""
    out = [f"{r.workspace}: refresh {r.n} to {r.last_date} ({len(r.new_days)} new days; {r.kept} forecasts kept, "
           f"{r.made} made, {r.seconds:.1f} s)"]
    out += [f"  note: {n}" for n in r.notes]
    then = r.then
    out.append(f"  VaR 99% {r.today.var99:.2%}" + (f" (was {then.var99:.2%} at {then.date})" if then else "")
               + f", VaR 95% {r.today.var95:.2%}, volatility {r.today.vol:.2%} (one day)")
    if r.outcome is not None:
        o = r.outcome
        flag = "BREACH of the 99% VaR" if o.breach99 else "breach of the 95% VaR" if o.breach95 else "within VaR"
        out.append(f"  {o.date}: portfolio {o.ret:+.2%} against the VaR 95% / 99% published the day before "
                   f"({o.var95:.2%} / {o.var99:.2%}): {flag}")
    if r.exposure_changes:
        out.append("  largest exposure changes: " + ", ".join(f"{k} {v:+.4f}" for k, v in r.exposure_changes.items()))
    out += [f"  data warning (new): {w}" for w in r.problems]
    return out
