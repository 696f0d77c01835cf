"""Volatility regime adjustment: lambda_t^2 from the past only, and it fixes a model's level."""
from dataclasses import replace

import numpy as np

from core.risk.families import books
from core.risk.regime import bias_statistics, ewma_scale, regime_adjust


def test_ewma_scale_uses_the_past_only_and_converges():
    bias = np.r_[np.full(10, np.nan), np.full(200, 4.0)]
    lam2 = ewma_scale(bias, start=10, half_life=5, min_days=3)
    assert np.all(lam2[:13] == 1.0) and lam2[-1] == np.float64(4.0)
    moved = bias.copy()
    moved[100:] = 9.0
    assert np.array_equal(ewma_scale(moved, 10, 5, 3)[:101], lam2[:101])


def test_regime_adjustment_restores_the_level_of_a_too_narrow_model(small_market):
    panel, truth = small_market
    dates = panel.dates[100:399]
    raw = truth.forecast_series(panel, dates)
    narrow = replace(raw, factor_cov=raw.factor_cov / 4, idio_var=raw.idio_var / 4)
    w = books(panel.sectors.reindex(panel.tickers), "long-only")
    assert 3.0 < np.nanmean(bias_statistics(panel, narrow, dates, w)) < 5.5
    adjusted = regime_adjust(panel, narrow, dates[0], half_life=42)
    assert np.array_equal(adjusted.mean, narrow.mean, equal_nan=True)
    late = np.nanmean(bias_statistics(panel, adjusted, dates[100:], w))
    assert 0.7 < late < 1.4
