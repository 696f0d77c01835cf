"""Full-covariance models: Ledoit-Wolf shrinks the sample covariance toward its target."""
from __future__ import annotations

import numpy as np
import pytest

from tests.core.models.handmade import fit


def test_ledoit_wolf_shrinks_toward_its_target(small_market):
    panel, _ = small_market
    date = panel.dates[-1]
    sample = fit("sample", panel, window=60).forecast(panel, date)
    shrunk = fit("ledoit-wolf", panel, window=60).forecast(panel, date)
    assert sample.tickers == shrunk.tickers
    e_s, e_l = np.linalg.eigvalsh(sample.dense_cov()), np.linalg.eigvalsh(shrunk.dense_cov())
    assert e_l.max() / e_l.min() < 0.5 * e_s.max() / e_s.min()
    assert np.trace(shrunk.dense_cov()) == pytest.approx(np.trace(sample.dense_cov()), rel=1e-6)
