"""`neuralfactors shock`: the portfolio and its stocks given moves of factor references, latent factors or observable
series (core.workbench.reference_shocks, core.workbench.shocks)."""
from __future__ import annotations

import argparse

from core.cli.output import emit
from core.cli.view_options import add_view, load_view, parse_assignments, series_json


def add(sub) -> None:
    p = sub.add_parser("shock", help="conditional distribution of a portfolio given a move of a factor's reference "
                                     "(e.g. the market -10%), of latent factors or of observable series")
    add_view(p)
    p.add_argument("--reference", action="append", default=[], metavar="NAME=RETURN",
                   help="set a factor's reference series to its return on the day, e.g. --reference market=-0.10 or "
                        "--reference 'quality (QUAL)=-0.05' (repeatable); an unnamed factor by its name, in its latent "
                        "units; a value ending in sd counts the reference's forecast sd, e.g. 'market=-3sd'")
    p.add_argument("--factor", action="append", default=[], metavar="NAME=VALUE",
                   help="set a factor (by the model's raw factor names) in its LATENT units, or in its sds with the "
                        "suffix sd, e.g. --factor f1=-0.03 or --factor 'f1=-3sd' (repeatable)")
    p.add_argument("--series", action="append", default=[], metavar="NAME=VALUE",
                   help="set an observable series' return: market (the universe's equal-weighted mean) or "
                        "'sector: NAME', e.g. --series market=-0.10 (repeatable)")
    p.set_defaults(handler=shock_command)


def values(items: dict[str, str], sd) -> dict[str, float]:
    """{name: value}; a value ending in "sd" is scaled by sd[name] (a Series by name)."""
    return {k: float(v[:-2]) * float(sd.get(k, float("nan"))) if v.endswith("sd") else float(v)
            for k, v in items.items()}


def shock_command(args: argparse.Namespace) -> int:
    from core.errors import ModelError
    from core.portfolio.weights import basis
    from core.workbench.factor_names import factor_names
    from core.workbench.reference_shocks import model_references, reference_shock
    from core.workbench.shocks import factor_sd, factor_shock, series_shock, series_weights

    panel, fc, date, weights = load_view(args)
    f = fc.series.at(date)
    kinds = {flag: parse_assignments(items, f"--{flag}")
             for flag, items in (("reference", args.reference), ("factor", args.factor), ("series", args.series))}
    given = [k for k, v in kinds.items() if v]
    if len(given) != 1:
        raise ModelError("give reference shocks (--reference), latent factor shocks (--factor) or series shocks "
                         "(--series), one kind per run")
    refs = None
    try:
        if kinds["reference"]:
            refs = model_references(panel, f, lambda: factor_names(panel, fc, args.pretrained))
            res = reference_shock(f, weights, refs, values(kinds["reference"], refs.sd(f)))
        elif kinds["factor"]:
            res = factor_shock(f, weights, values(kinds["factor"], factor_sd(f)))
        else:
            shocks = values(kinds["series"], {})
            res = series_shock(f, weights, {k: series_weights(f, panel.sectors, k) for k in shocks}, shocks)
    except ValueError as exc:
        raise ModelError(f"a shock value is not a number ({exc}); write e.g. --reference market=-0.10, "
                         "--factor f1=-3sd or --series market=-0.10")
    latent = set(refs.latent) if refs is not None else set(kinds["factor"])
    if args.json:
        emit({"dataset": panel.name, "model": fc.name, "date": str(date.date()), "portfolio": args.portfolio,
              "conditions": res.conditions, "latent_units": sorted(latent & set(res.conditions)),
              "r2": series_json(res.r2), "regression_window": refs.window if refs is not None else None,
              "method": res.method, "pnl_mean": res.pnl_mean, "pnl_sd": res.pnl_sd, "basis": basis(weights),
              "quantiles": {str(q): v for q, v in res.quantiles.items()}, "references": series_json(res.references),
              "factors": series_json(res.factors),
              "stocks": {t: {k: float(v) for k, v in row.items()} for t, row in res.stocks.iterrows()},
              "notes": res.notes})
        return 0
    cond = ", ".join(f"{k} = {v:+.4g} (latent units)" if k in latent else f"{k} = {v:+.2%}"
                     for k, v in res.conditions.items())
    q = res.quantiles
    print(f"{panel.name}, {fc.name}, {date.date()} ({args.portfolio}) given {cond} [{res.method}]")
    for k, r2 in res.r2.items():
        print(f"  R-squared of {k} on the model's factors: {r2:.2f} (regression over {refs.window})")
    print(f"  expected P&L {res.pnl_mean:+.2%} {basis(weights)} (sd {res.pnl_sd:.2%}); 5% {q[0.05]:+.2%}, median "
          f"{q[0.5]:+.2%}, 95% {q[0.95]:+.2%}")
    if len(res.references):
        print("  references given the shock: " + ", ".join(f"{k} {v:+.2%}" for k, v in res.references.items()))
    for t, row in res.stocks.sort_values("move").iterrows():
        print(f"  {t:8s} expected {row['expected']:+.2%} (move {row['move']:+.2%}, sd {row['sd']:.2%})")
    for note in res.notes:
        print(f"  note: {note}")
    return 0
