"""`FactorForecast`: the distribution of r_{t+1} given information at the close of t.

    r_{t+1} = mean + B z + eps,   Cov(z) = factor_cov (F x F),   Var(eps_i) = idio_var_i

with z and eps drawn from the forecast's `distribution` (core.forecast.distributions: Normal,
or Student-t with a dof per factor and per stock). A full-covariance model (sample, shrinkage,
EWMA) is written exactly in this form by `FactorForecast.from_covariance`. A univariate model
(GARCH) sets `joint=False`: its marginals are valid, its cross-stock structure is not, so its
`distribution` is `Univariate` (core.forecast.univariate), whose portfolio numbers come from the
portfolio's own return history (`history`). Risk numbers use the factor form; an N x N matrix is
built only by `dense_cov` for display.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.errors import ModelError, PortfolioError
from core.forecast.distributions import distribution
from core.forecast.linalg import safe_cholesky
from core.forecast.portfolio_garch import History
from core.forecast.recalibrated import Recalibrated, check_pit_map
from core.forecast.univariate import Univariate


@dataclass
class FactorForecast:
    """Distribution of r_{t+1} given information at the close of `date`.

    tickers: N names; mean: (N,); exposures: (N, F); factor_cov: (F, F); idio_var: (N,);
    factor_dof: (F,) and idio_dof: (N,) for family "student_t" (None for "normal"); a dof of
    np.inf marks a Normal component (e.g. PPCA with Normal factors and Student-t noise).
    pit_map: (2, K) values of the portfolio calibration maps at PIT_KNOTS (by factor share), or None for the raw model;
    when set, `distribution` is the family wrapped in the calibration layer (forecast/recalibrated.py).
    joint=False (a univariate model): `distribution` is the family wrapped in `Univariate`, whose portfolio
    numbers read `history` (the panel's returns, given by `with_history`).
    """

    date: pd.Timestamp
    tickers: list[str]
    mean: np.ndarray
    exposures: np.ndarray
    factor_cov: np.ndarray
    idio_var: np.ndarray
    family: str = "normal"  # the distribution's stored name; use `.distribution` for its behaviour
    factor_dof: np.ndarray | None = None
    idio_dof: np.ndarray | None = None
    joint: bool = True
    model: str = ""
    factor_names: list[str] = field(default_factory=list)
    pit_map: np.ndarray | None = None
    history: History | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.exposures = np.asarray(self.exposures, dtype=np.float64).reshape(len(self.tickers), -1)
        self.factor_cov = np.asarray(self.factor_cov, dtype=np.float64).reshape(self.n_factors, self.n_factors)
        self.idio_var = np.asarray(self.idio_var, dtype=np.float64)
        n, f = self.exposures.shape
        if self.mean.shape != (n,) or self.idio_var.shape != (n,):
            raise ModelError(f"forecast shapes disagree: mean {self.mean.shape}, idio_var {self.idio_var.shape}, N={n}")
        self.distribution = distribution(self.family, self.factor_dof, self.idio_dof, f, n)
        self.factor_dof, self.idio_dof = (None, None) if self.distribution.closed_form else self.distribution.dofs(f, n)
        if not self.joint:
            self.distribution = Univariate(self.distribution, self.history)
        if self.pit_map is not None:
            self.pit_map = check_pit_map(self.pit_map)
            self.distribution = Recalibrated(self.distribution, self.pit_map)
        if not self.factor_names:
            self.factor_names = [f"f{k + 1}" for k in range(f)]

    # --- shapes -----------------------------------------------------------------------
    @property
    def n_stocks(self) -> int:
        return len(self.tickers)

    @property
    def n_factors(self) -> int:
        return self.exposures.shape[1]

    # --- moments in factor form ---------------------------------------------------------
    def total_var(self) -> np.ndarray:
        """Marginal variance of each stock, (N,): diag(B Sz B') + d, without forming N x N."""
        return np.sum((self.exposures @ self.factor_cov) * self.exposures, axis=1) + self.idio_var

    def portfolio_mean(self, w: np.ndarray) -> float:
        """w: (N,) weights -> expected portfolio return (the distribution's: w'm, or a univariate model's rule)."""
        return self.distribution.portfolio_moments(self, w)[0]

    def portfolio_var(self, w: np.ndarray) -> float:
        """w: (N,) -> portfolio variance: (w'B) Sz (B'w) + sum w_i^2 d_i, or a univariate model's rule."""
        return self.distribution.portfolio_moments(self, w)[1]

    def dense_cov(self) -> np.ndarray:
        """The N x N covariance. For display and small-N checks only."""
        b = self.exposures
        return b @ self.factor_cov @ b.T + np.diag(self.idio_var)

    def with_history(self, returns: pd.DataFrame) -> "FactorForecast":
        """The forecast given the panel's returns (dates x tickers), the information a univariate model's portfolio
        rule reads (core.forecast.univariate)."""
        return replace(self, history=History(returns))

    # --- scenarios ------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw n joint scenarios of r_{t+1}: array (n, N)."""
        rng = np.random.default_rng(rng)
        f = self.n_factors
        chol = safe_cholesky(self.factor_cov) if f else np.zeros((0, 0))
        u = self.distribution.factor_draws(rng, n, f)
        e = self.distribution.idio_draws(rng, n, self.n_stocks)
        return self.mean + (u @ chol.T) @ self.exposures.T + e * np.sqrt(self.idio_var)

    # --- construction ----------------------------------------------------------------
    @classmethod
    def from_covariance(cls, date, tickers, mean, cov, model: str = "", floor_share: float = 0.5) -> "FactorForecast":
        """Exact factor form of a dense Normal forecast N(mean, cov).

        cov = V (L - delta) V' + delta I with delta = floor_share * smallest eigenvalue, so
        B = V sqrt(L - delta) (N x N), factor_cov = I, idio_var = delta (> 0 when cov is PD).
        """
        cov = 0.5 * (np.asarray(cov, dtype=np.float64) + np.asarray(cov, dtype=np.float64).T)
        lam, vec = np.linalg.eigh(cov)
        lam = np.clip(lam, 0.0, None)
        delta = max(floor_share * lam[0], 1e-12 * max(lam[-1], 1e-300))
        keep = lam - delta > 0
        b = vec[:, keep] * np.sqrt(lam[keep] - delta)
        k = b.shape[1]
        return cls(
            date=pd.Timestamp(date), tickers=list(tickers), mean=np.asarray(mean, dtype=np.float64),
            exposures=b, factor_cov=np.eye(k), idio_var=np.full(len(tickers), delta), model=model,
            factor_names=[f"pc{j + 1}" for j in range(k)],
        )


def restrict(fc: FactorForecast, tickers: list[str]) -> FactorForecast:
    """The forecast for a subset of its tickers (same factors, same distribution)."""
    pos = {t: i for i, t in enumerate(fc.tickers)}
    missing = [t for t in tickers if t not in pos]
    if missing:
        raise PortfolioError(f"tickers {missing[:5]} have no forecast on {fc.date.date()}; use tickers the model covers")
    idx = np.array([pos[t] for t in tickers], dtype=int)
    return FactorForecast(
        date=fc.date, tickers=list(tickers), mean=fc.mean[idx], exposures=fc.exposures[idx], factor_cov=fc.factor_cov,
        idio_var=fc.idio_var[idx], family=fc.family, factor_dof=fc.factor_dof,
        idio_dof=None if fc.idio_dof is None else fc.idio_dof[idx], joint=fc.joint, model=fc.model,
        factor_names=list(fc.factor_names), pit_map=fc.pit_map, history=fc.history,
    )
