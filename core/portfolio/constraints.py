"""Portfolio constraint specification (plain data; the optimiser turns it into cvxpy)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Constraints:
    """What a portfolio must satisfy. None / empty means "no such constraint".

    long_only: w >= 0.  budget: sum(w) == budget.  gross_leverage: ||w||_1 <= L (for a long-only
    portfolio ||w||_1 = sum w, so use budget for "= L").  max_weight: |w_i| <= max_weight.
    sector_caps: {sector: cap} with |sum of w in the sector| <= cap.  factor_bounds:
    {factor name: (lo, hi)} on the exposure y_f = (B'w)_f.  turnover: ||w - previous||_1 <= turnover
    (needs `previous`, (N,) aligned with the forecast's tickers; missing = 0).
    target_vol: portfolio volatility <= target_vol (same units as the forecast's returns).
    """

    long_only: bool = False
    budget: float | None = None
    gross_leverage: float | None = None
    max_weight: float | None = None
    sector_caps: dict[str, float] = field(default_factory=dict)
    factor_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    turnover: float | None = None
    previous: np.ndarray | None = None
    target_vol: float | None = None


#: the paper's four mean-variance variants (spec section 5): name -> constraints.
#: ||w||_1 = 1 for long-short is not convex; it is relaxed to ||w||_1 <= 1, which binds whenever the
#: unconstrained solution is more levered than 1 (lambda is chosen small enough for that on validation).
MV_VARIANTS: dict[str, Constraints] = {
    "mv_lo": Constraints(long_only=True),
    "mv_ls": Constraints(),
    "mv_lo_l1": Constraints(long_only=True, budget=1.0),
    "mv_ls_l1": Constraints(gross_leverage=1.0),
}
