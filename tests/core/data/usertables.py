"""Small user files for the tests of core/data's file reading (tests/core/data is on sys.path):

    long_table(dates, fmt="%Y-%m-%d", tickers=("AAA", "BBB", "CCC"))  # (T * N) x [Date, Ticker, Close]
    load_error(path, **load_file_kwargs)  # the one-line DataError message that starts with the path
    reference(tmp_path)  # (long table with a sector, its Panel read from a plain CSV)
"""
from __future__ import annotations

import pandas as pd
import pytest

from core.data.files import load_file
from core.errors import DataError


def long_table(dates: pd.DatetimeIndex, fmt: str = "%Y-%m-%d", tickers=("AAA", "BBB", "CCC")) -> pd.DataFrame:
    """A long price table: one row per date and ticker, dates written with `fmt`."""
    rows = [(d.strftime(fmt), t, round(10.0 + 3 * j + 0.01 * i + 0.005 * (i % 3), 4))
            for i, d in enumerate(dates) for j, t in enumerate(tickers)]
    return pd.DataFrame(rows, columns=["Date", "Ticker", "Close"])


def load_error(path, **kwargs) -> str:
    """The message of the DataError load_file(path, **kwargs) raises; it is one line and starts with the path."""
    with pytest.raises(DataError) as info:
        load_file(path, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg


def reference(tmp_path):
    """A long table with a Sector column, written as ref.csv, and its Panel (the one every dialect must give)."""
    table = long_table(pd.bdate_range("2010-01-04", periods=25))
    table["Sector"] = ["Energy", "Utilities", "Energy"] * 25
    table.to_csv(tmp_path / "ref.csv", index=False)
    return table, load_file(tmp_path / "ref.csv")
