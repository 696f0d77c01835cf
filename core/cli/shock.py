"""`neuralfactors shock`: the portfolio and its stocks given moves of factors or observable series
(core.workbench.shocks)."""
from __future__ import annotations

import argparse

from core.cli.output import emit
from core.cli.view_options import add_view, load_view, parse_assignments, series_json


def add(sub) -> None:
    p = sub.add_parser("shock", help="conditional distribution of a portfolio given factor or series moves")
    add_view(p)
    p.add_argument("--factor", action="append", default=[], metavar="NAME=VALUE",
                   help="set a factor (by the model's factor names) to a return, or to a number of its sds with "
                        "the suffix sd, e.g. --factor f1=-0.03 or --factor 'f1=-3sd' (repeatable)")
    p.add_argument("--series", action="append", default=[], metavar="NAME=VALUE",
                   help="set an observable series' return: market (the universe's equal-weighted mean) or "
                        "'sector: NAME', e.g. --series market=-0.10 (repeatable)")
    p.set_defaults(handler=shock_command)


def factor_values(items: dict[str, str], fc) -> dict[str, float]:
    """{factor: value}; a value ending in "sd" is scaled by the factor's forecast sd."""
    from core.workbench.shocks import factor_sd

    sd = factor_sd(fc)
    return {k: float(v[:-2]) * float(sd.get(k, float("nan"))) if v.endswith("sd") else float(v)
            for k, v in items.items()}


def shock_command(args: argparse.Namespace) -> int:
    from core.errors import ModelError
    from core.workbench.shocks import factor_shock, series_shock, series_weights

    panel, fc, date, weights = load_view(args)
    f = fc.series.at(date)
    factors, series = parse_assignments(args.factor, "--factor"), parse_assignments(args.series, "--series")
    if bool(factors) == bool(series):
        raise ModelError("give factor shocks (--factor) or series shocks (--series), one kind per run")
    try:
        if factors:
            res = factor_shock(f, weights, factor_values(factors, f))
        else:
            values = {k: float(v) for k, v in series.items()}
            res = series_shock(f, weights, {k: series_weights(f, panel.sectors, k) for k in values}, values)
    except ValueError as exc:
        raise ModelError(f"a shock value is not a number ({exc}); write e.g. f1=-0.03, f1=-3sd or market=-0.10")
    if args.json:
        emit({"dataset": panel.name, "model": fc.name, "date": str(date.date()), "portfolio": args.portfolio,
              "conditions": res.conditions, "method": res.method, "pnl_mean": res.pnl_mean, "pnl_sd": res.pnl_sd,
              "quantiles": {str(q): v for q, v in res.quantiles.items()}, "factors": series_json(res.factors),
              "stocks": {t: {k: float(v) for k, v in row.items()} for t, row in res.stocks.iterrows()},
              "notes": res.notes})
        return 0
    cond = ", ".join(f"{k} = {v:+.4g}" for k, v in res.conditions.items())
    q = res.quantiles
    print(f"{panel.name}, {fc.name}, {date.date()} ({args.portfolio}) given {cond} [{res.method}]")
    print(f"  expected P&L {res.pnl_mean:+.2%} (sd {res.pnl_sd:.2%}); 5% {q[0.05]:+.2%}, median {q[0.5]:+.2%}, "
          f"95% {q[0.95]:+.2%}")
    for t, row in res.stocks.sort_values("move").iterrows():
        print(f"  {t:8s} expected {row['expected']:+.2%} (move {row['move']:+.2%}, sd {row['sd']:.2%})")
    for note in res.notes:
        print(f"  note: {note}")
    return 0
