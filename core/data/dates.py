"""The date column of a user's file as days: ISO strings, datetimes, YYYYMMDD integers, or with
`date_format` exactly that format.

Dates that could be day-first or month-first (03/04/2010) are read only when a date of the file
proves the order (a first field above 12: day-first; a second one: month-first), with a note
saying which; when no date tells, or two-digit years hide the order, the load is refused until
`date_format` names it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.columns import Where, as_text
from core.errors import DataError

# 31/12/2009, 12-31-2009, 31.12.09, 3 4 2010 (a time of day may follow): the order is a question
_DAY_MONTH = r"^(\d{1,2})([/.\- ])(\d{1,2})\2(\d+)(?:[ T].*)?$"
# 2009/12/31, 2009.12.31, 2009-1-5: always year, month, day
_YEAR_FIRST = r"^(\d{4})([/.\- ])(\d{1,2})\2(\d{1,2})(?:[ T].*)?$"


def _naive(parsed: pd.Series) -> np.ndarray:
    """datetime64[us] values without a time zone (the wall-clock date of a zoned timestamp)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return np.array(parsed.to_numpy(dtype="datetime64[us]"), copy=True)


def _to_datetime(text: pd.Series, **kwargs) -> np.ndarray:
    """pd.to_datetime(text, **kwargs) as naive datetime64[us] (len(text),), NaT where unparsed."""
    try:
        return _naive(pd.to_datetime(text, errors="coerce", **kwargs))
    except (ValueError, TypeError, OverflowError):
        return np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")


def parse_dates(col: pd.Series, label: str, where: Where,
                date_format: str | None = None) -> tuple[pd.Series, list[str]]:
    """(dates normalised to days, notes) of the date column `col` (rows,), the dates a
    datetime64 Series on the same index. ISO strings, datetimes, YYYYMMDD integers, or with
    `date_format` exactly that format; DD/MM/YYYY vs MM/DD/YYYY is decided only by the data.
    `label` ("<file>, column 'Date'") starts every error; an empty or unreadable date is one."""
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
        text = as_text(col) if pd.api.types.is_numeric_dtype(col) else col.astype(str).str.strip()
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


def _infer_dates(uniques: pd.Series, first_row, label: str, where: Where) -> tuple[np.ndarray, list[str]]:
    """(dates (U,) datetime64, NaT where unparsed; notes) of U distinct date strings; `first_row(k)`
    is the row of the file where the k-th first appears. ISO first; d/m/y-like strings only in the
    order some date proves; other text (Jan 5 2020) as pandas reads it."""
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


def _day_month(text: pd.Series, parts: pd.DataFrame, first_row, label: str, where: Where,
               notes: list[str]) -> np.ndarray:
    """Dates (len(text),) of strings like 31/12/2009 or 12/31/2009, split by _DAY_MONTH into `parts`:
    day-first when some first field is above 12, month-first when some second one is, refused when
    both or neither; the proof is appended to `notes`."""
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

