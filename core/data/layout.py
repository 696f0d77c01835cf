"""Long or wide: a user's table reshaped to values of dates x tickers, with its characteristics.

Long format: one row per (date, ticker) with a value column (adj_close, price, close or return),
optional volume, market_cap, sector, industry, name and any other numeric characteristic
columns; the id column is the first of TICKER_NAMES present. Wide format (no id column): every
column but the date is a ticker of prices, or of returns when some value is negative or the
median magnitude is below 0.2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.columns import META_NAMES, PRICE_NAMES, RETURN_NAMES, TICKER_NAMES, Where, as_text, find
from core.errors import DataError


@dataclass(frozen=True)
class Reshaped:
    """A file's values before they become returns.

    values:     (T x N) prices or returns as given, dates x tickers, NaN where not given
    kind:       "price" or "return"
    layout:     "long" or "wide"
    ticker_col: the lower-case id column of a long file, None for a wide one
    features:   characteristic name -> (T x N) float64 frame (long files only)
    meta:       (N x any of sector, industry, name) text, indexed by ticker
    notes:      columns that were not used, and why
    """

    values: pd.DataFrame
    kind: str
    layout: str
    ticker_col: str | None
    features: dict
    meta: pd.DataFrame
    notes: list[str]


def reshape(table: pd.DataFrame, columns: dict, dates: pd.Series, where: Where) -> Reshaped:
    """The raw table without its date column (rows x columns), `columns` (original name ->
    lower-case name) and its dates (rows,) -> Reshaped: long when an id column is present, else wide."""
    ticker_col = find(columns, TICKER_NAMES)
    if ticker_col is not None:
        return _long(table.rename(columns=columns), dates, ticker_col, where)
    return _wide(table, dates, where)


def _numeric(col: pd.Series, label: str, where: Where) -> pd.Series:
    """A numeric (float64) copy of a value column (rows,); a non-numeric or infinite entry is an error."""
    if pd.api.types.is_bool_dtype(col):
        num = pd.Series(np.nan, index=col.index)
    else:
        num = pd.to_numeric(col, errors="coerce").astype(np.float64)
    bad = (num.isna() & col.notna()).to_numpy() | np.isinf(num.to_numpy())
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{label}, {where.row(i)}: value {str(col.iloc[i])[:40]!r} is not a finite number; "
            "write plain numbers and leave missing values empty"
        )
    return num


def _check_values(values: pd.Series, kind: str, col: str, where: Where) -> None:
    """Prices must be positive; returns must be above -100%."""
    low = values.to_numpy() <= (0.0 if kind == "price" else -1.0)
    if low.any():
        i = int(np.argmax(low))
        what = "non-positive price" if kind == "price" else "return at or below -100%"
        fix = "remove the row or fix the price" if kind == "price" else "write returns as decimals (0.01 = 1%)"
        raise DataError(f"{where(col, i)}: {what} {float(values.iloc[i]):g}; {fix}")


def _long(table: pd.DataFrame, dates: pd.Series, ticker_col: str, where: Where) -> Reshaped:
    """Long format (rows x lower-case columns, dates (rows,)) -> Reshaped, one column per ticker."""
    price_col = find({c: c for c in table.columns}, PRICE_NAMES)
    return_col = find({c: c for c in table.columns}, RETURN_NAMES)
    col = price_col or return_col
    if col is None:
        raise DataError(
            f"{where()}: no value column; add one named adj_close, price, close or return"
        )
    kind = "price" if price_col else "return"
    tickers = table[ticker_col]
    empty = tickers.isna().to_numpy()
    if empty.any():
        raise DataError(f"{where(ticker_col, int(np.argmax(empty)))}: the ticker is empty; give every row a ticker")
    tickers = as_text(tickers)
    dup = pd.DataFrame({"d": dates, "t": tickers}).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = rows[0]
        twin = rows[1:][(tickers.iloc[rows[1:]] == tickers.iloc[first]).to_numpy()
                        & (dates.iloc[rows[1:]] == dates.iloc[first]).to_numpy()][0]
        raise DataError(
            f"{where(ticker_col, int(first))}: duplicate row for ticker {tickers.iloc[first]!r} on "
            f"{pd.Timestamp(dates.iloc[first]).date()} (again at {where.row(int(twin))}); "
            "keep one row per date and ticker"
        )
    value = _numeric(table[col], where(col), where)
    _check_values(value, kind, col, where)
    index = pd.MultiIndex.from_arrays([pd.DatetimeIndex(dates, name="date"), pd.Index(tickers, name="ticker")])

    def wide(series: pd.Series) -> pd.DataFrame:
        return pd.Series(series.to_numpy(), index=index).unstack("ticker").sort_index()

    values = wide(value)
    other_ids = [c for c in table.columns if c in TICKER_NAMES and c != ticker_col]
    notes = [_other_id(tickers, table[c], ticker_col, c, where) for c in other_ids]
    skip = {ticker_col, col} | ({return_col} if return_col else set()) | set(PRICE_NAMES) | set(other_ids)
    features = {}
    meta = pd.DataFrame(index=values.columns)
    for name in table.columns:
        if name in skip:
            continue
        if name in META_NAMES:
            # the last given value per ticker (a ticker can be renamed or reclassified over time)
            given = pd.DataFrame({"t": tickers, "v": table[name]}).dropna()
            meta[name] = given.groupby("t")["v"].last().astype(str).reindex(values.columns)
            continue
        num = pd.to_numeric(table[name], errors="coerce") if not pd.api.types.is_bool_dtype(table[name]) else None
        if num is None or (num.isna() & table[name].notna()).any() or np.isinf(num.to_numpy(dtype=float)).any():
            notes.append(f"column {where.column(name)!r} is not numeric and was ignored")
            continue
        features[name] = wide(num.astype(np.float64)).reindex(columns=values.columns)
    return Reshaped(values=values, kind=kind, layout="long", ticker_col=ticker_col, features=features, meta=meta,
                    notes=notes)


def _other_id(tickers: pd.Series, ids: pd.Series, ticker_col: str, id_col: str, where: Where) -> str:
    """A second id column (a PERMNO beside the ticker) is not used, but one ticker carrying several
    of its ids means several securities would be read as one stock: refused."""
    pairs = pd.DataFrame({"t": tickers, "o": as_text(ids)}).dropna().drop_duplicates()
    per_ticker = pairs.groupby("t")["o"].nunique()
    many = per_ticker[per_ticker > 1]
    name, other = where.column(ticker_col), where.column(id_col)
    if len(many):
        t = many.index[0]
        shown = ", ".join(sorted(pairs.loc[pairs["t"] == t, "o"])[:3])
        raise DataError(
            f"{where(ticker_col)}: ticker {t!r} has {int(many.iloc[0])} different {other!r} values ({shown}), so "
            f"several securities share it; key the stocks by {other!r} (delete or rename the {name!r} column in "
            "a copy of the file) or keep one security per ticker"
        )
    return f"column {other!r} is a second id column and was not used; stocks are keyed by {name!r}"


def _wide(table: pd.DataFrame, dates: pd.Series, where: Where) -> Reshaped:
    """Wide format (dates x tickers, dates (rows,)) -> Reshaped: every column but the date is a ticker."""
    dates = pd.DatetimeIndex(dates, name="date")
    dup = dates.duplicated(keep=False)
    if dup.any():
        rows = np.flatnonzero(dup)
        raise DataError(
            f"{where('date', int(rows[0]))}: date {dates[rows[0]].date()} appears twice (again at "
            f"{where.row(int(rows[1]))}); keep one row per date"
        )
    values = pd.DataFrame({str(c).strip(): _numeric(table[c], where(str(c)), where).to_numpy() for c in table.columns},
                          index=dates)
    values.columns.name = "ticker"
    finite = values.to_numpy()[np.isfinite(values.to_numpy())]
    if finite.size == 0:
        raise DataError(f"{where()}: no numeric values in the ticker columns; put one price column per ticker")
    kind = "return" if (finite < 0).any() or float(np.median(np.abs(finite))) < 0.2 else "price"
    for c in values.columns:
        _check_values(pd.Series(values[c].to_numpy()), kind, c, where)
    return Reshaped(values=values.sort_index(), kind=kind, layout="wide", ticker_col=None, features={},
                    meta=pd.DataFrame(index=values.columns), notes=[])

