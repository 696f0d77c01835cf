"""What the latent factors are: each factor's realised returns correlated with reference return
series (the market, each sector's average return, the style ETFs shipped with the data), a unique
suggested name from the best free match (sector factors by their sector), and the scale that turns
model-unit exposures into betas against that reference (a long-only portfolio's market beta near 1).

`factor_names` names a model's factors over the validation split only (never the test split);
`name_factors` over whatever factor returns it is given. Factor returns are indexed by the date
they are realised, like Panel.returns rows."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.workbench.dates import window
from core.workbench.exposures import factor_returns
from core.workbench.sources import Forecasts

STYLES = {"MTUM": "momentum", "QUAL": "quality", "SIZE": "size", "USMV": "low volatility", "VLUE": "value"}
MIN_CORR = 0.3  # below this |corr| a factor stays "unnamed"
#: the market wins a near tie: a factor within this |corr| of its best match is named after the market
#: (a sector's average return is itself mostly market, e.g. 5 Health Care stocks of 20)
MARKET_MARGIN = 0.05
MIN_OBS = 20  # fewer common dates than this: no correlation


def references(panel, dates: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Reference return series over `dates` (dates x references), columns named as the suggested
    names read: "market" (panel.benchmark) or "market (equal-weighted mean)" when the panel has
    none, one column per sector (its stocks' mean return), "momentum (MTUM)" ... for the style ETFs
    in panel.factors (NaN before they exist)."""
    rets = panel.returns if dates is None else panel.returns.reindex(dates)
    cols = {}
    if panel.benchmark is not None:
        cols["market"] = panel.benchmark.reindex(rets.index).astype(float)
    else:
        cols["market (equal-weighted mean)"] = rets.mean(axis=1, skipna=True)
    sectors = panel.sectors.reindex(rets.columns).fillna("Unknown")
    for sector in sorted(sectors.unique()):
        cols[str(sector)] = rets.loc[:, sectors.index[sectors == sector]].mean(axis=1, skipna=True)
    if panel.factors is not None:
        for etf, style in STYLES.items():
            if etf in panel.factors.columns:
                cols[f"{style} ({etf})"] = panel.factors[etf].reindex(rets.index).astype(float)
    return pd.DataFrame(cols, index=rets.index)


def correlations(returns: pd.DataFrame, refs: pd.DataFrame, min_obs: int = MIN_OBS) -> pd.DataFrame:
    """factors x references Pearson correlations on the dates where both exist (pairwise), NaN with
    fewer than `min_obs` common dates or no variance on them. Every pair at once: the co-moments over each pair's
    common dates are matrix products of the zero-filled values and their masks."""
    z = returns.reindex(refs.index).to_numpy(dtype=np.float64)
    r = refs.to_numpy(dtype=np.float64)
    mz, mr = np.isfinite(z).astype(float), np.isfinite(r).astype(float)
    z0, r0 = np.where(mz > 0, z, 0.0), np.where(mr > 0, r, 0.0)
    n = mz.T @ mr  # (F, R) common dates
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_z, mean_r = (z0.T @ mr) / n, (mz.T @ r0) / n
        ssz, ssr = (z0 ** 2).T @ mr, mz.T @ (r0 ** 2)
        var_z, var_r = ssz - n * mean_z ** 2, ssr - n * mean_r ** 2  # n - 1 times the variances
        cov = z0.T @ r0 - n * mean_z * mean_r
        ok = (n >= min_obs) & (var_z > 1e-12 * ssz) & (var_r > 1e-12 * ssr)  # a constant series has none
        corr = np.where(ok, cov / np.sqrt(np.where(ok, var_z * var_r, 1.0)), np.nan)
    return pd.DataFrame(np.clip(corr, -1.0, 1.0), index=returns.columns, columns=refs.columns)


SECTOR_PREFIX = "sector: "  # a model's sector factor (core.models.neuralfactors sector block) is named by its sector


def _is_market(ref: str) -> bool:
    return str(ref).startswith("market")


def suggest(corr: pd.DataFrame, min_corr: float = MIN_CORR) -> pd.DataFrame:
    """Per factor a UNIQUE name and the reference that earned it: a sector factor ("sector: Energy") is named by its
    sector; the others, strongest match first, take their best absolute match not yet taken (the market wins a near
    tie, MARKET_MARGIN), so a second market-like factor gets its best other match; "<factor> (unnamed)" when no free
    reference reaches `min_corr`. Columns: suggested name, best match, correlation (of the sign-fixed factor, >= 0
    when named), sign (+1 / -1: the factor's sign that makes it move WITH its reference)."""
    rows, taken = {}, set()
    for f in [f for f in corr.index if str(f).startswith(SECTOR_PREFIX)]:
        sector = str(f)[len(SECTOR_PREFIX):]
        rho = float(corr.loc[f, sector]) if sector in corr.columns else np.nan
        rows[f], _ = _row(sector, sector if sector in corr.columns else "", rho), taken.add(sector)
    others = [f for f in corr.index if f not in rows]
    strength = corr.loc[others].abs().max(axis=1).fillna(0.0) if others else pd.Series(dtype=float)
    for f in strength.sort_values(ascending=False).index:
        c = corr.loc[f].drop(labels=[r for r in taken if r in corr.columns]).dropna()
        if c.empty or c.abs().max() < min_corr:
            rows[f] = _row(f"{f} (unnamed)", "", np.nan)
            continue
        best = c.abs().idxmax()
        market = [k for k in c.index if _is_market(k)]
        if market and abs(c[market[0]]) >= abs(c[best]) - MARKET_MARGIN:
            best = market[0]
        rows[f] = _row(best, best, float(c[best]))
        taken.add(best)
    return pd.DataFrame.from_dict(rows, orient="index").reindex(corr.index)


def _row(name: str, ref: str, rho: float) -> dict:
    sign = -1.0 if rho < 0 else 1.0
    return {"suggested name": name, "best match": ref, "correlation": abs(rho), "sign": sign}


def reference_scales(returns: pd.DataFrame, refs: pd.DataFrame, named: pd.DataFrame) -> pd.DataFrame:
    """Per factor the multiplier taking model-unit exposures to client units, and that unit: a factor with a
    reference is divided by the slope c = cov(reference, f) / var(f) (the reference's return per unit of factor
    return, sign included), so an exposure reads as a beta to the reference ("beta to market": the reference's own
    beta is 1 and a long-only portfolio is long a market factor); a factor without one is multiplied by its daily
    standard deviation and its sign against the market ("return per 1 sd"). Columns: scale, unit."""
    market = next((r for r in refs.columns if _is_market(r)), None)
    out = {}
    for f, row in named.iterrows():
        z = returns[f]
        ref = row["best match"]
        ok = z.notna() & (refs[ref].notna() if ref else False)
        if ref and ok.sum() >= MIN_OBS and z[ok].var() > 0:
            slope = float(np.cov(refs.loc[ok, ref], z[ok])[0, 1] / z[ok].var())
            if abs(slope) > 1e-12:
                out[f] = {"scale": 1.0 / slope, "unit": f"beta to {ref}"}
                continue
        sd = float(z.std()) if z.notna().sum() > 1 else 1.0
        against = market is not None and (z.notna() & refs[market].notna()).sum() >= MIN_OBS and \
            z.corr(refs[market]) < 0
        out[f] = {"scale": (-sd if against else sd) or 1.0, "unit": "return per 1 sd of the factor"}
    return pd.DataFrame.from_dict(out, orient="index")


def _basket_betas(panel, refs: pd.DataFrame, named: pd.DataFrame) -> pd.Series:
    """Per factor the beta of its reference BASKET (the stocks whose mean return is the reference) to the reference
    itself: 1 for a sector and for the equal-weighted market; for a benchmark, the equal-weighted universe's
    historical beta to it (cov / var over the naming window)."""
    out = pd.Series(1.0, index=named.index)
    bench = "market"
    if bench in refs.columns and (named["best match"] == bench).any():
        ew = panel.returns.reindex(refs.index).mean(axis=1, skipna=True)
        ok = ew.notna() & refs[bench].notna()
        if ok.sum() >= MIN_OBS and refs.loc[ok, bench].var() > 0:
            out[named["best match"] == bench] = float(np.cov(ew[ok], refs.loc[ok, bench])[0, 1]
                                                      / refs.loc[ok, bench].var())
    return out


def name_factors(panel, returns: pd.DataFrame, min_corr: float = MIN_CORR) -> pd.DataFrame:
    """factors x [suggested name, best match, correlation, sign, scale, unit, basket beta, label, n_dates, <every
    reference's correlation>] over the dates of the factor returns `returns` (dates x factors; pass only the
    validation window). label ("market (corr 0.88)") is the name shown on every chart and table, unique per factor."""
    z = returns.dropna(how="all")
    refs = references(panel, z.index)
    corr = correlations(z, refs)
    out = suggest(corr, min_corr)
    out = out.join(reference_scales(z, refs, out))
    out["basket beta"] = _basket_betas(panel, refs, out)
    out["label"] = [name if not np.isfinite(rho) else f"{name} (corr {rho:.2f})"
                    for name, rho in zip(out["suggested name"], out["correlation"])]
    out["n_dates"] = int(len(z))
    out = pd.concat([out, corr], axis=1)
    out.index.name = "factor"
    return out


def basket_exposures(exposures: np.ndarray, tickers, panel, named: pd.DataFrame) -> np.ndarray:
    """The exposures of each factor's reference basket: exposures (..., N, F) of the stocks `tickers` (NaN where a
    stock has none) -> (..., F), the equal-weighted mean over the basket's stocks with an exposure (every stock
    for the market, the sector's stocks for a sector); NaN for a factor without a basket (a style ETF, unnamed)."""
    b = np.asarray(exposures, dtype=float)
    sectors = panel.sectors.reindex(list(tickers)).fillna("Unknown").to_numpy()
    out = np.full(b.shape[:-2] + (b.shape[-1],), np.nan)
    for k, ref in enumerate(named["best match"].reindex(named.index).fillna("")):
        if _is_market(ref):
            member = np.ones(len(sectors), dtype=bool)
        elif ref and (sectors == ref).any():
            member = sectors == ref
        else:
            continue
        with np.errstate(invalid="ignore"):
            out[..., k] = np.nanmean(np.where(member, b[..., k], np.nan), axis=-1)
    return out


def baskets_on(panel, fc, named: pd.DataFrame) -> pd.Series:
    """`basket_exposures` of one forecast (FactorForecast): a Series by factor."""
    return pd.Series(basket_exposures(fc.exposures, fc.tickers, panel, named), index=list(fc.factor_names))


def baskets_over_time(panel, series, dates: pd.DatetimeIndex, named: pd.DataFrame) -> pd.DataFrame:
    """`basket_exposures` of a ForecastSeries over `dates` (dates x factors), for exposures over time."""
    pos = series.dates.get_indexer(dates)
    return pd.DataFrame(basket_exposures(series.exposures[pos], series.tickers, panel, named), index=dates,
                        columns=list(series.factor_names))


def in_reference_units(exposures: pd.DataFrame | pd.Series, named: pd.DataFrame,
                       basket: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame | pd.Series:
    """Model-unit exposures (a Series by factor, or a frame with factor columns: stocks or dates) as betas against
    each factor's reference, relabelled by `named`["label"]. With `basket` (the reference baskets' exposures on the
    same date, `basket_exposures`; a Series by factor, or a dates x factors frame matching a frame over time) an
    exposure is divided by its basket's on that date, times the basket's own beta: the market's beta is 1 on EVERY
    date whatever the model's volatility regime; else, and where a basket is missing or near zero, the fixed scale
    of `reference_scales`. Factors `named` lacks stay as they are."""
    by_factor = isinstance(exposures, pd.Series)
    factors = exposures.index if by_factor else exposures.columns
    fixed = named["scale"].reindex(factors).fillna(1.0)
    scale = fixed if basket is None else _basket_scale(basket, named, fixed)
    out = exposures * scale
    return out.rename(index=named["label"].to_dict()) if by_factor else out.rename(columns=named["label"].to_dict())


def _basket_scale(basket, named: pd.DataFrame, fixed: pd.Series):
    """kappa / basket where the basket holds the factor (within 50x of the fixed scale), else the fixed scale."""
    kappa = named["basket beta"].reindex(fixed.index).fillna(1.0) if "basket beta" in named else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = kappa / basket
    return scale.where(scale.abs() < 50 * fixed.abs()).fillna(fixed)


def bounds_in_model_units(bounds, named: pd.DataFrame | None, basket: pd.Series | None = None) -> tuple:
    """Factor bounds ((factor, lo, hi), ...) given as betas to each factor's reference (`in_reference_units` with
    the same `basket`) in the model's units, for core.portfolio constraints: divided by the scale, lo and hi
    swapped when it is negative. named None: the bounds are already in model units."""
    scales = None if named is None else in_reference_units(pd.Series(1.0, index=named.index), named, basket)
    out = []
    for f, lo, hi in bounds:
        scale = 1.0 if scales is None or f not in named.index else float(scales.iloc[named.index.get_loc(f)])
        lo, hi = lo / scale, hi / scale
        out.append((f, min(lo, hi), max(lo, hi)))
    return tuple(out)


def returns_in_reference_units(returns: pd.DataFrame, named: pd.DataFrame) -> pd.DataFrame:
    """Factor returns (dates x factors) in the units of `in_reference_units` (divided by the scale, so a beta times
    its factor return is still a return), relabelled by `named`["label"]."""
    scale = named["scale"].reindex(returns.columns).fillna(1.0)
    return (returns / scale).rename(columns=named["label"].to_dict())


def factor_names(panel, forecasts: Forecasts, root: str | Path | None = None) -> pd.DataFrame:
    """`name_factors` of the model's realised factor returns (core.workbench.exposures.factor_returns) over the
    VALIDATION window only (no peeking at the test split); the window is in the column "window"."""
    dates = window(panel, forecasts.series, "valid")
    if len(dates) == 0:
        raise NotAvailable("no forecasts on the validation split: the factors cannot be named without the test split")
    out = name_factors(panel, factor_returns(panel, forecasts, dates, root))
    out.insert(out.columns.get_loc("n_dates") + 1, "window", f"validation {dates[0].date()} to {dates[-1].date()}")
    return out
