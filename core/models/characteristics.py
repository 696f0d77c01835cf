"""Stock characteristics from a Panel for the conditional autoencoder, IPCA and the
cross-sectional regression (Gu-Kelly-Xiu style, daily data). Row t uses data <= t only.

Price-based (from returns and the market series):
  beta           252-day beta on the market (benchmark, or the equal-weighted mean of the
                 panel when it has none; >= 60 observations). Its square, in the published
                 list, is left out: after ranking it duplicates beta whenever betas are > 0
  idiovol        252-day residual volatility of that market regression
  retvol, maxret 21-day return volatility and maximum daily return
  mom1m, mom12m, mom36m   log returns over t-20..t, t-251..t-21, t-755..t-252
  chmom          6-month momentum minus the 6-month momentum before it
  indmom         sector mean of mom12m
Volume-based, when the Panel has a "volume" feature: logvol21 (log mean volume, 21 days),
volvol (std of log volume, 21 days), illiq (Amihud: mean |r| / volume, 21 days).
Every other per-stock feature of the Panel is used as it is, named "feat:<name>".
Each characteristic is ranked cross-sectionally to [-1, 1] each day; missing -> 0 (the median).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.panel import Panel
from core.errors import DataError

PRICE = ("beta", "idiovol", "retvol", "maxret", "mom1m", "mom12m", "mom36m", "chmom", "indmom")
VOLUME = ("logvol21", "volvol", "illiq")
BETA_WINDOW, BETA_MIN, SHORT = 252, 60, 21


def characteristic_names(panel: Panel, price: bool = True) -> list[str]:
    """The characteristics this panel allows (price-based ones only when `price`)."""
    names = list(PRICE) if price else []
    if "volume" in panel.features and price:
        names += list(VOLUME)
    return names + [f"feat:{k}" for k in panel.features if k != "volume"]


def market_series(panel: Panel) -> pd.Series:
    """The benchmark where it exists, else the equal-weighted mean return of the panel."""
    ew = panel.returns.mean(axis=1, skipna=True)
    if panel.benchmark is None:
        return ew
    return panel.benchmark.astype(float).fillna(ew)


def _rolling_beta(r: pd.DataFrame, m: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairwise-complete rolling beta and residual volatility of each column of r on m."""
    both = r.notna() & m.notna().to_numpy()[:, None]
    x = r.where(both, 0.0)
    y = pd.DataFrame(np.where(both, m.to_numpy()[:, None], 0.0), index=r.index, columns=r.columns)

    def s(frame):
        return frame.rolling(BETA_WINDOW, min_periods=1).sum()

    n = s(both.astype(float))
    sx, sy, sxy, syy, sxx = s(x), s(y), s(x * y), s(y * y), s(x * x)
    cov = sxy - sx * sy / n
    var_m = syy - sy * sy / n
    var_r = sxx - sx * sx / n
    beta = (cov / var_m).where((n >= BETA_MIN) & (var_m > 0))
    resid = ((var_r - beta * cov).clip(lower=0.0) / (n - 2)) ** 0.5
    return beta, resid.where(beta.notna())


def raw_characteristics(panel: Panel, names: list[str]) -> dict[str, pd.DataFrame]:
    """Unranked characteristics (T x N frames) for `names`."""
    r = panel.returns
    logr = np.log1p(r)
    out: dict[str, pd.DataFrame] = {}
    if any(n in PRICE for n in names):
        beta, idio = _rolling_beta(r, market_series(panel))

        def msum(w, lo):
            return logr.rolling(w, min_periods=int(0.8 * w)).sum().shift(lo)

        mom12 = msum(231, 21)
        mom6 = msum(126, 0)
        sectors = panel.sectors
        out |= {
            "beta": beta, "idiovol": idio,
            "retvol": r.rolling(SHORT, min_periods=10).std(), "maxret": r.rolling(SHORT, min_periods=10).max(),
            "mom1m": msum(SHORT, 0), "mom12m": mom12, "mom36m": msum(504, 252), "chmom": mom6 - mom6.shift(126),
            "indmom": mom12.T.groupby(sectors).transform("mean").T,
        }
    if any(n in VOLUME for n in names):
        vol = panel.features["volume"].clip(lower=0)
        logv = np.log1p(vol)
        out |= {
            "logvol21": np.log1p(vol.rolling(SHORT, min_periods=10).mean()),
            "volvol": logv.rolling(SHORT, min_periods=10).std(),
            "illiq": (r.abs() / vol.where(vol > 0)).rolling(SHORT, min_periods=10).mean(),
        }
    for n in names:
        if n.startswith("feat:"):
            out[n] = panel.features[n[5:]].astype(float)
    return {n: out[n].where(r.notna()) for n in names}


def rank_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """Cross-sectional rank of each row mapped to [-1, 1] (NaN stays NaN; a lone value -> 0)."""
    rank = frame.rank(axis=1, method="average")
    count = frame.notna().sum(axis=1).to_numpy()[:, None]
    unit = 2.0 * (rank - 1.0) / np.maximum(count - 1, 1) - 1.0
    return unit.where(np.broadcast_to(count > 1, frame.shape), 0.0).where(frame.notna())


def characteristic_tensor(panel: Panel, names: list[str]) -> np.ndarray:
    """(T, N, L) float64 ranked characteristics, missing set to 0. A DataError names any the
    panel cannot provide (the model was fitted on data with other features)."""
    missing = [n for n in names if n not in characteristic_names(panel)]
    if missing:
        raise DataError(f"this data cannot provide the characteristics {missing} the model was fitted with; "
                        "provide the same feature columns (e.g. volume) or refit")
    raw = raw_characteristics(panel, names)
    return np.stack([np.nan_to_num(rank_unit(raw[n]).to_numpy(dtype=np.float64)) for n in names], axis=2)


def history_count(panel: Panel) -> np.ndarray:
    """(T, N) number of observed returns up to and including each date."""
    return np.cumsum(np.isfinite(panel.returns.to_numpy(dtype=np.float64)), axis=0)
