"""Portfolio risk of a UNIVARIATE model the way a risk desk does it: a GARCH(1,1) with
standardised Student-t errors fitted on the portfolio's OWN daily return history.

A univariate model (class attribute joint=False, e.g. GARCH per stock) forecasts each stock
alone and says nothing about how stocks move together, so its forecasts are never combined
into a portfolio as if the stocks were independent. Instead its forecast's distribution
(core/forecast/univariate.py) answers every portfolio question with this rule, for weights w held
at the close of t:

  history   x_s = sum_i w_i r_{s,i} over the last WINDOW dates s <= t (a stock missing on a day
            counts 0; days with no stock are dropped) -- the current weights applied to the past;
  fit       arch_model(100 x, mean="Constant", vol="GARCH", p=1, q=1, dist="t") on that history up
            to the REFIT ANCHOR a(t) <= t, the last date whose position in the panel's dates is a
            multiple of REFIT_EVERY (20 trading days, about a month); the parameters are frozen
            until the next anchor (no warm start). Within one cache of fits (`History`) the first
            date asking for an anchor fixes its fit: a series of dates run in order fits each anchor
            on the WINDOW dates up to it, a lone date after an anchor on fewer (its own window cut
            at the anchor);
  filter    sigma2_{s+1} = omega + alpha (x_s - mu)^2 + beta sigma2_s run with the frozen
            parameters over the history up to t (started at the unconditional variance), which
            gives the variance of x_{t+1};
  tail      x_{t+1} = mu + sigma e, e unit-variance Student-t(nu): VaR_a = -(mu + sigma q_a) and
            CVaR_a = -(mu - sigma ES_a) in closed form (positive losses).

No look-ahead: the fit uses returns up to a(t) <= t and the filter returns up to t.
ONE code path: `portfolio_garch`, called by `History.portfolio` with the history's cache of fits
(one History per evaluation, VaR series or single-date view).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import NotAvailable

REFIT_EVERY = 20  # trading days between refits
WINDOW = 1000  # trailing days of portfolio history used by the fit and the filter
MIN_OBS = 250  # fewest history days a fit accepts
SCALE = 100.0  # arch fits percent returns
METHOD = "portfolio GARCH(1,1)-t"
PATHS = "portfolio GARCH(1,1)-t paths"  # multi-day draws through its variance recursion (`PortfolioGarch.paths`)


@dataclass(frozen=True)
class GarchParams:
    """Fitted parameters in return units: mu (per day), omega (per day^2), alpha, beta, nu (dof > 2)."""

    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float

    @property
    def unconditional_var(self) -> float:
        return self.omega / max(1.0 - self.alpha - self.beta, 1e-6)


@dataclass
class PortfolioGarch:
    """The next-day distribution of the portfolio return made at the close of `date`."""

    date: pd.Timestamp
    mean: float
    vol: float
    nu: float
    var: dict[float, float]
    cvar: dict[float, float]
    fit_date: pd.Timestamp
    n_obs: int
    params: GarchParams = field(repr=False)
    method: str = METHOD

    def cdf(self, x: float) -> float:
        """Forecast CDF of the portfolio return at x (the PIT of a realised outcome)."""
        return float(_student_t().cdf((x - self.mean) / (self.vol * _std_factor(self.nu)), self.nu))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n draws of the next-day portfolio return, (n,)."""
        e = _student_t().rvs(self.nu, size=n, random_state=np.random.default_rng(seed)) * _std_factor(self.nu)
        return self.mean + self.vol * e

    def paths(self, n: int, horizon: int, seed: int = 0) -> np.ndarray:
        """n simulated paths of the portfolio's daily returns over the `horizon` days after `date`, (n, horizon),
        through the model's own dynamics: x_k = mu + sigma_k e_k with e_k unit-variance Student-t(nu) and the
        frozen parameters' recursion sigma_{k+1}^2 = omega + alpha (x_k - mu)^2 + beta sigma_k^2 run along each
        path from sigma_1 = vol. Day 1 equals `sample(n, seed)`."""
        p, rng = self.params, np.random.default_rng(seed)
        e = _student_t().rvs(self.nu, size=(horizon, n), random_state=rng) * _std_factor(self.nu)
        out, s2 = np.empty((n, horizon)), np.full(n, self.vol ** 2)
        for k in range(horizon):
            out[:, k] = self.mean + np.sqrt(s2) * e[k]
            s2 = p.omega + p.alpha * (out[:, k] - p.mu) ** 2 + p.beta * s2
        return out

    @property
    def note(self) -> str:
        """How these numbers were made, in one line."""
        return (f"univariate model: portfolio risk from a GARCH(1,1)-t fitted on the portfolio's own {self.n_obs} "
                f"daily returns up to {self.fit_date.date()} (refit every {REFIT_EVERY} dates)")


@dataclass(eq=False)
class History:
    """The past returns a univariate forecast's portfolio rule reads (dates x tickers; rows after a forecast's
    date are never used) and the parameters fitted on them so far, by (refit anchor, weights)."""

    returns: pd.DataFrame
    fits: dict = field(default_factory=dict, repr=False)

    def portfolio(self, date, weights: pd.Series, levels=(0.95, 0.99)) -> PortfolioGarch:
        """`portfolio_garch` at the close of `date` for `weights` (per ticker), sharing this history's fits."""
        return portfolio_garch(self.returns, date, weights, levels, self.fits)


def _student_t():
    """scipy.stats.t, imported on first use: scipy.stats takes most of a second to import, and the first page of a
    cold start draws no portfolio GARCH."""
    from scipy import stats

    return stats.t


def _std_factor(nu: float) -> float:
    """Scale of a Student-t(nu) with unit variance: sqrt((nu - 2) / nu)."""
    return float(np.sqrt((nu - 2.0) / nu))


def fit(x: np.ndarray) -> GarchParams:
    """GARCH(1,1)-t on daily portfolio returns x (fractions), by maximum likelihood (arch)."""
    from arch import arch_model

    x = np.asarray(x, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = arch_model(SCALE * x, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off",
                                                                                        show_warning=False)
    mu, omega, alpha, beta, nu = (float(v) for v in res.params.to_numpy())
    return GarchParams(mu / SCALE, omega / SCALE**2, alpha, beta, max(nu, 2.05))


def next_variance(x: np.ndarray, p: GarchParams) -> float:
    """Variance of the return after the last one of x under the GARCH recursion (linear filter)."""
    from scipy.signal import lfilter  # imported on use, as scipy.stats (`_student_t`): it imports scipy.stats

    eps2 = (np.asarray(x, dtype=np.float64) - p.mu) ** 2
    s0 = p.unconditional_var
    # s_{k+1} = omega + alpha eps2_k + beta s_k, s_0 = unconditional variance
    s, _ = lfilter([1.0], [1.0, -p.beta], p.omega + p.alpha * eps2, zi=[p.beta * s0])
    return float(s[-1]) if s.size else s0


def tail(mean: float, vol: float, nu: float, level: float) -> tuple[float, float]:
    """(VaR, CVaR) at `level` of mean + vol * e, e unit-variance Student-t(nu); positive losses."""
    p = 1.0 - level
    q = _student_t().ppf(p, nu)
    es = _student_t().pdf(q, nu) / p * (nu + q * q) / (nu - 1.0)  # E[-T | T <= q] for a standard t
    k = _std_factor(nu)
    return float(-(mean + vol * k * q)), float(-mean + vol * k * es)


def portfolio_history(returns: pd.DataFrame, weights: pd.Series, end, window: int = WINDOW) -> pd.Series:
    """Daily returns of the fixed weights over the last `window` dates up to `end` (inclusive)."""
    r = returns.loc[:pd.Timestamp(end)].tail(window)
    w = weights[weights != 0]
    sub = r.reindex(columns=w.index)
    x = sub.fillna(0.0).to_numpy() @ w.to_numpy()
    keep = sub.notna().any(axis=1).to_numpy()
    return pd.Series(x[keep], index=r.index[keep])


def anchor(dates: pd.DatetimeIndex, date) -> pd.Timestamp:
    """The refit date for `date`: the last date at or before it whose position is a multiple of REFIT_EVERY."""
    pos = int(dates.get_loc(pd.Timestamp(date)))
    return dates[pos - pos % REFIT_EVERY]


def _weights_key(weights: pd.Series) -> tuple:
    w = weights[weights != 0]
    return tuple(zip(w.index, np.round(w.to_numpy(dtype=float), 12)))


def portfolio_garch(returns: pd.DataFrame, date, weights: pd.Series, levels=(0.95, 0.99),
                    fits: dict | None = None) -> PortfolioGarch:
    """The next-day portfolio distribution at the close of `date` (see the module docstring).
    `fits` caches fitted parameters by (anchor, weights) across calls. NotAvailable when the
    portfolio has fewer than MIN_OBS days of history at the refit date."""
    weights = weights.astype(float)
    if weights.abs().sum() < 1e-12:
        raise NotAvailable("the portfolio holds nothing; give some stocks a weight")
    date = pd.Timestamp(date)
    a = anchor(returns.index, date)
    key = (a, _weights_key(weights))
    hist = portfolio_history(returns, weights, date)
    if fits is not None and key in fits:
        params, n_fit = fits[key]
    else:
        past = hist.loc[:a]
        if len(past) < MIN_OBS:
            raise NotAvailable(f"portfolio GARCH needs {MIN_OBS} days of portfolio returns before {a.date()} "
                               f"(has {len(past)}); pick a later date")
        params, n_fit = fit(past.to_numpy()), len(past)
        if fits is not None:
            fits[key] = (params, n_fit)
    vol = float(np.sqrt(next_variance(hist.to_numpy(), params)))
    tails = {lv: tail(params.mu, vol, params.nu, lv) for lv in levels}
    return PortfolioGarch(date, params.mu, vol, params.nu, {lv: v for lv, (v, _) in tails.items()},
                          {lv: c for lv, (_, c) in tails.items()}, a, n_fit, params)

