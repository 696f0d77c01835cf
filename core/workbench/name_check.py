"""The factors' names on the date shown. A name fitted on the validation split (core.workbench.factor_names) is checked
on the date: the factor's realised returns over the CHECK_DAYS trading days ending at it (only data known at its
close), in the coordinates the name was fitted in, are correlated with its reference, and below MIN_CORR the name is
dropped for that date, said in its label. A model whose factors have no realised returns in one set of coordinates
cannot be named on the validation split (PCA and PPCA refit them on every date, so their order and sign rotate from
one fit to the next): its factors are named on the date itself, from the stocks' returns over the same window
projected on the date's exposures (core.workbench.projection: that date's own coordinates)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.workbench.capabilities import require_factors
from core.workbench.exposures import factor_returns
from core.workbench.factor_names import MIN_CORR, MIN_OBS, correlations, name_factors, reference_scales, references
from core.workbench.projection import in_today_coordinates
from core.workbench.sources import Forecasts

CHECK_DAYS = 63  # a quarter of trading days ending at the date shown


def window_returns(panel, forecasts: Forecasts, date, days: int = CHECK_DAYS) -> pd.DataFrame:
    """(days, F) realised factor returns over the `days` trading days of `panel` ending at `date` (rows <= date): the
    model's own (core.workbench.exposures.factor_returns), else the stocks' returns projected on the exposures of the
    forecast made at `date`; NotAvailable with fewer than MIN_OBS dates, or for a model without factors."""
    require_factors(forecasts.series)
    date = pd.Timestamp(date)
    pos = panel.dates.get_loc(date)
    span = panel.dates[max(0, pos - days):pos + 1]  # realised dates, and forecast dates realised up to `date`
    try:
        z = factor_returns(panel, forecasts, span)
    except NotAvailable:  # no realised factor returns in one set of coordinates: the date's own
        z = in_today_coordinates(panel.returns.loc[span], forecasts.series.at(date))
    z = z.loc[:date].dropna(how="all").tail(days)
    if len(z) < MIN_OBS:
        raise NotAvailable(f"{len(z)} days of factor returns up to {date.date()}: the factors cannot be named on it "
                           f"(at least {MIN_OBS})")
    return z


def names_on(panel, forecasts: Forecasts, date, named: pd.DataFrame | None, days: int = CHECK_DAYS) -> pd.DataFrame:
    """The factors' names that hold on `date`, as core.workbench.factor_names.name_factors' table plus the columns
    "on the date" (the sign-fixed factor's correlation with its reference over `window_returns`) and "check" (in
    words): `named` (fitted on the validation split) with each name checked and dropped below MIN_CORR (label
    "f2 (not market on 2020-03-16)", unnamed units), or, when `named` is None, the factors named on the window."""
    z = window_returns(panel, forecasts, date, days)
    date = pd.Timestamp(date)
    day, span = date.date(), f"{len(z)} trading days to {date.date()}"
    if named is None:
        out = name_factors(panel, z)
        out.insert(out.columns.get_loc("n_dates") + 1, "window", span)
        return out.assign(**{"on the date": out["correlation"],
                             "check": np.where(out["best match"].astype(bool), f"named on the {span}", "unnamed")})
    refs = references(panel, z.index)
    corr = correlations(z.reindex(columns=named.index), refs)
    rho = pd.Series([corr.loc[f, r] * s if r else np.nan for f, r, s in
                     zip(named.index, named["best match"], named["sign"])], index=named.index)
    has = named["best match"].astype(bool)
    dropped = has & ~(rho >= MIN_CORR)
    words = np.where(dropped, f"dropped: below {MIN_CORR} over the {span}",
                     np.where(has, f"holds over the {span}", "unnamed"))
    out = named.assign(**{"on the date": rho, "check": words})
    if dropped.any():
        gone = out.loc[dropped].assign(**{"best match": ""})
        scales = reference_scales(z.reindex(columns=gone.index), refs, gone)
        out.loc[dropped, "label"] = [f"{f} (not {name} on {day})" for f, name in gone["suggested name"].items()]
        out.loc[dropped, "suggested name"] = [f"{f} (unnamed)" for f in gone.index]
        for col, value in {"scale": scales["scale"], "unit": scales["unit"], "best match": "", "correlation": np.nan,
                           "sign": 1.0, "basket beta": 1.0}.items():
            out.loc[dropped, col] = value
    return out
