"""Principal components of the forecast covariance: the statistical directions of a model without factors (they are
not factors), sign-fixed over time, with each one's share of the stocks' and of a portfolio's variance."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import eigh

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries
from core.forecast.linalg import safe_cholesky
from core.workbench.capabilities import require_joint
from core.workbench.portfolios import aligned

N_COMPONENTS = 5  # principal components shown for a model without factors


@dataclass
class Components:
    """The k largest principal components of the forecast covariance S_t on each of T dates (N tickers).

    loadings (T, N, k): sqrt(lambda) v, each stock's return (fraction per day) for a one-standard-deviation
    move along the component, NaN for a stock without a forecast; variance (T, k): the eigenvalues lambda,
    largest first; total (T,): trace S_t, the stocks' summed forecast variance."""

    dates: pd.DatetimeIndex
    tickers: list[str]
    loadings: np.ndarray
    variance: np.ndarray
    total: np.ndarray

    @property
    def names(self) -> list[str]:
        return [f"PC{j + 1}" for j in range(self.loadings.shape[2])]


def _top_eigen(m: np.ndarray, d: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs, (k,) and (N, k), of S = m m' + diag(d) (m: N x F, F <= N or not): from the
    F x F Gram matrix m'm when d is one number (every covariance-only model, FactorForecast.from_covariance),
    else from the dense S."""
    n, f = m.shape
    if np.ptp(d) <= 1e-12 * d.max() and f <= n:
        s2, w = eigh(m.T @ m, subset_by_index=[f - k, f - 1])
        s2, w = np.clip(s2[::-1], 0.0, None), w[:, ::-1]
        return s2 + d[0], (m @ w) / np.sqrt(np.where(s2 > 0, s2, np.inf))
    lam, vec = eigh(m @ m.T + np.diag(d), subset_by_index=[n - k, n - 1])
    return lam[::-1], vec[:, ::-1]


def principal_components(series: ForecastSeries, dates, k: int = N_COMPONENTS) -> Components:
    """Principal components of the forecast covariance on each of `dates`: the statistical directions of a
    model without factors (they are not factors). An eigenvector's sign is arbitrary and a solver may flip it
    from one date to the next, so each component's sign is fixed over time: its loadings have a positive dot
    product with the previous date's, and a positive sum on the first date. Ranked by variance on each date,
    so two components of nearly equal variance can swap places."""
    require_joint(series, "principal components of a forecast covariance")
    pos = series.dates.get_indexer(pd.DatetimeIndex(dates))
    n, k = len(series.tickers), min(k, len(series.tickers), series.exposures.shape[2])
    loadings, variance = np.full((len(pos), n, k), np.nan), np.full((len(pos), k), np.nan)
    total = np.full(len(pos), np.nan)
    ref = np.ones((n, k))  # the first date: a positive sum
    for i, p in enumerate(pos):
        ok = np.isfinite(series.mean[p]) & np.isfinite(series.idio_var[p])
        m = np.nan_to_num(series.exposures[p, ok]) @ safe_cholesky(series.factor_cov[p])
        d = series.idio_var[p, ok]
        lam, vec = _top_eigen(m, d, min(k, len(d)))
        load = np.zeros((n, k))
        load[ok, :len(lam)] = vec * np.sqrt(np.clip(lam, 0.0, None))
        load *= np.where(np.sum(load * ref, axis=0) < 0, -1.0, 1.0)
        loadings[i, ok], variance[i, :len(lam)], total[i] = load[ok], lam, np.sum(m * m) + d.sum()
        ref = load
    return Components(pd.DatetimeIndex(series.dates[pos]), list(series.tickers), loadings, variance, total)


def _component_date(pcs: Components, date) -> int:
    i = pcs.dates.get_indexer([pd.Timestamp(date)])[0]
    if i < 0:
        raise ModelError(f"no principal components at {pd.Timestamp(date).date()}: pick a date of the same split")
    return int(i)


def component_loadings(pcs: Components, date) -> pd.DataFrame:
    """tickers with a forecast on `date` x components: the loadings (fraction per day)."""
    return pd.DataFrame(pcs.loadings[_component_date(pcs, date)], index=pcs.tickers, columns=pcs.names).dropna()


def component_exposures_over_time(pcs: Components, weights: pd.Series) -> pd.DataFrame:
    """The fixed-weight portfolio's loadings w'l_t over the dates (dates x components, fraction per day)."""
    w = weights.reindex(pcs.tickers).fillna(0.0).to_numpy()
    return pd.DataFrame(np.einsum("n,tnk->tk", w, np.nan_to_num(pcs.loadings)), index=pcs.dates, columns=pcs.names)


def component_summary(pcs: Components, fc: FactorForecast, weights: pd.Series) -> pd.DataFrame:
    """Components x [share of the stocks' variance (lambda / trace S), portfolio loading w'l (fraction per day),
    share of the portfolio's variance (w'l)^2 / w'Sw] on the date of `fc`."""
    i = _component_date(pcs, fc.date)
    y = np.nan_to_num(pcs.loadings[i]).T @ weights.reindex(pcs.tickers).fillna(0.0).to_numpy()
    return pd.DataFrame({"share of the stocks' variance": pcs.variance[i] / pcs.total[i], "portfolio loading": y,
                         "share of the portfolio's variance": y ** 2 / fc.portfolio_var(aligned(fc, weights))},
                        index=pcs.names)
