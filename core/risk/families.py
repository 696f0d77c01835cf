"""Portfolio families: the books a risk model is calibrated on and judged by.

A family is a set of books (weights over the N tickers, each normalised to a gross of 1, sum |w| = 1, so a
dollar-neutral book is read in percent of gross). The calibration layer's maps are fitted on FIT_FAMILIES only
(core/risk/recalibration.py); HELD_OUT families are never seen by a map, so their scores say whether the layer
carries to portfolios it did not learn from:

  long-only     the equal-weight book, one equal-weight book per sector, 30 long-only Dirichlet(0.5) books
  long-short    30 dollar-neutral books: Normal weights, demeaned
  pairs         long one stock, short another of the same sector (up to 3 pairs per sector)
  sector-bets   each sector's equal-weight book minus the equal-weight market
  concentrated  20 long-only books of 5 stocks each, Dirichlet(1) weights
  130/30        20 books long 130% of 60% of the names and short 30% of the rest (Dirichlet(1) within each leg)
  min-variance  the global minimum-variance book of each day's own forecast (long and short allowed), so it
                depends on the model: the book whose risk a model is most tempted to understate

Books are drawn with a fixed seed from the tickers and sectors alone (never from returns), so every model is
judged on the same books.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

N_RANDOM = 30
FIT_FAMILIES = ("long-only", "long-short")
HELD_OUT = ("pairs", "sector-bets", "concentrated", "130/30", "min-variance")
#: the families whose books depend on the day's forecast (built per date by forecast_books)
FORECAST_FAMILIES = ("min-variance",)


def gross_normalised(w: np.ndarray) -> np.ndarray:
    """Columns of w (N, P) divided by their gross sum |w|; a column of zeros stays zero."""
    gross = np.abs(w).sum(axis=0)
    return np.divide(w, gross, out=np.zeros_like(w, dtype=np.float64), where=gross > 1e-12)


def books(sectors: pd.Series, family: str, seed: int = 0) -> np.ndarray:
    """Weights (N, P) of a static family over the N tickers of `sectors` (index = tickers; NaN = "Unknown")."""
    n = len(sectors)
    labels = sectors.fillna("Unknown").astype(str).to_numpy()
    groups = [np.flatnonzero(labels == s) for s in sorted(set(labels))]
    rng = np.random.default_rng(seed)
    cols: list[np.ndarray] = []
    if family == "long-only":
        cols = [np.ones(n)] + [np.isin(np.arange(n), g).astype(float) for g in groups]
        cols += list(rng.dirichlet(np.full(n, 0.5), size=N_RANDOM))
    elif family == "long-short":
        raw = rng.standard_normal((N_RANDOM, n))
        cols = list(raw - raw.mean(axis=1, keepdims=True))
    elif family == "pairs":
        for g in groups:
            for _ in range(min(3, len(g) // 2)):
                i, j = rng.choice(g, size=2, replace=False)
                w = np.zeros(n)
                w[i], w[j] = 1.0, -1.0
                cols.append(w)
    elif family == "sector-bets":
        cols = [np.isin(np.arange(n), g) / len(g) - 1.0 / n for g in groups if 0 < len(g) < n]
    elif family == "concentrated":
        for _ in range(20):
            w = np.zeros(n)
            pick = rng.choice(n, size=min(5, n), replace=False)
            w[pick] = rng.dirichlet(np.ones(pick.size))
            cols.append(w)
    elif family == "130/30":
        for _ in range(20):
            longs = rng.permutation(n)[: max(1, int(round(0.6 * n)))]
            shorts = np.setdiff1d(np.arange(n), longs)
            w = np.zeros(n)
            w[longs] = 1.3 * rng.dirichlet(np.ones(longs.size))
            if shorts.size:
                w[shorts] = -0.3 * rng.dirichlet(np.ones(shorts.size))
            cols.append(w)
    else:
        raise ValueError(f"unknown static portfolio family {family!r}")
    if not cols:
        return np.zeros((n, 0))
    return gross_normalised(np.array(cols).T)


def forecast_books(fc, family: str) -> np.ndarray:
    """Weights (n, 1) over fc's n tickers of a family built from the day's forecast (FORECAST_FAMILIES)."""
    if family != "min-variance":
        raise ValueError(f"unknown forecast portfolio family {family!r}")
    w = np.linalg.solve(fc.dense_cov(), np.ones(fc.n_stocks))
    return gross_normalised(w[:, None])


def reference_books(sectors: pd.Series) -> np.ndarray:
    """The books (N, P) the calibration maps are fitted on: every FIT_FAMILIES book."""
    return np.concatenate([books(sectors, f) for f in FIT_FAMILIES], axis=1)
