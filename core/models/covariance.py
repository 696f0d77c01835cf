"""Full-covariance baselines on a trailing window: sample, Ledoit-Wolf shrinkage, EWMA.

Forecast at the close of t for r_{t+1}: N(mean, cov) over the `window` days ending at t,
written in factor form by `FactorForecast.from_covariance`. Stocks listed at t with at least
`min_obs_share * window` observed returns in the window are forecast; their missing days
count as zero deviations with variances rescaled to the observed days (`window_moments`),
which keeps the matrix positive semi-definite. Nothing is learned; `fit` checks the data and
adapts the models to short files, stating what it did in state["notes"] (`model.notes`):

- the window: a file with less history at the first forecast (the last training date) than
  `window` days uses all of it (state["window_used"], at least 20 dates; `min_obs_share` applies
  to the window used), see core.models.rolling.capped_window;
- shrinkage (sample and EWMA): where the N forecast stocks outnumber SHRINK_SHARE = 2/3 of the
  window's effective days T (the window length; for EWMA the Kish size (sum w)^2 / sum w^2,
  about 32 days for lambda 0.94), the covariance is shrunk toward the scaled identity with the
  Ledoit-Wolf intensity (re-estimated each date, weighted for EWMA), as `ledoit-wolf` always is.
  Why 2/3: the inverse of a sample covariance is inflated on average by T / (T - N - 1) (3 at
  N = 2T/3) and is singular from N = T on; measured on the synthetic market, the raw estimators'
  per-stock NLL exceeds the shrunk one by about 0.4 nats at N = T/2, 0.9 at 2T/3, 4 at 5T/6 and
  1e8 from N = T. Below the limit the textbook estimators stay as they are (sp500-20: 20 stocks,
  252 days, 32 EWMA days). Fit decides from its first forecast (state["shrink"], then every
  date is shrunk); a later date whose universe crosses the limit is shrunk too. A shrunk window
  with fewer rows than stocks is written in factor form with at most `rows` factors (exact,
  `_low_rank`) instead of N: the evaluation's mean-variance QPs and risk sums scale with them.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.forecast import FactorForecast
from core.models.fitted import ConfiguredModel
from core.models.protocol import Calibration
from core.models.rolling import (capped_window, effective_days, eligible, shrink_to_identity, shrinkage_intensity,
                                 too_few, trailing, window_moments)

#: sample / EWMA shrink once the stocks outnumber this share of the window's effective days
SHRINK_SHARE = 2.0 / 3.0


class SampleCovariance(ConfiguredModel):
    """Equal-weighted sample mean and covariance of the trailing window (shrunk when N > 2T/3)."""

    name = "sample"
    calibration = Calibration(half_life=None)  # by the rule of benchmarks/layer_rule.py
    label = "Sample covariance"
    quick_fit = True
    description = ("Sample covariance of the last 252 days, or of the whole history when shorter (Normal, full "
                   "covariance); shrunk toward a scaled identity (Ledoit-Wolf) when stocks outnumber 2/3 of the days")
    defaults = {"window": 252, "min_obs_share": 0.9}
    #: False: shrink only past the SHRINK_SHARE limit; True: on every date (Ledoit-Wolf)
    always_shrinks = False

    @property
    def window(self) -> int:
        """The window in use: state["window_used"] once fitted (a model saved before it: the setting)."""
        return int(self.state.get("window_used", self.config["window"]))

    def fit(self, panel, train_dates, valid_dates) -> "SampleCovariance":
        window, notes = capped_window(self.name, panel, train_dates, self.config["window"])
        self.state = {"fitted": True, "window_used": window, "notes": notes}
        if self.always_shrinks:
            return self
        pos = panel.date_position(train_dates[-1])
        block, ok = self._block(panel.returns.to_numpy(dtype=np.float64), pos)
        limit = self.shrink_limit(len(block))
        if ok.sum() > limit:
            block = block[:, ok]
            w = self.weights(len(block))
            mean, _ = window_moments(block, w)
            delta = shrinkage_intensity(np.where(np.isfinite(block), block - mean, 0.0), w)
            self.state["shrink"] = True
            notes.append(f"{self.name}: N={int(ok.sum())} stocks > 2/3 of {self._days_text(len(block))} "
                         f"({limit:.0f}): shrunk toward the scaled identity with intensity {delta:.2f} at "
                         f"{pd.Timestamp(panel.dates[pos]).date()} (Ledoit-Wolf, re-estimated every date)")
        return self

    def weights(self, n_rows: int) -> np.ndarray | None:
        """(n_rows,) row weights summing to 1, oldest first; None = equal."""
        return None

    def shrink_limit(self, n_rows: int) -> float:
        """The largest N kept unshrunk: SHRINK_SHARE of the window's effective days."""
        return SHRINK_SHARE * effective_days(self.weights(n_rows), n_rows)

    def _days_text(self, n_rows: int) -> str:
        return f"the {n_rows}-day window"

    def shrinks(self, n_stocks: int, n_rows: int) -> bool:
        """Whether this date's covariance is shrunk (always for Ledoit-Wolf)."""
        return self.always_shrinks or bool(self.state.get("shrink")) or n_stocks > self.shrink_limit(n_rows)

    def _block(self, returns: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray]:
        window = self.window
        block = trailing(returns, pos, window)
        return block, eligible(block, int(np.ceil(self.config["min_obs_share"] * window)))

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        block, ok = self._block(panel.returns.to_numpy(dtype=np.float64), pos)
        if not ok.any():
            raise too_few(self.name, date, 0)
        block = block[:, ok]
        w = self.weights(len(block))
        mean, cov = window_moments(block, w)
        names = panel.tickers  # a property that builds a list: read it once
        tickers = [names[i] for i in np.flatnonzero(ok)]
        rows, n = block.shape
        if self.shrinks(n, rows):
            dev = np.where(np.isfinite(block), block - mean, 0.0)
            delta = shrinkage_intensity(dev, w)
            if rows < n and delta > 0.0:
                return self._low_rank(panel.dates[pos], tickers, mean, cov, block, w, delta)
            cov = shrink_to_identity(cov, delta)
        return FactorForecast.from_covariance(panel.dates[pos], tickers, mean, cov, model=self.name)

    def _low_rank(self, date, tickers, mean, cov, block, w, delta: float) -> FactorForecast:
        """(1 - delta) S + delta mu I for a window with fewer rows than stocks, in factor form with at
        most `rows` factors (exact): S = window_moments' covariance = C C' with C = D dev' W^(1/2)
        (N x rows), so B = sqrt(1 - delta) U s from the SVD of C and idio_var = delta mu. The same
        distribution as from_covariance of the shrunk matrix with N factors, at a fraction of the
        cost for every consumer (risk, QPs, sampling)."""
        rows = len(block)
        wr = np.full(rows, 1.0 / rows) if w is None else np.asarray(w, dtype=np.float64)
        obs = np.isfinite(block)
        share = (obs * wr[:, None]).sum(axis=0)
        c = (np.where(obs, block - mean, 0.0) * np.sqrt(wr)[:, None]).T / np.sqrt(share)[:, None]
        u, sv, _ = np.linalg.svd(c, full_matrices=False)
        keep = sv > 1e-12 * max(float(sv[0]), 1e-300)
        b = u[:, keep] * (np.sqrt(1.0 - delta) * sv[keep])
        k = b.shape[1]
        mu = float(np.trace(cov)) / len(cov)
        return FactorForecast(date=pd.Timestamp(date), tickers=list(tickers), mean=np.asarray(mean, dtype=np.float64),
                              exposures=b, factor_cov=np.eye(k), idio_var=np.full(len(tickers), delta * mu),
                              model=self.name, factor_names=[f"pc{j + 1}" for j in range(k)])


class LedoitWolfCovariance(SampleCovariance):
    """Sample covariance shrunk toward a scaled identity, intensity from Ledoit-Wolf (scikit-learn)."""

    name = "ledoit-wolf"
    label = "Ledoit-Wolf shrinkage"
    description = ("Ledoit-Wolf shrinkage of the 252-day sample covariance (the whole history when shorter) "
                   "toward a scaled identity (Normal)")
    always_shrinks = True
    calibration = Calibration(half_life=None)  # by the rule of benchmarks/layer_rule.py


class EWMACovariance(SampleCovariance):
    """RiskMetrics exponentially weighted mean and covariance, weight lambda^age (shrunk when N > 2/3 of
    its effective days)."""

    name = "ewma"
    calibration = Calibration(half_life=math.inf)  # by the rule of benchmarks/layer_rule.py
    label = "EWMA covariance"
    description = ("EWMA covariance, lambda = 0.94, over the last 252 days or the whole history when shorter "
                   "(Normal, full covariance); shrunk toward a scaled identity (Ledoit-Wolf) when stocks "
                   "outnumber 2/3 of its effective days (about 32)")
    defaults = {"window": 252, "min_obs_share": 0.9, "lam": 0.94}

    def weights(self, n_rows: int) -> np.ndarray:
        w = self.config["lam"] ** np.arange(n_rows - 1, -1, -1, dtype=np.float64)
        return w / w.sum()

    def _days_text(self, n_rows: int) -> str:
        return f"the {effective_days(self.weights(n_rows), n_rows):.0f} effective days of lambda {self.config['lam']}"
