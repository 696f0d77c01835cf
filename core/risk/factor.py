"""Portfolio moments and risk decomposition from a FactorForecast, in factor form.

Sigma = B Sz B' + diag(d) is never formed: Sigma w = B (Sz (B'w)) + d * w costs O(N F).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import NotAvailable, PortfolioError
from core.forecast import FactorForecast
from core.forecast.univariate import joint_reason


def check_weights(fc: FactorForecast, w) -> np.ndarray:
    """w as a float (N,) array aligned with fc.tickers; PortfolioError on a length mismatch."""
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.shape != (fc.n_stocks,):
        raise PortfolioError(f"weights have {w.size} entries but the forecast has {fc.n_stocks} stocks; "
                             "give one weight per forecast ticker")
    return w


def portfolio_mean_vol(fc: FactorForecast, w) -> tuple[float, float]:
    """Expected return and volatility of the portfolio w (N,): w'm and sqrt(w' Sigma w), or a univariate
    forecast's portfolio rule (the forecast's distribution decides)."""
    w = check_weights(fc, w)
    return fc.portfolio_mean(w), float(np.sqrt(max(fc.portfolio_var(w), 0.0)))


@dataclass
class RiskDecomposition:
    """Euler decomposition of portfolio volatility: every part is a contribution to the
    volatility `vol`, so factor + specific == vol, per_factor.sum() == factor,
    per_stock.sum() == vol. per_factor: (F,), per_stock: (N,), exposures y = B'w: (F,)."""

    vol: float
    factor: float
    specific: float
    per_factor: np.ndarray
    per_stock: np.ndarray
    exposures: np.ndarray
    factor_names: list[str]
    tickers: list[str]

    @property
    def factor_share(self) -> float:
        """The factors' share of the portfolio VARIANCE, factor_var / var (0..1). It is also their share
        of the Euler VOLATILITY contributions (factor / vol, as factor = factor_var / vol), but NOT the
        ratio of factor volatility sqrt(factor_var) to total volatility."""
        return self.factor / self.vol if self.vol > 0 else 0.0


def risk_decomposition(fc: FactorForecast, w) -> RiskDecomposition:
    """Split the volatility of w (N,) into factor / specific, per factor and per stock. NotAvailable for a
    univariate forecast: without a joint distribution there is no split by stock."""
    if why := joint_reason(fc):
        raise NotAvailable(f"{why}: its portfolio volatility has no split by stock or factor")
    w = check_weights(fc, w)
    y = fc.exposures.T @ w
    sz_y = fc.factor_cov @ y
    factor_var = float(y @ sz_y)
    spec_each = w * w * fc.idio_var
    var = factor_var + float(spec_each.sum())
    vol = float(np.sqrt(max(var, 0.0)))
    if vol == 0.0:
        zero_f, zero_n = np.zeros(fc.n_factors), np.zeros(fc.n_stocks)
        return RiskDecomposition(0.0, 0.0, 0.0, zero_f, zero_n, y, list(fc.factor_names), list(fc.tickers))
    per_stock = w * (fc.exposures @ sz_y + fc.idio_var * w) / vol
    return RiskDecomposition(
        vol=vol, factor=factor_var / vol, specific=float(spec_each.sum()) / vol, per_factor=y * sz_y / vol,
        per_stock=per_stock, exposures=y, factor_names=list(fc.factor_names), tickers=list(fc.tickers),
    )
