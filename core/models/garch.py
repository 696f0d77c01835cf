"""GARCH(1,1) per stock with standardised Student-t errors (the `arch` package). UNIVARIATE:
it forecasts each stock's own distribution and has NO joint distribution across stocks.

Fit: `arch_model(100 r, mean="Constant", vol="GARCH", p=1, q=1, dist="t")` on each stock's
training returns, once. Forecast at the close of t: the variance recursion
sigma2_{s+1} = omega + alpha (r_s - mu)^2 + beta sigma2_s is run forward with those fixed
parameters over the stock's returns up to t (started at the unconditional variance on its
first day; a missing day uses E[eps^2] = sigma2). Parameters are not refitted later.
A stock with fewer than `min_train_obs` training returns (or unseen in training) gets the
median alpha, beta, nu and unconditional variance of the fitted stocks and mu = 0.
Short files: when the training dates hold fewer than min_train_obs / 0.9 days, the requirement is
capped to 90% of them (at least MIN_TRAIN_OBS = 100 returns, else a ModelError naming the fix),
stated in state["notes"] (`model.notes`).
Output: FactorForecast with zero factors (exposures N x 0), family student_t with the fitted
dof, joint=False.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from arch import arch_model

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries
from core.models.characteristics import history_count
from core.models.fitted import ConfiguredModel
from core.models.rolling import too_few

PARAMS = ("mu", "omega", "alpha", "beta", "nu")
SCALE = 100.0  # returns are fitted in percent, as `arch` recommends
#: the fewest training returns a GARCH(1,1)-t fit accepts when min_train_obs is capped to a short file
MIN_TRAIN_OBS = 100
#: a capped requirement: this share of the training dates
TRAIN_SHARE = 0.9


def garch_filter(r: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """r: (T, N) returns in percent (NaN = missing); p: PARAMS -> (N,) -> (T, N) variance of
    r_{t+1} forecast at the close of t (percent^2)."""
    omega, alpha, beta = p["omega"], p["alpha"], p["beta"]
    s = omega / np.maximum(1.0 - alpha - beta, 1e-6)
    started = np.zeros(r.shape[1], dtype=bool)
    out = np.empty_like(r)
    for t in range(len(r)):
        eps2 = (r[t] - p["mu"]) ** 2
        seen = np.isfinite(eps2)
        started |= seen
        nxt = omega + alpha * np.where(seen, eps2, s) + beta * s
        s = np.where(started, nxt, s)
        out[t] = s
    return out


class GarchModel(ConfiguredModel):
    """Per-stock GARCH(1,1)-t; univariate forecasts only (no cross-stock dependence)."""

    name = "garch"
    label = "GARCH(1,1)-t (univariate)"
    joint = False
    description = ("GARCH(1,1) per stock with Student-t errors (arch); UNIVARIATE ONLY, no joint distribution: "
                   "per-stock NLL, calibration and VaR, not portfolios")
    defaults = {"min_train_obs": 250, "min_history": 21}

    def fit(self, panel, train_dates, valid_dates) -> "GarchModel":
        train = panel.returns.reindex(train_dates) * SCALE
        need, notes = self._required(int(train.notna().any(axis=1).sum()))
        fitted: dict[str, list[float]] = {}
        for tk in panel.tickers:
            y = train[tk].dropna()
            if len(y) < need:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = arch_model(y.to_numpy(), mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
            fitted[tk] = [float(v) for v in res.params.to_numpy()]
        if not fitted:
            raise ModelError(f"garch: no stock has {need} training returns; "
                             "use a longer training period or lower min_train_obs")
        self.state = {"fitted": True, "tickers": list(fitted), "notes": notes}
        self.arrays = {"params": np.array(list(fitted.values()), dtype=np.float64)}
        return self

    def _required(self, days: int) -> tuple[int, list[str]]:
        """(training returns a stock needs, notes): min_train_obs, or 90% of `days` training dates when
        those hold fewer (at least MIN_TRAIN_OBS)."""
        need = int(self.config["min_train_obs"])
        if need <= TRAIN_SHARE * days:
            return need, []
        capped = int(np.ceil(TRAIN_SHARE * days))
        if capped < min(need, MIN_TRAIN_OBS):
            raise ModelError(f"garch: only {days} training dates; a GARCH(1,1)-t fit needs at least "
                             f"{min(need, MIN_TRAIN_OBS)} returns per stock: use a file with more dates or a later "
                             "--train-end")
        return capped, [f"garch: min_train_obs {need} capped to {capped} returns "
                        f"({TRAIN_SHARE:.0%} of the {days} training dates)"]

    def _params(self, tickers: list[str]) -> dict[str, np.ndarray]:
        """PARAMS -> (N,) for `tickers`, the median fitted stock where a ticker was not fitted."""
        table = pd.DataFrame(self.arrays["params"], index=self.state["tickers"], columns=PARAMS)
        med = table.median()
        uncond = (table["omega"] / (1.0 - table["alpha"] - table["beta"]).clip(lower=1e-6)).median()
        fallback = {"mu": 0.0, "omega": uncond * (1.0 - med["alpha"] - med["beta"]), "alpha": med["alpha"],
                    "beta": med["beta"], "nu": med["nu"]}
        full = table.reindex(tickers).fillna(pd.Series(fallback))
        return {k: full[k].to_numpy() for k in PARAMS}

    def _variances(self, panel) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        p = self._params(panel.tickers)
        return garch_filter(panel.returns.to_numpy(dtype=np.float64) * SCALE, p), p

    def _at(self, panel, var: np.ndarray, p: dict[str, np.ndarray], counts: np.ndarray, pos: int) -> FactorForecast:
        ok = np.isfinite(panel.returns.iloc[pos].to_numpy(dtype=np.float64)) & (counts[pos] >= self.config["min_history"])
        if not ok.any():
            raise too_few(self.name, panel.dates[pos], 0)
        n = int(ok.sum())
        names = panel.tickers  # a property that builds a list: read it once
        return FactorForecast(
            date=panel.dates[pos], tickers=[names[i] for i in np.flatnonzero(ok)], mean=p["mu"][ok] / SCALE,
            exposures=np.zeros((n, 0)), factor_cov=np.zeros((0, 0)), idio_var=var[pos, ok] / SCALE**2,
            family="student_t", factor_dof=np.zeros(0), idio_dof=p["nu"][ok], joint=False, model=self.name,
        )

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        past = panel.select(end=panel.dates[pos])
        var, p = self._variances(past)
        return self._at(past, var, p, history_count(past), pos)

    def forecast_series(self, panel, dates) -> ForecastSeries:
        self.require_fitted()
        var, p = self._variances(panel)
        counts = history_count(panel)
        return ForecastSeries.stack([self._at(panel, var, p, counts, panel.date_position(d)) for d in dates],
                                    panel.tickers)
