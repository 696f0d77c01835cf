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
from core.risk.recalibration import fit_map, portfolio_days, portfolio_pits, recalibrate, rolling_maps
from tests.lookahead import (applied_early, assert_no_lookahead, changed_after, changed_pits, grid_cuts,
                             reading_ahead, with_later_listing)


def _ew(panel) -> np.ndarray:
    """The equal-weight book (N, 1)."""
    return np.full((len(panel.tickers), 1), 1.0 / len(panel.tickers))


def test_fit_map_is_a_cdf_and_recovers_uniform():
    uniform = fit_map(np.random.default_rng(0).uniform(size=50_000))
    assert uniform.shape == (2, PIT_KNOTS.size) and np.array_equal(uniform[0], uniform[1])  # pooled: one map twice
    assert (uniform[:, 0] == 0).all() and (uniform[:, -1] == 1).all() and np.all(np.diff(uniform, axis=1) >= 0)
    assert np.abs(uniform - PIT_KNOTS).max() < 0.02


def test_a_map_by_factor_share_serves_factor_books_and_specific_books_apart():
    """Books whose variance is all factor are forecast 1.5x too narrow, all-specific ones right: the two rows
    recover both, and a pooled map would serve neither."""
    from scipy import stats

    from core.forecast.recalibrated import book_maps

    rng = np.random.default_rng(2)
    share = rng.uniform(size=60_000)
    z = rng.standard_normal(60_000) * np.where(share > 0.5, 1.5, 1.0)
    pits = stats.norm.cdf(z)
    maps = fit_map(pits, share)
    wide = stats.norm.cdf(stats.norm.ppf(PIT_KNOTS) / 1.5)
    high, low = book_maps(maps, np.array([0.95, 0.05]))
    assert np.abs(high - fit_map(pits[share > 0.9])[0]).max() < 0.06
    assert np.abs(low - fit_map(pits[share < 0.1])[0]).max() < 0.06
    assert np.abs(low - PIT_KNOTS).max() < np.abs(fit_map(pits)[0] - PIT_KNOTS).max()
    assert np.abs(high - wide).max() < np.abs(fit_map(pits)[0] - wide).max()


def test_the_maps_by_share_solve_the_ridge_least_squares_they_state(monkeypatch):
    """fit_map's rows by factor share equal the ridge solve written out with the (M, K) indicator matrix
    1[PIT <= knot] (before its monotone pass), ties at a knot, NaN PITs and shares included."""
    rng = np.random.default_rng(4)
    pits, share = rng.beta(0.8, 0.9, 20_000), rng.uniform(size=20_000)
    pits[:50], pits[50:80], share[80:90] = PIT_KNOTS[7], np.nan, np.nan
    seen, real = [], recalibration._monotone
    monkeypatch.setattr(recalibration, "_monotone", lambda x, y: seen.append(np.array(y)) or real(x, y))
    fit_map(pits, share)
    ok = np.isfinite(pits) & np.isfinite(share)
    x = np.stack([1.0 - share[ok], share[ok]], axis=1)
    pooled = real(np.r_[0.0, np.sort(pits[ok]), 1.0], np.r_[0.0, (np.arange(1, ok.sum() + 1) - 0.5) / ok.sum(), 1.0])
    ridge = recalibration.SHARE_RIDGE * ok.sum()
    rows = np.linalg.solve(x.T @ x + ridge * np.eye(2), x.T @ (pits[ok][:, None] <= PIT_KNOTS[None, :])
                           + ridge * pooled[None, :])
    np.testing.assert_allclose(np.stack(seen[1:]), rows, rtol=0, atol=1e-12)


MAPS = {"start": 10, "refit_every": 7, "min_days": 30}  # refits at rows 40, 47, 54, ...
MAP_CUTS = grid_cuts(MAPS["start"] + MAPS["min_days"], MAPS["refit_every"])  # before 46, on 47, off 50


def _maps(pits) -> dict[str, np.ndarray]:
    return {"maps": recalibration.rolling_maps(pits, MAPS["start"], MAPS["refit_every"], MAPS["min_days"])}


def test_rolling_maps_use_only_the_past():
    pits = np.random.default_rng(0).beta(3, 3, (120, 4))
    assert np.array_equal(_maps(pits)["maps"][:40], np.broadcast_to(PIT_KNOTS, (40, 2, PIT_KNOTS.size)))
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
    assert cal.pit_map.shape == (len(dates), 2, PIT_KNOTS.size)
    assert np.array_equal(cal.pit_map, np.broadcast_to(PIT_KNOTS, cal.pit_map.shape))


def test_a_stored_layer_is_used_only_with_the_settings_and_shapes_it_was_fitted_for(small_market):
    from core.risk.recalibration import Layer, layer_settings

    panel, truth = small_market
    series = truth.forecast_series(panel, panel.dates[100:130])
    t, n, f = series.exposures.shape
    maps = np.broadcast_to(PIT_KNOTS, (t, 2, PIT_KNOTS.size)).copy()
    factor, ratio = np.broadcast_to(np.eye(f), (t, f, f)).copy(), np.ones((t, n))
    assert Layer(maps, factor, ratio, layer_settings(252.0)).fits(series, 252.0)
    assert not Layer(maps, factor, ratio, layer_settings(126.0)).fits(series, 252.0)  # another half-life
    assert not Layer(maps, None, None, layer_settings(None)).fits(series, 252.0)  # no update stored
    assert not Layer(maps[:-1], factor[:-1], ratio[:-1], layer_settings(252.0)).fits(series, 252.0)  # other dates
    assert not Layer(maps, factor, ratio, None).fits(series, 252.0)  # written before settings were recorded
    assert Layer(maps, None, None, layer_settings(None)).fits(series, None)


def test_a_short_file_starts_from_the_prior_and_moves_to_its_own_outcomes():
    from scipy import stats

    rng = np.random.default_rng(1)
    pits = stats.norm.cdf(rng.standard_normal((300, 8)) * 1.6)  # the file: forecasts 1.6x too narrow
    prior = fit_map(stats.norm.cdf(rng.standard_normal(20_000) * 1.6))  # learnt elsewhere: the same miss
    maps = rolling_maps(pits, start=20, refit_every=21, min_days=21, prior=prior, prior_days=100.0)
    assert np.array_equal(maps[:20], np.broadcast_to(PIT_KNOTS, (20, 2, PIT_KNOTS.size)))  # before the start: identity
    assert np.array_equal(maps[20:20 + 21], np.broadcast_to(prior, (21, *prior.shape)))
    own = fit_map(pits[20:299])
    n = 299 - 20 - (299 - 20 - 21) % 21  # days behind the last refit
    assert np.allclose(maps[299], (100 * prior + n * fit_map(pits[20:20 + n])) / (100 + n))
    assert np.abs(maps[299] - own).max() < np.abs(prior - PIT_KNOTS).max()  # own outcomes weigh more than the prior
    changed = pits.copy()
    changed[150:] = rng.uniform(size=(150, 8))  # the future changes: maps up to row 150 must not
    assert np.array_equal(rolling_maps(changed, 20, 21, 21, prior=prior, prior_days=100.0)[:151], maps[:151])
    no_prior = rolling_maps(pits, 20, 21, min_days=250)
    assert np.array_equal(no_prior[:270], np.broadcast_to(PIT_KNOTS, (270, 2, PIT_KNOTS.size)))  # short, no prior


def test_the_prior_is_never_used_on_the_data_it_was_fitted_on(tmp_path, small_market):
    from core import store
    from core.io import write_arrays

    panel, truth = small_market
    series = truth.forecast_series(panel, panel.dates[100:120])
    mdir = store.model_dir("data-x", "m", tmp_path)
    series.save(mdir, {"fingerprint": panel.fingerprint()})
    write_arrays(mdir / "calibration.safetensors", {"prior": PIT_KNOTS})
    assert store.load_prior("data-x", "m", panel, tmp_path) is None  # the very data: no prior
    from core.data.synthetic import make_market

    other_panel, _ = make_market(n_stocks=10, n_dates=60, seed=9)
    assert np.array_equal(store.load_prior("data-x", "m", other_panel, tmp_path), PIT_KNOTS)


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


def test_a_stock_listed_after_t_changes_no_map_up_to_t(small_market):
    """A newer file adds a stock listed after t (forecast from its listing on, like the first stock): the maps up
    to t do not move (the reference books are drawn per ticker and held each day at their own net), later ones do."""
    panel, truth = small_market
    series = replace(truth.forecast_series(panel, panel.dates[:130]), family="normal", factor_dof=None,
                     idio_dof=None)

    def with_its_forecasts(data):
        if "NEWCO" not in data.tickers:
            return series
        listed = np.isfinite(data.returns["NEWCO"].reindex(series.dates).to_numpy())
        grow = lambda a: np.concatenate([a, np.where(listed.reshape(-1, *[1] * (a.ndim - 1)), a[:, :1], np.nan)],  # noqa: E731
                                        axis=1)
        return replace(series, tickers=series.tickers + ["NEWCO"], mean=grow(series.mean),
                       exposures=np.concatenate([series.exposures, series.exposures[:, :1]], axis=1),
                       idio_var=grow(series.idio_var))

    def outputs(data) -> dict[str, np.ndarray]:
        return {"pit_map": recalibrate(data, with_its_forecasts(data), series.dates[0], 200, min_days=60,
                                       refit_every=10).pit_map}

    assert_no_lookahead(outputs, panel, lambda data, t: with_later_listing(data, series.dates[t]),
                        grid_cuts(60, 10))


def test_the_pits_do_not_depend_on_the_number_of_threads(small_market, monkeypatch):
    """Each day draws from its own seed, so the days' PITs on four threads equal those of a plain loop, bit for bit
    (core/parallel.py)."""
    from core import parallel

    panel, truth = small_market
    dates = panel.dates[100:160]
    series = truth.forecast_series(panel, dates)
    books = np.column_stack([_ew(panel)[:, 0], np.linspace(-1, 1, len(panel.tickers))])
    monkeypatch.setattr(parallel, "MAX_THREADS", 1)
    one = portfolio_pits(panel, series, dates, books, 300)
    monkeypatch.setattr(parallel, "MAX_THREADS", 4)
    monkeypatch.setattr(parallel, "available_cores", lambda: 4)
    many = portfolio_pits(panel, series, dates, books, 300)
    assert np.isfinite(one).all() and np.array_equal(one, many)
