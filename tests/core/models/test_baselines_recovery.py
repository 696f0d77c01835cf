"""Each classical model recovers what generated the data (hand-built static or linear models)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from core.data.panel import Panel, Split
from core.models.registry import create_model
from core.models.garch import garch_filter


def build_panel(returns: np.ndarray, sectors=None, features=None, benchmark=None, factors=None) -> Panel:
    t, n = returns.shape
    dates = pd.bdate_range("2010-01-04", periods=t, name="date")
    tickers = pd.Index([f"T{i:03d}" for i in range(n)], name="ticker")
    sectors = sectors if sectors is not None else ["S"] * n
    meta = pd.DataFrame({"name": list(tickers), "sector": list(sectors), "industry": list(sectors)}, index=tickers)
    frame = pd.DataFrame(returns, index=dates, columns=tickers)
    feats = {k: pd.DataFrame(v, index=dates, columns=tickers) for k, v in (features or {}).items()}
    bench = None if benchmark is None else pd.Series(benchmark, index=dates, name="MKT")
    fac = None if factors is None else pd.DataFrame(factors, index=dates, columns=[f"F{j}" for j in range(factors.shape[1])])
    split = Split(train_end=dates[int(0.6 * t) - 1], valid_end=dates[int(0.8 * t) - 1])
    return Panel(returns=frame, meta=meta, features=feats, benchmark=bench, factors=fac, split=split, name="handmade")


def fit(name, panel, **config):
    return create_model(name, **config).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))


def max_sin_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Sine of the largest principal angle between the column spaces of a and b."""
    qa, qb = np.linalg.qr(a)[0], np.linalg.qr(b)[0]
    cos = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.sqrt(max(0.0, 1.0 - cos.min() ** 2)))


def grid_ranks(rng, t: int, n: int) -> np.ndarray:
    """(t, n) characteristics that are exact cross-sectional ranks in [-1, 1] (ranking is the identity)."""
    grid = np.linspace(-1.0, 1.0, n)
    return np.stack([rng.permutation(grid) for _ in range(t)])


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


def test_ts_regression_recovers_known_betas():
    rng = np.random.default_rng(2)
    t, n = 400, 15
    bench = rng.normal(0, 0.01, t)
    factors = rng.normal(0, 0.005, (t, 2))
    factors[:200, 1] = np.nan  # a factor series that starts late, like sp500-20's ETFs
    beta = rng.normal(1, 0.4, (n, 3))
    x = np.column_stack([bench, np.nan_to_num(factors)])
    r = x @ beta.T + rng.normal(0, 0.001, (t, n))
    panel = build_panel(r, benchmark=bench, factors=factors)
    model = fit("ts-regression", panel)
    early = model.forecast(panel, panel.dates[150])  # the second factor does not exist yet
    assert np.all(early.exposures[:, 2] == 0.0) and early.factor_cov[2, 2] == 1.0
    fc = model.forecast(panel, panel.dates[-1])
    assert fc.factor_names == ["MKT", "F0", "F1"]
    np.testing.assert_allclose(fc.exposures, beta, atol=0.08)


def test_xs_regression_recovers_known_factor_returns():
    rng = np.random.default_rng(3)
    t, n, s = 500, 120, 4
    sector = np.arange(n) % s
    sector_ret = rng.normal(0.0, 0.01, (t, s))
    style = rng.normal(0.0, 0.005, t)
    x = grid_ranks(rng, t, n)
    r = sector_ret[:, sector] + np.vstack([np.full(n, np.nan), x[:-1] * style[1:, None]]) + rng.normal(0, 0.002, (t, n))
    r[0] = np.nan
    panel = build_panel(r, sectors=[f"sec{j}" for j in sector], features={"style": x})
    model = fit("xs-regression", panel)
    rz = model._realised(panel)
    names = model.factor_names()
    f = rz.factors[2:]  # f_1 would need exposures from date 0, which has no returns
    assert np.isfinite(f).all()
    for j in range(s):  # market + sector j is that sector's return
        got = f[:, 0] + f[:, names.index(f"sector:sec{j}")]
        assert np.corrcoef(got, sector_ret[2:, j])[0, 1] > 0.99
    np.testing.assert_allclose(f[:, names.index("feat:style")], style[2:], atol=0.002)
    fc = model.forecast(panel, panel.dates[-1])
    assert fc.n_factors == 1 + s + 1


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


def test_ledoit_wolf_shrinks_toward_its_target(small_market):
    panel, _ = small_market
    date = panel.dates[-1]
    sample = fit("sample", panel, window=60).forecast(panel, date)
    shrunk = fit("ledoit-wolf", panel, window=60).forecast(panel, date)
    assert sample.tickers == shrunk.tickers
    e_s, e_l = np.linalg.eigvalsh(sample.dense_cov()), np.linalg.eigvalsh(shrunk.dense_cov())
    assert e_l.max() / e_l.min() < 0.5 * e_s.max() / e_s.min()
    assert np.trace(shrunk.dense_cov()) == pytest.approx(np.trace(sample.dense_cov()), rel=1e-6)


def test_garch_filter_matches_arch_with_fixed_parameters():
    y = arch_model(None, mean="Constant", vol="GARCH", p=1, q=1, dist="t").simulate([0.05, 0.1, 0.08, 0.9, 6.0], 1500)
    y = y["data"].to_numpy()
    res = arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fix([0.05, 0.1, 0.08, 0.9, 6.0])
    ours = garch_filter(y[:, None], {k: np.array([v]) for k, v in
                                     zip(("mu", "omega", "alpha", "beta", "nu"), (0.05, 0.1, 0.08, 0.9, 6.0))})
    # ours[t] is the variance of y[t+1]; arch's conditional volatility at t+1 is the same quantity
    np.testing.assert_allclose(ours[500:-1, 0], res.conditional_volatility[501:] ** 2, rtol=1e-6)
