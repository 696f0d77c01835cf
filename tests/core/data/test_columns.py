"""core.data.columns: column names matched case-insensitively, ids as text, where a problem is."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.columns import DATE_NAMES, TICKER_NAMES, Where, as_text, check_names, find, lower_columns
from core.errors import DataError


def test_where_counts_csv_lines_from_the_header_and_parquet_rows_from_zero():
    where = Where(Path("d/f.csv"))
    where.names = {"close": "Close"}
    assert where() == "d/f.csv" and where("close", 0) == "d/f.csv, column 'Close', line 2"
    assert where("volume") == "d/f.csv, column 'volume'"  # a name not in the file is shown as given
    assert Where(Path("f.PARQUET"))(None, 3) == "f.PARQUET, row 3"


def test_check_names_refuses_exact_and_case_twins_but_not_blank_names():
    check_names(["date", "", " ", "close"], Path("f.csv"), "column")  # blank header fields are dropped later
    with pytest.raises(DataError, match=r"two columns have the same name ' close' \(columns 2 and 3"):
        check_names(["date", "close", " close"], Path("f.csv"), "column")
    with pytest.raises(DataError, match=r"columns 'Date' and 'DATE' .* schema columns 1 and 2"):
        check_names(["Date", "DATE"], Path("f.parquet"), "schema column")


def test_lower_columns_and_find_prefer_the_first_name_listed():
    raw = pd.DataFrame({" Timestamp": [1], "Date": [2], "PERMNO": [3], "Symbol": [4]})
    columns = lower_columns(raw, Where(Path("f.csv")))
    assert list(columns.values()) == ["timestamp", "date", "permno", "symbol"]
    assert find(columns, DATE_NAMES) == "date" and find(columns, TICKER_NAMES) == "symbol"
    assert find(columns, ("close",)) is None
    with pytest.raises(DataError, match="no data rows"):
        lower_columns(raw.iloc[:0], Where(Path("f.csv")))


def test_as_text_writes_integral_ids_without_a_decimal_point():
    assert as_text(pd.Series([10001.0, np.nan, 93436.0])).tolist()[::2] == ["10001", "93436"]
    assert as_text(pd.Series([10001.0, np.nan])).isna().tolist() == [False, True]
    assert as_text(pd.Series([1.5, 2.0])).tolist() == ["1.5", "2.0"]  # not all integral: as written
    assert as_text(pd.Series([" AAPL ", None])).tolist()[0] == "AAPL"
