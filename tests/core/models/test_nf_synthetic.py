"""NeuralFactors recovers a known factor structure on synthetic data (trains ~1 minute on the CPU).

The market (`recovery.TEST_MARKET`): 120 stocks, 1200 days, F = 3, exposures = sector centroid +
stock-specific part + 3 drifting characteristics. 120 stocks give enough cross-section that the
best linear estimator given the true structure (`recovery.linear_bound`: IPCA on sector dummies +
characteristics, fitted on the training returns) reaches a mean canonical correlation of 0.945 on
the test dates; with 40 stocks that bound is only 0.920 and the network scattered around it
(0.87-0.90), docs/notes/issue-3.md. The market publishes its factor returns with 10% noise
(`observed_factors=0.1`), as a data vendor publishes sector / style indices; the network sees them
as market channels (issue 3)."""
import numpy as np
import pytest

from core.data.synthetic import make_market
from core.models.neuralfactors.model import NeuralFactorsModel
from tests.core.models.neuralfactors.recovery import TEST_MARKET, TEST_MODEL, canonical_correlations, recovery


def test_canonical_correlations_are_rotation_free():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    rot = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    np.testing.assert_allclose(canonical_correlations(x @ rot * 2.0 + 1.0, x), 1.0, atol=1e-12)
    assert canonical_correlations(x[:, :2], rng.standard_normal((200, 2))).max() < 0.3


@pytest.mark.slow
def test_recovers_factor_space_and_nearly_true_likelihood():
    panel, truth = make_market(**TEST_MARKET)
    model = NeuralFactorsModel(**TEST_MODEL).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    rec = recovery(model, panel, truth)
    print(rec)
    assert model.scaler.market_names[1:] == ["factor:F1", "factor:F2", "factor:F3"]
    assert rec.cc.mean() > 0.9, rec  # issue 3; measured 0.939 (0.976 / 0.927 / 0.915)
    assert rec.cc.mean() > rec.bound.mean() - 0.03, rec  # measured bound 0.945
    # NLL per stock in original return units is negative; compare on a scale where 5% is meaningful:
    # the excess over the truth relative to the truth's entropy-like |NLL| (measured 1.6%)
    assert rec.nll_excess < 0.05, rec
