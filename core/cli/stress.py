"""`neuralfactors stress`: today's weights through past windows (core.workbench.stress): replay and factor replay."""
from __future__ import annotations

import argparse

from core.cli.output import emit
from core.cli.view_options import add_view, load_view, series_json


def add(sub) -> None:
    p = sub.add_parser("stress", help="historical stress test of a portfolio: named windows or your own")
    add_view(p)
    p.add_argument("--window", action="append", default=[], metavar="NAME",
                   help="a catalogue window by name (repeatable; default: every catalogue window inside the data)")
    p.add_argument("--start", default=None, metavar="YYYY-MM-DD", help="first date of your own window (with --end)")
    p.add_argument("--end", default=None, metavar="YYYY-MM-DD", help="last date of your own window")
    p.set_defaults(handler=stress_command)


def windows(args: argparse.Namespace, panel) -> list:
    """The windows the options name."""
    import pandas as pd

    from core.errors import DataError
    from core.workbench.stress import WINDOWS, Window, windows_in

    known = {w.name: w for w in WINDOWS}
    unknown = [n for n in args.window if n not in known]
    if unknown:
        raise DataError(f"--window {unknown[0]!r} is not in the catalogue: {', '.join(known)}")
    out = [known[n] for n in args.window]
    if (args.start is None) != (args.end is None):
        raise DataError("give both --start and --end for your own window")
    if args.start is not None:
        out.append(Window(f"{args.start}..{args.end}", pd.Timestamp(args.start), pd.Timestamp(args.end)))
    return out or windows_in(panel)


def reading_json(r) -> dict:
    return {"total": r.total, "worst_day": r.worst_day, "worst_date": str(r.worst_date.date()),
            "max_drawdown": r.max_drawdown, "path": series_json(r.path.rename(lambda d: d.date()))}


def stress_command(args: argparse.Namespace) -> int:
    from core.portfolio.weights import basis
    from core.workbench.stress import stress_tests, summary_table
    from core.workbench.vocabulary import model_vocabulary

    panel, fc, date, weights = load_view(args)
    results = stress_tests(panel, fc, date, weights, windows(args, panel),
                           names=model_vocabulary(panel, fc, date, args.pretrained))
    if args.json:
        emit({"dataset": panel.name, "model": fc.name, "date": str(date.date()), "portfolio": args.portfolio,
              "basis": basis(weights), "windows": [{
                  "name": s.window.name, "start": str(s.window.start.date()), "end": str(s.window.end.date()),
                  "source": s.window.source, "days": len(s.dates), "notes": s.notes,
                  "replay": {**reading_json(s.replay.result), "rebalanced": s.replay.rebalanced,
                             "by_sector": series_json(s.replay.by_sector), "by_stock": series_json(s.replay.by_stock),
                             "proxied": s.replay.proxied, "uncovered": s.replay.uncovered},
                  "factor_replay": None if s.factor_replay is None else {
                      **reading_json(s.factor_replay.result), "by_factor": series_json(s.factor_replay.by_factor),
                      "exposures": series_json(s.factor_replay.exposures), "band": s.factor_replay.band,
                      "band_z": s.factor_replay.band_z, "source": s.factor_replay.source}}
                  for s in results]})
        return 0
    print(f"{panel.name}, {fc.name}, weights of {date.date()} ({args.portfolio}), returns in percent {basis(weights)}; "
          "replay: buy-and-hold from the close before the window's first date; factor replay: the window's returns "
          "projected on today's exposures, compounded daily, +- specific band (90%)")
    table = summary_table(results)
    for name, row in table.iterrows():
        fac = ("no factors" if row["factor replay"] != row["factor replay"]
               else f"{row['factor replay']:+.1%} +- {row['specific band']:.1%}")
        print(f"  {name:26s} {row['start']}..{row['end']}  replay {row['replay']:+.1%} (rebalanced "
              f"{row['replay (daily rebalanced)']:+.1%}), worst day {row['worst day']:+.1%} on {row['worst date']}, "
              f"max drawdown {row['max drawdown']:.1%}; factor replay {fac}"
              + (f"; proxied {row['proxied']}" if row["proxied"] else ""))
    for s in results:
        for note in s.notes:
            print(f"  note ({s.window.name}): {note}")
    return 0
