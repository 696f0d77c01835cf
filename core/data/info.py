"""`neuralfactors data info`: a summary of a dataset (embedded or a user's file)."""
from __future__ import annotations

import re

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


#: warning kinds, recognised by their wording in core.data.validation and core.data.files
KINDS = (("unadjusted split", "split"), ("one-day jump", "beyond +-"), ("calendar hole", "no dates between"),
         ("missing values", "missing values inside"), ("short history", "fewer than the lookback"))


def warning_summary(warnings: list[str], examples: int = 3) -> list[dict]:
    """Warnings grouped by kind: [{"kind", "count", "examples"}], largest count first. A stored
    "... and N more <kind> warnings" line adds N to its kind."""
    groups: dict[str, dict] = {}
    for w in warnings:
        more = re.match(r"\.\.\. and (\d+) more (.+) warnings", w)
        kind = next((k for k, key in KINDS if key in w), "other")
        if more:
            kind = {"corporate-action": "split or one-day jump", "calendar-hole": "calendar hole",
                    "missing-value": "missing values", "short-history": "short history"}.get(more.group(2), "other")
        g = groups.setdefault(kind, {"kind": kind, "count": 0, "examples": []})
        g["count"] += int(more.group(1)) if more else 1
        if not more and len(g["examples"]) < examples:
            g["examples"].append(w)
    return sorted(groups.values(), key=lambda g: -g["count"])


def summary_lines(warnings: list[str]) -> list[str]:
    """A few lines for a terminal: counts by kind with the first examples."""
    groups = warning_summary(warnings)
    if not groups:
        return ["data warnings: none"]
    total = sum(g["count"] for g in groups)
    lines = [f"data warnings: {total} (" + ", ".join(f"{g['count']} {g['kind']}" for g in groups)
             + "); `neuralfactors data info` lists them"]
    for g in groups:
        lines += [f"  - {e}" for e in g["examples"][:2]]
    return lines
