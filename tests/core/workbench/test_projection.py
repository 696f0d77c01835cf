"""core.workbench.projection: the weighted cross-sectional fit against a hand solve, missing stocks, too few stocks,
and the fitted factor P&L unchanged by a rotation of the exposures (a model whose factors rotate, PPCA)."""
from dataclasses import replace

import numpy as np
import pandas as pd

from core.forecast import FactorForecast
from core.workbench.projection import in_today_coordinates, wls_rows

RNG = np.random.default_rng(1)
TICKERS = [f"S{i}" for i in range(12)]


def forecast() -> FactorForecast:
    return FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=TICKERS, mean=np.zeros(12),
                          exposures=RNG.standard_normal((12, 3)), factor_cov=np.eye(3),
                          idio_var=RNG.uniform(0.5, 2.0, 12), factor_names=["a", "b", "c"])


def test_weighted_fit_matches_the_normal_equations_and_skips_missing_stocks():
    fc = forecast()
    y = RNG.standard_normal((4, 12))
    y[1, :2] = np.nan
    y[3, :10] = np.nan  # 2 stocks for 3 factors: no fit
    out = wls_rows(y, fc.exposures, fc.idio_var)
    for k in (0, 1):
        ok = np.isfinite(y[k])
        b, dinv = fc.exposures[ok], 1.0 / fc.idio_var[ok]
        np.testing.assert_allclose(out[k], np.linalg.solve(b.T @ (b * dinv[:, None]), b.T @ (dinv * y[k, ok])))
    assert np.isnan(out[3]).all() and np.isfinite(out[2]).all()


def test_the_factor_pnl_does_not_depend_on_the_factors_coordinates():
    fc = forecast()
    rot = np.linalg.qr(RNG.standard_normal((3, 3)))[0] @ np.diag([2.0, 0.5, -1.0])
    turned = replace(fc, exposures=fc.exposures @ rot)
    r = pd.DataFrame(RNG.standard_normal((5, 12)), index=pd.bdate_range("2020-01-03", periods=5), columns=TICKERS)
    w = RNG.standard_normal(12)
    pnl = in_today_coordinates(r, fc).to_numpy() @ (fc.exposures.T @ w)
    np.testing.assert_allclose(in_today_coordinates(r, turned).to_numpy() @ (turned.exposures.T @ w), pnl)


def test_rows_sharing_their_stocks_are_fitted_together_as_one_by_one():
    """One b and d for every row (a window on today's exposures): rows grouped by their stocks, the same fits as a
    row-by-row solve, including rows with too few stocks, an unusable stock (d = 0, an exposure NaN) and a lone row."""
    b, d = RNG.standard_normal((12, 3)), RNG.uniform(0.5, 2.0, 12)
    d[4], b[7, 1] = 0.0, np.nan
    y = RNG.standard_normal((60, 12))
    y[RNG.uniform(size=y.shape) < 0.1] = np.nan
    y[5, :10] = np.nan
    shared = wls_rows(y, b, d)
    one_by_one = wls_rows(y, np.broadcast_to(b, (60, 12, 3)), np.broadcast_to(d, (60, 12)))  # the per-row path
    np.testing.assert_allclose(shared, one_by_one, rtol=1e-10, atol=1e-12)
    assert np.isnan(shared[5]).all() and np.isfinite(shared[0]).all()
