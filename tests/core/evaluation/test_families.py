"""Calibration by portfolio family: the true model of a synthetic market is in range on every family; a model
whose variance is 4x too small breaches far too often on every family; the range accounts for overlapping books."""
from dataclasses import replace

import numpy as np

from core.evaluation.families import family_scores, null_range, within


def test_the_truth_is_in_range_and_a_too_narrow_model_is_not(small_market):
    panel, truth = small_market
    dates = panel.dates[100:399]
    raw = truth.forecast_series(panel, dates)
    good = family_scores(panel, raw, dates, n_samples=2_000)
    assert good.loc["long-only", "fitted"] and not good.loc["pairs", "fitted"]
    assert all(within(row) for _, row in good.iterrows()), good
    narrow = replace(raw, factor_cov=raw.factor_cov / 4, idio_var=raw.idio_var / 4)
    bad = family_scores(panel, narrow, dates, n_samples=2_000)
    assert (bad["var99_rate"] > bad["hi"]).all() and (bad["calib"] > good["calib"]).all()


def test_the_range_widens_when_books_move_together():
    rng = np.random.default_rng(0)
    independent = rng.uniform(size=(500, 20))
    common = np.repeat(rng.uniform(size=(500, 1)), 20, axis=1)
    lo_i, hi_i = null_range(independent)
    lo_c, hi_c = null_range(common)
    assert hi_i - lo_i < 0.006 < hi_c - lo_c  # one book's binomial range on 500 days is about 0.002-0.02
