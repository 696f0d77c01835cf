"""core.data.reader: a CSV or Parquet file as a raw table; duplicate and unnamed columns."""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from tests.core.data.usertables import load_error, reference

from core.data.files import load_file
from core.data.reader import read_table
from core.errors import DataError


@pytest.mark.parametrize("second, expected", [
    ("close", "two columns have the same name 'close' (columns 3 and 4 of the header); rename or delete one"),
    ("Close", "columns 'close' and 'Close' have the same name (names are case-insensitive; columns 3 and 4"),
])
def test_duplicate_column_names_are_refused(tmp_path, second, expected):
    path = tmp_path / "dup.csv"
    body = "".join(f"2020-01-{d:02d},{t},{10 + d},{20 + d}\n" for d in range(1, 25) for t in "AB")
    path.write_text(f"date,ticker,close,{second}\n" + body)
    msg = load_error(path)
    assert expected in msg and "close.1" not in msg

def test_duplicate_parquet_column_names_are_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    dates = [f"2020-01-{d:02d}" for d in range(1, 25) for _ in "AB"]
    table = pa.Table.from_arrays([pa.array(dates), pa.array(list("AB") * 24), pa.array(np.arange(48.0) + 1),
                                  pa.array(np.arange(48.0) + 2)], names=["date", "ticker", "close", "close"])
    pq.write_table(table, path)
    assert "same name 'close' (schema columns 3 and 4" in load_error(path)

def test_unnamed_columns_empty_ones_dropped_others_refused(tmp_path):
    table, ref = reference(tmp_path)
    path = tmp_path / "trailing.csv"  # Excel's trailing delimiter: an empty column without a name
    path.write_text("".join(line + ";\n" for line in table.to_csv(index=False, sep=";").splitlines()))
    p = load_file(path)
    assert p.features == {} and p.returns.equals(ref.returns)
    table.to_csv(path)  # pandas' default writes the row index as a first column without a name
    assert "line 2: column 1 of the header has no name but holds values ('0'" in load_error(path)


def test_csv_ids_stay_text_and_other_columns_as_pandas_infers(tmp_path):
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"Date,CUSIP,close,sector\n2020-01-02,00206R102,1.5,Energy\n"))
    raw, notes = read_table(path)
    assert list(raw.columns) == ["Date", "CUSIP", "close", "sector"] and raw.shape == (1, 4) and notes == []
    assert raw.loc[0, "CUSIP"] == "00206R102" and raw["close"].dtype == np.float64


def test_a_parquet_index_becomes_a_column(tmp_path):
    frame = pd.DataFrame({"close": [1.0, 2.0]}, index=pd.Index(["2020-01-02", "2020-01-03"], name="date"))
    frame.to_parquet(tmp_path / "f.parquet")
    raw, _ = read_table(tmp_path / "f.parquet")
    assert list(raw.columns) == ["date", "close"] and isinstance(raw.index, pd.RangeIndex)


@pytest.mark.parametrize("name, content, expected", [
    ("f.xlsx", b"PK", "unsupported file type '.xlsx'; use .csv or .parquet"),
    ("f.csv.gz", b"not gzip", "cannot read the file"),
])
def test_unreadable_files_are_refused(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=expected):
        read_table(tmp_path / name)
