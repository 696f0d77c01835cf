"""A CSV (plain or gzipped, .csv/.txt/.tsv) or Parquet file as a raw table, read only.

The raw table is (rows x columns) with nothing converted but what pandas infers, except that
id columns of a CSV stay text (leading zeros kept). Duplicate column names and header fields
without a name that hold values are refused; empty unnamed columns (trailing delimiters) dropped.
"""
from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.columns import TICKER_NAMES, check_names
from core.data.text import decode, sniff
from core.errors import DataError


def read_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """(raw table, notes on how it was read: encoding fallback, decimal commas)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found; check the path")
    suffix = "".join(s.lower() for s in path.suffixes[-2:])
    if suffix.endswith((".parquet", ".pq")):
        return _read_parquet(path), []
    if any(suffix.endswith(s) for s in (".csv", ".csv.gz", ".txt", ".tsv")):
        return _read_csv(path, suffix)
    raise DataError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")


def _cannot_read(path: Path, exc: Exception) -> DataError:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return DataError(f"{path}: cannot read the file ({first}); save it as a valid CSV or Parquet file")


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise _cannot_read(path, exc) from None
    check_names([str(n) for n in names], path, "schema column")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise _cannot_read(path, exc) from None
    return frame if isinstance(frame.index, pd.RangeIndex) else frame.reset_index()


def _read_csv(path: Path, suffix: str) -> tuple[pd.DataFrame, list[str]]:
    data = path.read_bytes()
    if suffix.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise _cannot_read(path, exc) from None
    text, notes = decode(data, path)
    sep, header, decimal, sniff_notes = sniff(text, path, suffix)
    check_names(header, path, "column")
    ids = {name: str for name in header if name.strip().lower() in TICKER_NAMES}  # keep leading zeros
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, dtype=ids or None, engine="c")
    except Exception as exc:  # pandas raises many types for a bad file
        raise _cannot_read(path, exc) from None
    if frame.shape[1] == len(header):  # a header field without a name: pandas calls it 'Unnamed: i'
        frame = _drop_unnamed(frame, header, path)
    return frame, notes + sniff_notes


def _drop_unnamed(frame: pd.DataFrame, header: list[str], path: Path) -> pd.DataFrame:
    """The table without its unnamed columns, which must be empty (trailing delimiters): one that
    holds values (a saved row index, a column someone forgot to name) is never a silent feature."""
    for i, name in enumerate(header):
        if name.strip():
            continue
        given = frame.iloc[:, i].notna().to_numpy()
        if given.any():
            k = int(np.argmax(given))
            raise DataError(
                f"{path}, line {k + 2}: column {i + 1} of the header has no name but holds values "
                f"({str(frame.iloc[k, i])[:20]!r}; a saved row index?); give it a name or delete it"
            )
    unnamed = [frame.columns[i] for i, name in enumerate(header) if not name.strip()]
    return frame.drop(columns=unnamed)
