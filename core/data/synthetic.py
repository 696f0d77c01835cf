"""A synthetic market with known ground truth, for tests, benchmarks and demos.

r_{i,t+1} = beta_{i,t}' z_{t+1} + sigma_i eps_{i,t+1}
  z_{t+1,f} = s_f * t(nu_z)         Student-t factor shocks
  eps ~ t(nu_e)                      Student-t idiosyncratic noise
  beta_{i,t} = b_sector(i) + b_i + x_{i,t} G   exposures drift with observable characteristics
  x_{i,t}: K AR(1) characteristics, published in the Panel as features "char1".."charK"
Stocks enter and leave: a share of them is listed only part of the time (NaN outside).

Opt-in volatility clustering, GARCH(1,1) on the standardised shocks (`factor_garch=(a, b)` for
the factors, `idio_garch=(a, b)` for each stock's noise; a, b >= 0, a + b < 1):
  z_{t,f} = s_f sqrt(h_{t,f}) t(nu_z),   x_{t,f} = z_{t,f} / sd(s_f t(nu_z))
  h_{t+1,f} = (1 - a - b) + a x_{t,f}^2 + b h_{t,f},   h_{1,f} = 1   (E h = 1)
and likewise g_{t,i} for eps_{t,i}. h_{t+1} is known at the close of t, so the true forecast for
t+1 stays exactly Student-t with its variances times h_{t+1} and g_{t+1}. The same random draws
are rescaled, so the rest of the market (exposures, listings) is identical with or without it
(default None: constant variances, the market as before).

Opt-in `observed_factors=q`: the Panel also carries `factors` (T x F, columns "F1".."FF"),
row t = z_t + q * std(z) * N(0, 1) (row 0 NaN), i.e. the true factor returns as a data vendor's
sector / style indices would publish them, with relative noise q; core.data.features feeds
them to models as market channels. Its noise has its own random stream, so the rest of the
market is identical with or without it (default None: no factors).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from core.data.panel import Panel, Split
from core.errors import DataError
from core.forecast import FactorForecast, ForecastSeries

SECTOR_NAMES = ("Alpha Tech", "Beta Energy", "Gamma Health", "Delta Finance", "Epsilon Retail",
                "Zeta Industrials", "Eta Utilities", "Theta Materials", "Iota Telecom", "Kappa Real Estate",
                "Lambda Staples")


@dataclass
class SyntheticTruth:
    """Ground truth. exposures: (T, N, F) beta at the close of each date (for the next date's
    return); factor_returns: (T, F), row t = z realised on date t (row 0 is NaN);
    factor_scale, factor_dof: (F,); idio_scale: (N,); idio_dof: float; listed: (T, N) bool;
    factor_var_mult (T, F) and idio_var_mult (T, N): the GARCH variance multipliers h_{t+1}, g_{t+1}
    known at the close of t (None without volatility clustering: 1)."""

    exposures: np.ndarray
    factor_returns: np.ndarray
    factor_scale: np.ndarray
    factor_dof: float
    idio_scale: np.ndarray
    idio_dof: float
    listed: np.ndarray
    characteristic_loadings: np.ndarray
    factor_var_mult: np.ndarray | None = None
    idio_var_mult: np.ndarray | None = None

    def factor_cov(self) -> np.ndarray:
        """(F, F) unconditional covariance of z: diag(s^2 nu / (nu - 2))."""
        return np.diag(self.factor_scale**2 * self.factor_dof / (self.factor_dof - 2))

    def idio_var(self) -> np.ndarray:
        """(N,) unconditional variance of the noise: sigma^2 nu / (nu - 2)."""
        return (self.idio_scale ** 2) * self.idio_dof / (self.idio_dof - 2)

    def conditional_var(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Factor (len(pos), F) and noise (len(pos), N) variances for the dates after positions `pos`."""
        f = np.diag(self.factor_cov())[None] * (1.0 if self.factor_var_mult is None else self.factor_var_mult[pos])
        e = self.idio_var()[None] * (1.0 if self.idio_var_mult is None else self.idio_var_mult[pos])
        return np.broadcast_to(f, (len(pos), f.shape[1])), np.broadcast_to(e, (len(pos), e.shape[1]))

    def forecast(self, panel: Panel, t: int) -> FactorForecast:
        """The true Student-t forecast for date t+1 made at the close of date t (listed stocks)."""
        ok = self.listed[t + 1] if t + 1 < len(self.listed) else self.listed[t]
        idx = np.flatnonzero(ok)
        n = len(idx)
        factor_var, idio_var = self.conditional_var(np.array([t]))
        return FactorForecast(
            date=panel.dates[t], tickers=[panel.tickers[i] for i in idx], mean=np.zeros(n),
            exposures=self.exposures[t, idx].astype(np.float64), factor_cov=np.diag(factor_var[0]),
            idio_var=idio_var[0, idx], family="student_t",
            factor_dof=np.full(self.factor_scale.shape, self.factor_dof), idio_dof=np.full(n, self.idio_dof),
            model="truth",
        )

    def forecast_series(self, panel: Panel, dates: pd.DatetimeIndex) -> ForecastSeries:
        """The true forecasts at `dates` stacked without a per-date loop (same values as `forecast`)."""
        pos = panel.dates.get_indexer(dates)
        listed = self.listed[np.minimum(pos + 1, len(panel.dates) - 1)]  # (T, N): listed on the next date
        t, f = len(pos), self.factor_scale.size
        factor_var, idio_var = self.conditional_var(pos)
        return ForecastSeries(
            dates=pd.DatetimeIndex(dates), tickers=panel.tickers, mean=np.where(listed, 0.0, np.nan),
            exposures=np.where(listed[..., None], self.exposures[pos].astype(np.float64), 0.0),
            factor_cov=factor_var[:, :, None] * np.eye(f, dtype=factor_var.dtype),
            idio_var=np.where(listed, idio_var, np.nan), family="student_t",
            factor_dof=np.full((t, f), self.factor_dof), idio_dof=np.where(listed, self.idio_dof, np.nan),
            model="truth", factor_names=[f"f{k + 1}" for k in range(f)])


def make_market(
    n_stocks: int = 100,
    n_dates: int = 2000,
    n_factors: int = 4,
    n_characteristics: int = 2,
    n_sectors: int = 5,
    factor_dof: float = 5.0,
    idio_dof: float = 5.0,
    ragged_share: float = 0.3,
    start: str = "2005-01-03",
    seed: int = 0,
    observed_factors: float | None = None,
    factor_garch: tuple[float, float] | None = None,
    idio_garch: tuple[float, float] | None = None,
) -> tuple[Panel, SyntheticTruth]:
    """Build a synthetic Panel (daily business dates) and its ground truth; `observed_factors`
    (relative noise >= 0, or None) adds noisy observed factor returns as `Panel.factors`;
    `factor_garch` / `idio_garch` = (a, b) turn on volatility clustering (module docstring)."""
    rng = np.random.default_rng(seed)
    n, t, f, k = n_stocks, n_dates, n_factors, n_characteristics
    dates = pd.bdate_range(start, periods=t, name="date")
    tickers = [f"S{i:04d}" for i in range(n)]
    sector = rng.integers(0, n_sectors, n)
    centroids = rng.normal(0.0, 0.6, (n_sectors, f)).astype(np.float32)
    centroids[:, 0] = 1.0 + 0.2 * rng.standard_normal(n_sectors)  # factor 1 acts as "the market"
    base = centroids[sector] + rng.normal(0.0, 0.25, (n, f)).astype(np.float32)
    loadings = rng.normal(0.0, 0.35, (k, f)).astype(np.float32)

    phi = 0.995
    chars = np.empty((t, n, k), dtype=np.float32)
    chars[0] = rng.standard_normal((n, k))
    shocks = rng.standard_normal((t, n, k)).astype(np.float32) * np.float32(np.sqrt(1 - phi**2))
    for s in range(1, t):
        chars[s] = phi * chars[s - 1] + shocks[s]
    exposures = base[None] + np.einsum("tnk,kf->tnf", chars, loadings)

    factor_scale = (0.006 * np.r_[1.5, np.ones(f - 1)] * np.sqrt((factor_dof - 2) / factor_dof)).astype(np.float32)
    z = rng.standard_t(factor_dof, (t, f)).astype(np.float32) * factor_scale
    z[0] = np.nan
    idio_scale = rng.uniform(0.008, 0.016, n).astype(np.float32)
    eps = rng.standard_t(idio_dof, (t, n)).astype(np.float32) * idio_scale
    factor_h = idio_h = None
    if factor_garch is not None:
        z, factor_h = garch_rescale(z, factor_scale * np.sqrt(factor_dof / (factor_dof - 2)), *factor_garch)
    if idio_garch is not None:
        eps, idio_h = garch_rescale(eps, idio_scale * np.sqrt(idio_dof / (idio_dof - 2)), *idio_garch)
    returns = np.full((t, n), np.nan, dtype=np.float64)
    returns[1:] = np.einsum("tnf,tf->tn", exposures[:-1], z[1:]) + eps[1:]

    listed = np.ones((t, n), dtype=bool)
    ragged = rng.random(n) < ragged_share
    for i in np.flatnonzero(ragged):
        first = rng.integers(0, t // 2)
        last = rng.integers(first + t // 4, t + t // 3)
        listed[:first, i] = False
        listed[last:, i] = False
    returns[~listed] = np.nan

    frame = pd.DataFrame(returns, index=dates, columns=pd.Index(tickers, name="ticker"))
    features = {
        f"char{j + 1}": pd.DataFrame(np.where(listed, chars[:, :, j], np.nan), index=dates, columns=frame.columns)
        for j in range(k)
    }
    names = [SECTOR_NAMES[s % len(SECTOR_NAMES)] for s in sector]
    meta = pd.DataFrame({"name": [f"Synthetic {tk}" for tk in tickers], "sector": names,
                         "industry": [f"{nm} industry" for nm in names]}, index=frame.columns)
    bench = frame.mean(axis=1, skipna=True).rename("EW")
    bench.iloc[0] = np.nan
    factors = None
    if observed_factors is not None:
        if observed_factors < 0:
            raise DataError(f"observed_factors must be >= 0 (relative noise), not {observed_factors}")
        noise = np.random.default_rng([seed, 1]).standard_normal((t, f)) * observed_factors * np.nanstd(z, axis=0)
        factors = pd.DataFrame(z + noise, index=dates, columns=[f"F{j + 1}" for j in range(f)])
    split = Split(train_end=dates[int(t * 0.6) - 1], valid_end=dates[int(t * 0.8) - 1])
    panel = Panel(returns=frame, meta=meta, features=features, benchmark=bench, factors=factors, name="synthetic",
                  split=split, synthetic=True, source=f"core.data.synthetic.make_market(seed={seed}) -- SYNTHETIC, not real data")
    truth = SyntheticTruth(exposures=exposures, factor_returns=z, factor_scale=factor_scale, factor_dof=factor_dof,
                           idio_scale=idio_scale, idio_dof=idio_dof, listed=listed, characteristic_loadings=loadings,
                           factor_var_mult=factor_h, idio_var_mult=idio_h)
    return panel, truth


def garch_rescale(shocks: np.ndarray, sd: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """GARCH(1,1) volatility clustering of iid shocks (T, M) with standard deviations sd (M,), row 0
    unused: h_1 = 1, h_{s+1} = (1 - a - b) + a x_s^2 + b h_s with x_s = shocks_s sqrt(h_s) / sd.
    Returns the rescaled shocks (T, M), row s times sqrt(h_s), and the multipliers (T, M) aligned
    with the forecasts: row s = h_{s+1}, known at the close of s."""
    if not (a >= 0 and b >= 0 and a + b < 1):
        raise DataError(f"GARCH parameters (a={a}, b={b}) need a, b >= 0 and a + b < 1 (a stationary variance)")
    u2 = (shocks.astype(np.float64) / sd) ** 2  # (T, M)
    h = np.ones((len(shocks) + 1, shocks.shape[1]))
    for s in range(1, len(shocks)):
        h[s + 1] = (1 - a - b) + (a * u2[s] + b) * h[s]
    return (shocks * np.sqrt(h[:-1])).astype(shocks.dtype), h[1:]


#: the S&P-like market's settings besides its size and seed: 11 sectors, clustering on
SP500_LIKE = {"n_factors": 4, "n_characteristics": 2, "n_sectors": 11, "factor_dof": 5.0, "idio_dof": 5.0,
              "ragged_share": 0.3, "factor_garch": (0.06, 0.92), "idio_garch": (0.05, 0.90), "start": "2003-01-01"}


def sp500_like_market(seed: int = 0, n_stocks: int = 500, years: int = 20) -> tuple[Panel, SyntheticTruth]:
    """A SYNTHETIC S&P-500-like market (Panel "synthetic-sp500", its truth): `n_stocks` tickers over
    `years` x 252 business days with the settings SP500_LIKE (listings and delistings included)."""
    panel, truth = make_market(n_stocks=n_stocks, n_dates=years * 252, seed=seed, **SP500_LIKE)
    source = (f"core.data.synthetic.sp500_like_market(seed={seed}, n_stocks={n_stocks}, years={years}) "
              "-- SYNTHETIC, not real data")
    return replace(panel, name="synthetic-sp500", source=source), truth


@lru_cache(maxsize=1)
def default_synthetic() -> tuple[Panel, SyntheticTruth]:
    """The embedded `synthetic` dataset: 60 stocks, 2500 days, 4 factors, seed 7."""
    return make_market(n_stocks=60, n_dates=2500, n_factors=4, seed=7)


def default_synthetic_panel() -> Panel:
    return default_synthetic()[0]
