"""Realised factor returns and the forecasts behind them at any past date, in each date's OWN coordinates, for the
attribution of past days (each day's exposures times that day's factor returns). The stress test's factor replay
reads a window in today's coordinates instead (core.workbench.projection). Factor returns here are indexed by the
date they are REALISED (like Panel.returns rows): f_s is the factor return from the close of s-1 to the close of s.

The source, the first that applies: the synthetic market's truth; the table shipped with shipped forecasts; the
model's own `factor_returns` (NeuralFactors: the posterior means of z_s) for the dates the table lacks; for a
factor model that defines none, a cross-sectional regression of r_s - m_{s-1} on B_{s-1}, weighted by 1/d_{s-1}."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import DataError, NotAvailable
from core.forecast import ForecastSeries
from core.workbench.capabilities import require_factors
from core.workbench.exposures import factor_returns, shipped_factor_returns
from core.workbench.projection import wls_rows
from core.workbench.sources import Forecasts

SOURCES = {"truth": "the synthetic market's true factor returns",
           "posterior": "the model's posterior factor means",
           "regression": "a cross-sectional regression of r_s - m_(s-1) on B_(s-1), weighted by 1/d"}


def previous_dates(panel, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The trading date before each of `dates` (all inside the data and not its first date)."""
    pos = panel.dates.get_indexer(pd.DatetimeIndex(dates))
    if (pos < 1).any():
        raise DataError(f"dates must lie in {panel.name!r} after its first date, {panel.dates[0].date()}")
    return panel.dates[pos - 1]


def forecasts_at(panel, forecasts: Forecasts, dates: pd.DatetimeIndex) -> ForecastSeries:
    """Forecasts made at `dates` (forecast dates): the stored series when it covers them all, else the model
    forecasts them now; NotAvailable naming the stored range when it cannot."""
    dates = pd.DatetimeIndex(dates)
    series = forecasts.series
    if dates.isin(series.dates).all():
        return series
    if forecasts.model is None:
        raise NotAvailable(f"{forecasts.name} has forecasts for {series.dates[0].date()}..{series.dates[-1].date()} "
                           f"only and no model to forecast {dates[0].date()}..{dates[-1].date()}; pick a period "
                           "inside that range")
    return forecasts.model.forecast_series(panel, dates)


def regression_factor_returns(panel, series: ForecastSeries, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """dates x factors: per realised date s, the weighted least-squares fit of r_s - m_{s-1} on B_{s-1} over the
    stocks with a return and a forecast (weights 1/d_{s-1}; core.workbench.projection.wls_rows); NaN where fewer
    stocks than factors."""
    pos = series.dates.get_indexer(previous_dates(panel, dates))
    rets = panel.returns.reindex(columns=series.tickers).loc[dates].to_numpy()
    out = wls_rows(rets - series.mean[pos], series.exposures[pos], series.idio_var[pos])
    return pd.DataFrame(out, index=dates, columns=series.factor_names)


def realised_factor_returns(panel, forecasts: Forecasts, dates, root: str | Path | None = None
                            ) -> tuple[pd.DataFrame, str]:
    """(dates x factors realised on `dates`, the source in words, SOURCES); NotAvailable for a model without
    factors. Rows stay NaN where the source has no value (e.g. no stock observed that day)."""
    require_factors(forecasts.series)
    dates = pd.DatetimeIndex(dates)
    if forecasts.source == "truth":
        return factor_returns(panel, forecasts, dates, root), SOURCES["truth"]
    shipped = shipped_factor_returns(panel, forecasts, root)  # shipped only by models with posterior factors
    missing = dates[~dates.isin(shipped.dropna(how="all").index)] if shipped is not None else dates
    model = forecasts.model if len(missing) else None  # loaded (its network run) only for dates the table lacks
    if len(missing) and (model is None or not model.posterior_factors):
        return regression_factor_returns(panel, forecasts_at(panel, forecasts, previous_dates(panel, dates)),
                                         dates), SOURCES["regression"]
    out = (pd.DataFrame(np.nan, index=dates, columns=forecasts.series.factor_names) if shipped is None
           else shipped.reindex(dates))
    if len(missing):
        out = out.combine_first(model.factor_returns(panel, previous_dates(panel, missing)))
    return out.loc[dates, list(forecasts.series.factor_names)], SOURCES["posterior"]
