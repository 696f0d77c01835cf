"""`Panel`: the one in-memory dataset every loader produces and every model consumes."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.errors import DataError

FREQUENCIES = ("daily", "weekly", "monthly")
META_COLUMNS = ("name", "sector", "industry")


@dataclass(frozen=True)
class Split:
    """Date ranges (inclusive) of the train / validation / test periods."""

    train_end: pd.Timestamp
    valid_end: pd.Timestamp

    def dates(self, index: pd.DatetimeIndex, part: str) -> pd.DatetimeIndex:
        """The dates of `index` that fall in `part` ("train", "valid" or "test")."""
        if part == "train":
            return index[index <= self.train_end]
        if part == "valid":
            return index[(index > self.train_end) & (index <= self.valid_end)]
        if part == "test":
            return index[index > self.valid_end]
        raise DataError(f"unknown split {part!r}; use one of train, valid, test")


@dataclass(frozen=True)
class Panel:
    """A universe of stocks over time.

    returns:    DataFrame (T dates x N tickers) of simple returns, float64, NaN where the
                stock is not listed (or its return cannot be computed). Row t holds the
                return from close t-1 to close t.
    meta:       DataFrame indexed by ticker (N rows) with columns name, sector, industry.
    features:   per-stock characteristics, name -> DataFrame (T x N) aligned with returns
                (e.g. "volume", "market_cap"); values known at the close of each date.
    benchmark:  Series (T) of benchmark returns, or None.
    factors:    DataFrame (T x K) of pre-defined factor returns (NaN before they exist), or None.
    """

    returns: pd.DataFrame
    meta: pd.DataFrame
    features: dict[str, pd.DataFrame] = field(default_factory=dict)
    benchmark: pd.Series | None = None
    factors: pd.DataFrame | None = None
    name: str = "panel"
    frequency: str = "daily"
    split: Split | None = None
    synthetic: bool = False
    source: str = ""
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.returns.index

    @property
    def tickers(self) -> list[str]:
        return list(self.returns.columns)

    @property
    def n_tickers(self) -> int:
        return self.returns.shape[1]

    @property
    def sectors(self) -> pd.Series:
        """Sector of each ticker (index = ticker); "Unknown" where not given."""
        return self.meta["sector"].fillna("Unknown")

    def split_dates(self, part: str) -> pd.DatetimeIndex:
        """Dates of the train / valid / test part (a Panel without a split has none)."""
        if self.split is None:
            raise DataError(f"dataset {self.name!r} has no train/valid/test split; pass one when loading")
        return self.split.dates(self.dates, part)

    def date_position(self, date) -> int:
        """Row index of `date`; a DataError names the valid range otherwise."""
        ts = pd.Timestamp(date)
        pos = self.dates.get_indexer([ts])[0]
        if pos < 0:
            raise DataError(
                f"date {ts.date()} is not a trading date of {self.name!r} "
                f"({self.dates[0].date()}..{self.dates[-1].date()}); pick a date from the data"
            )
        return int(pos)

    def select(self, tickers: list[str] | None = None, end=None) -> "Panel":
        """A sub-panel with the given tickers and/or only the dates up to `end` (inclusive)."""
        rows = slice(None) if end is None else self.dates <= pd.Timestamp(end)
        cols = self.tickers if tickers is None else list(tickers)
        unknown = sorted(set(cols) - set(self.tickers))
        if unknown:
            raise DataError(f"unknown tickers {unknown[:5]} for dataset {self.name!r}; use tickers from the data")
        return replace(
            self,
            returns=self.returns.loc[rows, cols],
            meta=self.meta.loc[cols],
            features={k: v.loc[rows, cols] for k, v in self.features.items()},
            benchmark=None if self.benchmark is None else self.benchmark.loc[rows],
            factors=None if self.factors is None else self.factors.loc[rows],
        )

    def fingerprint(self) -> str:
        """sha256 (hex, 16 chars) of the returns, dates and tickers: identifies the data a model saw."""
        import hashlib

        h = hashlib.sha256()
        h.update(",".join(self.tickers).encode())
        h.update(self.dates.strftime("%Y-%m-%d").str.cat(sep=",").encode())
        h.update(np.nan_to_num(self.returns.to_numpy(dtype=np.float64), nan=-999.0).round(12).tobytes())
        return h.hexdigest()[:16]


def _check(p: Panel) -> None:
    r = p.returns
    if not isinstance(r, pd.DataFrame):
        raise DataError("Panel.returns must be a DataFrame of dates x tickers")
    if not isinstance(r.index, pd.DatetimeIndex):
        raise DataError("Panel.returns must have a DatetimeIndex of dates")
    if not r.index.is_monotonic_increasing or r.index.has_duplicates:
        raise DataError(f"{p.name}: dates must be sorted and unique; sort and de-duplicate the rows")
    if r.columns.has_duplicates:
        dup = r.columns[r.columns.duplicated()].tolist()
        raise DataError(f"{p.name}: duplicate tickers {dup[:5]}; each ticker must appear once")
    values = r.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise DataError(f"{p.name}: returns contain inf; replace them with NaN or fix the source prices")
    if p.frequency not in FREQUENCIES:
        raise DataError(f"{p.name}: frequency {p.frequency!r} is not one of {FREQUENCIES}")
    if list(p.meta.index) != list(r.columns):
        raise DataError(f"{p.name}: meta must be indexed by the same tickers, in the same order, as returns")
    missing = [c for c in META_COLUMNS if c not in p.meta.columns]
    if missing:
        raise DataError(f"{p.name}: meta lacks columns {missing}")
    for name, f in p.features.items():
        if f.shape != r.shape or not f.index.equals(r.index) or not f.columns.equals(r.columns):
            raise DataError(f"{p.name}: feature {name!r} is not aligned with returns (dates x tickers)")
        if np.isinf(f.to_numpy(dtype=float)).any():
            raise DataError(f"{p.name}: feature {name!r} contains inf; replace with NaN")
    for label, s in (("benchmark", p.benchmark), ("factors", p.factors)):
        if s is not None and not s.index.equals(r.index):
            raise DataError(f"{p.name}: {label} must have exactly the dates of returns")
        if s is not None and np.isinf(np.asarray(s, dtype=float)).any():
            raise DataError(f"{p.name}: {label} contains inf; replace with NaN")
