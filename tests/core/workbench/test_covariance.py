"""Covariance views that hold at 500 stocks: correlations averaged by sector, the largest holdings."""
import numpy as np
import pandas as pd
import pytest

from core.workbench.covariance import largest_holdings, sector_correlations


def _corr(n: int, seed: int = 0) -> pd.DataFrame:
    x = np.random.default_rng(seed).normal(size=(200, n))
    names = [f"S{i:03d}" for i in range(n)]
    return pd.DataFrame(np.corrcoef(x, rowvar=False), index=names, columns=names)


def test_sector_averages_are_the_mean_pairwise_correlations():
    corr = _corr(7)
    sectors = pd.Series(["A", "A", "A", "B", "B", None, "C"], index=corr.index)
    got = sector_correlations(corr, sectors)
    assert list(got.index) == ["A (3)", "B (2)", "C (1)", "Unknown (1)"] and list(got.columns) == list(got.index)
    c = corr.to_numpy()
    assert got.loc["A (3)", "A (3)"] == pytest.approx(np.mean([c[0, 1], c[0, 2], c[1, 2]]))
    assert got.loc["A (3)", "B (2)"] == pytest.approx(c[:3, 3:5].mean())
    assert got.loc["B (2)", "Unknown (1)"] == pytest.approx(c[3:5, 5].mean())
    assert np.isnan(got.loc["C (1)", "C (1)"])  # one stock: no pair
    assert np.allclose(got.to_numpy(), got.to_numpy().T, equal_nan=True)


def test_largest_holdings_keep_the_top_weights_in_ticker_order():
    corr = _corr(100)
    view = {"forecast": corr, "realised": corr * 0.5, "h": 21}
    weights = pd.Series(np.linspace(0.0, 1.0, 100), index=corr.index)
    got = largest_holdings(view, weights, n=10)
    assert list(got["forecast"].index) == list(corr.index[-10:]) == list(got["realised"].columns)
    assert got["h"] == 21
    equal = largest_holdings(view, pd.Series(0.01, index=corr.index), n=10)  # ties: ticker order
    assert list(equal["forecast"].index) == list(corr.index[:10])
