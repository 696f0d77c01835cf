"""ForecastSeries.at: the forecast of one date, found by the date; a date without one, or held twice, says so."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries


def _series(n_dates: int = 5) -> ForecastSeries:
    fcs = [FactorForecast(date=d, tickers=list("ABC"), mean=np.full(3, k / 100), exposures=np.ones((3, 1)),
                          factor_cov=np.eye(1), idio_var=np.ones(3), model="m")
           for k, d in enumerate(pd.bdate_range("2020-01-02", periods=n_dates))]
    return ForecastSeries.stack(fcs, list("ABC"))


def test_at_finds_each_date_by_timestamp_or_string():
    s = _series()
    for k, d in enumerate(s.dates):
        assert s.at(d).date == d and s.at(str(d.date())).mean[0] == pytest.approx(k / 100)


def test_a_date_without_a_forecast_names_the_range():
    with pytest.raises(ModelError, match="no forecast of m at 2020-01-04; forecasts exist for 2020-01-02..2020-01-08"):
        _series().at("2020-01-04")  # a Saturday


def test_a_date_held_twice_is_refused():
    s = _series()
    twice = replace(s, dates=pd.DatetimeIndex([s.dates[0], *s.dates[:-1]]))
    with pytest.raises(ModelError, match="more than once"):
        twice.at(s.dates[0])
