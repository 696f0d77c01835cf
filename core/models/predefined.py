"""Factor models with one side given (seed 002, "the classical ways").

ts-regression  pre-defined factors, solve for sensitivities: at the close of t, each stock's
               returns over the trailing `window` days are regressed (OLS with intercept) on
               the benchmark and the Panel's factor series. A series enters only when it has
               >= min_obs observations in the window (sp500-20's factor ETFs start in 2014);
               an inactive series keeps a zero exposure and unit variance, so the number of
               factors stays fixed. Forecast: mean alpha + B mean(F), factor covariance = the
               window covariance of the active series, idio variance = residual variance.
xs-regression  pre-defined sensitivities, solve for factors: each day r_t is regressed on
               x_{t-1} = [1, sector dummies, ranked characteristics] (ridge `ridge` on all but
               the market column, so one-stock sectors keep a residual) -> factor returns f_t;
               forecast `conditional_forecast` (factor covariance and residual variances over
               the trailing window). Characteristics: "features" (the Panel's own per-stock
               features, the default), "all" (plus the price-based set) or "none".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import FactorForecast
from core.models.characteristics import characteristic_names, characteristic_tensor
from core.models.fitted import ConfiguredModel
from core.models.protocol import Calibration, FactorModel
from core.models.rolling import FactorHistoryModel, Realised, cross_section_ols, lag, too_few, trailing


def given_series(panel) -> pd.DataFrame:
    """Benchmark and pre-defined factor returns as one T x K frame ("bench:NAME", "factor:NAME")."""
    cols = {}
    if panel.benchmark is not None:
        cols[f"bench:{panel.benchmark.name or 'benchmark'}"] = panel.benchmark
    if panel.factors is not None:
        cols |= {f"factor:{c}": panel.factors[c] for c in panel.factors.columns}
    return pd.DataFrame(cols, index=panel.dates)


class TimeSeriesRegression(ConfiguredModel, FactorModel):
    """Rolling OLS betas of each stock on the given factor series."""

    name = "ts-regression"
    calibration = Calibration(half_life=None)  # by the rule of benchmarks/layer_rule.py
    label = "Regression on given factors"
    description = "Rolling 252-day regression of each stock on the benchmark and factor series (Normal)"
    defaults = {"window": 252, "min_obs": 126}

    def fit(self, panel, train_dates, valid_dates) -> "TimeSeriesRegression":
        series = given_series(panel)
        if series.empty:
            raise ModelError("ts-regression: the data has no benchmark or factor series; add them or use another model")
        self.state = {"fitted": True, "series": list(series.columns)}
        return self

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        names, w, min_obs = self.state["series"], self.config["window"], self.config["min_obs"]
        series = given_series(panel)
        missing = [s for s in names if s not in series.columns]
        if missing:
            raise ModelError(f"ts-regression: this data lacks the series {missing} the model was fitted with; add them")
        x = trailing(series[names].to_numpy(dtype=np.float64), pos, w)
        y = trailing(panel.returns.to_numpy(dtype=np.float64), pos, w)
        active = np.isfinite(x).sum(axis=0) >= min_obs
        rows = np.isfinite(x[:, active]).all(axis=1)
        xa = np.column_stack([np.ones(rows.sum()), x[rows][:, active]])
        m = np.isfinite(y[rows])
        ym = np.where(m, y[rows], 0.0)
        a = np.einsum("tn,tk,tl->nkl", m, xa, xa)
        ok = np.isfinite(y[-1]) & (m.sum(axis=0) >= max(min_obs, xa.shape[1] + 2))
        if not ok.any():
            raise too_few(self.name, date, 0)
        coef = np.linalg.solve(a[ok], np.einsum("tn,tk->nk", ym, xa)[ok][..., None])[..., 0]
        resid = np.where(m[:, ok], ym[:, ok] - xa @ coef.T, 0.0)
        idio = (resid**2).sum(axis=0) / (m[:, ok].sum(axis=0) - xa.shape[1])
        k = len(names)
        b = np.zeros((ok.sum(), k))
        b[:, active] = coef[:, 1:]
        fcov = np.eye(k)
        if active.any():
            fcov[np.ix_(active, active)] = np.atleast_2d(np.cov(xa[:, 1:], rowvar=False))
        mean = coef[:, 0] + coef[:, 1:] @ xa[:, 1:].mean(axis=0)
        return FactorForecast(date=panel.dates[pos], tickers=[panel.tickers[i] for i in np.flatnonzero(ok)], mean=mean,
                              exposures=b, factor_cov=fcov, idio_var=idio, model=self.name,
                              factor_names=[s.split(":", 1)[1] for s in names])


class CrossSectionalRegression(FactorHistoryModel):
    """Daily cross-sectional regression on sector dummies (and characteristics)."""

    name = "xs-regression"
    calibration = Calibration(half_life=252.0)  # by the rule of benchmarks/layer_rule.py
    label = "Cross-sectional sector regression"
    sector_input = True  # sector dummies
    description = ("Daily cross-sectional regression on sector dummies (+ the data's characteristics) -> factor "
                   "returns; 252-day factor covariance (Normal)")
    defaults = {"window": 252, "min_obs": 60, "ridge": 1.0, "characteristics": "features"}

    def fit(self, panel, train_dates, valid_dates) -> "CrossSectionalRegression":
        choice = self.config["characteristics"]
        if choice not in ("none", "features", "all"):
            raise ModelError(f"xs-regression: characteristics={choice!r} is unknown; use none, features or all")
        names = [] if choice == "none" else characteristic_names(panel, price=choice == "all")
        sectors = sorted(panel.sectors.loc[panel.returns.reindex(train_dates).notna().any()].unique())
        self.state = {"fitted": True, "sectors": sectors, "characteristics": names}
        return self

    def factor_names(self) -> list[str]:
        return ["market"] + [f"sector:{s}" for s in self.state["sectors"]] + self.state["characteristics"]

    def exposures(self, panel) -> np.ndarray:
        """(T, N, K) [1, sector dummies, ranked characteristics] for stocks listed at t, NaN otherwise."""
        r = panel.returns.to_numpy(dtype=np.float64)
        dummies = (panel.sectors.to_numpy()[:, None] == np.array(self.state["sectors"])[None]).astype(float)
        static = np.column_stack([np.ones(len(dummies)), dummies])
        x = np.broadcast_to(static, (len(r),) + static.shape)
        if self.state["characteristics"]:
            x = np.concatenate([x, characteristic_tensor(panel, self.state["characteristics"])], axis=2)
        return np.where(np.isfinite(r)[..., None], x, np.nan)

    def _realised(self, panel) -> Realised:
        x = self.exposures(panel)
        penalty = np.full(x.shape[2], float(self.config["ridge"]))
        penalty[0] = 0.0
        f, resid = cross_section_ols(lag(x), panel.returns.to_numpy(dtype=np.float64), penalty)
        return Realised(exposures=x, factors=f, resid=resid)
