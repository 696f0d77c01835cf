"""Performance metrics of a daily return series (seed 001, section 11.4); skfolio.measures
supplies the drawdowns, the deviations and the cumulative returns.

accumulated_return: prod(1 + r) - 1; annualised_return: mean * P; annualised_vol: std * sqrt(P);
max_drawdown: largest fall of compounded wealth from its peak (positive); sharpe: mean / std * sqrt(P)
(zero risk-free rate); sortino: mean / semi-deviation below 0 * sqrt(P); calmar: annualised_return /
max_drawdown; turnover: mean daily ||w_t - w_{t-1}||_1. P = periods per year (252 for daily).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PERIODS = {"daily": 252, "weekly": 52, "monthly": 12}


def performance_metrics(returns: pd.Series, turnover: pd.Series | None = None, periods: int = 252) -> dict[str, float]:
    """Metrics of a return series (NaN days dropped). Ratios are NaN when their denominator is 0."""
    import skfolio.measures as sm  # imported on use: skfolio imports cvxpy and scipy.stats (most of a second)

    r = np.asarray(pd.Series(returns).dropna(), dtype=np.float64)
    if r.size < 2:
        return {k: float("nan") for k in ("accumulated_return", "annualised_return", "annualised_vol",
                                           "max_drawdown", "sharpe", "sortino", "calmar", "turnover")}
    mean, std = float(sm.mean(r)), float(sm.standard_deviation(r))
    down = float(sm.semi_deviation(r, min_acceptable_return=0.0))
    mdd = float(sm.max_drawdown(sm.get_drawdowns(r, compounded=True)))
    ann = mean * periods
    return {
        "accumulated_return": float(sm.get_cumulative_returns(r, compounded=True)[-1] - 1.0),
        "annualised_return": ann,
        "annualised_vol": float(std * np.sqrt(periods)),
        "max_drawdown": mdd,
        "sharpe": float(_ratio(mean, std) * np.sqrt(periods)),
        "sortino": float(_ratio(mean, down) * np.sqrt(periods)),
        "calmar": _ratio(ann, mdd),
        "turnover": float(np.nanmean(turnover)) if turnover is not None and len(turnover) else float("nan"),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")
