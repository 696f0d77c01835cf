"""Conditional autoencoder: beats PCA where betas are driven by characteristics; R^2 definitions; options."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from core.models.registry import create_model
from tests.core.models.handmade import build_panel, fit, grid_ranks
from tests.panels import with_returns

FAST = {"n_factors": 2, "price_characteristics": False, "min_history": 1, "n_seeds": 1, "max_epochs": 4,
        "batch_dates": 16, "lr": 2e-2}


@pytest.fixture(scope="module")
def char_market():
    """r_{t+1} = ([z_t, 1] G) f_{t+1} + e with z re-drawn every day: betas move, PCA's cannot."""
    rng = np.random.default_rng(7)
    t, n, l, k = 700, 60, 3, 2
    z = np.stack([grid_ranks(rng, t, n) for _ in range(l)], axis=2)
    g = rng.normal(0.0, 1.0, (l + 1, k))
    b = np.concatenate([z, np.ones((t, n, 1))], axis=2) @ g
    f = rng.normal(0.0, 0.01, (t, k))
    r = np.full((t, n), np.nan)
    r[1:] = np.einsum("tnk,tk->tn", b[:-1], f[1:]) + rng.normal(0, 0.004, (t - 1, n))
    return build_panel(r, features={f"c{j}": z[:, :, j] for j in range(l)})


def pca_r2_total(model, panel, dates) -> float:
    """1 - SSE / sum r^2 of r_{t+1} projected on the PCA exposures B_t (cross-sectional OLS)."""
    sse = tot = 0.0
    for d in dates[:-1]:
        fc = model.forecast(panel, d)
        r = panel.returns.iloc[panel.date_position(d) + 1][fc.tickers].to_numpy()
        coef = np.linalg.lstsq(fc.exposures, r, rcond=None)[0]
        sse += np.sum((r - fc.exposures @ coef) ** 2)
        tot += np.sum(r**2)
    return 1.0 - sse / tot


def test_ca_beats_pca_on_r2_total(char_market):
    panel = char_market
    test = panel.split_dates("test")
    ca = fit("ca0", panel, **FAST)
    scores = ca.r2_scores(panel, test[1:])
    pca = fit("pca", panel, window=252, n_factors=2)
    pca_r2 = pca_r2_total(pca, panel, test)
    assert scores["r2_total"] > 0.6
    assert scores["r2_total"] > pca_r2 + 0.2, (scores, pca_r2)
    assert -0.05 < scores["r2_pred"] < 0.05  # factor means are zero: nothing to predict


def test_r2_pred_uses_only_past_factor_means(char_market):
    panel = char_market
    ca = fit("ca0", panel, **{**FAST, "max_epochs": 2})
    dates = panel.split_dates("test")[5:40]
    before = ca.r2_scores(panel, dates)
    r = panel.returns.copy()
    r.loc[r.index > dates[-1]] *= 5.0
    after = ca.r2_scores(with_returns(panel, r), dates)
    assert after == pytest.approx(before, rel=1e-9)


def test_options_contemporaneous_and_raw_inputs(char_market):
    panel = char_market
    ca = fit("ca1", panel, **{**FAST, "max_epochs": 2, "target": "contemporaneous", "factor_input": "raw"})
    fc = ca.forecast(panel, panel.split_dates("test")[0])
    assert fc.n_factors == 2 and np.all(fc.idio_var > 0)
    with pytest.raises(DataError, match="same universe"):
        ca.forecast(panel.select(tickers=panel.tickers[:30]), panel.split_dates("test")[0])


def test_unknown_target_is_rejected():
    from core.errors import ModelError

    with pytest.raises(ModelError, match="target"):
        create_model("ca2", target="tomorrow")
