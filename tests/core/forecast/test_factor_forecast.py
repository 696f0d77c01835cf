"""FactorForecast: restrict keeps the rows of the tickers asked for."""
import numpy as np
import pytest

from core.errors import PortfolioError
from core.forecast import restrict
from tests.core.risk.forecasts import make_fc


def test_restrict_keeps_rows():
    fc = make_fc()
    sub = restrict(fc, ["T3", "T1"])
    np.testing.assert_array_equal(sub.exposures, fc.exposures[[3, 1]])
    with pytest.raises(PortfolioError, match="no forecast"):
        restrict(fc, ["ZZZ"])
