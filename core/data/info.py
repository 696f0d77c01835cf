"""`neuralfactors data info`: a summary of a dataset (embedded or a user's file)."""
from __future__ import annotations

import argparse
import json

import numpy as np

from core.data import Panel, load_panel


def summary(panel: Panel) -> dict:
    """JSON-ready summary: tickers, dates, frequency, missing share, sectors, split, warnings."""
    r = panel.returns
    split = None
    if panel.split is not None:
        split = {part: _range(panel.split_dates(part)) for part in ("train", "valid", "test")}
    return {
        "name": panel.name,
        "source": panel.source,
        "synthetic": panel.synthetic,
        "n_tickers": panel.n_tickers,
        "tickers": panel.tickers,
        "n_dates": len(panel.dates),
        "first_date": str(panel.dates[0].date()),
        "last_date": str(panel.dates[-1].date()),
        "frequency": panel.frequency,
        "missing_share": float(np.isnan(r.to_numpy(dtype=float)).mean()),
        "sectors": {k: int(v) for k, v in panel.sectors.value_counts().sort_index().items()},
        "features": sorted(panel.features),
        "benchmark": None if panel.benchmark is None else str(panel.benchmark.name),
        "factors": [] if panel.factors is None else [str(c) for c in panel.factors.columns],
        "split": split,
        "warnings": list(panel.warnings),
    }


def _range(dates) -> dict | None:
    if len(dates) == 0:
        return None
    return {"first": str(dates[0].date()), "last": str(dates[-1].date()), "n_dates": len(dates)}


def info_command(args: argparse.Namespace) -> int:
    panel = load_panel(dataset=args.dataset, path=args.data)
    s = summary(panel)
    if args.json:
        print(json.dumps(s, indent=2))
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
    lines.append(f"warnings   {len(s['warnings'])}" + ("" if s["warnings"] else " (none)"))
    lines += [f"  - {w}" for w in s["warnings"]]
    print("\n".join(lines))
    return 0
