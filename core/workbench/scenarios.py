"""Scenarios: draws of a portfolio's next-date return (from the forecast object: joint draws, or a univariate
model's portfolio GARCH), joint draws of two stocks, and the realised history they are compared with."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.forecast import FactorForecast
from core.risk.scenarios import portfolio_scenarios
from core.workbench.capabilities import require_joint
from core.workbench.portfolios import aligned


def scenarios(panel, fc: FactorForecast, weights: pd.Series, n: int = 20_000) -> np.ndarray:
    """n draws of the portfolio's next-date return, (n,), from the forecast's distribution: joint draws, or for a
    univariate model the portfolio GARCH(1,1)-t on the portfolio's own history in `panel` (core.forecast.univariate)."""
    return portfolio_scenarios(fc.with_history(panel.returns), aligned(fc, weights), n, seed=0)


def stock_scenarios(fc: FactorForecast, tickers: tuple[str, str], n: int = 3_000) -> np.ndarray:
    """n joint draws of two stocks' next-date returns, (n, 2)."""
    require_joint(fc, "the joint distribution of two stocks")
    idx = [fc.tickers.index(t) for t in tickers]
    return fc.sample(n, rng=0)[:, idx]


def history(panel, date, weights: pd.Series | None = None, tickers=None, days: int = 1000) -> np.ndarray:
    """Realised daily returns up to `date`: of the fixed-weight portfolio (n,) or of `tickers` (n, k)."""
    r = panel.returns.loc[:pd.Timestamp(date)].tail(days)
    if tickers is not None:
        return r[list(tickers)].dropna().to_numpy()
    sub = r[weights.index]
    return (sub.fillna(0.0).to_numpy() @ weights.to_numpy())[sub.notna().any(axis=1).to_numpy()]
