"""Hand-built panels for the classical models' tests (static or linear models whose truth is known), and
`fit(name, panel, **config)`: a registered model fitted on the panel's train / valid split."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.panel import Panel, Split
from core.models.registry import create_model


def build_panel(returns: np.ndarray, sectors=None, features=None, benchmark=None, factors=None) -> Panel:
    t, n = returns.shape
    dates = pd.bdate_range("2010-01-04", periods=t, name="date")
    tickers = pd.Index([f"T{i:03d}" for i in range(n)], name="ticker")
    sectors = sectors if sectors is not None else ["S"] * n
    meta = pd.DataFrame({"name": list(tickers), "sector": list(sectors), "industry": list(sectors)}, index=tickers)
    frame = pd.DataFrame(returns, index=dates, columns=tickers)
    feats = {k: pd.DataFrame(v, index=dates, columns=tickers) for k, v in (features or {}).items()}
    bench = None if benchmark is None else pd.Series(benchmark, index=dates, name="MKT")
    fac = None if factors is None else pd.DataFrame(factors, index=dates, columns=[f"F{j}" for j in range(factors.shape[1])])
    split = Split(train_end=dates[int(0.6 * t) - 1], valid_end=dates[int(0.8 * t) - 1])
    return Panel(returns=frame, meta=meta, features=feats, benchmark=bench, factors=fac, split=split, name="handmade")


def fit(name, panel, **config):
    return create_model(name, **config).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))


def max_sin_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Sine of the largest principal angle between the column spaces of a and b."""
    qa, qb = np.linalg.qr(a)[0], np.linalg.qr(b)[0]
    cos = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.sqrt(max(0.0, 1.0 - cos.min() ** 2)))


def grid_ranks(rng, t: int, n: int) -> np.ndarray:
    """(t, n) characteristics that are exact cross-sectional ranks in [-1, 1] (ranking is the identity)."""
    grid = np.linspace(-1.0, 1.0, n)
    return np.stack([rng.permutation(grid) for _ in range(t)])
