"""Portfolio weights as users write them: "AAPL:0.5,MSFT:0.5" in a link, checks with the fix, rescaling."""
from __future__ import annotations

import pandas as pd

from core.errors import PortfolioError
from core.portfolio.validation import validate_weights


def parse_weights(text: str) -> dict[str, float]:
    """'AAPL:0.5,MSFT:0.5' -> {ticker: weight}; parts that are not TICKER:number are skipped."""
    out = {}
    for part in filter(None, (s.strip() for s in text.split(","))):
        tk, _, w = part.partition(":")
        try:
            out[tk.strip()] = float(w)
        except ValueError:
            continue
    return out


def format_weights(weights: dict[str, float]) -> str:
    return ",".join(f"{k}:{v:.4g}" for k, v in weights.items() if v != 0)


def check_custom(weights: dict[str, float], tickers: list[str], long_only: bool = True) -> list[str]:
    """Problems with user weights, each naming its fix; empty when fine."""
    try:
        validate_weights(weights, tickers, long_only=long_only, budget=1.0, tol=1e-4)
    except PortfolioError as exc:
        return [str(exc)]
    return []


def normalise(weights: dict[str, float], tickers: list[str]) -> pd.Series:
    """Weights on `tickers` (unknown dropped, missing 0), rescaled to sum to 1 when possible."""
    w = pd.Series({t: float(weights.get(t, 0.0)) for t in tickers}, dtype=float).fillna(0.0)
    total = w.sum()
    return w / total if abs(total) > 1e-12 else w
