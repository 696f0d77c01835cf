"""core.forecast.distributions: the factors' variance multipliers (`factor_scales`) make the family's law as a scale
mixture of Normals (mean 1; sqrt(v) g has the unit-variance t's quantiles), 1 for Normal factors and layers
delegating."""
import numpy as np
from scipy import stats

from core.forecast.distributions import Normal, StudentT
from core.forecast.recalibrated import PIT_KNOTS, Recalibrated


def test_student_t_as_a_scale_mixture_of_normals():
    rng = np.random.default_rng(0)
    dist = StudentT(np.array([5.0, np.inf]), np.array([6.0]))
    v = dist.factor_scales(rng, 200_000, 2)
    assert v.shape == (200_000, 2) and np.all(v[:, 1] == 1.0)
    assert abs(v[:, 0].mean() - 1.0) < 0.02
    u = np.sqrt(v[:, 0]) * rng.standard_normal(200_000)
    q = stats.t.ppf([0.01, 0.1, 0.9, 0.99], 5) * np.sqrt(3 / 5)  # the unit-variance t(5)
    np.testing.assert_allclose(np.quantile(u, [0.01, 0.1, 0.9, 0.99]), q, atol=0.03)
    assert np.all(Normal().factor_scales(rng, 3, 2) == 1.0)
    layered = Recalibrated(dist, PIT_KNOTS)
    assert layered.factor_scales(np.random.default_rng(1), 4, 2).shape == (4, 2)
