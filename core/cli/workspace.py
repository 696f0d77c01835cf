"""`neuralfactors workspace create|list`: the command-line user's persistent workspaces (core.workspaces)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add(sub) -> None:
    p = sub.add_parser("workspace", help="make or list your workspaces (a data file, a model and holdings kept "
                                         "in NEURALFACTORS_HOME for the morning refresh)")
    p.add_argument("action", choices=["create", "list"], help="create: a workspace from a first file; list: yours")
    p.add_argument("--name", help="the workspace's name (create)")
    p.add_argument("--data", help="the price or return file (create)")
    p.add_argument("--model", default="neuralfactors+cal", help="model key, e.g. neuralfactors+cal, ppca (create)")
    p.add_argument("--holdings", default=None, help="a ticker,weight CSV (default: equal weight)")
    p.add_argument("--date-format", default=None, metavar="FMT", help="strftime format of ambiguous dates")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=workspace_command)


def workspace_command(args: argparse.Namespace) -> int:
    from core import runs
    from core.cli.output import emit
    from core.errors import DataError
    from core.workspaces.identity import local_user
    from core.workspaces.refresh import open_workspace
    from core.workspaces.store import Store

    store, user = Store(runs.home()), local_user()
    if args.action == "list":
        rows = [{"name": w.name, "model": w.model, "train_end": str(w.train_end.date()),
                 "valid_end": str(w.valid_end.date()), "updated": w.updated} for w in store.workspaces(user)]
        if args.json:
            emit({"workspaces": rows})
        for r in [] if args.json else rows:
            print(f"{r['name']:24s} {r['model']:22s} split {r['train_end']} / {r['valid_end']}, updated {r['updated']}")
        return 0
    if not args.name or not args.data:
        raise DataError("workspace create needs --name NAME and --data FILE")
    holdings = None if args.holdings is None else Path(args.holdings).read_bytes()
    done = open_workspace(store, user, args.name, Path(args.data).name, Path(args.data).read_bytes(), args.model,
                          holdings, args.date_format).result
    if args.json:
        emit(done.to_json())
    else:
        print(f"workspace {done.workspace!r}: {done.model}, {done.made} forecasts made, last date {done.last_date}; "
              f"VaR 99% {done.today.var99:.2%}, volatility {done.today.vol:.2%} (one day)")
    return 0
