"""Your own data: a CSV or Parquet file of prices or returns, long or wide, into a Panel.

The steps, one module each: core.data.reader reads the file into a raw table (core.data.text
decodes a CSV and sniffs its delimiter and decimal separator), core.data.dates reads the date
column (day-first or month-first only when the file proves which), core.data.layout reshapes a
long or wide table to dates x tickers; here the values become the Panel's returns, split and
warnings. Column names are matched case-insensitively (core.data.columns). See docs/data_format.md.

A file is never read wrongly without a word: what had to be guessed is a warning, what cannot
be told is a DataError in one line naming the file, the column, a row and the fix. The file is
only read, never written.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.data.columns import DATE_NAMES, Where, find, lower_columns
from core.data.dates import parse_dates
from core.data.layout import Reshaped, reshape
from core.data.panel import Panel, Split
from core.data.reader import read_table
from core.data.validation import detect_frequency, panel_warnings
from core.errors import DataError

MIN_DATES = 10  # dates with returns
MIN_TICKERS = 2
SPLIT_SHARES = (0.6, 0.8)  # train = first 60% of dates, valid = next 20%, test = the rest


def load_file(path: str | Path, lookback: int = 64, date_format: str | None = None) -> Panel:
    """Load a CSV or Parquet file into a Panel (daily, weekly or monthly; prices or returns).

    Default split (a file has none): the first 60% of dates train, the next 20% validation,
    the rest test. `lookback` only drives the "too little history" warning. `date_format`
    (strftime codes, e.g. "%d/%m/%Y") reads every date with that format; without it ISO dates
    and YYYYMMDD parse, and DD/MM/YYYY or MM/DD/YYYY only when a date of the file shows which."""
    path = Path(path)
    where = Where(path)
    raw, notes = read_table(path)
    columns = lower_columns(raw, where)
    original = where.names = {low: col for col, low in columns.items()}
    date_col = find(columns, DATE_NAMES)
    if date_col is None:
        raise DataError(
            f"{where()}: no date column among {[str(c) for c in raw.columns][:10]}; add a column named 'date'"
        )
    dates, date_notes = parse_dates(raw[original[date_col]], where(date_col), where, date_format)
    shaped = reshape(raw.drop(columns=[original[date_col]]), columns, dates, where)
    return _panel(shaped, where=where, date_col=date_col, notes=notes + date_notes, lookback=lookback)


def _panel(shaped: Reshaped, *, where: Where, date_col: str, notes: list[str], lookback: int) -> Panel:
    """The Panel of reshaped values: returns (T' x N: the dates with a value, less the first when
    they are prices), features (T' x N each), meta (N x name, sector, industry; "Unknown" where not
    given), the default split, and warnings = `notes` (how the file was read), the layout's notes,
    then the data's warnings. Too few tickers or dates is a DataError."""
    values, kind = shaped.values, shaped.kind
    if values.shape[1] < MIN_TICKERS:
        raise DataError(
            f"{where(shaped.ticker_col)}: found {values.shape[1]} ticker(s) {list(values.columns)[:3]}; a factor "
            f"model needs at least {MIN_TICKERS}: add more tickers"
        )
    values = values.dropna(how="all")
    if kind == "price":
        returns = values.pct_change(fill_method=None).iloc[1:]
        gross = returns + 1.0
    else:
        returns, gross = values, values + 1.0
    if len(returns) < MIN_DATES:
        raise DataError(
            f"{where(date_col)}: only {len(returns)} dates with returns; need at least {MIN_DATES}: add more dates"
        )
    frequency = detect_frequency(values.index, where())
    returns = returns.astype(np.float64)
    returns.index.name, returns.columns.name = "date", "ticker"
    features = {k: v.reindex(index=returns.index, columns=returns.columns) for k, v in shaped.features.items()}
    meta = shaped.meta.reindex(returns.columns)
    for col in ("sector", "industry"):
        meta[col] = meta[col].fillna("Unknown") if col in meta else "Unknown"
    meta["name"] = meta["name"].fillna(pd.Series(meta.index, index=meta.index)) if "name" in meta else meta.index
    meta = meta[["name", "sector", "industry"]]
    n = len(returns)
    split = Split(train_end=returns.index[max(int(n * SPLIT_SHARES[0]) - 1, 0)],
                  valid_end=returns.index[max(int(n * SPLIT_SHARES[1]) - 1, 0)])
    warnings = panel_warnings(values, gross, returns, frequency, lookback)
    return Panel(
        returns=returns, meta=meta, features=features, name=where.path.stem, frequency=frequency, split=split,
        source=f"{where.path} ({shaped.layout} format, {kind}s)",
        warnings=tuple(notes + shaped.notes + warnings),
    )
