"""The calibration layer on a forecast: the map moves portfolio CDFs and VaRs, nothing else."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries, restrict
from core.forecast.recalibrated import PIT_KNOTS
from core.risk.recalibration import fit_map


def _normal(pit_map=None, n=4) -> FactorForecast:
    return FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=list("ABCD")[:n], mean=np.zeros(n),
                          exposures=np.ones((n, 1)), factor_cov=np.eye(1), idio_var=np.ones(n), pit_map=pit_map)


def test_identity_map_changes_nothing():
    raw, cal = _normal(), _normal(PIT_KNOTS.copy())
    w = np.full(4, 0.25)
    assert cal.distribution.portfolio_cdf(cal, w, 0.3, 0, 0) == pytest.approx(raw.distribution.portfolio_cdf(raw, w, 0.3, 0, 0))
    var_raw = raw.distribution.portfolio_var(raw, w, (0.99,), 0, 0)[0][0.99][0]
    var_cal = cal.distribution.portfolio_var(cal, w, (0.99,), 50_000, 0)[0][0.99][0]
    assert var_cal == pytest.approx(var_raw, rel=0.03)
    r = np.array([0.1, -0.2, 0.3, 0.0])
    assert cal.distribution.log_likelihood(cal, r, 8, 0) == raw.distribution.log_likelihood(raw, r, 8, 0)


def test_map_learned_from_a_too_narrow_forecast_widens_its_var():
    """Forecast N(0, 1.25) for the portfolio, truth twice as wide: the fitted map restores the truth's 99% VaR."""
    raw = _normal()
    w = np.full(4, 0.25)
    vol = np.sqrt(raw.portfolio_var(w))
    outcomes = np.random.default_rng(1).normal(0, 2 * vol, 20_000)
    values = fit_map(stats.norm.cdf(outcomes / vol))
    cal = _normal(values)
    var = cal.distribution.portfolio_var(cal, w, (0.99,), 100_000, 0)[0][0.99][0]
    assert var == pytest.approx(2 * vol * stats.norm.ppf(0.99), rel=0.05)
    pit = cal.distribution.portfolio_cdf(cal, w, -2 * vol, 0, 0)
    assert pit == pytest.approx(stats.norm.cdf(-1.0), abs=0.01)


def test_map_travels_with_restrict_series_and_storage(tmp_path):
    values = fit_map(np.random.default_rng(0).beta(2, 2, 5_000))
    fcs = [_normal(values) for _ in range(2)]
    fcs[1].date = pd.Timestamp("2020-01-03")
    s = ForecastSeries.stack(fcs, list("ABCD"))
    assert s.pit_map.shape == (2, 2, PIT_KNOTS.size)  # dates, rows by factor share, knots
    s.save(tmp_path)
    back = ForecastSeries.load(tmp_path)
    assert np.allclose(back.at(s.dates[1]).pit_map, values, atol=1e-6)
    assert np.array_equal(restrict(back.at(s.dates[0]), ["B", "C"]).pit_map, back.pit_map[0])


def test_a_map_that_is_not_a_cdf_is_refused():
    with pytest.raises(ModelError, match="nondecreasing"):
        _normal(PIT_KNOTS[::-1].copy())


def test_each_book_reads_the_map_of_its_factor_share():
    """Row 1 (all-factor books) widens, row 0 (all-specific books) is the identity: a book of one stock's specific
    risk keeps the raw VaR, the equal-weight book (mostly factor) gets a wider one."""
    wide = stats.norm.cdf(stats.norm.ppf(PIT_KNOTS) / 2.0)
    fc = _normal(np.stack([PIT_KNOTS, wide]))
    raw = _normal()
    spread = np.array([0.5, -0.5, 0.0, 0.0])  # factor-neutral: share 0
    ew = np.full(4, 0.25)  # share 1 / (1 + 1/4) = 0.8
    var = lambda f, w: f.distribution.portfolio_var(f, w, (0.99,), 100_000, 0)[0][0.99][0]  # noqa: E731
    assert var(fc, spread) == pytest.approx(var(raw, spread), rel=0.03)
    assert var(fc, ew) > 1.5 * var(raw, ew)


@pytest.mark.parametrize("family", ["student_t", "normal"])
def test_pit_and_var_together_are_the_two_calls(family):
    """portfolio_pit_var (one set of draws for a Student-t base) gives exactly portfolio_cdf and portfolio_var."""
    values = fit_map(np.random.default_rng(0).beta(2, 2, 5_000))
    dofs = {"factor_dof": np.array([5.0]), "idio_dof": np.array([4.0, 6.0, 8.0, np.inf])}
    dofs = dofs if family == "student_t" else {}
    fc = FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=list("ABCD"), mean=np.zeros(4),
                        exposures=np.ones((4, 1)), factor_cov=np.eye(1), idio_var=np.ones(4), family=family,
                        pit_map=values, **dofs)
    w, d = np.array([0.4, 0.3, -0.2, 0.5]), fc.distribution
    for x, seed in ((-1.5, 0), (0.2, 7)):
        pit, var = d.portfolio_pit_var(fc, w, x, (0.95, 0.99), 5_000, seed)
        assert pit == d.portfolio_cdf(fc, w, x, 5_000, seed)
        assert var == d.portfolio_var(fc, w, (0.95, 0.99), 5_000, seed)[0]
