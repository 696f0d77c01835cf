"""Embedded datasets, loaded offline: `sp500-20` (from the installed skfolio package) and
`synthetic` (the generator in core.data.synthetic, fixed seed)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

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


def skfolio_prices(name: str) -> pd.DataFrame:
    """skfolio's dataset `name` (sp500_dataset, sp500_index, factors_dataset) as skfolio.datasets' loaders return it
    (its gzip CSV in skfolio/datasets/data, a date index), read without importing skfolio: the package's import
    loads cvxpy, scikit-learn and scipy.stats (about a second), which the dashboard's first page does not need.
    Where the file is not where skfolio keeps it, skfolio's own loader reads it."""
    import gzip
    from importlib.util import find_spec

    spec = find_spec("skfolio")  # located, not imported
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / f"{name}.csv.gz" if spec else None
    if path is None or not path.is_file():
        from skfolio import datasets

        return getattr(datasets, f"load_{name}")()
    with gzip.open(path, mode="rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh, sep=",", index_col=0)
    df.index = pd.to_datetime(df.index, format="%Y-%m-%d")
    return df


@lru_cache(maxsize=1)
def load_sp500_20() -> Panel:
    """20 S&P 500 stocks, daily 1990-01-02..2022-12-28, with the S&P 500 index as benchmark and
    the five factor ETFs (MTUM, QUAL, SIZE, USMV, VLUE; from 2014) as pre-defined factors."""
    prices = skfolio_prices("sp500_dataset").sort_index()
    index = skfolio_prices("sp500_index").sort_index().iloc[:, 0]
    factor_prices = skfolio_prices("factors_dataset").sort_index()
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
