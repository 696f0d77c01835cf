"""Your own data: a CSV or Parquet file of prices or returns, long or wide, into a Panel.

Long format: one row per (date, ticker) with a value column (adj_close, price, close or
return), optional volume, market_cap, sector, industry, name and any other numeric
characteristic columns. Wide format: a date column plus one price (or return) column per
ticker. Column names are matched case-insensitively. See docs/data_format.md.

Errors a user can cause raise DataError in one line naming the file, the column, a row and
the fix. The file is only read, never written.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.data.panel import Panel, Split
from core.data.validation import detect_frequency, panel_warnings
from core.errors import DataError

DATE_NAMES = ("date", "datetime", "timestamp")
TICKER_NAMES = ("ticker", "symbol")
PRICE_NAMES = ("adj_close", "adjclose", "adj close", "price", "close")  # preferred first
RETURN_NAMES = ("return", "returns", "ret")
META_NAMES = ("sector", "industry", "name")
MIN_DATES = 10  # dates with returns
MIN_TICKERS = 2
SPLIT_SHARES = (0.6, 0.8)  # train = first 60% of dates, valid = next 20%, test = the rest


class _Where:
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


def load_file(path: str | Path, lookback: int = 64) -> Panel:
    """Load a CSV or Parquet file into a Panel (daily, weekly or monthly; prices or returns).

    Default split (a file has none): the first 60% of dates train, the next 20% validation,
    the rest test. `lookback` only drives the "too little history" warning."""
    path = Path(path)
    where = _Where(path)
    raw = _read(path)
    columns = _lower_columns(raw, where)
    original = where.names = {low: col for col, low in columns.items()}
    date_col = _find(columns, DATE_NAMES)
    if date_col is None:
        raise DataError(
            f"{where()}: no date column among {[str(c) for c in raw.columns][:10]}; add a column named 'date'"
        )
    dates = _parse_dates(raw[original[date_col]], where(date_col), where)
    table = raw.drop(columns=[original[date_col]])
    ticker_col = _find(columns, TICKER_NAMES)
    if ticker_col is not None:
        values, kind, features, meta, notes = _long(table.rename(columns=columns), dates, ticker_col, where)
    else:
        values, kind, notes = _wide(table, dates, where)
        features, meta = {}, pd.DataFrame(index=values.columns)
    layout = "long" if ticker_col is not None else "wide"
    return _build(path, where, values, kind, features, meta, notes, lookback, layout, date_col, ticker_col)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: file not found; check the path")
    suffix = "".join(s.lower() for s in path.suffixes[-2:])
    try:
        if suffix.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
            return frame if isinstance(frame.index, pd.RangeIndex) else frame.reset_index()
        if any(suffix.endswith(s) for s in (".csv", ".csv.gz", ".txt", ".tsv")):
            return pd.read_csv(path, sep=None if suffix.endswith((".txt", ".tsv")) else ",",
                               engine="python" if suffix.endswith((".txt", ".tsv")) else "c")
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read the file ({first}); save it as a valid CSV or Parquet file") from None
    raise DataError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .parquet")


def _lower_columns(raw: pd.DataFrame, where: _Where) -> dict:
    """Original column -> stripped lower-case name; two columns with the same name are an error."""
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise DataError(f"{where()}: the file has no data rows; add a header line and rows of data")
    mapping = {c: str(c).strip().lower() for c in raw.columns}
    seen: dict[str, object] = {}
    for original, low in mapping.items():
        if low in seen:
            raise DataError(
                f"{where(str(original))}: columns {seen[low]!r} and {original!r} have the same name "
                "(names are case-insensitive); rename one"
            )
        seen[low] = original
    return mapping


def _find(columns: dict, names: tuple[str, ...]) -> str | None:
    lowered = set(columns.values())
    return next((n for n in names if n in lowered), None)


def _parse_dates(col: pd.Series, label: str, where: _Where) -> pd.Series:
    """Parse a date column (ISO strings, datetimes or YYYYMMDD integers), normalised to days."""
    missing = col.isna().to_numpy()
    if missing.any():
        i = int(np.argmax(missing))
        raise DataError(f"{label}, {where.row(i)}: the date is empty; give every row a date (YYYY-MM-DD)")
    if pd.api.types.is_bool_dtype(col):
        parsed = pd.Series(pd.NaT, index=col.index)
    elif pd.api.types.is_numeric_dtype(col):  # YYYYMMDD integers
        num = col.to_numpy(dtype=np.float64)
        ok = (num == np.round(num)) & (num > 1e7) & (num < 1e8)
        text = pd.Series(np.where(ok, num, 0).astype(np.int64).astype(str), index=col.index).where(ok)
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    elif pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    else:
        text = col.astype(str).str.strip()
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            parsed = pd.Series(pd.NaT, index=col.index)
        if parsed.isna().any():
            try:
                parsed = parsed.fillna(pd.to_datetime(text.where(parsed.isna()), errors="coerce", format="mixed"))
            except (ValueError, TypeError, OverflowError):
                pass
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{label}, {where.row(i)}: cannot parse date {str(col.iloc[i])[:40]!r}; write dates as YYYY-MM-DD"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize()


def _numeric(col: pd.Series, label: str, where: _Where) -> pd.Series:
    """A numeric (float64) copy of a value column; a non-numeric or infinite entry is an error."""
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


def _check_values(values: pd.Series, kind: str, col: str, where: _Where) -> None:
    """Prices must be positive; returns must be above -100%."""
    low = values.to_numpy() <= (0.0 if kind == "price" else -1.0)
    if low.any():
        i = int(np.argmax(low))
        what = "non-positive price" if kind == "price" else "return at or below -100%"
        fix = "remove the row or fix the price" if kind == "price" else "write returns as decimals (0.01 = 1%)"
        raise DataError(f"{where(col, i)}: {what} {float(values.iloc[i]):g}; {fix}")


def _long(table: pd.DataFrame, dates: pd.Series, ticker_col: str, where: _Where):
    """Long format (lower-case column names) -> (values T x N, kind, features, meta, notes)."""
    price_col = _find({c: c for c in table.columns}, PRICE_NAMES)
    return_col = _find({c: c for c in table.columns}, RETURN_NAMES)
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
    tickers = tickers.astype(str).str.strip()
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
    skip = {ticker_col, col} | ({return_col} if return_col else set()) | set(PRICE_NAMES)
    features, notes = {}, []
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
    return values, kind, features, meta, notes


def _wide(table: pd.DataFrame, dates: pd.Series, where: _Where):
    """Wide format -> (values T x N, kind, notes): every column but the date is a ticker."""
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
    return values.sort_index(), kind, []


def _build(path: Path, where: _Where, values: pd.DataFrame, kind: str, features: dict, meta: pd.DataFrame,
           notes: list[str], lookback: int, layout: str, date_col: str, ticker_col: str | None) -> Panel:
    if values.shape[1] < MIN_TICKERS:
        raise DataError(
            f"{where(ticker_col)}: found {values.shape[1]} ticker(s) {list(values.columns)[:3]}; a factor model needs "
            f"at least {MIN_TICKERS}: add more tickers"
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
    features = {k: v.reindex(index=returns.index, columns=returns.columns) for k, v in features.items()}
    meta = meta.reindex(returns.columns)
    for col in ("sector", "industry"):
        meta[col] = meta[col].fillna("Unknown") if col in meta else "Unknown"
    meta["name"] = meta["name"].fillna(pd.Series(meta.index, index=meta.index)) if "name" in meta else meta.index
    meta = meta[["name", "sector", "industry"]]
    n = len(returns)
    split = Split(train_end=returns.index[max(int(n * SPLIT_SHARES[0]) - 1, 0)],
                  valid_end=returns.index[max(int(n * SPLIT_SHARES[1]) - 1, 0)])
    warnings = panel_warnings(values, gross, returns, frequency, lookback)
    return Panel(
        returns=returns, meta=meta, features=features, name=path.stem, frequency=frequency, split=split,
        source=f"{path} ({layout} format, {kind}s)",
        warnings=tuple(notes + warnings),
    )
