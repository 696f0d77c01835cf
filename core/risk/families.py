"""Portfolio families: the books a risk model is calibrated on and judged by.

A family is a set of books (weights over the N tickers, each normalised to a gross of 1, sum |w| = 1, so a
dollar-neutral book is read in percent of gross). On each day a book holds the stocks traded that day, its
long and short legs rescaled to its own net (on_day), so a stock that lists later changes no earlier day. The calibration layer's maps are fitted on FIT_FAMILIES only
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
judged on the same books. The fitted families' random weights are drawn per ticker (a generator seeded by the
family and the ticker's name), so they do not depend on which other stocks the file holds.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

N_RANDOM = 30
FIT_FAMILIES = ("long-only", "long-short")
HELD_OUT = ("pairs", "sector-bets", "concentrated", "130/30", "min-variance")
#: the families whose books depend on the day's forecast (built per date by forecast_books)
FORECAST_FAMILIES = ("min-variance",)
#: each static family's net exposure at a gross of 1, kept on every day by on_day
NET = {"long-only": 1.0, "long-short": 0.0, "pairs": 0.0, "sector-bets": 0.0, "concentrated": 1.0, "130/30": 1.0 / 1.6}


def gross_normalised(w: np.ndarray) -> np.ndarray:
    """Columns of w (N, P) divided by their gross sum |w|; a column of zeros stays zero."""
    gross = np.abs(w).sum(axis=0)
    return np.divide(w, gross, out=np.zeros_like(w, dtype=np.float64), where=gross > 1e-12)


def net_of(w: np.ndarray) -> np.ndarray:
    """The net exposure (P,) of books w (N, P) at a gross of 1."""
    return gross_normalised(w).sum(axis=0)


def on_day(w: np.ndarray, net: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weights (n, P') at a gross of 1, held (P,)): books w (n, P) restricted to the day's n stocks, each leg
    rescaled so the book keeps its net (P,): longs sum to (1 + net) / 2, shorts to (1 - net) / 2. A book that
    lost a leg it needs (or every stock) is not held that day."""
    longs, shorts = np.clip(w, 0.0, None), np.clip(w, None, 0.0)
    up, down = longs.sum(axis=0), -shorts.sum(axis=0)
    need_up, need_down = (1.0 + net) / 2.0, (1.0 - net) / 2.0
    held = ((up > 1e-12) | (need_up < 1e-9)) & ((down > 1e-12) | (need_down < 1e-9))
    scaled = (longs * np.divide(need_up, up, out=np.zeros_like(up), where=up > 1e-12)
              + shorts * np.divide(need_down, down, out=np.zeros_like(down), where=down > 1e-12))
    return scaled[:, held], held


def _per_ticker(tickers, name: str, seed: int, draw) -> np.ndarray:
    """(N, P) rows drawn by `draw(rng)` -> (P,) from a generator seeded by (seed, family name, ticker) per ticker."""
    def rng(t):
        key = int.from_bytes(hashlib.sha256(f"{name}|{t}".encode()).digest()[:8], "little")
        return np.random.default_rng([seed, key])
    return np.array([draw(rng(t)) for t in tickers])


def books(sectors: pd.Series, name: str, seed: int = 0) -> np.ndarray:
    """Weights (N, P) of a static family over the N tickers of `sectors` (index = tickers; NaN = "Unknown"), each
    book up to its scale: on_day sets a day's gross and net (NET), so no weight depends on the file's other stocks."""
    n = len(sectors)
    labels = sectors.fillna("Unknown").astype(str).to_numpy()
    groups = [np.flatnonzero(labels == s) for s in sorted(set(labels))]
    rng = np.random.default_rng(seed)
    cols: list[np.ndarray] = []
    if name == "long-only":  # Dirichlet(0.5) books as normalised Gamma(0.5) draws, one per ticker
        cols = [np.ones(n)] + [np.isin(np.arange(n), g).astype(float) for g in groups]
        cols += list(_per_ticker(sectors.index, name, seed, lambda r: r.gamma(0.5, size=N_RANDOM)).T)
    elif name == "long-short":  # a random side and Gamma(1) size per ticker; legs made equal by on_day
        cols = list(_per_ticker(sectors.index, name, seed,
                                lambda r: r.choice([-1.0, 1.0], size=N_RANDOM) * r.gamma(1.0, size=N_RANDOM)).T)
    elif name == "pairs":
        for g in groups:
            for _ in range(min(3, len(g) // 2)):
                i, j = rng.choice(g, size=2, replace=False)
                w = np.zeros(n)
                w[i], w[j] = 1.0, -1.0
                cols.append(w)
    elif name == "sector-bets":
        cols = [np.isin(np.arange(n), g) / len(g) - 1.0 / n for g in groups if 0 < len(g) < n]
    elif name == "concentrated":
        for _ in range(20):
            w = np.zeros(n)
            pick = rng.choice(n, size=min(5, n), replace=False)
            w[pick] = rng.dirichlet(np.ones(pick.size))
            cols.append(w)
    elif name == "130/30":
        for _ in range(20):
            longs = rng.permutation(n)[: max(1, int(round(0.6 * n)))]
            shorts = np.setdiff1d(np.arange(n), longs)
            w = np.zeros(n)
            w[longs] = 1.3 * rng.dirichlet(np.ones(longs.size))
            if shorts.size:
                w[shorts] = -0.3 * rng.dirichlet(np.ones(shorts.size))
            cols.append(w)
    else:
        raise ValueError(f"unknown static portfolio family {name!r}")
    return np.array(cols).T if cols else np.zeros((n, 0))


def forecast_books(fc, name: str) -> np.ndarray:
    """Weights (n, 1) over fc's n tickers of a family built from the day's forecast (FORECAST_FAMILIES)."""
    if name != "min-variance":
        raise ValueError(f"unknown forecast portfolio family {name!r}")
    w = np.linalg.solve(fc.dense_cov(), np.ones(fc.n_stocks))
    return gross_normalised(w[:, None])


def reference_books(sectors: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(weights (N, P), nets (P,)) of the books the calibration maps are fitted on: every FIT_FAMILIES book, the
    long-only ones at a net of 1, the long-short ones dollar neutral."""
    return static_books(sectors, FIT_FAMILIES)


def static_books(sectors: pd.Series, names) -> tuple[np.ndarray, np.ndarray]:
    """(weights (N, P), nets (P,)) of the static families `names`, their books side by side in that order."""
    parts = [books(sectors, f) for f in names]
    return np.concatenate(parts, axis=1), np.concatenate([np.full(w.shape[1], NET[f]) for f, w in zip(names, parts)])
