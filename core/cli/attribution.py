"""`neuralfactors attribution`: a period's realised return split into factor contributions and specific
(core.workbench.attribution), of the portfolio or of its active weights against a benchmark."""
from __future__ import annotations

import argparse

from core.cli.output import emit
from core.cli.view_options import add_view, load_view, series_json


def add(sub) -> None:
    p = sub.add_parser("attribution", help="ex-post return attribution by factor over a period")
    add_view(p)
    p.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first realised date of the period")
    p.add_argument("--end", required=True, metavar="YYYY-MM-DD", help="last realised date of the period")
    p.add_argument("--benchmark", default=None, metavar="equal|FILE",
                   help="attribute the active weights against the equal-weight universe or a weights CSV "
                        "(columns ticker,weight)")
    p.set_defaults(handler=attribution_command)


def attribution_command(args: argparse.Namespace) -> int:
    from core.portfolio.weights import basis, read_weights_csv
    from core.workbench.active import benchmark_weights
    from core.workbench.attribution import attribution
    from core.workbench.vocabulary import model_vocabulary

    panel, fc, date, weights = load_view(args)
    bench = None
    if args.benchmark is not None:
        tickers = list(fc.series.at(date).tickers)
        kind = "equal" if args.benchmark == "equal" else "uploaded"
        uploaded = None if kind == "equal" else read_weights_csv(args.benchmark)
        bench, notes = benchmark_weights(tickers, kind, uploaded)
        for note in notes:
            print(f"benchmark: {note}")
    res = attribution(panel, fc, weights, args.start, args.end, bench, args.pretrained,
                      names=model_vocabulary(panel, fc, date, args.pretrained))
    if args.json:
        emit({"dataset": panel.name, "model": fc.name, "weights_date": str(date.date()), "portfolio": args.portfolio,
              "start": str(res.daily.index[0].date()), "end": str(res.daily.index[-1].date()), "active": res.active,
              "source": res.source, "basis": basis(weights), "summary": series_json(res.summary), "notes": res.notes,
              "daily": {str(d.date()): series_json(row) for d, row in res.daily.iterrows()}})
        return 0
    what = "active return against the benchmark" if res.active else "return"
    print(f"{panel.name}, {fc.name}: {what} of the {args.portfolio} weights of {date.date()} (rebalanced daily), "
          f"{res.daily.index[0].date()}..{res.daily.index[-1].date()} ({len(res.daily)} days), returns in percent "
          f"{basis(weights)}; factor returns: {res.source}")
    for name, value in res.summary.items():
        print(f"  {name:32s} {value:+.2%}")
    for note in res.notes:
        print(f"  note: {note}")
    return 0
