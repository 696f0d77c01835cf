"""Fitting the calibration layer: monotone maps, no look-ahead (each refit schedule cut on, just before and off its
grid, each check failing on a planted one-day leak), the layer fixes a miscalibrated model."""
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import pytest

from core.forecast.recalibrated import PIT_KNOTS
from core.risk import covariance_update, recalibration
from core.risk.calibration import calibration_error
from core.risk.recalibration import fit_map, portfolio_days, portfolio_pits, recalibrate, reference_portfolios
from tests.lookahead import (applied_early, assert_no_lookahead, changed_after, changed_pits, grid_cuts,
                             reading_ahead, with_later_listing)


def test_reference_portfolios_are_long_only_and_cover_every_sector():
    sectors = pd.Series(["Tech", "Tech", None, "Energy"], index=list("ABCD"))
    w = reference_portfolios(sectors, n_random=5)
    assert w.shape == (4, 1 + 3 + 5) and np.allclose(w.sum(axis=0), 1) and (w >= 0).all()
    assert np.allclose(w[:, 0], 0.25) and np.allclose(w[:, 3], [0, 0, 1, 0])  # sectors sorted: Energy, Tech, Unknown


def test_fit_map_is_a_cdf_and_recovers_uniform():
    uniform = fit_map(np.random.default_rng(0).uniform(size=50_000))
    assert uniform[0] == 0 and uniform[-1] == 1 and np.all(np.diff(uniform) >= 0)
    assert np.abs(uniform - PIT_KNOTS).max() < 0.02


MAPS = {"start": 10, "refit_every": 7, "min_days": 30}  # refits at rows 40, 47, 54, ...
MAP_CUTS = grid_cuts(MAPS["start"] + MAPS["min_days"], MAPS["refit_every"])  # before 46, on 47, off 50


def _maps(pits) -> dict[str, np.ndarray]:
    return {"maps": recalibration.rolling_maps(pits, MAPS["start"], MAPS["refit_every"], MAPS["min_days"])}


def test_rolling_maps_use_only_the_past():
    pits = np.random.default_rng(0).beta(3, 3, (120, 4))
    assert np.array_equal(_maps(pits)["maps"][:40], np.broadcast_to(PIT_KNOTS, (40, PIT_KNOTS.size)))
    assert_no_lookahead(_maps, pits, changed_pits, MAP_CUTS | {"burn-in on": 40, "burn-in before": 39})


@pytest.mark.parametrize("leak, caught_by", [(reading_ahead, "on"), (applied_early, "before")])
def test_a_one_day_leak_in_the_maps_is_caught_by_its_cut_only(monkeypatch, leak, caught_by):
    """A refit that reads the PIT of day t+1 is seen only by the cut on a refit date, a refit applied a day
    early only by the cut just before one: each cut of grid_cuts is needed."""
    pits = np.random.default_rng(0).beta(3, 3, (120, 4))
    monkeypatch.setattr(recalibration, "rolling_maps", leak(recalibration.rolling_maps))
    for kind, t in MAP_CUTS.items():
        if kind == caught_by:
            with pytest.raises(AssertionError, match="look-ahead"):
                assert_no_lookahead(_maps, pits, changed_pits, {kind: t})
        else:
            assert_no_lookahead(_maps, pits, changed_pits, {kind: t})


def test_layer_calibrates_a_model_whose_variance_is_too_small(small_market):
    """The truth's forecasts with their covariance shrunk 4x: the PITs of the equal-weight portfolio are
    far from uniform; the layer (fitted on the past only) brings them close."""
    panel, truth = small_market
    dates = panel.dates[100:399]
    raw = truth.forecast_series(panel, dates)
    narrow = replace(raw, factor_cov=raw.factor_cov / 4, idio_var=raw.idio_var / 4)
    cal = recalibrate(panel, narrow, dates[0], n_samples=500, min_days=100, refit_every=20)
    ew = reference_portfolios(panel.sectors)[:, :1]
    later = dates[150:]
    before = calibration_error(portfolio_pits(panel, narrow, later, ew, 500)[:, 0])
    after = calibration_error(_pits_through_layer(panel, cal, later))
    assert before > 0.5 and after < before / 3


def _pits_through_layer(panel, series, dates) -> np.ndarray:
    """Equal-weight PITs read from each calibrated forecast's own portfolio CDF."""
    ew = reference_portfolios(panel.sectors)[:, :1]
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


# --- the whole layer as served ("<model>+cal"), with its real refit schedules -----------------------------------
LAYER_FIRST = 20  # the layer starts at the 21st forecast (the first validation forecast in use); earlier rows raw
HALF_LIFE = 63.0
# both refit grids of fit_layer, from their real settings: the covariance update's (refits at rows 167, 188, ...)
# and the maps' (rows 291, 312, ...); the two grids do not line up, so each gets its own three cuts
LAYER_CUTS = (grid_cuts(LAYER_FIRST + covariance_update.MIN_DAYS, covariance_update.REFIT_EVERY, "update")
              | grid_cuts(LAYER_FIRST + recalibration.MIN_DAYS, recalibration.REFIT_EVERY, "maps"))


@pytest.fixture
def layer_case(small_market, monkeypatch):
    """(outputs, panel, change) of fit_layer on the synthetic truth's forecasts, as Normal ones, and with 200 PIT
    draws instead of 2,000 (the refit schedules are the real ones; the draws only set the cost)."""
    panel, truth = small_market
    length = max(LAYER_CUTS.values()) + 2 * recalibration.REFIT_EVERY  # a refit after the last cut
    assert length < len(panel.dates)
    series = replace(truth.forecast_series(panel, panel.dates[:length]), family="normal", factor_dof=None,
                     idio_dof=None)
    monkeypatch.setattr(recalibration, "recalibrate", partial(recalibration.recalibrate, n_samples=200))

    def outputs(data) -> dict[str, np.ndarray]:
        layer = recalibration.fit_layer(data, series, series.dates[LAYER_FIRST], HALF_LIFE)
        served = layer.apply(series)
        return {"pit_map": layer.pit_map, "factor": layer.factor, "ratio": layer.ratio,
                "factor_cov": served.factor_cov, "idio_var": served.idio_var}

    return outputs, panel, lambda data, t: changed_after(data, series.dates[t], seed=t)


def test_the_served_layer_uses_no_outcome_after_its_date(layer_case):
    outputs, panel, change = layer_case
    assert_no_lookahead(outputs, panel, change, LAYER_CUTS)


@pytest.mark.parametrize("module, name, leak, cut", [
    (recalibration, "rolling_maps", reading_ahead, "maps on"),  # a map refit reads the PIT scored on day t+1
    (recalibration, "rolling_maps", applied_early, "maps before"),  # a map refit applied a day early
    (covariance_update, "_days", applied_early, "update on"),  # the update's refit reads the outcome of day t+1
    (covariance_update, "fit_corrections", applied_early, "update before"),  # an update refit applied a day early
], ids=["maps read t+1", "maps a day early", "update reads t+1", "update a day early"])
def test_a_one_day_leak_in_the_layer_is_caught(layer_case, monkeypatch, module, name, leak, cut):
    outputs, panel, change = layer_case
    monkeypatch.setattr(module, name, leak(getattr(module, name)))
    with pytest.raises(AssertionError, match="look-ahead"):
        assert_no_lookahead(outputs, panel, change, {cut: LAYER_CUTS[cut]})


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="found by issue 31's look-ahead tests: the reference portfolios' random Dirichlet weights are "
                   "drawn over every ticker of the file, so a stock listed only after t changes the weights, the PITs "
                   "and the maps at dates <= t (universe membership peeks ahead; the regime scale likewise)")
def test_a_stock_listed_after_t_changes_no_map_up_to_t(small_market):
    panel, truth = small_market
    series = replace(truth.forecast_series(panel, panel.dates[:130]), family="normal", factor_dof=None,
                     idio_dof=None)

    def outputs(data) -> dict[str, np.ndarray]:
        return {"pit_map": recalibrate(data, series, series.dates[0], 200, min_days=60, refit_every=10).pit_map}

    assert_no_lookahead(outputs, panel, lambda data, t: with_later_listing(data, series.dates[t]),
                        grid_cuts(60, 10))
