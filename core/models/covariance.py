"""Full-covariance baselines on a trailing window: sample, Ledoit-Wolf shrinkage, EWMA.

Forecast at the close of t for r_{t+1}: N(mean, cov) over the `window` days ending at t,
written in factor form by `FactorForecast.from_covariance`. Stocks listed at t with at least
`min_obs_share * window` observed returns in the window are forecast; their missing days
count as zero deviations with variances rescaled to the observed days (`window_moments`),
which keeps the matrix positive semi-definite. Nothing is learned: `fit` only checks the data.
"""
from __future__ import annotations

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage

from core.errors import ModelError
from core.forecast import FactorForecast
from core.models.fitted import ConfiguredModel
from core.models.rolling import eligible, too_few, trailing, window_moments


class SampleCovariance(ConfiguredModel):
    """Equal-weighted sample mean and covariance of the trailing window."""

    name = "sample"
    label = "Sample covariance"
    quick_fit = True
    has_factors = False
    description = "Sample covariance of the last 252 days (Normal, full covariance)"
    defaults = {"window": 252, "min_obs_share": 0.9}

    def fit(self, panel, train_dates, valid_dates) -> "SampleCovariance":
        if len(panel.returns.loc[:train_dates[-1]]) < self.config["window"]:
            raise ModelError(f"{self.name}: fewer training dates than the {self.config['window']}-day window; "
                             "use more data or a smaller window")
        self.state = {"fitted": True}
        return self

    def weights(self, n_rows: int) -> np.ndarray | None:
        """(n_rows,) row weights summing to 1, oldest first; None = equal."""
        return None

    def shrink(self, cov: np.ndarray, dev: np.ndarray) -> np.ndarray:
        return cov

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        block = trailing(panel.returns.to_numpy(dtype=np.float64), pos, self.config["window"])
        ok = eligible(block, int(np.ceil(self.config["min_obs_share"] * self.config["window"])))
        if not ok.any():
            raise too_few(self.name, date, 0)
        block = block[:, ok]
        mean, cov = window_moments(block, self.weights(len(block)))
        cov = self.shrink(cov, np.where(np.isfinite(block), block - mean, 0.0))
        tickers = [panel.tickers[i] for i in np.flatnonzero(ok)]
        return FactorForecast.from_covariance(panel.dates[pos], tickers, mean, cov, model=self.name)


class LedoitWolfCovariance(SampleCovariance):
    """Sample covariance shrunk toward a scaled identity, intensity from Ledoit-Wolf (scikit-learn)."""

    name = "ledoit-wolf"
    label = "Ledoit-Wolf shrinkage"
    description = "Ledoit-Wolf shrinkage of the 252-day sample covariance toward a scaled identity (Normal)"

    def shrink(self, cov: np.ndarray, dev: np.ndarray) -> np.ndarray:
        delta = float(ledoit_wolf_shrinkage(dev, assume_centered=True))
        target = np.trace(cov) / len(cov)
        return (1.0 - delta) * cov + delta * target * np.eye(len(cov))


class EWMACovariance(SampleCovariance):
    """RiskMetrics exponentially weighted mean and covariance, weight lambda^age."""

    name = "ewma"
    label = "EWMA covariance"
    description = "EWMA covariance, lambda = 0.94, over the last 252 days (Normal, full covariance)"
    defaults = {"window": 252, "min_obs_share": 0.9, "lam": 0.94}

    def weights(self, n_rows: int) -> np.ndarray:
        w = self.config["lam"] ** np.arange(n_rows - 1, -1, -1, dtype=np.float64)
        return w / w.sum()
