"""ForecastSeries storage: compact (int16 codes) but faithful, NaN pattern and shapes kept."""
import numpy as np
import pandas as pd

from core.forecast import FactorForecast, ForecastSeries


def _series(student: bool, constant_cov: bool) -> ForecastSeries:
    rng = np.random.default_rng(0)
    tickers = list("ABCDE")
    fcs = []
    for k, d in enumerate(pd.bdate_range("2020-01-01", periods=6)):
        a = rng.normal(size=(2, 2))
        cov = np.eye(2) * 1e-4 if constant_cov else a @ a.T * 1e-4 + 1e-6 * np.eye(2)
        n = 5 if k % 2 else 4  # a stock absent on some dates
        fcs.append(FactorForecast(
            date=d, tickers=tickers[:n], mean=rng.normal(0, 1e-3, n), exposures=rng.normal(1, 0.3, (n, 2)),
            factor_cov=cov, idio_var=rng.uniform(1e-4, 3e-4, n), family="student_t" if student else "normal",
            factor_dof=np.array([5.0, np.inf]) if student else None,
            idio_dof=rng.uniform(4.5, 9, n) if student else None, model="test"))
    return ForecastSeries.stack(fcs, tickers)


def test_round_trip_is_faithful(tmp_path):
    for student, constant in [(True, True), (False, False)]:
        s = _series(student, constant)
        s.save(tmp_path / str(student), {"version": "x"})
        back = ForecastSeries.load(tmp_path / str(student))
        assert back.dates.equals(s.dates) and back.tickers == s.tickers and back.family == s.family
        assert np.array_equal(np.isnan(back.mean), np.isnan(s.mean))
        assert np.nanmax(np.abs(back.mean - s.mean)) <= 2e-5 * np.nanmax(np.abs(s.mean))
        assert np.abs(back.exposures - s.exposures).max() <= 2e-5 * np.abs(s.exposures).max()
        assert np.allclose(back.factor_cov, s.factor_cov, rtol=1e-6, atol=0)
        if student:
            assert np.array_equal(back.factor_dof, s.factor_dof)
        w, d = np.full(5, 0.2), s.dates[3]
        assert abs(back.at(d).portfolio_var(w) / s.at(d).portfolio_var(w) - 1) < 1e-4


def test_constant_covariance_is_stored_once(tmp_path):
    from core.io import read_arrays

    _series(True, True).save(tmp_path)
    arrays = read_arrays(tmp_path / "forecasts.safetensors")
    assert arrays["factor_cov"].shape == (1, 2, 2) and arrays["exposure_codes"].dtype == np.int16
