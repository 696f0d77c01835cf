"""What to tell a user about weights they typed, uploaded or edited: only what is true of them, each with its fix.
The product's own rounding (weights written with 4 significant digits) is not a problem and draws no warning."""
from __future__ import annotations

ROUNDING = 1e-3  # a sum this close to 1 is the product's own rounding: rescaled without a word
LEVERAGE = 1.0  # a single weight above this (100%) is leverage, said


def weight_problems(weights: dict[str, float], tickers: list[str], long_only: bool = True) -> list[str]:
    """Problems of user weights {ticker: weight} against the forecast's `tickers`: unknown tickers (dropped), a sum
    away from 1 (rescaled), negative weights in a long-only portfolio, a single weight above 100% (leverage)."""
    known = set(tickers)
    unknown = [t for t in weights if t not in known]
    kept = {t: w for t, w in weights.items() if t in known}
    out = []
    if unknown:
        out.append(f"{len(unknown)} ticker(s) without a forecast on this date dropped ({', '.join(unknown[:5])}); "
                   "use tickers of this dataset")
    total = sum(kept.values())
    if kept and abs(total - 1.0) > ROUNDING:
        out.append(f"weights sum to {total:.4g}, not 1: shown rescaled to sum to 1")
    shorts = [t for t, w in kept.items() if w < 0]
    if long_only and shorts:
        out.append(f"{len(shorts)} negative weight(s) ({', '.join(shorts[:5])}) in a long-only portfolio: set them "
                   "to 0 or untick Long-only")
    big = {t: w for t, w in kept.items() if abs(w) > LEVERAGE}
    if big:
        t, w = max(big.items(), key=lambda kv: abs(kv[1]))
        out.append(f"leverage: {t} has a weight of {100 * w:.0f}% (more than the whole portfolio); check the weight")
    return out
