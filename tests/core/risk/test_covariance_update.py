"""The covariance update layer: uses only the past (its refits cut on, before and off their grid), recovers a known
misspecification, leaves short series alone."""
from dataclasses import replace

import numpy as np
import pytest

from core.errors import ModelError
from core.evaluation.tables import scored_days
from core.risk.covariance import common_tickers, whitened_common, whitening_scores
from core.risk.covariance_update import corrected, fit_corrections
from tests.lookahead import assert_no_lookahead, changed_after, grid_cuts


def update_covariances(panel, series, start, half_life, **settings):
    """The series through the covariance update (what recalibration.fit_layer applies before the maps)."""
    return corrected(series, *fit_corrections(panel, series, start, half_life, **settings))


def _whitening_mse(panel, series, dates) -> float:
    """Whitening MSE on the stocks with a forecast and an outcome on every one of `dates`, as evaluate scores it."""
    fcs, rows = scored_days(panel, series, dates)
    return whitening_scores(whitened_common(fcs, rows, common_tickers(fcs)))[0]


@pytest.fixture(scope="module")
def wrong(small_market):
    """The synthetic truth's forecasts with factor variances 4x too small and specific variances 2x too large."""
    panel, truth = small_market
    dates = panel.dates[100:398]
    raw = truth.forecast_series(panel, dates)
    return panel, raw, replace(raw, factor_cov=raw.factor_cov / 4, idio_var=raw.idio_var * 2)


def test_update_recovers_a_misspecified_covariance(wrong):
    panel, raw, bad = wrong
    fixed = update_covariances(panel, bad, bad.dates[0], half_life=None, min_days=60, refit_every=10)
    later = bad.dates[100:]
    ratio = np.diagonal(fixed.factor_cov[-1]) / np.diagonal(raw.factor_cov[-1])
    assert np.all(ratio > 0.5) and np.all(ratio < 1.5), ratio  # 0.25 before; 5 EM steps go most of the way
    assert np.nanmedian(fixed.idio_var[-1] / raw.idio_var[-1]) == pytest.approx(1.0, abs=0.15)  # 2.0 before
    truth, before, after = (_whitening_mse(panel, s, later) for s in (raw, bad, fixed))
    assert after - truth < (before - truth) / 3, (truth, before, after)


def test_update_uses_only_outcomes_known_at_each_date(wrong):
    """Refits every 10 days from day 60 (rows 60, 70, ...): cut just before, on and off the refit at row 70, and at
    the end of the burn-in; the corrections and the updated series up to the cut use no later outcome."""
    panel, _, bad = wrong

    def outputs(data) -> dict[str, np.ndarray]:
        factor, ratio = fit_corrections(data, bad, bad.dates[0], half_life=63, min_days=60, refit_every=10)
        fixed = corrected(bad, factor, ratio)
        return {"factor": factor, "ratio": ratio, "factor_cov": fixed.factor_cov, "idio_var": fixed.idio_var}

    assert_no_lookahead(outputs, panel, lambda data, t: changed_after(data, bad.dates[t], seed=t),
                        grid_cuts(60, 10) | {"burn-in before": 59, "burn-in on": 60})


def test_dates_before_the_burn_in_are_unchanged_and_a_short_series_is_returned_as_is(wrong):
    panel, _, bad = wrong
    fixed = update_covariances(panel, bad, bad.dates[0], half_life=126, min_days=60)
    assert np.array_equal(fixed.factor_cov[:60], bad.factor_cov[:60])
    assert not np.allclose(fixed.factor_cov[60:], bad.factor_cov[60:])
    short = update_covariances(panel, bad, bad.dates[-50], half_life=126, min_days=60)
    assert np.array_equal(short.factor_cov, bad.factor_cov) and np.array_equal(short.idio_var, bad.idio_var,
                                                                                equal_nan=True)
    with pytest.raises(ModelError, match="no forecasts"):
        update_covariances(panel, bad, panel.dates[-1] + np.timedelta64(30, "D"), half_life=126)


def _toy_days(t=300, late=3):
    """One factor with no exposure, three stocks of forecast specific variance 1 whose realised squared returns
    are exactly 2; stock 2 is listed only for the last `late` days, where its returns are tiny (own ratio ~0)."""
    from core.risk.covariance_update import _Days

    ok = np.ones((t, 3), dtype=bool)
    ok[: t - late, 2] = False
    e = np.sqrt(2.0) * np.where(np.arange(t) % 2, 1.0, -1.0)[:, None] * np.ones((1, 3))
    e[:, 2] *= 1e-3
    return _Days(a=np.zeros((t, 3, 1)), e=np.where(ok, e, 0.0), d=np.ones((t, 3)), ok=ok)


def test_a_newly_listed_stock_gets_mostly_the_market_wide_ratio():
    from core.risk.covariance_update import fit_correction

    weights = 0.5 ** (np.arange(300)[::-1] / 60.0)
    _, c = fit_correction(_toy_days(), weights)
    assert c[:2] == pytest.approx([2.0, 2.0], abs=0.05)
    assert c[2] > 1.6  # the latest 21 days' weight (0.21) pulls it toward 2; its own 3 days (0.03) say about 0


def test_a_day_without_outcomes_weighs_nothing():
    from core.risk.covariance_update import _Days, fit_correction

    days = _toy_days()
    weights = 0.5 ** (np.arange(300)[::-1] / 63.0)
    gap = _Days(*(np.insert(x, 150, 0 if x.dtype != bool else False, axis=0) for x in
                  (days.a, days.e, days.d + 0, days.ok)))
    gap.d[150] = 1.0
    with_gap = fit_correction(gap, np.insert(weights, 150, 1.0))
    without = fit_correction(days, weights)
    assert np.allclose(with_gap[0], without[0]) and np.allclose(with_gap[1], without[1])
