"""The embedded sp500-20 dataset, loaded offline from skfolio plus the shipped metadata file."""
from __future__ import annotations

import pandas as pd
import pytest

from core.data import load_panel
from core.data.embedded import sp500_metadata
from core.errors import DataError

TICKERS = ["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
           "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"]


@pytest.fixture(scope="module")
def sp500():
    return load_panel(dataset="sp500-20")


def test_tickers_and_dates(sp500):
    assert sp500.tickers == TICKERS
    # prices start 1990-01-02, so the first return is on the next trading day
    assert sp500.dates[0] == pd.Timestamp("1990-01-03") and sp500.dates[-1] == pd.Timestamp("2022-12-28")
    assert sp500.frequency == "daily" and not sp500.synthetic
    assert sp500.returns.notna().to_numpy().mean() > 0.99


def test_benchmark_factors_and_split(sp500):
    assert sp500.benchmark is not None and sp500.benchmark.notna().mean() > 0.99
    assert list(sp500.factors.columns) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    assert sp500.factors.loc[:"2013-06-30"].isna().all().all()  # the factor ETFs start in 2014 here
    assert sp500.factors.loc["2015"].notna().all().all()
    assert sp500.split_dates("train")[-1] <= pd.Timestamp("2013-12-31")
    assert sp500.split_dates("valid")[0].year == 2014 and sp500.split_dates("valid")[-1].year == 2018
    assert sp500.split_dates("test")[0].year == 2019


def test_sectors_from_metadata_file(sp500):
    meta = sp500_metadata()
    assert sorted(meta.index) == TICKERS
    assert (sp500.meta["sector"] == meta.loc[TICKERS, "sector"]).all()
    assert sp500.meta.loc["AAPL", "sector"] == "Information Technology"
    assert sp500.meta.loc["XOM", "sector"] == "Energy"
    assert sp500.meta.notna().all().all()


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DataError, match="sp500-20"):
        load_panel(dataset="nope")
    with pytest.raises(DataError, match="exactly one"):
        load_panel()


@pytest.mark.parametrize("name", ["sp500_dataset", "sp500_index", "factors_dataset"])
def test_skfolio_files_read_without_skfolio_equal_its_loaders(name):
    """sp500-20 reads skfolio's data files without importing skfolio (a cold start's first page needs none of what it
    imports): the frames are exactly those of skfolio.datasets' own loaders."""
    from skfolio import datasets

    from core.data.embedded import skfolio_prices

    pd.testing.assert_frame_equal(skfolio_prices(name), getattr(datasets, f"load_{name}")(), check_exact=True)
