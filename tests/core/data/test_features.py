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


@pytest.mark.parametrize("part", ["train", "valid", "test"])
def test_features_for_t_ignore_everything_after_t(small_market, part):
    panel, _ = small_market
    train = panel.split_dates("train")
    scaler = FeatureScaler.fit(panel, train)
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
    refit = FeatureScaler.fit(altered, train)
    # scaling uses training dates only: unchanged when t is at or after the end of training
    assert _same_scaler(refit, scaler) == (t >= len(train) - 1)


def test_changing_the_return_at_t_changes_row_t(small_market):
    panel, _ = small_market
    scaler = FeatureScaler.fit(panel, panel.split_dates("train"))
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
