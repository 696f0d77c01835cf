"""Choosing the train / validation / test split of a Panel: by dates or by shares of its dates."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.data.panel import Panel, Split
from core.errors import DataError


def parse_shares(text: str) -> tuple[float, float]:
    """"0.6,0.2" -> (0.6, 0.2): train and validation shares of the dates (test gets the rest)."""
    try:
        train, valid = (float(x) for x in text.split(","))
    except ValueError:
        raise DataError(f"--split {text!r}: expected TRAIN,VALID shares, e.g. --split 0.6,0.2") from None
    if not (0 < train < 1 and 0 < valid < 1 and train + valid < 1):
        raise DataError(f"--split {text!r}: shares must be in (0, 1) and leave dates for the test, e.g. 0.6,0.2")
    return train, valid


def resplit(panel: Panel, shares: tuple[float, float] | None = None, train_end=None, valid_end=None) -> Panel:
    """The panel with a new split: train to `train_end` and validation to `valid_end` (dates, each snapped
    to the last trading date on or before it), or the first `shares[0]` of the dates for training and
    the next `shares[1]` for validation. Unchanged when nothing is given."""
    if shares is None and train_end is None and valid_end is None:
        return panel
    if shares is not None and (train_end is not None or valid_end is not None):
        raise DataError("give either --split or --train-end/--valid-end, not both")
    dates = panel.dates
    if shares is not None:
        n = len(dates)
        ends = dates[max(int(n * shares[0]) - 1, 0)], dates[max(int(n * (shares[0] + shares[1])) - 1, 0)]
    else:
        old = panel.split
        ends = (_snap(dates, train_end, "--train-end") if train_end is not None else old and old.train_end,
                _snap(dates, valid_end, "--valid-end") if valid_end is not None else old and old.valid_end)
        if ends[0] is None or ends[1] is None:
            raise DataError("give both --train-end and --valid-end (this data has no split to keep the other from)")
    if not dates[0] < ends[0] < ends[1] < dates[-1]:
        raise DataError(f"split {ends[0].date()} / {ends[1].date()} must satisfy first date "
                        f"{dates[0].date()} < train end < valid end < last date {dates[-1].date()}")
    return replace(panel, split=Split(pd.Timestamp(ends[0]), pd.Timestamp(ends[1])))


def _snap(dates: pd.DatetimeIndex, value, flag: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DataError(f"{flag} {value!r} is not a date; use YYYY-MM-DD") from None
    pos = dates.searchsorted(ts, side="right") - 1
    if pos < 0:
        raise DataError(f"{flag} {ts.date()} is before the first date {dates[0].date()}")
    return dates[pos]


def describe(panel: Panel) -> str:
    """One line: each part's first and last date and its number of dates."""
    parts = []
    for part in ("train", "valid", "test"):
        d = panel.split_dates(part)
        parts.append(f"{part} {d[0].date()}..{d[-1].date()} ({len(d)} dates)" if len(d) else f"{part} (none)")
    return "split: " + "; ".join(parts)
