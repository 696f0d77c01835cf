"""Which split a date is in, and the forecast dates of a split that a series covers (the span of the time charts)."""
from __future__ import annotations

import pandas as pd

from core.forecast import ForecastSeries

SPLITS = ("train", "valid", "test")
#: the default view's date lies this many forecast dates before the last (the covariance page's realised window)
DEFAULT_LAG = 21


def default_date(dates) -> pd.Timestamp:
    """The date a view opens on: DEFAULT_LAG forecast dates before the last of `dates` (the first when fewer), so
    the next DEFAULT_LAG days' realised returns exist (core.workbench.covariance.COV_HORIZON is the same 21 days)."""
    dates = pd.DatetimeIndex(dates)
    return dates[max(len(dates) - 1 - DEFAULT_LAG, 0)]


def split_of(panel, date) -> str:
    """The split holding `date`: train, valid, test or "outside the data"."""
    ts = pd.Timestamp(date)
    for part in SPLITS:
        if ts in panel.split_dates(part):
            return part
    return "outside the data"


def window(panel, series: ForecastSeries, part: str) -> pd.DatetimeIndex:
    """The forecast dates of split `part` that the series covers."""
    span = panel.split_dates(part) if part in SPLITS else pd.DatetimeIndex([])
    return series.dates[series.dates.isin(span)]
