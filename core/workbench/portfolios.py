"""Portfolios of the views: named portfolios, optimisation, the frontier, headline risk.
Functions of a Panel, a FactorForecast and weights (pd.Series indexed by ticker, summing to 1)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.forecast import FactorForecast
from core.portfolio.constraints import Constraints
from core.portfolio.weights import normalise, parse_weights
from core.risk.factor import portfolio_mean_vol, risk_decomposition
from core.risk.var import forecast_vars
from core.workbench.capabilities import has_factors, require_joint

PORTFOLIOS = ("equal weight", "minimum variance", "mean-variance optimal", "one per sector", "custom")
MV_RISK_AVERSION = 10.0  # default lambda of the "mean-variance optimal" portfolio (daily returns)
VAR_LEVELS = (0.95, 0.99)
ANNUAL = 252


def constraints(long_only: bool = True, max_weight: float | None = None, sector_caps: tuple = (),
                factor_bounds: tuple = (), target_vol: float | None = None) -> Constraints:
    """Constraints with budget sum w = 1 from hashable arguments: sector_caps ((sector, cap), ...),
    factor_bounds ((factor, lo, hi), ...), target_vol daily."""
    return Constraints(long_only=long_only, budget=1.0, max_weight=max_weight, sector_caps=dict(sector_caps),
                       factor_bounds={f: (lo, hi) for f, lo, hi in factor_bounds}, target_vol=target_vol)


def optimise(panel, fc: FactorForecast, objective: str, risk_aversion: float = MV_RISK_AVERSION,
             **cons) -> pd.Series:
    """Optimal weights (index = forecast tickers); objective min_variance or mean_variance; cons: `constraints`."""
    from core.portfolio.optimiser import optimise as solve  # cvxpy (and scipy.stats): imported when first used

    require_joint(fc, "portfolio optimisation")
    res = solve(fc, objective=objective, constraints=constraints(**cons), risk_aversion=risk_aversion,
                sectors=panel.sectors.reindex(fc.tickers))
    return res.weights.rename("weight")


def named_portfolio(panel, fc: FactorForecast, kind: str, custom: str = "") -> pd.Series:
    """Weights (index = forecast tickers) of one of PORTFOLIOS; `custom` is "TICKER:w,..."."""
    n = fc.n_stocks
    if kind == "equal weight":
        return pd.Series(np.full(n, 1.0 / n), index=fc.tickers)
    if kind == "one per sector":
        sectors = panel.sectors.reindex(fc.tickers)
        vol = pd.Series(fc.total_var(), index=fc.tickers)
        picks = set(vol.groupby(sectors).idxmin())  # the lowest-risk stock of each sector
        return pd.Series({t: (1.0 / len(picks) if t in picks else 0.0) for t in fc.tickers})
    if kind == "custom":
        w = normalise(parse_weights(custom), fc.tickers)
        return w if w.abs().sum() > 0 else pd.Series(np.full(n, 1.0 / n), index=fc.tickers)
    require_joint(fc, f"the {kind} portfolio")
    return optimise(panel, fc, "min_variance" if kind == "minimum variance" else "mean_variance")


def frontier(panel, fc: FactorForecast, n_points: int = 25, **cons) -> pd.DataFrame:
    """Efficient frontier, annualised (x252, x sqrt 252): columns vol, ret, risk_aversion; at least
    `n_points` distinct portfolios from minimum variance to the highest-return feasible one."""
    from core.portfolio.optimiser import efficient_frontier  # cvxpy, as in `optimise`

    require_joint(fc, "the efficient frontier")
    fr = efficient_frontier(fc, constraints=constraints(**cons), n_points=n_points,
                            sectors=panel.sectors.reindex(fc.tickers))
    return pd.DataFrame({"vol": fr["vol"] * np.sqrt(ANNUAL), "ret": fr["mean"] * ANNUAL,
                         "risk_aversion": fr["risk_aversion"]})


def aligned(fc: FactorForecast, weights: pd.Series) -> np.ndarray:
    """weights as an (N,) array on the forecast's tickers (absent tickers 0)."""
    return weights.reindex(fc.tickers).fillna(0.0).to_numpy()


def annualised_point(fc: FactorForecast, weights: pd.Series) -> dict:
    """Forecast (vol, ret) of `weights`, annualised, for marking on the frontier."""
    require_joint(fc, "the efficient frontier")
    mean, vol = portfolio_mean_vol(fc, aligned(fc, weights))
    return {"vol": vol * np.sqrt(ANNUAL), "ret": mean * ANNUAL}


def realised_path(panel, date, weights: pd.Series, days: int = 1) -> np.ndarray:
    """The portfolio's realised daily returns w'r on the `days` trading dates after `date` and no other, (days,),
    shorter at the end of the data; a stock without a return counts 0, a date where none of them has one is NaN."""
    pos = panel.date_position(date)
    r = panel.returns.iloc[pos + 1:pos + 1 + days].reindex(columns=weights.index)
    x = r.fillna(0.0).to_numpy() @ weights.to_numpy(dtype=np.float64)
    return np.where(r.notna().any(axis=1).to_numpy(), x, np.nan)


def realised_return(panel, date, weights: pd.Series) -> float:
    """The portfolio's realised return on the trading date after `date` (NaN if none)."""
    path = realised_path(panel, date, weights)
    return float(path[0]) if path.size else float("nan")


def realised_returns(panel, weights: pd.DataFrame) -> pd.Series:
    """`realised_return` of many forecast dates at once: weights (forecast dates x tickers; a row's book is its
    non-NaN entries, zeros included) -> the return of each row's book on the trading date after its date, a stock
    without a return counting 0; NaN where none of the book's stocks has one and at the end of the data."""
    pos = panel.dates.get_indexer(pd.DatetimeIndex(weights.index))
    if (pos < 0).any():
        panel.date_position(weights.index[pos < 0][0])  # the DataError naming the data's range
    nxt = pos + 1
    inside = nxt < len(panel.dates)
    r = panel.returns.reindex(columns=weights.columns).to_numpy(dtype=np.float64)[np.minimum(nxt, len(panel.dates) - 1)]
    book = weights.notna().to_numpy()
    seen = (np.isfinite(r) & book).any(axis=1) & inside
    x = np.einsum("tn,tn->t", np.nan_to_num(r), weights.fillna(0.0).to_numpy(dtype=np.float64))
    return pd.Series(np.where(seen, x, np.nan), index=weights.index)


@dataclass
class Risk:
    """Headline risk of a portfolio for the day after the forecast date (returns as fractions per day).
    factor_share is the factors' share of the forecast VARIANCE (equal to their share of the Euler
    volatility contributions, not sqrt(factor variance) / vol). NaN, and exposures empty, for a model
    without a factor structure; contributions empty for a univariate model (portfolio GARCH).
    components: a covariance-only model, whose principal components stand in for factors."""

    mean: float
    vol: float
    var: dict[float, float]
    cvar: dict[float, float]
    factor_share: float
    exposures: pd.Series  # per factor, y = B'w
    contributions: pd.Series  # per ticker, Euler contributions to vol (sum = vol)
    factor_contributions: pd.Series  # per factor
    method: str
    realised: float  # the realised portfolio return of the next date (NaN at the end of data)
    has_factors: bool = True
    components: bool = False
    note: str = ""


def portfolio_risk(panel, fc: FactorForecast, weights: pd.Series, n_samples: int = 20_000) -> Risk:
    """Volatility, VaR / CVaR at VAR_LEVELS, factor share and Euler contributions of `weights`, each asked of the
    forecast object: a univariate forecast answers with the portfolio GARCH(1,1)-t on the portfolio's own history
    (core.forecast.univariate), never combining its stocks, and has no per-stock contributions."""
    fc = fc.with_history(panel.returns)  # what a univariate model's portfolio rule reads
    w = aligned(fc, weights)
    mean, vol = portfolio_mean_vol(fc, w)
    tail = forecast_vars(fc, w, VAR_LEVELS, n_samples)
    factors = has_factors(fc)
    note = fc.distribution.portfolio_note(fc, w) or (
        "" if factors else "covariance-only model: no factor structure, so no factor share or exposures")
    headline = dict(mean=mean, vol=vol, var={lv: r.var for lv, r in tail.items()},
                    cvar={lv: r.cvar for lv, r in tail.items()}, method=tail[VAR_LEVELS[0]].method,
                    realised=realised_return(panel, fc.date, weights), has_factors=factors, note=note)
    empty = pd.Series(dtype=float)
    try:
        dec = risk_decomposition(fc, w)
    except NotAvailable:  # a univariate forecast: no joint distribution to split the volatility by stock
        return Risk(factor_share=float("nan"), exposures=empty, contributions=empty, factor_contributions=empty,
                    **headline)
    return Risk(
        factor_share=dec.factor_share if factors else float("nan"),
        exposures=pd.Series(dec.exposures, index=dec.factor_names) if factors else empty,
        contributions=pd.Series(dec.per_stock, index=dec.tickers),
        factor_contributions=pd.Series(dec.per_factor, index=dec.factor_names) if factors else empty,
        components=not factors, **headline,
    )
