"""`neuralfactors data info`: a summary of a dataset (embedded or a user's file)."""
from __future__ import annotations

import argparse

from core.cli.common import add_source, load_source
from core.cli.output import emit


def add(sub) -> None:
    data = sub.add_parser("data", help="inspect a dataset").add_subparsers(dest="data_command", required=True)
    info = data.add_parser("info", help="tickers, dates, frequency, missing share, sectors, split, warnings")
    add_source(info)
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.set_defaults(handler=info_command)


def info_command(args: argparse.Namespace) -> int:
    from core.data.info import summary, warning_summary

    s = summary(load_source(args, announce=False))
    s["warning_summary"] = warning_summary(s["warnings"])
    if args.json:
        emit(s)
        return 0
    tickers = ", ".join(s["tickers"][:30]) + (f", ... ({s['n_tickers'] - 30} more)" if s["n_tickers"] > 30 else "")
    lines = [
        f"dataset    {s['name']}{'  (SYNTHETIC)' if s['synthetic'] else ''}",
        f"source     {s['source']}",
        f"tickers    {s['n_tickers']}: {tickers}",
        f"dates      {s['first_date']} .. {s['last_date']} ({s['n_dates']} {s['frequency']} dates)",
        f"missing    {s['missing_share']:.1%} of returns",
        "sectors    " + ", ".join(f"{k} ({v})" for k, v in s["sectors"].items()),
    ]
    if s["features"]:
        lines.append("features   " + ", ".join(s["features"]))
    if s["benchmark"] or s["factors"]:
        lines.append(f"market     benchmark {s['benchmark'] or '-'}; factors {', '.join(s['factors']) or '-'}")
    if s["split"]:
        lines.append("split      " + "; ".join(
            f"{part} {rng['first']}..{rng['last']}" if rng else f"{part} (none)" for part, rng in s["split"].items()))
    counts = ", ".join(f"{g['count']} {g['kind']}" for g in s["warning_summary"])
    lines.append(f"warnings   {len(s['warnings'])}" + (f" ({counts})" if counts else " (none)"))
    lines += [f"  - {w}" for w in s["warnings"]]
    print("\n".join(lines))
    return 0
