"""The distribution of a UNIVARIATE forecast (GARCH per stock, `joint=False`) as an object: valid per-stock
marginals and no joint distribution across stocks.

Its per-stock quantities (marginal CDFs, log-densities, dofs) are the base family's (Normal or StudentT).
Its portfolio quantities (mean and variance, CDF / PIT, VaR / CVaR, draws) are those of the portfolio
GARCH(1,1)-t fitted on the portfolio's OWN return history (core/forecast/portfolio_garch.py), never of the
marginals combined as if the stocks were independent; the history is the panel's returns, bound with
`with_history` by whoever holds the panel. A joint log-likelihood is NotAvailable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.forecast.distributions import Layer
from core.forecast.portfolio_garch import PATHS, History, PortfolioGarch

#: why joint quantities (joint likelihood, covariance, optimisation) do not apply to a univariate forecast
UNIVARIATE = "univariate model (joint=False): no joint distribution across stocks"


def joint_reason(forecast) -> str:
    """Why `forecast` (a FactorForecast or ForecastSeries) has no joint distribution across stocks; "" when it has
    one."""
    return "" if forecast.joint else UNIVARIATE


@dataclass(frozen=True, eq=False)
class Univariate(Layer):
    """The base distribution's marginals (Layer delegates them); portfolio quantities from the portfolio GARCH on
    `history`."""

    history: History | None  # None until the forecast is given its panel's returns
    closed_form: ClassVar[bool] = False
    #: the portfolio GARCH fits with scipy's optimiser into a cache the dates of a series share: one thread
    threadable: ClassVar[bool] = False

    def log_likelihood(self, fc, r, k, seed):
        raise NotAvailable(f"{UNIVARIATE}: it has no joint log-likelihood")

    # the portfolio rule
    def portfolio(self, fc, w: np.ndarray, levels=(0.95, 0.99)) -> PortfolioGarch:
        """The portfolio GARCH of weights w (N,) on fc.tickers at the close of fc.date. NotAvailable without a
        history or with too little of it."""
        if self.history is None:
            raise NotAvailable("a univariate model's portfolio risk comes from the portfolio's own return history, "
                               "which this forecast was not given (FactorForecast.with_history)")
        return self.history.portfolio(fc.date, pd.Series(np.asarray(w, dtype=np.float64), index=fc.tickers), levels)

    def portfolio_moments(self, fc, w: np.ndarray) -> tuple[float, float]:
        """(mean, variance) of w'r."""
        g = self.portfolio(fc, w)
        return g.mean, g.vol ** 2

    def portfolio_note(self, fc, w: np.ndarray) -> str:
        return self.portfolio(fc, w).note

    def portfolio_scenarios(self, fc, w: np.ndarray, n: int, seed: int, chunk: int = 2_000) -> np.ndarray:
        """n draws of w'r, (n,)."""
        return self.portfolio(fc, w).sample(n, seed)

    def portfolio_paths(self, fc, w: np.ndarray, horizon: int, n: int, seed: int) -> tuple[np.ndarray, str]:
        """(paths (n, horizon) of daily w'r, how): the portfolio GARCH run forward day by day, its own dynamics."""
        return self.portfolio(fc, w).paths(n, horizon, seed), PATHS

    def portfolio_cdf(self, fc, w, x, n_samples, seed) -> float:
        return self.portfolio(fc, w).cdf(x)

    def portfolio_var(self, fc, w, levels, n_samples, seed) -> tuple[dict, str, int]:
        g = self.portfolio(fc, w, levels)
        return {lv: (g.var[lv], g.cvar[lv]) for lv in levels}, g.method, 0

    def portfolio_pit_var(self, fc, w, x, levels, n_samples, seed) -> tuple[float, dict]:
        g = self.portfolio(fc, w, levels)
        return g.cdf(x), {lv: (g.var[lv], g.cvar[lv]) for lv in levels}
