"""Fitting the calibration layer: monotone maps, no look-ahead, the layer fixes a miscalibrated model."""
import numpy as np
import pandas as pd

from core.forecast.recalibrated import PIT_KNOTS
from core.risk.calibration import calibration_error
from core.risk.recalibration import (fit_map, portfolio_days, portfolio_pits, recalibrate,
                                     rolling_maps)


def _ew(panel) -> np.ndarray:
    """The equal-weight book (N, 1)."""
    return np.full((len(panel.tickers), 1), 1.0 / len(panel.tickers))


def test_fit_map_is_a_cdf_and_recovers_uniform():
    uniform = fit_map(np.random.default_rng(0).uniform(size=50_000))
    assert uniform[0] == 0 and uniform[-1] == 1 and np.all(np.diff(uniform) >= 0)
    assert np.abs(uniform - PIT_KNOTS).max() < 0.02


def test_rolling_maps_use_only_the_past():
    rng = np.random.default_rng(0)
    pits = rng.beta(3, 3, (120, 4))
    maps = rolling_maps(pits, start=10, refit_every=7, min_days=30)
    assert np.array_equal(maps[:40], np.broadcast_to(PIT_KNOTS, (40, PIT_KNOTS.size)))
    changed = pits.copy()
    changed[80:] = rng.uniform(size=(40, 4))  # the future changes: maps up to row 80 must not
    assert np.array_equal(rolling_maps(changed, 10, 7, 30)[:81], maps[:81])
    assert not np.array_equal(rolling_maps(changed, 10, 7, 30)[81:], maps[81:])


def test_layer_calibrates_a_model_whose_variance_is_too_small(small_market):
    """The truth's forecasts with their covariance shrunk 4x: the PITs of the equal-weight portfolio are
    far from uniform; the layer (fitted on the past only) brings them close."""
    from dataclasses import replace

    panel, truth = small_market
    dates = panel.dates[100:399]
    raw = truth.forecast_series(panel, dates)
    narrow = replace(raw, factor_cov=raw.factor_cov / 4, idio_var=raw.idio_var / 4)
    cal = recalibrate(panel, narrow, dates[0], n_samples=500, min_days=100, refit_every=20)
    ew = _ew(panel)
    later = dates[150:]
    before = calibration_error(portfolio_pits(panel, narrow, later, ew, 500)[:, 0])
    after = calibration_error(_pits_through_layer(panel, cal, later))
    assert before > 0.5 and after < before / 3


def _pits_through_layer(panel, series, dates) -> np.ndarray:
    """Equal-weight PITs read from each calibrated forecast's own portfolio CDF."""
    ew = _ew(panel)
    return np.array([fc.distribution.portfolio_cdf(fc, w[:, 0], realised[0], 500, k)
                     for k, fc, w, _, realised in portfolio_days(panel, series, dates, ew)])


def test_too_short_a_history_gives_identity_maps_without_draws(small_market):
    panel, truth = small_market
    dates = panel.dates[300:399]
    cal = recalibrate(panel, truth.forecast_series(panel, dates), dates[0], min_days=250)
    assert np.array_equal(cal.pit_map, np.broadcast_to(PIT_KNOTS, cal.pit_map.shape))


def test_a_stored_layer_is_used_only_with_the_settings_and_shapes_it_was_fitted_for(small_market):
    from core.risk.recalibration import Layer, layer_settings

    panel, truth = small_market
    series = truth.forecast_series(panel, panel.dates[100:130])
    t, n, f = series.exposures.shape
    maps = np.broadcast_to(PIT_KNOTS, (t, PIT_KNOTS.size)).copy()
    factor, ratio = np.broadcast_to(np.eye(f), (t, f, f)).copy(), np.ones((t, n))
    assert Layer(maps, factor, ratio, layer_settings(252.0)).fits(series, 252.0)
    assert not Layer(maps, factor, ratio, layer_settings(126.0)).fits(series, 252.0)  # another half-life
    assert not Layer(maps, None, None, layer_settings(None)).fits(series, 252.0)  # no update stored
    assert not Layer(maps[:-1], factor[:-1], ratio[:-1], layer_settings(252.0)).fits(series, 252.0)  # other dates
    assert not Layer(maps, factor, ratio, None).fits(series, 252.0)  # written before settings were recorded
    assert Layer(maps, None, None, layer_settings(None)).fits(series, None)
