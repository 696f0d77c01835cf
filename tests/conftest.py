"""Shared test fixtures (keep small). Provides:

- `small_market`: a session-wide synthetic (Panel, SyntheticTruth), 40 stocks x 400 days, seed 3.
- `prices_from_returns(returns)`: price frame (T x N) whose pct_change gives back `returns`,
  NaN outside each stock's listed life (the date before its first return holds 100).
- `to_long(prices, value="adj_close")`: long-format DataFrame (date, ticker, value).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# pytest puts tests/ on sys.path (for this file and tests/userfiles.py); there tests/core, a folder without
# __init__.py, is a namespace package `core` that hides the real one unless the repo root is on sys.path too, as it is
# under `python -m pytest` but not under `.venv/bin/pytest` (the editable install's finder comes after sys.path)
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)


def prices_from_returns(returns: pd.DataFrame) -> pd.DataFrame:
    prices = 100.0 * (1.0 + returns.fillna(0.0)).cumprod()
    listed = returns.notna() | returns.notna().shift(-1, fill_value=False)
    return prices.where(listed)


def to_long(prices: pd.DataFrame, value: str = "adj_close") -> pd.DataFrame:
    out = prices.rename_axis(index="date", columns="ticker").stack().rename(value).reset_index()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


@pytest.fixture(scope="session")
def small_market():
    from core.data.synthetic import make_market

    return make_market(n_stocks=40, n_dates=400, n_factors=3, seed=3)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
