"""IPCA recovers Gamma up to a rotation (hand-built characteristics)."""
from __future__ import annotations

import numpy as np

from tests.core.models.handmade import build_panel, fit, grid_ranks, max_sin_angle


def test_ipca_recovers_gamma_up_to_rotation():
    rng = np.random.default_rng(4)
    t, n, l, k = 600, 150, 3, 2
    z = np.stack([grid_ranks(rng, t, n) for _ in range(l)], axis=2)
    gamma = np.linalg.qr(rng.normal(size=(l + 1, k)))[0]
    f = rng.normal(0.0, 0.01, (t, k)) + 0.002
    b = np.concatenate([z, np.ones((t, n, 1))], axis=2) @ gamma
    r = np.full((t, n), np.nan)
    r[1:] = np.einsum("tnk,tk->tn", b[:-1], f[1:]) + rng.normal(0, 0.003, (t - 1, n))
    panel = build_panel(r, features={f"c{j}": z[:, :, j] for j in range(l)})
    model = fit("ipca", panel, n_factors=k, price_characteristics=False, min_history=1)
    assert model.state["characteristics"] == ["feat:c0", "feat:c1", "feat:c2"]
    assert max_sin_angle(model.arrays["gamma"], gamma) < 0.05
