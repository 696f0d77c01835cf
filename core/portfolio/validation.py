"""Checks of user-entered weights (dashboard what-if editor, uploaded portfolios)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import PortfolioError


def validate_weights(weights: pd.Series | dict, tickers: list[str], long_only: bool = False,
                     budget: float | None = 1.0, tol: float = 1e-6) -> pd.Series:
    """Weights as a float Series on `tickers` (missing = 0). PortfolioError, naming the fix, for
    unknown tickers, non-numbers, negative weights when long_only, or a sum different from `budget`."""
    w = pd.Series(weights, dtype=object)
    unknown = sorted(set(map(str, w.index)) - set(tickers))
    if unknown:
        raise PortfolioError(f"unknown tickers {unknown[:5]}; use tickers of the dataset or remove them")
    values = pd.to_numeric(w, errors="coerce")
    bad = values.index[~np.isfinite(values.to_numpy(dtype=float))].tolist()
    if bad:
        raise PortfolioError(f"weights of {bad[:5]} are not finite numbers; enter a number for each")
    values = values.astype(float)
    if long_only and (values < -tol).any():
        neg = values.index[values < -tol].tolist()
        raise PortfolioError(f"negative weights for {neg[:5]} in a long-only portfolio; set them >= 0 or allow shorts")
    total = float(values.sum())
    if budget is not None and abs(total - budget) > tol:
        raise PortfolioError(f"weights sum to {total:.6g}, not {budget:g}; rescale them (divide by {total:.6g})")
    return values.reindex(tickers).fillna(0.0)
