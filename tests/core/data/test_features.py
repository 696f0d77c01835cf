"""No look-ahead: changing anything after date t leaves every model input for dates <= t unchanged."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.features import FeatureScaler, build_features
from tests.lookahead import changed_after
from tests.panels import with_returns

LOOKBACK = 32


def _same_scaler(a: FeatureScaler, b: FeatureScaler) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a.__dict__.values(), b.__dict__.values()))


@pytest.mark.parametrize("part, pcs", [("train", 0), ("valid", 0), ("test", 0), ("valid", 3)])
def test_features_for_t_ignore_everything_after_t(small_market, part, pcs):
    """pcs: with the principal-component exposures (pc_exposures) among the channels."""
    panel, _ = small_market
    train = panel.split_dates("train")
    scaler = FeatureScaler.fit(panel, train, pcs=pcs)
    base = build_features(panel, scaler)
    dates = panel.split_dates(part)
    t = panel.date_position(dates[len(dates) // 2])
    altered = changed_after(panel, panel.dates[t], seed=t)
    feats = build_features(altered, scaler)
    for name in ("stock", "present", "market", "returns"):
        np.testing.assert_array_equal(getattr(feats, name)[: t + 1], getattr(base, name)[: t + 1], err_msg=name)
    np.testing.assert_array_equal(feats.window(t, LOOKBACK), base.window(t, LOOKBACK))
    np.testing.assert_array_equal(feats.history(t, LOOKBACK), base.history(t, LOOKBACK))
    # the test can fail: the rows after t did change
    assert not np.array_equal(feats.stock[t + 1:], base.stock[t + 1:])
    refit = FeatureScaler.fit(altered, train, pcs=pcs)
    # scaling uses training dates only: unchanged when t is at or after the end of training
    assert _same_scaler(refit, scaler) == (t >= len(train) - 1)


@pytest.mark.parametrize("pcs", [0, 3])
def test_changing_the_return_at_t_changes_row_t(small_market, pcs):
    panel, _ = small_market
    scaler = FeatureScaler.fit(panel, panel.split_dates("train"), pcs=pcs)
    t = panel.date_position(panel.split_dates("valid")[5])
    r = panel.returns.copy()
    r.iloc[t] = r.iloc[t] + 0.02
    a, b = build_features(panel, scaler), build_features(with_returns(panel, r), scaler)
    assert not np.array_equal(a.window(t, LOOKBACK), b.window(t, LOOKBACK))
    np.testing.assert_array_equal(a.window(t - 1, LOOKBACK), b.window(t - 1, LOOKBACK))


def test_scaler_json_roundtrip(small_market):
    panel, _ = small_market
    scaler = FeatureScaler.fit(panel, panel.split_dates("train"))
    assert _same_scaler(FeatureScaler.from_json(scaler.to_json()), scaler)


def test_peer_returns_are_the_other_sector_stocks_mean_of_the_day():
    from core.data.features import PEERS, peer_returns
    from core.data.panel import Panel

    dates = pd.bdate_range("2020-01-01", periods=30)
    rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (30, 4)), index=dates, columns=list("ABCD"))
    rets.iloc[5, 1] = np.nan  # B not traded on day 5
    meta = pd.DataFrame({"sector": ["Tech", "Tech", "Tech", None], "name": list("ABCD"), "industry": [None] * 4},
                        index=list("ABCD"))
    panel = Panel(returns=rets, meta=meta)
    peers = peer_returns(panel)
    assert np.allclose(peers["A"], rets[["B", "C"]].mean(axis=1, skipna=True))  # itself left out; a gap skipped
    assert peers["D"].isna().all()  # no sector: no peers
    scaler = FeatureScaler.fit(panel, dates[:20], peers=True)
    assert PEERS in scaler.stock_names and PEERS not in FeatureScaler.fit(panel, dates[:20]).stock_names
    assert build_features(panel, scaler).stock.shape[2] == len(scaler.stock_names)  # rebuilt on demand


def test_pc_exposures_are_the_components_of_the_trailing_pairwise_covariance(monkeypatch):
    """Day t's exposures E (N x k) give E E' = the top-k part of the trailing PC_WINDOW days' covariance, pairwise
    over the days two stocks both traded (pandas' DataFrame.cov); too short a history is NaN; the signs are the
    day's own (the same when the eigensolver flips its vectors, and when the panel starts later)."""
    from core.data.features import PC_MIN_DAYS, PC_WINDOW, pc_exposures
    from core.data.panel import Panel

    rng = np.random.default_rng(1)
    n_days, k = 320, 2
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    common = rng.normal(0, 0.01, (n_days, 2))
    rets = pd.DataFrame(common @ rng.normal(1, 0.5, (2, 6)) + rng.normal(0, 0.005, (n_days, 6)), index=dates,
                        columns=list("ABCDEF"))
    rets.iloc[:n_days - 100, 5] = np.nan  # F trades for the last 100 days only
    rets.iloc[300, 2] = np.nan
    meta = pd.DataFrame({"sector": ["Tech"] * 6, "name": list("ABCDEF"), "industry": [None] * 6}, index=list("ABCDEF"))
    panel = Panel(returns=rets, meta=meta)
    exp = pc_exposures(panel, k)
    t = n_days - 1
    e = np.column_stack([exp[f"pc{j + 1}"].iloc[t].to_numpy() for j in range(k)])  # (N, k)
    cov = rets.iloc[t - PC_WINDOW + 1: t + 1].cov().to_numpy()
    vals, vecs = np.linalg.eigh(cov)
    top = (vecs[:, -k:] * vals[-k:]) @ vecs[:, -k:].T
    np.testing.assert_allclose(e @ e.T, top, rtol=1e-9, atol=1e-12)
    short = n_days - 100 + PC_MIN_DAYS - 2  # F has PC_MIN_DAYS - 1 returns in the window then
    assert np.isnan(exp["pc1"]["F"].iloc[short]) and np.isfinite(exp["pc1"]["F"].iloc[short + 1])
    assert exp["pc1"].iloc[:PC_MIN_DAYS - 1].isna().all().all()
    assert (exp["pc1"].iloc[t] > 0).all()  # the market-like component: its cubes' sum, and so each, positive
    for name in exp:  # the sign rule, every day: a positive sum of cubed exposures
        assert ((exp[name] ** 3).sum(axis=1)[exp[name].notna().any(axis=1)] > 0).all(), name
    later = pc_exposures(Panel(returns=rets.iloc[40:], meta=meta), k)  # the same last PC_WINDOW days
    eigh, flips = np.linalg.eigh, np.random.default_rng(2)

    def flipping_eigh(a):
        vals, vecs = eigh(a)
        return vals, vecs * flips.choice([-1.0, 1.0], vecs.shape[1])

    monkeypatch.setattr(np.linalg, "eigh", flipping_eigh)
    flipped = pc_exposures(panel, k)
    for name in exp:
        pd.testing.assert_frame_equal(flipped[name], exp[name])
        pd.testing.assert_frame_equal(later[name].iloc[-20:], exp[name].iloc[-20:])


def test_a_column_named_like_a_component_input_is_refused_not_overwritten():
    """A per-stock column "pc1" in the data would be silently replaced by the model's first component exposure: a
    DataError names it instead; the scaler keeps how many components it has (pcs), for the models it serves."""
    from core.data.panel import Panel
    from core.errors import DataError

    dates = pd.bdate_range("2020-01-01", periods=120)
    rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (120, 3)), index=dates, columns=list("ABC"))
    meta = pd.DataFrame({"sector": ["Tech"] * 3, "name": list("ABC"), "industry": [None] * 3}, index=list("ABC"))
    scaler = FeatureScaler.fit(Panel(returns=rets, meta=meta), dates[:100], pcs=1)
    assert scaler.pcs == 1 and FeatureScaler.from_json(scaler.to_json()).pcs == 1
    clashing = Panel(returns=rets, meta=meta, features={"pc1": rets.abs()})
    with pytest.raises(DataError, match="pc1"):
        build_features(clashing, scaler)


def test_pc_signs_on_the_embedded_data_follow_each_days_rule():
    """On sp500-20 (8,312 days; a 66.7% one-day return early on takes over the first component for a year) every
    day's components have a positive sum of cubed exposures, and the market-like first one a positive sum on
    almost every day: signs carried from day to day had left it negative on most days after 1993."""
    from core.data.embedded import load_sp500_20
    from core.data.features import pc_exposures

    exp = pc_exposures(load_sp500_20(), 2)
    for name, frame in exp.items():
        days = frame.notna().any(axis=1)
        assert ((frame ** 3).sum(axis=1)[days] > 0).all(), name
    first = exp["pc1"][exp["pc1"].notna().any(axis=1)]
    assert (first.sum(axis=1) > 0).mean() > 0.95
