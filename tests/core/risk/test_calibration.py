"""Calibration: the error's definition, marginal and portfolio PITs (uniform for draws from the forecast)."""
import numpy as np
import pytest
from scipy import stats

from core.risk.calibration import calibration_error, marginal_pit, uni_calibration
from tests.core.risk.forecasts import make_fc


def test_calibration_error_definition_and_pits():
    assert calibration_error(np.random.default_rng(0).uniform(size=100_000)) < 1e-3
    assert calibration_error(np.full(50, 0.999)) == pytest.approx(np.sum((np.arange(1, 101) / 101) ** 2))
    pits = np.full((4, 2), np.nan)
    pits[:, 0] = [0.1, 0.4, 0.6, 0.9]
    pits[:2, 1] = 0.999
    expect = (4 * calibration_error(pits[:, 0]) + 2 * calibration_error(pits[:2, 1])) / 6
    assert uni_calibration(pits) == pytest.approx(expect)
    fc = make_fc()
    r = fc.sample(1, rng=1)[0]
    np.testing.assert_allclose(marginal_pit(fc, r), stats.norm.cdf(r, fc.mean, np.sqrt(fc.total_var())))
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    assert 0 < fc.distribution.portfolio_cdf(fc, w, float(w @ r), 2000, 0) < 1


def test_student_t_pits_are_uniform_for_draws_from_the_forecast():
    t = make_fc(n=3, f=2, family="student_t")
    draws = t.sample(400, rng=7)
    pit = np.array([marginal_pit(t, d, n_samples=400, seed=i) for i, d in enumerate(draws)])
    assert stats.kstest(pit[:, 0], "uniform").pvalue > 0.01
    w = np.full(3, 1 / 3)
    pp = np.array([t.distribution.portfolio_cdf(t, w, float(d @ w), 2000, i) for i, d in enumerate(draws)])
    assert stats.kstest(pp, "uniform").pvalue > 0.01



@pytest.mark.parametrize("family", ["student_t", "normal"])  # Monte Carlo PITs and the closed form
def test_portfolio_calibration_is_evaluates_calib_port(family):
    """The number a fine-tune's selection reads (core.models.neuralfactors) is `evaluate`'s calib_port."""
    from dataclasses import replace

    from core.data.synthetic import make_market
    from core.evaluation.tables import Settings, evaluate_series
    from core.forecast import ForecastSeries
    from core.risk.calibration import portfolio_calibration
    from core.workbench.sources import forecast_dates

    panel = make_market(n_stocks=12, n_dates=260, n_factors=2, seed=3)[0]
    dates = forecast_dates(panel, "valid")
    fcs = [replace(make_fc(n=12, family=family, seed=i), date=d, tickers=list(panel.tickers))
           for i, d in enumerate(dates)]
    series = ForecastSeries.stack(fcs, list(panel.tickers))
    values, _ = evaluate_series(panel, series, "valid", 1.0, Settings(groups=("portfolio",), portfolio_samples=2_000))
    got = portfolio_calibration(series, panel.returns, dates, n_samples=2_000)
    assert np.isfinite(got) and got == values["calib_port"]


def test_portfolio_pits_do_not_depend_on_the_number_of_threads(monkeypatch):
    """Each date draws from its own seed, so the PITs on four threads equal a plain loop's, bit for bit, and a
    date whose forecast refuses (NotAvailable) is left out in both."""
    from dataclasses import replace

    from core import parallel
    from core.data.synthetic import make_market
    from core.errors import NotAvailable
    from core.forecast import ForecastSeries
    from core.forecast.distributions import StudentT
    from core.risk.calibration import portfolio_pits

    panel = make_market(n_stocks=12, n_dates=80, n_factors=2, seed=3)[0]
    dates = panel.dates[20:60]
    fcs = [replace(make_fc(n=12, family="student_t", seed=i), date=d, tickers=list(panel.tickers))
           for i, d in enumerate(dates)]
    series = ForecastSeries.stack(fcs, list(panel.tickers))
    real = StudentT.portfolio_cdf

    def refuse_some(self, fc, w, x, n, seed):
        if seed % 7 == 3:
            raise NotAvailable("not this day")
        return real(self, fc, w, x, n, seed)

    monkeypatch.setattr(StudentT, "portfolio_cdf", refuse_some)
    monkeypatch.setattr(parallel, "MAX_THREADS", 1)
    one = portfolio_pits(series, panel.returns, dates, n_samples=500)
    monkeypatch.setattr(parallel, "MAX_THREADS", 4)
    monkeypatch.setattr(parallel, "available_cores", lambda: 4)
    many = portfolio_pits(series, panel.returns, dates, n_samples=500)
    assert len(one) == len(dates) - sum(k % 7 == 3 for k in range(len(dates))) and np.array_equal(one, many)
