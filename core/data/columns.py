"""The columns of a user's file: what they may be called, how names are matched (stripped,
case-insensitive, never two alike), ids as text, and where in the file a problem is.

A raw table here is the file as pandas read it: (rows x columns), nothing converted yet.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import DataError

DATE_NAMES = ("date", "datetime", "timestamp")
# the id column of a long file, preferred first; any other of them present is not used
TICKER_NAMES = ("ticker", "symbol", "permno", "ric", "isin", "cusip", "sedol")
PRICE_NAMES = ("adj_close", "adjclose", "adj close", "price", "close")  # preferred first
RETURN_NAMES = ("return", "returns", "ret")
META_NAMES = ("sector", "industry", "name")


class Where:
    """Formats the place of a problem: file, column and row (CSV line numbers count the header)."""

    def __init__(self, path: Path):
        self.path = path
        self.csv = path.suffix.lower() not in (".parquet", ".pq")
        self.names: dict = {}  # lower-case column name -> the name in the file

    def column(self, name) -> str:
        return str(self.names.get(name, name))

    def row(self, i: int) -> str:
        return f"line {i + 2}" if self.csv else f"row {i}"

    def __call__(self, column: str | None = None, i: int | None = None) -> str:
        parts = [str(self.path)]
        if column is not None:
            parts.append(f"column {self.column(column)!r}")
        if i is not None:
            parts.append(self.row(i))
        return ", ".join(parts)


def check_names(names: list[str], path: Path, what: str) -> None:
    """Two columns with one name (exactly, or differing only by case) are refused: pandas would
    silently rename the second to 'close.1'. `what` names a header field ("column", "schema column")."""
    seen: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(names):
        low = str(name).strip().lower()
        if low in seen and low:
            j, first = seen[low]
            if str(first).strip() == str(name).strip():
                raise DataError(
                    f"{path}, column {name!r}: two columns have the same name {name!r} ({what}s {j + 1} and "
                    f"{i + 1} of the header); rename or delete one"
                )
            raise DataError(
                f"{path}, column {name!r}: columns {first!r} and {name!r} have the same name (names are "
                f"case-insensitive; {what}s {j + 1} and {i + 1} of the header); rename one"
            )
        seen[low] = (i, name)


def lower_columns(raw: pd.DataFrame, where: Where) -> dict:
    """Original column of the raw table (rows x columns) -> stripped lower-case name; a table
    without rows or columns, or two columns with the same name, is an error."""
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise DataError(f"{where()}: the file has no data rows; add a header line and rows of data")
    check_names([str(c) for c in raw.columns], where.path, "column")
    return {c: str(c).strip().lower() for c in raw.columns}


def find(columns: dict, names: tuple[str, ...]) -> str | None:
    """The first of `names` among the lower-case names (the values of `columns`), else None."""
    lowered = set(columns.values())
    return next((n for n in names if n in lowered), None)


def as_text(col: pd.Series) -> pd.Series:
    """Ids as text (same length as `col`, NaN where missing): integral numbers without a '.0'
    (a PERMNO 10001 stays '10001'), text stripped."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        num = col.to_numpy(dtype=np.float64)
        ok = np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < 2**53)
        if ok[~np.isnan(num)].all():
            text = pd.Series(np.where(ok, num, 0).astype(np.int64).astype(str), index=col.index)
            return text.where(~np.isnan(num))
    return col.astype(str).str.strip().where(col.notna())
