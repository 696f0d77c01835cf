"""Model inputs for a set of forecast days, gathered from `Features` without look-ahead.

A forecast at the close of date index t sees the window of rows t-L+1..t only; the target
is the scaled return at t+1. A stock takes part on day t when it is listed at t and has at
least `min_history` observed returns in the window; in training it also needs a return at t+1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.data.features import Features


@dataclass
class DayBatch:
    """x: (D, N, L, C) float32 windows; sector: (N,) int64; eligible: (D, N) bool (may be
    forecast); target: (D, N) float32 scaled returns at t+1 (0 where absent); observed:
    (D, N) bool (eligible and return at t+1 known)."""

    x: torch.Tensor
    sector: torch.Tensor
    eligible: torch.Tensor
    target: torch.Tensor
    observed: torch.Tensor

    def to(self, device) -> "DayBatch":
        return DayBatch(*(v.to(device) for v in (self.x, self.sector, self.eligible, self.target, self.observed)))


class Windows:
    """Gathers DayBatch objects for arrays of date indices t (forecast made at close of t)."""

    def __init__(self, feats: Features, lookback: int, min_history: int) -> None:
        self.feats, self.lookback, self.min_history = feats, lookback, min_history
        pad = lookback - 1
        t, n, _ = feats.stock.shape
        market = np.broadcast_to(feats.market[:, None, :], (t, n, feats.market.shape[1]))
        inputs = np.concatenate([feats.stock, market], axis=2)
        self._padded = np.concatenate([np.zeros((pad,) + inputs.shape[1:], np.float32), inputs], axis=0)
        self._cum = np.concatenate([np.zeros((1, n), np.int64), np.cumsum(feats.present, axis=0)], axis=0)

    def eligible(self, t: np.ndarray) -> np.ndarray:
        """(D, N) bool: listed at t with enough history in the window ending at t."""
        lo = np.maximum(t - self.lookback + 1, 0)
        hist = self._cum[t + 1] - self._cum[lo]
        return self.feats.present[t] & (hist >= self.min_history)

    def batch(self, t: np.ndarray) -> DayBatch:
        t = np.asarray(t, dtype=np.int64)
        rows = t[:, None] + np.arange(self.lookback)[None, :]              # padded rows t-L+1..t
        x = self._padded[rows].transpose(0, 2, 1, 3)                      # (D, N, L, C)
        elig = self.eligible(t)
        nxt = np.minimum(t + 1, len(self.feats.dates) - 1)
        ret = np.where(t[:, None] + 1 < len(self.feats.dates), self.feats.returns[nxt], np.nan)
        observed = elig & np.isfinite(ret)
        return DayBatch(
            x=torch.from_numpy(np.ascontiguousarray(x)), sector=torch.from_numpy(self.feats.sector),
            eligible=torch.from_numpy(elig), target=torch.from_numpy(np.where(observed, ret, 0.0).astype(np.float32)),
            observed=torch.from_numpy(observed),
        )
