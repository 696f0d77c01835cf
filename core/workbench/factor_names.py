"""What the latent factors are: each factor's realised returns correlated with reference return
series (the market, each sector's average return, the style ETFs shipped with the data) and a
suggested name from the best absolute match.

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
    fewer than `min_obs` common dates."""
    z = returns.reindex(refs.index)
    out = pd.DataFrame(np.nan, index=returns.columns, columns=refs.columns)
    for f in z.columns:
        for r in refs.columns:
            ok = z[f].notna() & refs[r].notna()
            if ok.sum() >= min_obs and z.loc[ok, f].std() > 0 and refs.loc[ok, r].std() > 0:
                out.loc[f, r] = float(np.corrcoef(z.loc[ok, f], refs.loc[ok, r])[0, 1])
    return out


def suggest(corr: pd.DataFrame, min_corr: float = MIN_CORR) -> pd.DataFrame:
    """Per factor: the best absolute match (the market on a near tie, MARKET_MARGIN), its correlation and
    a suggested name, signed ("-value (VLUE)" when the factor moves against it), "unnamed" below `min_corr`."""
    rows = {}
    for f, c in corr.iterrows():
        c = c.dropna()
        if c.empty:
            rows[f] = {"suggested name": "unnamed", "best match": "", "correlation": np.nan}
            continue
        best = c.abs().idxmax()
        market = [k for k in c.index if str(k).startswith("market")]
        if market and abs(c[market[0]]) >= abs(c[best]) - MARKET_MARGIN:
            best = market[0]
        rho = float(c[best])
        name = ("-" if rho < 0 else "") + best if abs(rho) >= min_corr else "unnamed"
        rows[f] = {"suggested name": name, "best match": best, "correlation": rho}
    return pd.DataFrame.from_dict(rows, orient="index")


def name_factors(panel, returns: pd.DataFrame, min_corr: float = MIN_CORR) -> pd.DataFrame:
    """factors x [suggested name, best match, correlation, n_dates, <every reference's correlation>]
    over the dates of the factor returns `returns` (dates x factors; pass only the validation window)."""
    z = returns.dropna(how="all")
    refs = references(panel, z.index)
    corr = correlations(z, refs)
    out = suggest(corr, min_corr)
    out.insert(3, "n_dates", int(len(z)))
    out = pd.concat([out, corr], axis=1)
    out.index.name = "factor"
    return out


def factor_names(panel, forecasts: Forecasts, root: str | Path | None = None) -> pd.DataFrame:
    """`name_factors` of the model's realised factor returns (core.workbench.exposures.factor_returns) over the
    VALIDATION window only (no peeking at the test split); the window is in the column "window"."""
    dates = window(panel, forecasts.series, "valid")
    if len(dates) == 0:
        raise NotAvailable("no forecasts on the validation split: the factors cannot be named without the test split")
    out = name_factors(panel, factor_returns(panel, forecasts, dates, root))
    out.insert(4, "window", f"validation {dates[0].date()} to {dates[-1].date()}")
    return out
