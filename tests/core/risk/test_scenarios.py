"""Portfolio scenarios: Student-t draws match the joint sampler's moments."""
import numpy as np
import pytest

from tests.core.risk.forecasts import make_fc


def test_student_t_scenarios_match_joint_sampler_variance():
    t = make_fc(family="student_t")
    w = np.random.default_rng(2).normal(size=t.n_stocks)
    from core.risk.scenarios import portfolio_scenarios

    draws = portfolio_scenarios(t, w, 200_000, seed=1)
    assert draws.var() == pytest.approx(t.portfolio_var(w), rel=0.03)
    assert draws.mean() == pytest.approx(t.portfolio_mean(w), abs=0.01 * np.sqrt(t.portfolio_var(w)))
