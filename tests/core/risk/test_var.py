"""VaR / CVaR of a forecast: parametric against scipy, Monte Carlo against parametric, seeded."""
import numpy as np
import pytest
from scipy import stats

from core.errors import ModelError
from core.risk.factor import portfolio_mean_vol
from core.risk.var import forecast_var
from tests.core.risk.forecasts import make_fc


def test_parametric_var_matches_scipy_and_sign():
    fc = make_fc()
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    mu, sd = portfolio_mean_vol(fc, w)
    res = forecast_var(fc, w, 0.99)
    assert res.method == "parametric"
    assert res.var == pytest.approx(-stats.norm.ppf(0.01, mu, sd))
    # CVaR: E[loss | loss >= VaR] by numerical integration
    lo = stats.norm.ppf(0.01, mu, sd)
    tail = stats.norm.expect(lambda x: -x, loc=mu, scale=sd, ub=lo, conditional=True)
    assert res.cvar == pytest.approx(tail, rel=1e-6)
    assert res.var > 0 and res.cvar > res.var


def test_monte_carlo_var_agrees_with_parametric_and_is_seeded():
    fc = make_fc()
    w = np.full(fc.n_stocks, 1 / fc.n_stocks)
    mc = forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=200_000, seed=3)
    pa = forecast_var(fc, w, 0.95)
    assert mc.var == pytest.approx(pa.var, rel=0.02)
    assert mc.cvar == pytest.approx(pa.cvar, rel=0.02)
    assert forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=1000, seed=3).var == \
        forecast_var(fc, w, 0.95, method="monte_carlo", n_samples=1000, seed=3).var
    t = make_fc(family="student_t")
    assert forecast_var(t, w, 0.99).method == "monte_carlo"
    with pytest.raises(ModelError, match="monte_carlo"):
        forecast_var(t, w, 0.99, method="parametric")
    with pytest.raises(ModelError, match="level"):
        forecast_var(fc, w, 99)
