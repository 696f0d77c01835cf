"""PCA and PPCA recover the factor space of a hand-built static factor model."""
from __future__ import annotations

import numpy as np
import pytest

from tests.core.models.handmade import build_panel, fit, max_sin_angle


@pytest.fixture(scope="module")
def static_model():
    rng = np.random.default_rng(1)
    t, n, k = 900, 40, 3
    b = rng.normal(0, 1, (n, k))
    f = rng.normal(0, 0.01, (t, k))
    r = f @ b.T + rng.normal(0, 0.006, (t, n))
    r[0] = np.nan
    return build_panel(r), b


@pytest.mark.parametrize("name", ["pca", "ppca"])
def test_pca_and_ppca_recover_the_factor_space(name, static_model):
    panel, b = static_model
    model = fit(name, panel, window=252, max_factors=6)
    assert model.state["n_factors"] == 3, model.state["valid_nll"]
    fc = model.forecast(panel, panel.split_dates("test")[0])
    assert max_sin_angle(fc.exposures, b) < 0.1
    if name == "ppca":
        assert fc.family == "student_t" and np.isinf(fc.factor_dof).all()
        assert model.state["idio_dof"] > 30  # the noise is Gaussian, so the fitted dof is large
