"""core.workbench.conditioning: the Student-t scale-mixture conditioning reduces to the Gaussian closed form for
Normal factors, and agrees with brute-force importance resampling of the model's own draws for heavy tails."""
import numpy as np
import pandas as pd
import pytest

from core.forecast import FactorForecast
from core.workbench.conditioning import DRAWS, conditioned, mixture

TICKERS = ["A", "B", "C"]
W = np.array([0.5, 0.25, 0.25])
LOADINGS = np.array([[0.8, 0.3]])  # one observed reference y = 0.8 z1 + 0.3 z2 + u
NOISE = np.array([[0.2]])


def forecast(family: str = "normal", dof: float = 4.0) -> FactorForecast:
    extra = {} if family == "normal" else {"family": "student_t", "factor_dof": np.array([dof, dof]),
                                           "idio_dof": np.full(3, dof)}
    return FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=TICKERS, mean=np.array([0.001, 0.0, -0.001]),
                          exposures=np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 2.0]]),
                          factor_cov=np.array([[4.0, 1.0], [1.0, 1.0]]), idio_var=np.array([0.1, 0.2, 0.3]),
                          factor_names=["market", "value"], **extra)


def test_normal_factors_give_the_gaussian_closed_form():
    fc = forecast()
    gap = np.array([-2.0])
    z_mean, _, mean, var, pnl_var = conditioned(fc, W, LOADINGS, NOISE, gap)
    got = mixture(fc, W, LOADINGS, NOISE, gap, report=(LOADINGS, NOISE))
    np.testing.assert_allclose(got["z_mean"], z_mean)
    np.testing.assert_allclose(got["mean"], mean)
    np.testing.assert_allclose(got["var"], var)
    assert got["pnl_var"] == pytest.approx(pnl_var) and got["kept"] == pytest.approx(DRAWS)
    assert got["report"][0] == pytest.approx(-2.0)  # the observed quantity sits at its shock
    assert np.average(got["pnl"], weights=got["weights"]) == pytest.approx(W @ mean, abs=0.03)


def test_heavy_tails_agree_with_resampling_the_models_own_draws():
    """dof 4, a shock of 2.5 sd: the mixture's conditional means equal those of 1,000,000 joint draws of the model
    kept near the shock, and differ from the Gaussian formula's (linear in the shock)."""
    fc = forecast("student_t", 4.0)
    rng = np.random.default_rng(5)
    n = 1_000_000
    z = fc.distribution.factor_draws(rng, n, 2) @ np.linalg.cholesky(fc.factor_cov).T
    y = z @ LOADINGS[0] + rng.standard_normal(n) * np.sqrt(NOISE[0, 0])
    sd = float(np.sqrt(LOADINGS[0] @ fc.factor_cov @ LOADINGS[0] + NOISE[0, 0]))
    near = np.abs(y + 2.5 * sd) < 0.04 * sd
    brute = fc.mean + z[near].mean(axis=0) @ fc.exposures.T  # the noise eps has mean 0
    got = mixture(fc, W, LOADINGS, NOISE, np.array([-2.5 * sd]))
    gauss = conditioned(fc, W, LOADINGS, NOISE, np.array([-2.5 * sd]))[2]
    se = z[near].std(axis=0) @ np.abs(fc.exposures.T) / np.sqrt(near.sum())
    assert near.sum() > 1000 and got["kept"] > 1000
    np.testing.assert_array_less(np.abs(got["mean"] - brute), 4 * se + 0.01)
    assert np.abs(got["mean"] - gauss).max() > 0.05
