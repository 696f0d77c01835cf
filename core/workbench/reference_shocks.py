"""Shocks set in the units a client reads: the return of each factor's REFERENCE series (core.workbench.factor_names:
the market, a style ETF, a sector's average return) on the forecast day, e.g. "the market -10%".

Each reference j is regressed on the factors in today's coordinates (core.workbench.projection: the trailing
REFERENCE_DAYS days of stock returns projected on today's exposures), with an intercept:
    reference_j,s = alpha_j + b_j' f_s + u_j,s        R-squared R2_j stated with every shock.
Under today's forecast (r = m + B z + eps, Cov(z) = S) the reference is y_j = mu_j + b_j' z + u_j, with mu_j =
alpha_j + b_j' f(m) (f(m): the forecast means projected like the returns) and Cov(u) the regression residuals'
covariance rescaled to today's volatility (each u_j by b_j'S b_j / var(b_j' f) over the window, so R2_j holds under
the forecast too). A shock y_A = a conditions z on it in factor form (core.workbench.conditioning: Gaussian closed
form; a Student-t forecast as a scale mixture of Normals, the residuals u Normal), and every stock, the portfolio and
every reference follow. A factor without a reference (unnamed, or its reference has too few days in the window)
keeps its latent units: it is moved by itself (loading the unit vector, no noise), and `notes` says so once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from core.errors import ModelError, NotAvailable
from core.forecast import FactorForecast
from core.workbench.capabilities import require_factors
from core.workbench.factor_names import MIN_OBS, references
from core.workbench.portfolios import aligned
from core.workbench.projection import in_today_coordinates, wls_rows
from core.workbench.conditioning import conditioned, mixture
from core.workbench.shocks import Shock, refuse, shock_result

REFERENCE_DAYS = 250  # the regression window: about a year of trading days up to the forecast date
DEFAULT_FALL, DEFAULT_SD = 0.10, 5.0  # a view's first shock: a 10% fall, or 5 sd of the reference where that is less


@dataclass
class References:
    """What a reference shock can set on one forecast: `names` (k) the reference series of the named factors, then
    the latent factors' own names; `factors` (k) the factor each belongs to; y = mean + loadings z + u with loadings
    (k, F), mean (k,), noise = Cov(u) (k, k) under today's forecast; r2 by reference name (the regression's
    R-squared); latent: the names moved in latent units; window: the regression's dates in words."""

    names: list[str]
    factors: list[str]
    loadings: np.ndarray
    mean: np.ndarray
    noise: np.ndarray
    r2: pd.Series
    latent: list[str]
    window: str
    notes: list[str] = field(default_factory=list)

    def sd(self, fc: FactorForecast) -> pd.Series:
        """Each name's forecast sd under `fc` (sqrt of loadings S loadings' + noise), by name."""
        v = self.loadings @ fc.factor_cov @ self.loadings.T + self.noise
        return pd.Series(np.sqrt(np.diag(v)), index=self.names)

    def default_fall(self, fc: FactorForecast, name: str) -> float:
        """The fall a view offers first for reference `name` (a return): DEFAULT_FALL, or DEFAULT_SD sds of its
        forecast where that is less (rounded to half a percent, at least that), inside the range a shock supports."""
        return -max(0.005, round(min(DEFAULT_FALL, DEFAULT_SD * float(self.sd(fc)[name])) / 0.005) * 0.005)

    def in_sd(self, fc: FactorForecast, moves: dict[str, float]) -> dict[str, float]:
        """Moves given in sds of each name's forecast (name -> number of sd) as values for `reference_shock`."""
        sd = self.sd(fc)
        return {k: float(n) * float(sd[k]) for k, n in moves.items()}


def references_of(panel, fc: FactorForecast, named: pd.DataFrame | None, days: int = REFERENCE_DAYS) -> References:
    """`References` of the forecast `fc` (raw factor names) from the factors' names table `named`
    (core.workbench.factor_names.factor_names: "best match" the reference, "label" the name shown; None: every
    factor latent), regressed over the `days` realised dates up to fc.date."""
    require_factors(fc)
    dates = panel.dates[panel.dates <= fc.date][-days:]
    f = in_today_coordinates(panel.returns.loc[dates], fc)
    best = (named["best match"] if named is not None else pd.Series(dtype=object)).reindex(fc.factor_names)
    label = (named["label"] if named is not None else pd.Series(dtype=object)).reindex(fc.factor_names)
    label = label.fillna(pd.Series(fc.factor_names, index=fc.factor_names))
    refs = references(panel, dates)
    need = max(MIN_OBS, 2 * fc.n_factors + 2)
    ok = f.notna().all(axis=1)
    with_data = [r for r in best.fillna("") if r and r in refs.columns and (ok & refs[r].notna()).sum() >= need]
    rows = ok & refs[with_data].notna().all(axis=1)
    factor_of = {r: str(label[k]) for k, r in best.items() if r in with_data}
    latent = [str(label[k]) for k in fc.factor_names if best[k] not in with_data]
    alpha, b, r2, noise = _regress(f[rows].to_numpy(), refs.loc[rows, with_data].to_numpy(), fc.factor_cov)
    f_mean = wls_rows(fc.mean[None], fc.exposures, fc.idio_var)[0]
    lat = [fc.factor_names.index(k) for k in fc.factor_names if best[k] not in with_data]
    k_all = len(with_data) + len(lat)
    full_noise = np.zeros((k_all, k_all))
    full_noise[:len(with_data), :len(with_data)] = noise
    notes = [f"{', '.join(latent)}: no reference series, moved in the model's own latent units"] if latent else []
    return References(names=with_data + latent, factors=[factor_of[r] for r in with_data] + latent,
                      loadings=np.vstack([b, np.eye(fc.n_factors)[lat]]),
                      mean=np.r_[alpha + b @ f_mean, np.zeros(len(lat))], noise=full_noise,
                      r2=pd.Series(r2, index=with_data), latent=latent,
                      window=f"{int(rows.sum())} days {dates[0].date()}..{dates[-1].date()}", notes=notes)


def model_references(panel, fc: FactorForecast, named: Callable[[], pd.DataFrame]) -> References:
    """`references_of` with the names table `named()` gives (e.g. a cached core.workbench.factor_names.factor_names);
    every factor latent where the factors cannot be named (NotAvailable)."""
    try:
        table = named()
    except NotAvailable:
        table = None
    return references_of(panel, fc, table)


def _regress(f: np.ndarray, y: np.ndarray, factor_cov: np.ndarray):
    """OLS of each reference y (n, k) on the factors f (n, F) with an intercept: (alpha (k,), b (k, F), R-squared
    (k,), the residuals' covariance (k, k) rescaled to today's factor covariance (F, F): each residual by
    sqrt(b'S b / var(b'f)))."""
    k = y.shape[1]
    if k == 0:
        return np.zeros(0), np.zeros((0, f.shape[1])), np.zeros(0), np.zeros((0, 0))
    x = np.column_stack([np.ones(len(f)), f])
    coef = np.linalg.lstsq(x, y, rcond=None)[0]  # (1 + F, k)
    resid, fitted, b = y - x @ coef, f @ coef[1:], coef[1:].T
    scale = np.sqrt(np.einsum("kf,fg,kg->k", b, factor_cov, b) / np.maximum(fitted.var(axis=0), 1e-300))
    noise = np.cov(resid, rowvar=False).reshape(k, k) * np.outer(scale, scale)
    return coef[0], b, 1.0 - resid.var(axis=0) / y.var(axis=0), noise


def reference_shock(fc: FactorForecast, weights: pd.Series, refs: References, values: dict[str, float]) -> Shock:
    """Condition on references set to returns (`values`: name -> the reference's return on the forecast day; a
    latent name -> its move in latent units). The Shock's `references` holds every reference's expected return given
    the shock (the shocked ones at their value), `r2` the shocked references' R-squared on the factors."""
    if not values:
        raise ModelError("no reference shock given; set at least one, e.g. market=-0.10")
    unknown = [k for k in values if k not in refs.names]
    if unknown:
        raise ModelError(f"unknown references {unknown}; this model's are {', '.join(refs.names)}")
    idx = np.array([refs.names.index(k) for k in values])
    a = np.array(list(values.values()), dtype=float)
    sd = refs.sd(fc)
    for k, value, i in zip(values, a, idx):
        refuse(k, value, float(refs.mean[i]), float(sd.iloc[i]),
                "in latent units" if k in refs.latent else "of the reference's return")
    w = aligned(fc, weights)
    lo, no = refs.loadings[idx], refs.noise[np.ix_(idx, idx)]
    z_mean, _, mean, var, pnl_var = conditioned(fc, w, lo, no, a - refs.mean[idx])
    s = fc.factor_cov
    cross = refs.loadings @ s @ lo.T + refs.noise[:, idx]  # Cov(y_all, y_A), (k, |A|)
    expected = refs.mean + cross @ np.linalg.solve(lo @ s @ lo.T + no, a - refs.mean[idx])
    notes, draws = list(refs.notes), None
    if not fc.distribution.closed_form:
        got = mixture(fc, w, lo, no, a - refs.mean[idx], report=(refs.loadings, refs.noise[:, idx]))
        z_mean, mean, var, pnl_var = got["z_mean"], got["mean"], got["var"], got["pnl_var"]
        expected = refs.mean + got["report"]
        draws = (got["method"], got["pnl"], got["weights"])
    res = shock_result(fc, w, values, mean, var, float(w @ mean), pnl_var, pd.Series(z_mean, index=fc.factor_names),
                  notes, draws)
    expected[idx] = a  # the shocked ones at their value (the conditioning puts them there up to rounding)
    named = [n for n in refs.names if n not in refs.latent]
    res.references = pd.Series(expected, index=refs.names)[named]
    res.r2 = refs.r2.reindex([k for k in values if k not in refs.latent])
    return res
