"""Embedded datasets, loaded offline: `sp500-20` (from the installed skfolio package) and
`synthetic` (the generator in core.data.synthetic, fixed seed)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from core.data.panel import Panel, Split
from core.errors import DataError

SP500_SPLIT = Split(train_end=pd.Timestamp("2013-12-31"), valid_end=pd.Timestamp("2018-12-31"))
DATASETS = ("sp500-20", "synthetic")


def load_dataset(name: str) -> Panel:
    """Load an embedded dataset by name."""
    if name == "sp500-20":
        return load_sp500_20()
    if name == "synthetic":
        from core.data.synthetic import default_synthetic_panel

        return default_synthetic_panel()
    raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)} or pass --data FILE")


def sp500_metadata() -> pd.DataFrame:
    """GICS sector, industry and company name of the 20 tickers (shipped with this package)."""
    with resources.files("core.data.metadata").joinpath("sp500_20.csv").open() as fh:
        return pd.read_csv(fh).set_index("ticker")


@lru_cache(maxsize=1)
def load_sp500_20() -> Panel:
    """20 S&P 500 stocks, daily 1990-01-02..2022-12-28, with the S&P 500 index as benchmark and
    the five factor ETFs (MTUM, QUAL, SIZE, USMV, VLUE; from 2014) as pre-defined factors."""
    from skfolio.datasets import load_factors_dataset, load_sp500_dataset, load_sp500_index

    prices = load_sp500_dataset().sort_index()
    index = load_sp500_index().sort_index().iloc[:, 0]
    factor_prices = load_factors_dataset().sort_index()
    returns = prices.pct_change(fill_method=None).iloc[1:]
    returns.index = pd.DatetimeIndex(returns.index, name="date")
    returns.columns.name = "ticker"
    bench = index.pct_change(fill_method=None).reindex(returns.index).rename("SP500")
    factors = factor_prices.pct_change(fill_method=None).reindex(returns.index)
    factors.columns.name = "factor"
    meta = sp500_metadata().reindex(returns.columns)
    panel = Panel(
        returns=returns.astype(np.float64),
        meta=meta,
        benchmark=bench,
        factors=factors,
        name="sp500-20",
        frequency="daily",
        split=SP500_SPLIT,
        source="skfolio.datasets (adjusted daily closes of 20 S&P 500 stocks, S&P 500 index, factor ETFs)",
    )
    return panel
