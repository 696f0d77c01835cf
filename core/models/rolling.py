"""Trailing-window helpers shared by the classical models (no look-ahead by construction).

A forecast at the close of date index `pos` only reads rows <= pos. A stock is forecast
("eligible") when it is listed at `pos` (return observed) and has at least `min_obs`
observations in the window; other stocks are left out of that forecast.

Short files: `capped_window` gives the window a model actually uses, the configured one or, when
the data hold less history at the first forecast (the last training date), all of it (at least
MIN_WINDOW dates, else a ModelError naming the fix). `shrinkage_intensity` is the Ledoit-Wolf
intensity toward a scaled identity, also for weighted (EWMA) windows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.covariance import ledoit_wolf_shrinkage

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries
from core.models.fitted import ConfiguredModel
from core.models.protocol import FactorModel


#: the shortest trailing window a classical model accepts when it adapts to a short file
MIN_WINDOW = 20


def capped_window(model: str, panel, train_dates, window: int, minimum: int = MIN_WINDOW) -> tuple[int, list[str]]:
    """(window used, notes): `window`, or the history available at the first forecast (the rows from
    the first date with any return up to the last training date) when that is shorter; a
    ModelError when even `minimum` dates are not available."""
    if len(train_dates) == 0:
        raise ModelError(f"{model}: no training dates; use a later --train-end or more data")
    end = panel.date_position(train_dates[-1])
    seen = np.flatnonzero(np.isfinite(panel.returns.to_numpy(dtype=np.float64)[: end + 1]).any(axis=1))
    available = int(end + 1 - seen[0]) if seen.size else 0
    if available >= window:
        return int(window), []
    if available < minimum:
        raise ModelError(
            f"{model}: only {available} dates of history up to the last training date "
            f"{pd.Timestamp(train_dates[-1]).date()}; its trailing window (configured {window}) needs at least "
            f"{minimum}: use a file with more dates or a later --train-end"
        )
    return available, [f"{model}: window {window} capped to {available} days (the training history)"]


def effective_days(weights: np.ndarray | None, n_rows: int) -> float:
    """Kish effective number of days of a window, (sum w)^2 / sum w^2 (n_rows when unweighted)."""
    if weights is None:
        return float(n_rows)
    w = np.asarray(weights, dtype=np.float64)
    return float(w.sum() ** 2 / np.sum(w * w))


def shrinkage_intensity(dev: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Ledoit-Wolf (2004) intensity toward mu I for the (W, N) deviations `dev` (0 where missing),
    with row weights summing to 1 (None = equal; then exactly sklearn's ledoit_wolf_shrinkage with
    assume_centered=True). Weighted: S = sum_t w_t x_t x_t', its sampling error
    sum_t w_t^2 ||x_t x_t' - S||_F^2 / N, the same min(beta, delta) / delta rule."""
    if weights is None:
        return float(ledoit_wolf_shrinkage(dev, assume_centered=True))
    w = np.asarray(weights, dtype=np.float64)
    n = dev.shape[1]
    s = (dev * w[:, None]).T @ dev
    mu = np.trace(s) / n
    s2 = float(np.sum(s * s))
    delta = (s2 - 2.0 * mu * np.trace(s) + n * mu * mu) / n
    if delta <= 0.0:
        return 0.0
    x2 = np.sum(dev * dev, axis=1)
    xsx = np.einsum("ti,ti->t", dev @ s, dev)
    beta = float(np.sum(w * w * (x2 * x2 - 2.0 * xsx + s2))) / n
    return float(min(max(beta, 0.0), delta) / delta)


def shrink_to_identity(cov: np.ndarray, intensity: float) -> np.ndarray:
    """(1 - d) cov + d (tr(cov) / N) I: same trace, eigenvalues pulled toward their mean."""
    target = np.trace(cov) / len(cov)
    return (1.0 - intensity) * cov + intensity * target * np.eye(len(cov))


def trailing(values: np.ndarray, pos: int, window: int) -> np.ndarray:
    """Rows pos-window+1..pos of a (T, ...) array (fewer at the start of the data)."""
    return values[max(0, pos - window + 1): pos + 1]


def eligible(block: np.ndarray, min_obs: int) -> np.ndarray:
    """block: (W, N) returns ending at the forecast date -> (N,) bool: listed today and enough history."""
    return np.isfinite(block[-1]) & (np.isfinite(block).sum(axis=0) >= min_obs)


def window_moments(block: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean (N,) and covariance (N, N) of a (W, N) block with NaN gaps.

    Deviations from each stock's own mean are set to 0 where missing and each stock's row and
    column is rescaled by 1 / sqrt(weight it was observed on): variances are exact on the
    observed days and the result stays positive semi-definite (a congruence of a Gram matrix).
    """
    w_rows = np.full(len(block), 1.0 / len(block)) if weights is None else np.asarray(weights, dtype=np.float64)
    obs = np.isfinite(block)
    w_obs = obs * w_rows[:, None]
    share = w_obs.sum(axis=0)
    mean = np.nansum(np.where(obs, block, 0.0) * w_rows[:, None], axis=0) / share
    dev = np.where(obs, block - mean, 0.0)
    cov = (dev * w_rows[:, None]).T @ dev
    scale = 1.0 / np.sqrt(share)
    return mean, cov * np.outer(scale, scale)


def too_few(model: str, date, n: int) -> ModelError:
    return ModelError(
        f"{model}: no stock has enough history at {pd.Timestamp(date).date()} (found {n}); pick a later date"
    )


@dataclass
class Realised:
    """A model's factor history on a panel. exposures: (T, N, K) B_t for r_{t+1} (NaN where a
    stock has none); factors: (T, K) f_t realised on date t (NaN where unknown); resid: (T, N)
    e_t = r_t - B_{t-1} f_t (NaN where unknown)."""

    exposures: np.ndarray
    factors: np.ndarray
    resid: np.ndarray


def conditional_forecast(model: str, date, tickers: list[str], rz: Realised, pos: int, window: int, min_obs: int,
                         factor_names: list[str] | None = None) -> FactorForecast:
    """r_{t+1} ~ N(B_t lambda, B_t Cov(f) B_t' + diag(resid var)) with lambda, Cov(f) and the
    residual variances from rows pos-window+1..pos of the history (past data only)."""
    f = trailing(rz.factors, pos, window)
    f = f[np.isfinite(f).all(axis=1)]
    e = trailing(rz.resid, pos, window)
    ok = np.isfinite(rz.exposures[pos]).all(axis=1) & (np.isfinite(e).sum(axis=0) >= min_obs)
    if len(f) < min_obs or not ok.any():
        raise too_few(model, date, int(ok.sum()) if len(f) >= min_obs else 0)
    idio = np.nanmean(e[:, ok] ** 2, axis=0)
    idio = np.maximum(idio, 1e-6 * np.median(idio) + 1e-16)
    b = rz.exposures[pos, ok]
    return FactorForecast(
        date=pd.Timestamp(date), tickers=[tickers[i] for i in np.flatnonzero(ok)], mean=b @ f.mean(axis=0),
        exposures=b, factor_cov=np.atleast_2d(np.cov(f, rowvar=False)), idio_var=idio, model=model,
        factor_names=list(factor_names or []),
    )


class FactorHistoryModel(ConfiguredModel, FactorModel):
    """A model that yields exposures and realised factor returns on every date (IPCA, the
    conditional autoencoder, cross-sectional regression); its forecast is `conditional_forecast`.
    Subclasses implement `_realised(panel) -> Realised` using rows <= t for row t, and need the
    settings "window" and "min_obs"."""

    def _realised(self, panel) -> Realised:
        raise NotImplementedError

    def factor_names(self) -> list[str]:
        return []

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        past = panel.select(end=panel.dates[pos])
        return self._at(past, self._realised(past), pos)

    def forecast_series(self, panel, dates) -> ForecastSeries:
        self.require_fitted()
        rz = self._realised(panel)
        fcs = [self._at(panel, rz, panel.date_position(d)) for d in dates]
        return ForecastSeries.stack(fcs, panel.tickers)

    def _at(self, panel, rz: Realised, pos: int) -> FactorForecast:
        return conditional_forecast(self.name, panel.dates[pos], panel.tickers, rz, pos, self.config["window"],
                                    self.config["min_obs"], self.factor_names())


def lag(x: np.ndarray) -> np.ndarray:
    """Shift a (T, ...) array one row down (row t holds row t-1; row 0 is NaN)."""
    out = np.full_like(x, np.nan, dtype=np.float64)
    out[1:] = x[:-1]
    return out


def cross_section_ols(x: np.ndarray, r: np.ndarray, penalty: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-date (ridge) regression of r_t on the exposures x_t.

    x: (T, N, K) exposures (NaN where a stock has none); r: (T, N); penalty: (K,) ridge per
    column (None = OLS). Returns f: (T, K) (NaN on dates with fewer than K + 1 usable stocks)
    and resid: (T, N) = r - x f (NaN where unused)."""
    t, n, k = x.shape
    m = np.isfinite(x).all(axis=2) & np.isfinite(r)
    xm = np.where(m[..., None], x, 0.0)
    a = np.einsum("tnk,tnl->tkl", xm, xm) + np.diag(np.zeros(k) if penalty is None else penalty)
    b = np.einsum("tnk,tn->tk", xm, np.where(m, r, 0.0))
    enough = m.sum(axis=1) > k if penalty is None else m.sum(axis=1) >= 2
    f = np.full((t, k), np.nan)
    if enough.any():
        f[enough] = np.linalg.solve(a[enough] + 1e-12 * np.eye(k), b[enough][..., None])[..., 0]
    resid = np.where(m, r - np.einsum("tnk,tk->tn", np.nan_to_num(x), np.nan_to_num(f)), np.nan)
    resid[~enough] = np.nan
    return f, resid
