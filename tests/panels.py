"""Test helpers on Panels and price tables:

- `with_returns(panel, returns)`: the same panel with other returns (same shape), for the look-ahead tests.
- `prices_from_returns(returns)`: price frame (T x N) whose pct_change gives back `returns`,
  NaN outside each stock's listed life (the date before its first return holds 100).
- `to_long(prices, value="adj_close")`: long-format DataFrame (date, ticker, value).
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.data.panel import Panel


def with_returns(panel: Panel, returns: pd.DataFrame) -> Panel:
    """The same panel with other returns (checked again, as every Panel)."""
    return replace(panel, returns=returns)


def prices_from_returns(returns: pd.DataFrame) -> pd.DataFrame:
    prices = 100.0 * (1.0 + returns.fillna(0.0)).cumprod()
    listed = returns.notna() | returns.notna().shift(-1, fill_value=False)
    return prices.where(listed)


def to_long(prices: pd.DataFrame, value: str = "adj_close") -> pd.DataFrame:
    out = prices.rename_axis(index="date", columns="ticker").stack().rename(value).reset_index()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out
