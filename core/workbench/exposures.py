"""Factor exposures and factor returns: a portfolio's exposures w'B_t over time, one date's exposures table,
and the realised factor returns, shipped or computed (the choice is made here, once)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core import store
from core.data.synthetic import default_synthetic
from core.errors import NotAvailable
from core.forecast import FactorForecast, ForecastSeries
from core.workbench.capabilities import require_factors
from core.workbench.keys import parse_model
from core.workbench.sources import Forecasts


def exposures_over_time(series: ForecastSeries, dates: pd.DatetimeIndex, weights: pd.Series) -> pd.DataFrame:
    """Portfolio factor exposures w'B_t over `dates` (dates x factors); weights fixed."""
    require_factors(series)
    pos = series.dates.get_indexer(dates)
    w = weights.reindex(series.tickers).fillna(0.0).to_numpy()
    y = np.einsum("n,tnf->tf", w, np.nan_to_num(series.exposures[pos]))
    return pd.DataFrame(y, index=dates, columns=series.factor_names)


def exposures_table(fc: FactorForecast) -> pd.DataFrame:
    """tickers x factors exposures B."""
    require_factors(fc)
    return pd.DataFrame(fc.exposures, index=fc.tickers, columns=fc.factor_names)


def shipped_factor_returns(panel, forecasts: Forecasts, root: str | Path | None = None) -> pd.DataFrame | None:
    """The realised factor returns shipped with shipped forecasts (dates realised x factors), None otherwise. A
    calibrated key ("<model>+cal") reads its base model's table: the layer changes the forecasts' covariance and
    quantiles, not the model's posterior factor returns (which its `factor_returns` would recompute date by date)."""
    if forecasts.source != "shipped":
        return None
    return store.load_factor_returns(panel.name, parse_model(forecasts.name).base, root)


def factor_returns(panel, forecasts: Forecasts, dates: pd.DatetimeIndex,
                   root: str | Path | None = None) -> pd.DataFrame:
    """Realised factor returns over `dates` (dates x factors), the first that applies: the table shipped with
    shipped forecasts (store.load_factor_returns, under `root`), the synthetic ground truth, the model's own
    `factor_returns`; NotAvailable when the model defines none."""
    require_factors(forecasts.series)
    shipped = shipped_factor_returns(panel, forecasts, root)
    if shipped is not None:
        return shipped.reindex(dates)
    if forecasts.source == "truth":
        z = default_synthetic()[1].factor_returns
        return pd.DataFrame(z, index=panel.dates, columns=[f"f{k + 1}" for k in range(z.shape[1])]).reindex(dates)
    if forecasts.model is None or not forecasts.model.posterior_factors:
        raise NotAvailable(f"{forecasts.name} does not define realised factor returns (it has no explicit factors)")
    return forecasts.model.factor_returns(panel, dates)
