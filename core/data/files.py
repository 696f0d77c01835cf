"""Your own data: a CSV or Parquet file of prices or returns, long or wide, into a Panel.

Long format: one row per (date, ticker) with a value column (adj_close, price, close or
return), optional volume, market_cap, sector, industry, name and any other numeric
characteristic columns. Wide format: a date column plus one price (or return) column per
ticker. Column names are matched case-insensitively. See docs/data_format.md.

Reading a CSV: the text is UTF-8 (with or without a byte-order mark; UTF-16 with one), else
cp1252, else latin-1, with a warning saying so; the delimiter (comma, semicolon, tab, pipe) is
sniffed from the first 64 KiB; a file whose other delimiter comes with decimal commas (1,23) is
read with decimal="," (a note says so). Dates that could be day-first or month-first
(03/04/2010) are read only when a date of the file proves the order, otherwise the load is
refused until `date_format` names it. A file is never read wrongly without a word: what had to
be guessed is a warning, what cannot be told is a DataError.

Errors a user can cause raise DataError in one line naming the file, the column, a row and
the fix. The file is only read, never written.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.panel import Panel, Split
from core.data.validation import detect_frequency, panel_warnings
from core.errors import DataError

DATE_NAMES = ("date", "datetime", "timestamp")
# the id column of a long file, preferred first; any other of them present is not used
TICKER_NAMES = ("ticker", "symbol", "permno", "ric", "isin", "cusip", "sedol")
PRICE_NAMES = ("adj_close", "adjclose", "adj close", "price", "close")  # preferred first
RETURN_NAMES = ("return", "returns", "ret")
META_NAMES = ("sector", "industry", "name")
MIN_DATES = 10  # dates with returns
MIN_TICKERS = 2
SPLIT_SHARES = (0.6, 0.8)  # train = first 60% of dates, valid = next 20%, test = the rest

DELIMITERS = {",": "comma ','", ";": "semicolon ';'", "\t": "tab", "|": "pipe '|'"}
SNIFF_CHARS = 64 * 1024  # the delimiter and the decimal separator are told from this much text
FALLBACK_ENCODINGS = (("cp1252", "cp1252 (Windows Western European)"), ("latin-1", "latin-1 (ISO-8859-1)"))
_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")
# 31/12/2009, 12-31-2009, 31.12.09, 3 4 2010 (a time of day may follow): the order is a question
_DAY_MONTH = r"^(\d{1,2})([/.\- ])(\d{1,2})\2(\d+)(?:[ T].*)?$"
# 2009/12/31, 2009.12.31, 2009-1-5: always year, month, day
_YEAR_FIRST = r"^(\d{4})([/.\- ])(\d{1,2})\2(\d{1,2})(?:[ T].*)?$"


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


def load_file(path: str | Path, lookback: int = 64, date_format: str | None = None) -> Panel:
    """Load a CSV or Parquet file into a Panel (daily, weekly or monthly; prices or returns).

    Default split (a file has none): the first 60% of dates train, the next 20% validation,
    the rest test. `lookback` only drives the "too little history" warning. `date_format`
    (strftime codes, e.g. "%d/%m/%Y") reads every date with that format; without it ISO dates
    and YYYYMMDD parse, and DD/MM/YYYY or MM/DD/YYYY only when a date of the file shows which."""
    path = Path(path)
    where = _Where(path)
    raw, notes = _read(path)
    columns = _lower_columns(raw, where)
    original = where.names = {low: col for col, low in columns.items()}
    date_col = _find(columns, DATE_NAMES)
    if date_col is None:
        raise DataError(
            f"{where()}: no date column among {[str(c) for c in raw.columns][:10]}; add a column named 'date'"
        )
    dates, date_notes = _parse_dates(raw[original[date_col]], where(date_col), where, date_format)
    notes = notes + date_notes
    table = raw.drop(columns=[original[date_col]])
    ticker_col = _find(columns, TICKER_NAMES)
    if ticker_col is not None:
        values, kind, features, meta, long_notes = _long(table.rename(columns=columns), dates, ticker_col, where)
    else:
        values, kind, long_notes = _wide(table, dates, where)
        features, meta = {}, pd.DataFrame(index=values.columns)
    layout = "long" if ticker_col is not None else "wide"
    return _build(path, where, values, kind, features, meta, notes + long_notes, lookback, layout, date_col,
                  ticker_col)


def _read(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The file as a table (nothing converted but what pandas infers) and notes on how it was read."""
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
    _check_names([str(n) for n in names], path, "schema column")
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
    text, notes = _decode(data, path)
    sep, header, decimal, sniff_notes = _sniff(text, path, suffix)
    _check_names(header, path, "column")
    ids = {name: str for name in header if name.strip().lower() in TICKER_NAMES}  # keep leading zeros
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, dtype=ids or None, engine="c")
    except Exception as exc:  # pandas raises many types for a bad file
        raise _cannot_read(path, exc) from None
    if frame.shape[1] == len(header):  # a header field without a name: pandas calls it 'Unnamed: i'
        for i, name in enumerate(header):
            if name.strip():
                continue
            given = frame.iloc[:, i].notna().to_numpy()
            if given.any():  # a saved row index, or a column someone forgot to name: never a silent feature
                k = int(np.argmax(given))
                raise DataError(
                    f"{path}, line {k + 2}: column {i + 1} of the header has no name but holds values "
                    f"({str(frame.iloc[k, i])[:20]!r}; a saved row index?); give it a name or delete it"
                )
        unnamed = [frame.columns[i] for i, name in enumerate(header) if not name.strip()]
        frame = frame.drop(columns=unnamed)  # empty columns of trailing delimiters hold nothing
    return frame, notes + sniff_notes


def _decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """UTF-8 (a byte-order mark is dropped), UTF-16 with a byte-order mark, else cp1252, else
    latin-1; a fallback is stated in a warning."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{path}: cannot read the file (it starts like UTF-16 text but is not); "
                            "re-save it as a UTF-8 CSV") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            for encoding, label in FALLBACK_ENCODINGS:
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            notes.append(
                f"the file is not UTF-8 (byte 0x{data[exc.start]:02X} on line {line} is not valid UTF-8); it was "
                f"decoded as {label} instead: check accented names, or re-save the file as UTF-8"
            )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(f"{path}, line {line}: the file contains NUL characters (a binary file, or UTF-16 text "
                        "without a byte-order mark); save it as a UTF-8 CSV")
    return text, notes


def _rows(sample: str, sep: str, truncated: bool) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the non-blank records of `sample` split at `sep`."""
    out = []
    reader = csv.reader(io.StringIO(sample), delimiter=sep)
    try:
        for row in reader:
            if row:  # pandas skips blank lines too
                out.append((reader.line_num, row))
    except csv.Error:
        pass
    return out[:-1] if truncated and len(out) > 1 else out


def _sniff(text: str, path: Path, suffix: str) -> tuple[str, list[str], str, list[str]]:
    """(delimiter, header fields, decimal separator, notes) from the start of the text."""
    sample, truncated = text[:SNIFF_CHARS], len(text) > SNIFF_CHARS
    parsed = {sep: _rows(sample, sep, truncated) for sep in DELIMITERS}
    if not parsed[","]:
        raise DataError(f"{path}: cannot read the file (it is empty); save it as a valid CSV or Parquet file")
    multi = [sep for sep, rows in parsed.items() if len(rows[0][1]) > 1]
    if not multi:
        head = parsed[","][0][1][0][:60]
        raise DataError(
            f"{path}, line {parsed[','][0][0]}: the header {head!r} is a single column with every delimiter tried "
            f"({', '.join(DELIMITERS.values())}); separate the columns with commas and start with a header line "
            "such as date,ticker,close"
        )
    if len(multi) == 1:
        sep = multi[0]
    else:
        consistent = [s for s in multi if all(len(r) == len(parsed[s][0][1]) for _, r in parsed[s][1:])]
        default = "\t" if suffix.endswith(".tsv") else ","
        if len(consistent) == 1:
            sep = consistent[0]
        elif default in (consistent or multi):
            sep = default
        else:
            named = " and ".join(f"{DELIMITERS[s]} ({len(parsed[s][0][1])} columns)" for s in (consistent or multi))
            raise DataError(f"{path}: cannot tell the delimiter: {named} both split the header into several "
                            "columns; save the file with one delimiter (commas are best)")
    (_, header), body = parsed[sep][0], parsed[sep][1:]
    for line, row in body:
        if len(row) > len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields but the header has {len(header)} ({DELIMITERS[sep]} "
                "delimiter); quote values that contain the delimiter, or remove the extra fields"
            )
    decimal, notes = ".", []
    if sep != ",":
        comma = point = None
        for line, row in body:
            for field in row:
                field = field.strip()
                if comma is None and _COMMA_NUMBER.fullmatch(field):
                    comma = (field, line)
                elif point is None and _POINT_NUMBER.fullmatch(field):
                    point = (field, line)
            if comma and point:
                raise DataError(
                    f"{path}: numbers are written with decimal commas ({comma[0]!r} on line {comma[1]}) and with "
                    f"decimal points ({point[0]!r} on line {point[1]}); write every number with one decimal "
                    "separator and no thousands separators"
                )
        if comma:
            decimal = ","
            notes.append(f"numbers read with decimal commas: {comma[0]!r} on line {comma[1]} is "
                         f"{float(comma[0].replace(',', '.'))} ({DELIMITERS[sep]} delimiter)")
    return sep, header, decimal, notes


def _check_names(names: list[str], path: Path, what: str) -> None:
    """Two columns with one name (exactly, or differing only by case) are refused: pandas would
    silently rename the second to 'close.1'."""
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


def _lower_columns(raw: pd.DataFrame, where: _Where) -> dict:
    """Original column -> stripped lower-case name; two columns with the same name are an error."""
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise DataError(f"{where()}: the file has no data rows; add a header line and rows of data")
    _check_names([str(c) for c in raw.columns], where.path, "column")
    return {c: str(c).strip().lower() for c in raw.columns}


def _find(columns: dict, names: tuple[str, ...]) -> str | None:
    lowered = set(columns.values())
    return next((n for n in names if n in lowered), None)


def _as_text(col: pd.Series) -> pd.Series:
    """Ids as text: integral numbers without a '.0' (a PERMNO 10001 stays '10001'), stripped."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        num = col.to_numpy(dtype=np.float64)
        ok = np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < 2**53)
        if ok[~np.isnan(num)].all():
            text = pd.Series(np.where(ok, num, 0).astype(np.int64).astype(str), index=col.index)
            return text.where(~np.isnan(num))
    return col.astype(str).str.strip().where(col.notna())


def _naive(parsed: pd.Series) -> np.ndarray:
    """datetime64[us] values without a time zone (the wall-clock date of a zoned timestamp)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return np.array(parsed.to_numpy(dtype="datetime64[us]"), copy=True)


def _to_datetime(text: pd.Series, **kwargs) -> np.ndarray:
    try:
        return _naive(pd.to_datetime(text, errors="coerce", **kwargs))
    except (ValueError, TypeError, OverflowError):
        return np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")


def _parse_dates(col: pd.Series, label: str, where: _Where, date_format: str | None = None):
    """(dates normalised to days, notes): ISO strings, datetimes, YYYYMMDD integers, or with
    `date_format` exactly that format. DD/MM/YYYY vs MM/DD/YYYY is decided only by the data."""
    missing = col.isna().to_numpy()
    if missing.any():
        i = int(np.argmax(missing))
        raise DataError(f"{label}, {where.row(i)}: the date is empty; give every row a date (YYYY-MM-DD)")
    notes: list[str] = []
    if pd.api.types.is_bool_dtype(col):
        parsed = pd.Series(pd.NaT, index=col.index, dtype="datetime64[us]")
    elif pd.api.types.is_datetime64_any_dtype(col):
        parsed = pd.Series(_naive(col), index=col.index)
    elif pd.api.types.is_numeric_dtype(col) and date_format is None:  # YYYYMMDD integers
        num = col.to_numpy(dtype=np.float64)
        ok = (num == np.round(num)) & (num > 1e7) & (num < 1e8)
        text = pd.Series(np.where(ok, num, 0).astype(np.int64).astype(str), index=col.index).where(ok)
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    else:
        text = _as_text(col) if pd.api.types.is_numeric_dtype(col) else col.astype(str).str.strip()
        codes, uniques = pd.factorize(text)  # a long file repeats each date once per ticker
        uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        first_row = lambda k: int(np.argmax(codes == k))  # noqa: E731
        if date_format is not None:
            try:
                values = _naive(pd.to_datetime(uniques, format=date_format, errors="coerce"))
            except (ValueError, TypeError) as exc:
                raise DataError(f"{label}: date_format {date_format!r} is not a valid format ({exc}); use strftime "
                                "codes such as %d/%m/%Y or %Y-%m-%d") from None
        else:
            values, notes = _infer_dates(uniques, first_row, label, where)
        parsed = pd.Series(values[codes], index=col.index)
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        fix = (f"the format given is date_format={date_format!r}: pass the format the file uses or fix the date"
               if date_format is not None else "write dates as YYYY-MM-DD")
        raise DataError(f"{label}, {where.row(i)}: cannot parse date {str(col.iloc[i])[:40]!r}; {fix}")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize(), notes


def _infer_dates(uniques: pd.Series, first_row, label: str, where: _Where) -> tuple[np.ndarray, list[str]]:
    """Dates (datetime64, NaT where unparsed) of distinct date strings, and notes. ISO first;
    d/m/y-like strings only in the order some date proves; other text (Jan 5 2020) as pandas reads it."""
    out = _to_datetime(uniques, format="ISO8601")
    notes: list[str] = []
    rest = np.isnat(out)
    if not rest.any():
        return out, notes
    ymd = uniques.str.extract(_YEAR_FIRST)
    hit = rest & ymd[0].notna().to_numpy()
    if hit.any():
        g = ymd[hit]
        out[hit] = _to_datetime(g[0] + "-" + g[2] + "-" + g[3], format="%Y-%m-%d")
        rest &= ~hit
    dm = uniques.str.extract(_DAY_MONTH)
    hit = rest & dm[0].notna().to_numpy()
    if hit.any():
        out[hit] = _day_month(uniques[hit], dm[hit], first_row, label, where, notes)
        rest &= ~hit
    if rest.any():
        out[rest] = _to_datetime(uniques[rest], format="mixed")
    return out, notes


def _day_month(text: pd.Series, parts: pd.DataFrame, first_row, label: str, where: _Where,
               notes: list[str]) -> np.ndarray:
    """Dates like 31/12/2009 or 12/31/2009: day-first when some first field is above 12,
    month-first when some second one is, refused when both or neither."""
    a, b = parts[0].astype(int).to_numpy(), parts[2].astype(int).to_numpy()
    year = parts[3].to_numpy(dtype=object)
    sep = parts[1].iloc[0]
    show = lambda k: f"{text.iloc[k]!r} ({where.row(first_row(text.index[k]))})"  # noqa: E731
    day_first, month_first = np.flatnonzero(a > 12), np.flatnonzero(b > 12)
    if len(day_first) and len(month_first):
        raise DataError(
            f"{label}: some dates are day-first ({show(day_first[0])}) and some month-first "
            f"({show(month_first[0])}); write every date as YYYY-MM-DD"
        )
    short = np.flatnonzero(np.array([len(y) for y in year]) == 2)
    if len(short):
        order = ("%d", "%m") if len(day_first) else ("%m", "%d") if len(month_first) else None
        fmt = f"'{order[0]}{sep}{order[1]}{sep}%y'" if order else f"'%d{sep}%m{sep}%y' or '%m{sep}%d{sep}%y'"
        raise DataError(f"{label}: date {show(short[0])} has a two-digit year; write dates as YYYY-MM-DD, "
                        f"or pass date_format={fmt} (CLI --date-format)")
    if not len(day_first) and not len(month_first):
        raise DataError(
            f"{label}: dates like {show(0)} can be read day-first or month-first and no date in the file has a "
            f"day above 12 to tell which; pass date_format='%d{sep}%m{sep}%Y' (CLI --date-format "
            f"%d{sep}%m{sep}%Y) for day-first or date_format='%m{sep}%d{sep}%Y' for month-first, "
            "or write dates as YYYY-MM-DD"
        )
    year = pd.Series(year, index=text.index)
    if len(day_first):
        k, fields = day_first[0], "DD{0}MM{0}YYYY".format(sep)
        iso = year + "-" + parts[2] + "-" + parts[0]
    else:
        k, fields = month_first[0], "MM{0}DD{0}YYYY".format(sep)
        iso = year + "-" + parts[0] + "-" + parts[2]
    proof = a[k] if len(day_first) else b[k]
    notes.append(f"column {label.rsplit('column ', 1)[-1]}: dates read as {fields}, as {show(k)} shows "
                 f"({proof} cannot be a month); pass date_format to read them otherwise")
    return _to_datetime(iso, format="%Y-%m-%d")


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
    tickers = _as_text(tickers)
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
    return values, kind, features, meta, notes


def _other_id(tickers: pd.Series, ids: pd.Series, ticker_col: str, id_col: str, where: _Where) -> str:
    """A second id column (a PERMNO beside the ticker) is not used, but one ticker carrying several
    of its ids means several securities would be read as one stock: refused."""
    pairs = pd.DataFrame({"t": tickers, "o": _as_text(ids)}).dropna().drop_duplicates()
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
