"""Views that hold at 500 stocks: the largest few of a breakdown, the rest summed into one "other" row."""
from __future__ import annotations

import pandas as pd

TOP_N = 20  # rows (bars) shown before the rest is summed into one "other" row


def largest(values: pd.Series, top: int = TOP_N, other: str = "other") -> pd.Series:
    """The `top` largest values by absolute size, largest first, plus one "other (k)" row summing the rest."""
    order = values.abs().sort_values(ascending=False).index
    out = values.reindex(order[:top])
    if len(order) > top:
        out[f"{other} ({len(order) - top})"] = float(values.reindex(order[top:]).sum())
    return out
