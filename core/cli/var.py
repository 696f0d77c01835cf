"""`neuralfactors var`: VaR and CVaR over 1, 10 and 21 trading days (or the --horizon asked) at one date, simulated
day after day (core.workbench.horizon), and with --backtest their backtests over a split: one day on every day, longer
horizons on non-overlapping windows, with the calibration check on overlapping ones."""
from __future__ import annotations

import argparse

from core.cli.output import emit
from core.cli.view_options import add_view, load_view


def add(sub) -> None:
    p = sub.add_parser("var", help="VaR and CVaR over 1, 10 and 21 trading days, and their backtests")
    add_view(p)
    p.add_argument("--horizon", default="1,10,21", metavar="DAYS",
                   help="trading days, comma-separated (default 1,10,21)")
    p.add_argument("--backtest", nargs="?", const="date", default=None, choices=("date", "train", "valid", "test"),
                   metavar="SPLIT", help="backtest each horizon over a split (default: the date's split)")
    p.set_defaults(handler=var_command)


def horizons(text: str) -> list[int]:
    """"1, 10" -> [1, 10], checked."""
    from core.errors import ModelError
    from core.risk.horizon import check_horizons

    try:
        return check_horizons([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise ModelError(f"--horizon {text!r}: give whole trading days, comma-separated, e.g. 1,10,21") from None


def backtests(panel, fc, date, weights, days: list[int], part: str) -> dict:
    """{horizon: verdict table (and for h > 1 the overlapping check)} over split `part`."""
    from core.workbench.dates import window
    from core.workbench.horizon import horizon_check, horizon_series, horizon_verdicts
    from core.workbench.var import var_series, verdict_table

    dates = window(panel, fc.series, part)
    out = {1: {"verdicts": verdict_table(var_series(panel, fc.series, dates, weights))}} if 1 in days else {}
    longer = [h for h in days if h > 1]
    frames = horizon_series(panel, fc.series, dates, weights, longer) if longer else {}
    return out | {h: {"verdicts": horizon_verdicts(f, h), "check": horizon_check(f, h)} for h, f in frames.items()}


def var_command(args: argparse.Namespace) -> int:
    from core.workbench.dates import split_of
    from core.workbench.horizon import horizon_table

    asked = horizons(args.horizon)
    panel, fc, date, weights = load_view(args)
    table = horizon_table(panel, fc.series.at(date), weights, asked).query("horizon in @asked")
    part = None if args.backtest is None else split_of(panel, date) if args.backtest == "date" else args.backtest
    tests = {} if part is None else backtests(panel, fc, date, weights, asked, part)
    if args.json:
        emit({"dataset": panel.name, "model": fc.name, "date": str(date.date()), "portfolio": args.portfolio,
              "horizons": [{"horizon": int(row["horizon"]), "method": row["method"], "paths": int(row["paths"]),
                            **{c: float(row[c]) for c in table.columns if "VaR" in c}} for _, row in table.iterrows()],
              "backtest": None if part is None else {"split": part, "horizons": {str(h): {
                  "verdicts": t["verdicts"].drop(columns="tone").to_dict(orient="records"),
                  **({"overlapping": vars(t["check"]) | {"pit_histogram": t["check"].pit_histogram.tolist()}}
                     if "check" in t else {})} for h, t in tests.items()}}})
        return 0
    print(f"{panel.name}, {fc.name}: the {args.portfolio} weights of {date.date()}, rebalanced to them daily; VaR and "
          "CVaR as positive losses, simulated day after day (never scaled by the square root of time)")
    for name, row in table.iterrows():
        print(f"  {name:8s} VaR 95% {row['VaR 95%']:6.2%}  CVaR 95% {row['CVaR 95%']:6.2%}  VaR 99% "
              f"{row['VaR 99%']:6.2%}  CVaR 99% {row['CVaR 99%']:6.2%}  (1-day VaR 99% x sqrt(h): "
              f"{row['1-day VaR 99% x sqrt(h)']:.2%}, reference only)")
        print(f"           method: {row['method']}" + (f" ({int(row['paths'])} paths)" if row["paths"] else ""))
    for h, t in tests.items():
        print(f"backtest of the {h}-day VaR over the {part} split:")
        for _, v in t["verdicts"].iterrows():
            p = "" if not v["p-value"] else f", p {v['p-value']}" if v["p-value"].startswith("<") else \
                f", p = {v['p-value']}"
            print(f"  VaR {v['VaR']:4s} {v['test']:36s} {v['window']}: {v['result']}{p} -> {v['verdict']}")
        if "check" in t:
            c = t["check"]
            rates = ", ".join(f"VaR {lv:.0%} {r:.2%} (expected {1 - lv:.0%})" for lv, r in c.breach_rates.items())
            print(f"  calibration on {c.n_windows} overlapping windows: breach rates {rates}; PIT calibration error "
                  f"{c.calibration_error:.3f}; {c.note}")
    return 0
