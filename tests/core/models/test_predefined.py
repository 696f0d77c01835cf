"""Time-series and cross-sectional regressions recover known betas and factor returns (hand-built data)."""
from __future__ import annotations

import numpy as np

from tests.core.models.handmade import build_panel, fit, grid_ranks


def test_ts_regression_recovers_known_betas():
    rng = np.random.default_rng(2)
    t, n = 400, 15
    bench = rng.normal(0, 0.01, t)
    factors = rng.normal(0, 0.005, (t, 2))
    factors[:200, 1] = np.nan  # a factor series that starts late, like sp500-20's ETFs
    beta = rng.normal(1, 0.4, (n, 3))
    x = np.column_stack([bench, np.nan_to_num(factors)])
    r = x @ beta.T + rng.normal(0, 0.001, (t, n))
    panel = build_panel(r, benchmark=bench, factors=factors)
    model = fit("ts-regression", panel)
    early = model.forecast(panel, panel.dates[150])  # the second factor does not exist yet
    assert np.all(early.exposures[:, 2] == 0.0) and early.factor_cov[2, 2] == 1.0
    fc = model.forecast(panel, panel.dates[-1])
    assert fc.factor_names == ["MKT", "F0", "F1"]
    np.testing.assert_allclose(fc.exposures, beta, atol=0.08)


def test_xs_regression_recovers_known_factor_returns():
    rng = np.random.default_rng(3)
    t, n, s = 500, 120, 4
    sector = np.arange(n) % s
    sector_ret = rng.normal(0.0, 0.01, (t, s))
    style = rng.normal(0.0, 0.005, t)
    x = grid_ranks(rng, t, n)
    r = sector_ret[:, sector] + np.vstack([np.full(n, np.nan), x[:-1] * style[1:, None]]) + rng.normal(0, 0.002, (t, n))
    r[0] = np.nan
    panel = build_panel(r, sectors=[f"sec{j}" for j in sector], features={"style": x})
    model = fit("xs-regression", panel)
    rz = model._realised(panel)
    names = model.factor_names()
    f = rz.factors[2:]  # f_1 would need exposures from date 0, which has no returns
    assert np.isfinite(f).all()
    for j in range(s):  # market + sector j is that sector's return
        got = f[:, 0] + f[:, names.index(f"sector:sec{j}")]
        assert np.corrcoef(got, sector_ret[2:, j])[0, 1] > 0.99
    np.testing.assert_allclose(f[:, names.index("feat:style")], style[2:], atol=0.002)
    fc = model.forecast(panel, panel.dates[-1])
    assert fc.n_factors == 1 + s + 1
