"""How well a trained model recovers a synthetic market's known factor structure.

`recovery(model, panel, truth)` compares the model's exposures with the true ones over the test
dates (canonical correlations: rotation-free, as the factors are identified only up to a
rotation), reports the linear bound on the same data and the test NLL_joint of the model and of
the true model. A test helper of tests/core/models/neuralfactors/test_model.py (the measurements in
docs/notes/issue-3.md were made with it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data.panel import Panel
from core.data.synthetic import SyntheticTruth
from core.forecast import restrict
from core.forecast.student_t import forecast_log_likelihood
from core.models.ipca import ipca_als


def canonical_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Canonical correlations of two (n, p) samples: cosines of the principal angles between
    their centred column spaces, descending."""
    qx = np.linalg.qr(x - x.mean(0))[0]
    qy = np.linalg.qr(y - y.mean(0))[0]
    return np.linalg.svd(qx.T @ qy, compute_uv=False)


def linear_bound(panel: Panel, truth: SyntheticTruth, positions: np.ndarray) -> np.ndarray:
    """Canonical correlations reached by the best linear estimator given the true structure: IPCA
    with instruments [sector one-hot, characteristics] fitted on the training returns (latent
    factors, like the network), its exposures compared with the true ones at date `positions`."""
    chars = np.stack([panel.features[c].to_numpy() for c in sorted(panel.features)], axis=2)  # (T, N, K)
    codes = panel.sectors.astype("category").cat.codes.to_numpy()
    onehot = np.eye(codes.max() + 1)[codes]
    inst = np.concatenate([np.broadcast_to(onehot, chars.shape[:2] + onehot.shape[1:]), chars], axis=2)
    r_next = np.full(panel.returns.shape, np.nan)
    r_next[:-1] = panel.returns.to_numpy()[1:]
    n_train = len(panel.split_dates("train"))
    gamma = ipca_als(inst[:n_train - 1], r_next[:n_train - 1], truth.exposures.shape[2])[0]
    est, true = [], []
    for t in positions:
        ok = truth.listed[t + 1] & np.isfinite(chars[t]).all(axis=1)
        est.append(inst[t, ok] @ gamma)
        true.append(truth.exposures[t, ok])
    return canonical_correlations(np.concatenate(est), np.concatenate(true))


@dataclass
class Recovery:
    """cc, bound: (F,) canonical correlations of the model's / the linear bound's exposures with
    the true ones; nll_model, nll_true: mean test NLL_joint per stock in original return units."""

    cc: np.ndarray
    bound: np.ndarray
    nll_model: float
    nll_true: float

    @property
    def nll_excess(self) -> float:
        """The model's NLL excess over the truth, relative to |NLL of the truth|."""
        return (self.nll_model - self.nll_true) / abs(self.nll_true)

    def __str__(self) -> str:
        return (f"canonical correlations {np.round(self.cc, 3)} (mean {self.cc.mean():.3f}); linear bound "
                f"{np.round(self.bound, 3)} (mean {self.bound.mean():.3f}); NLL_joint {self.nll_model:.4f} "
                f"vs truth {self.nll_true:.4f} (excess {self.nll_excess:.2%})")


def recovery(model, panel: Panel, truth: SyntheticTruth, k: int = 100) -> Recovery:
    """Score a fitted model on the test dates of a synthetic panel (stocks listed at t and t+1)."""
    test = panel.split_dates("test")[:-1]
    positions = np.array([panel.date_position(d) for d in test])
    fs = model.forecast_series(panel, test)
    ours, true, nll_model, nll_true = [], [], [], []
    for d, t in zip(test, positions):
        r_next = panel.returns.iloc[t + 1]
        fc, tf = fs.at(d), truth.forecast(panel, t)
        keep = set(fc.tickers) & set(tf.tickers) & set(r_next.index[r_next.notna()])
        fc, tf = restrict(fc, [x for x in fc.tickers if x in keep]), restrict(tf, [x for x in tf.tickers if x in keep])
        r = r_next[fc.tickers].to_numpy()
        nll_model.append(-forecast_log_likelihood(fc, r, k=k) / len(r))
        nll_true.append(-forecast_log_likelihood(tf, r, k=k) / len(r))
        ours.append(fc.exposures)
        true.append(tf.exposures)
    return Recovery(canonical_correlations(np.concatenate(ours), np.concatenate(true)),
                    linear_bound(panel, truth, positions),
                    float(np.mean(nll_model)), float(np.mean(nll_true)))


# the market and NeuralFactors settings of the recovery test
TEST_MARKET = dict(n_stocks=120, n_dates=1200, n_factors=3, n_characteristics=3, seed=3, observed_factors=0.1)
TEST_MODEL = dict(preset="tiny", device="cpu", seed=0, n_factors=3, lookback=4, hidden=32, sector_dim=4, steps=600,
                  days_per_step=8, lr=5e-3, weight_decay=1e-3, polyak_start=400, valid_every=100, valid_days=60,
                  k=8, min_history=4)
