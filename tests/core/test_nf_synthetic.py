"""NeuralFactors recovers a known factor structure on synthetic data (trains ~1 minute on the CPU).

120 stocks, 1200 days, F = 3: enough cross-section that the best linear estimator given the true
structure (`linear_bound`: IPCA on sector dummies + characteristics, fitted on the training returns)
reaches a mean canonical correlation of 0.945 on the test dates. With 40 stocks that bound is only 0.920 and the
network scattered around it (0.87-0.90); docs/notes/issue-3.md has the measurements.
The market publishes its factor returns with 10% noise (`observed_factors=0.1`), as a data vendor
publishes sector / style indices; the network sees them as market channels (issue 3)."""
import numpy as np
import pytest

from core.data.synthetic import make_market
from core.models.ipca import ipca_als
from core.models.neuralfactors.likelihood import forecast_log_likelihood
from core.models.neuralfactors.model import NeuralFactorsModel


def canonical_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Canonical correlations of two (n, p) samples: cosines of the principal angles between
    their centred column spaces."""
    qx = np.linalg.qr(x - x.mean(0))[0]
    qy = np.linalg.qr(y - y.mean(0))[0]
    return np.linalg.svd(qx.T @ qy, compute_uv=False)


def linear_bound(panel, truth, test_positions: np.ndarray) -> np.ndarray:
    """Canonical correlations reached by the best linear estimator given the true structure: IPCA
    with instruments [sector one-hot, characteristics] fitted on the training returns (latent
    factors, like the network), its exposures compared with the true ones on `test_positions`."""
    chars = np.stack([panel.features[c].to_numpy() for c in sorted(panel.features)], axis=2)
    codes = panel.sectors.astype("category").cat.codes.to_numpy()
    inst = np.concatenate([np.broadcast_to(np.eye(codes.max() + 1)[codes], chars.shape[:2] + (codes.max() + 1,)),
                           chars], axis=2)                                          # (T, N, S + K)
    r_next = np.full(panel.returns.shape, np.nan)
    r_next[:-1] = panel.returns.to_numpy()[1:]
    n_train = len(panel.split_dates("train"))
    gamma = ipca_als(inst[:n_train - 1], r_next[:n_train - 1], truth.exposures.shape[2])[0]
    est, true = [], []
    for t in test_positions:
        ok = truth.listed[t + 1] & np.isfinite(chars[t]).all(axis=1)
        est.append(inst[t, ok] @ gamma)
        true.append(truth.exposures[t, ok])
    return canonical_correlations(np.concatenate(est), np.concatenate(true))


def _restrict(fc, keep):
    idx = [i for i, t in enumerate(fc.tickers) if t in keep]
    return type(fc)(date=fc.date, tickers=[fc.tickers[i] for i in idx], mean=fc.mean[idx],
                    exposures=fc.exposures[idx], factor_cov=fc.factor_cov, idio_var=fc.idio_var[idx],
                    family=fc.family, factor_dof=fc.factor_dof, idio_dof=fc.idio_dof[idx])


@pytest.mark.slow
def test_recovers_factor_space_and_nearly_true_likelihood():
    panel, truth = make_market(n_stocks=120, n_dates=1200, n_factors=3, n_characteristics=3, seed=3,
                                observed_factors=0.1)
    model = NeuralFactorsModel(preset="tiny", device="cpu", seed=0, n_factors=3, lookback=4, hidden=32,
                               sector_dim=4, steps=600, days_per_step=8, lr=5e-3,
                               weight_decay=1e-3, polyak_start=400,
                               valid_every=100, valid_days=60, k=8, min_history=4)
    model.fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    test = panel.split_dates("test")[:-1]
    fs = model.forecast_series(panel, test)
    ours, true, nll_ours, nll_true = [], [], [], []
    for d in test:
        t = panel.date_position(d)
        r_next = panel.returns.iloc[t + 1]
        fc, tf = fs.at(d), truth.forecast(panel, t)
        keep = set(fc.tickers) & set(tf.tickers) & set(r_next.index[r_next.notna()])
        fc, tf = _restrict(fc, keep), _restrict(tf, keep)
        r = r_next[fc.tickers].to_numpy()
        nll_ours.append(-forecast_log_likelihood(fc, r, k=100) / len(r))
        nll_true.append(-forecast_log_likelihood(tf, r, k=100) / len(r))
        ours.append(fc.exposures)
        true.append(tf.exposures)
    cc = canonical_correlations(np.concatenate(ours), np.concatenate(true))
    bound = linear_bound(panel, truth, np.array([panel.date_position(d) for d in test]))
    print(f"canonical correlations {cc} (linear bound {bound}), NLL ours {np.mean(nll_ours):.4f} "
          f"truth {np.mean(nll_true):.4f}")
    assert model.scaler.market_names[1:] == ["factor:F1", "factor:F2", "factor:F3"]
    assert cc.mean() > 0.9, cc  # issue 3; measured 0.939 (0.976 / 0.927 / 0.915)
    assert cc.mean() > bound.mean() - 0.03, (cc, bound)  # measured bound 0.945
    # NLL per stock in original return units is negative; compare on a scale where 5% is meaningful:
    # the excess over the truth relative to the truth's entropy-like |NLL|
    excess = (np.mean(nll_ours) - np.mean(nll_true)) / abs(np.mean(nll_true))
    assert excess < 0.05, (np.mean(nll_ours), np.mean(nll_true))
