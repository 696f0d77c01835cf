"""core.workbench.dates: the split of a date, a split's window and the date a view opens on."""
import pandas as pd

from core.workbench.dates import DEFAULT_LAG, default_date


def test_the_default_date_leaves_the_covariance_window_after_it():
    dates = pd.bdate_range("2020-01-01", periods=100)
    assert default_date(dates) == dates[-1 - DEFAULT_LAG] and DEFAULT_LAG == 21
    assert default_date(dates[:5]) == dates[0]
    assert default_date([str(d.date()) for d in dates]) == dates[-22]  # the sidebar's strings
