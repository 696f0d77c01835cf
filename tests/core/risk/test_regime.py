"""Volatility regime adjustment: lambda_t^2 from the past only (cut around the end of its burn-in, failing on a
planted one-day leak), and it fixes a model's level."""
from dataclasses import replace

import numpy as np
import pytest

from core.risk import regime
from core.risk.families import books
from core.risk.regime import bias_statistics, ewma_scale, regime_adjust
from tests.lookahead import applied_early, assert_no_lookahead, changed_after, reading_ahead


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


REGIME_FIRST = 20
# lambda_t is updated every day from the end of the burn-in (row 41 here): cut just before it, on it and off it
REGIME_CUTS = {"before": REGIME_FIRST + regime.MIN_DAYS - 1, "on": REGIME_FIRST + regime.MIN_DAYS,
               "off": REGIME_FIRST + regime.MIN_DAYS + 10}


@pytest.fixture
def regime_case(small_market):
    panel, truth = small_market
    series = truth.forecast_series(panel, panel.dates[:100])

    def outputs(data) -> dict[str, np.ndarray]:
        adjusted = regime.regime_adjust(data, series, series.dates[REGIME_FIRST], half_life=21)
        return {"factor_cov": adjusted.factor_cov, "idio_var": adjusted.idio_var}

    return outputs, panel, lambda data, t: changed_after(data, series.dates[t], seed=t)


def test_regime_adjustment_uses_no_outcome_after_its_date(regime_case):
    assert_no_lookahead(*regime_case, REGIME_CUTS)


@pytest.mark.parametrize("leak, cut", [(reading_ahead, "on"), (applied_early, "before")],
                         ids=["EWMA reads t+1", "scale a day early"])
def test_a_one_day_leak_in_the_regime_scale_is_caught(regime_case, monkeypatch, leak, cut):
    monkeypatch.setattr(regime, "ewma_scale", leak(regime.ewma_scale))
    with pytest.raises(AssertionError, match="look-ahead"):
        assert_no_lookahead(*regime_case, {cut: REGIME_CUTS[cut]})
