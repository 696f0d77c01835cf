"""Realistic user files for tests and benchmarks: what a data vendor's daily export looks like.

    from benchmarks.userfiles import write_vendor_csv

    vf = write_vendor_csv(tmp_path / "prices.csv")  # 500 stocks x 252 dates, about 1 s, 11 MB
    panel = load_file(vf.path)  # every date style proves its order; date_format=vf.date_format also reads it

write_vendor_csv(
    path, n_stocks=500, n_dates=252, *, seed=11, start="2021-01-04",
    date_style="iso",          # "iso" 2021-01-04, "dayfirst" 04/01/2021, "monthfirst" 01/04/2021, "yyyymmdd"
    delimiter=",",             # "," ";" "\\t" "|"
    decimal_comma=False,       # write 12,3456 (only with a delimiter other than ",")
    encoding="utf-8",          # e.g. "latin-1" (every 25th name has accents: "Café Lumière 0000 Inc.")
    splits=None,               # {(ticker, "YYYY-MM-DD"): k}; None = the default 2 x 2:1 and 2 x 3:1; {} = none
    id_column="ticker",        # header of the id column: "ticker", "symbol", "permno" (ids become 10000 + i), ...
    ragged_share=0.1,          # share of stocks listed only part of the year
    blank_sector_share=0.05,   # share of stocks whose sector and industry are blank on every row
) -> VendorFile

The file is LONG, one row per (date, stock) while the stock is listed, sorted by stock then
date, with columns

    date, <id_column>, name, exchange, currency, sector, industry, close, volume

`close` is the UNADJUSTED close: before each injected k:1 split date the price is k times the
adjusted price (and the volume 1/k of it), so the loader must warn "<ticker> <date>: ... looks
like an unadjusted k:1 split". There is no benchmark column. `exchange` and `currency` are
text columns the loader ignores (with a note each); a few rows also have a blank sector. The
prices come from the project's synthetic market (core.data.synthetic.make_market, SYNTHETIC
data) turned into price levels between 5 and 400, rounded to 4 decimals.

VendorFile (returned): path, tickers (ids as written, file order), dates (DatetimeIndex of the
file's dates), splits ({(ticker, "YYYY-MM-DD"): k} injected), date_format (the strftime format
the dates were written with), adjusted (T x N adjusted closes as written, before the splits),
close (T x N the unadjusted closes written), sectors / industries / names (Series by ticker,
what the loader should report: "Unknown" where every row is blank), accented (tickers whose
name has a non-ASCII letter).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATE_STYLES = {"iso": "%Y-%m-%d", "dayfirst": "%d/%m/%Y", "monthfirst": "%m/%d/%Y", "yyyymmdd": "%Y%m%d"}
EXCHANGES = ("XNYS", "XNAS", "ARCX", "BATS")
NAME_ROOTS = ("Alpha", "Summit", "Harbor", "Pioneer", "Crescent", "Granite", "Meridian", "Beacon")
ACCENTED_ROOTS = ("Café Lumière", "Bräu Werke", "Señor Foods", "Øresund Shipping", "Crème Labs")
SUFFIXES = ("Inc.", "Corp", "Holdings", "Group", "plc", "SA")


@dataclass
class VendorFile:
    path: Path
    tickers: list[str]
    dates: pd.DatetimeIndex
    splits: dict[tuple[str, str], int]
    date_format: str
    adjusted: pd.DataFrame
    close: pd.DataFrame
    sectors: pd.Series
    industries: pd.Series
    names: pd.Series
    accented: list[str]


def write_vendor_csv(path, n_stocks: int = 500, n_dates: int = 252, *, seed: int = 11, start: str = "2021-01-04",
                     date_style: str = "iso", delimiter: str = ",", decimal_comma: bool = False,
                     encoding: str = "utf-8", splits: dict | None = None, id_column: str = "ticker",
                     ragged_share: float = 0.1, blank_sector_share: float = 0.05) -> VendorFile:
    """Write a vendor-style long daily CSV of unadjusted closes; see the module docstring."""
    from core.data.synthetic import make_market

    if date_style not in DATE_STYLES:
        raise ValueError(f"date_style must be one of {sorted(DATE_STYLES)}, not {date_style!r}")
    if decimal_comma and delimiter == ",":
        raise ValueError("decimal_comma needs a delimiter other than ','")
    path = Path(path)
    rng = np.random.default_rng([seed, 2])
    panel, _ = make_market(n_stocks=n_stocks, n_dates=n_dates, n_factors=4, n_characteristics=2,
                           ragged_share=ragged_share, start=start, seed=seed)
    returns = panel.returns
    dates = returns.index
    ids = ([str(10000 + i) for i in range(n_stocks)] if id_column.lower() == "permno"
           else [f"S{i:04d}" for i in range(n_stocks)])
    # prices: listed where a return exists or the next one does (the date before the first return)
    listed = (returns.notna() | returns.notna().shift(-1, fill_value=False)).to_numpy()
    level = rng.uniform(5.0, 400.0, n_stocks)
    adjusted = np.round(level * np.cumprod(1.0 + np.nan_to_num(returns.to_numpy()), axis=0), 4)
    adjusted = np.where(listed, adjusted, np.nan)
    volume = np.round(rng.lognormal(13.0, 1.0, n_stocks) * rng.lognormal(0.0, 0.3, (n_dates, n_stocks)))

    if splits is None:  # two 2:1 and two 3:1 splits in fully listed stocks, in the middle of the period
        full = np.flatnonzero(listed.all(axis=0))
        chosen = rng.choice(full, size=min(4, len(full)), replace=False)
        days = rng.integers(n_dates // 4, 3 * n_dates // 4, len(chosen))
        splits = {(ids[i], str(dates[d].date())): k for i, d, k in zip(chosen, days, (2, 3, 2, 3))}
    close = adjusted.copy()
    for (ticker, day), k in splits.items():
        i, before = ids.index(ticker), dates < pd.Timestamp(day)
        close[before, i] = np.round(close[before, i] * k, 4)
        volume[before, i] = np.round(volume[before, i] / k)

    sector = panel.meta["sector"].to_numpy(dtype=object)
    industry = panel.meta["industry"].to_numpy(dtype=object)
    blank = rng.random(n_stocks) < blank_sector_share
    names = []
    for i in range(n_stocks):
        root = ACCENTED_ROOTS[(i // 25) % len(ACCENTED_ROOTS)] if i % 25 == 0 else NAME_ROOTS[i % len(NAME_ROOTS)]
        names.append(f"{root} {i:04d} {SUFFIXES[i % len(SUFFIXES)]}")
    exchange = np.array(EXCHANGES, dtype=object)[rng.integers(0, len(EXCHANGES), n_stocks)]

    n_idx, t_idx = np.nonzero(listed.T)  # stock-major order: one stock's dates, then the next
    rows = len(n_idx)
    row_sector = np.where(blank[n_idx], None, sector[n_idx])
    row_industry = np.where(blank[n_idx], None, industry[n_idx])
    some = rng.random(rows) < 0.02  # a vendor leaves the odd row blank; the ticker's other rows tell
    last = np.r_[n_idx[1:] != n_idx[:-1], True]  # but not the stock's last row, so its sector is known
    row_sector = np.where(some & ~last, None, row_sector)
    day_text = pd.DatetimeIndex(dates[t_idx]).strftime(DATE_STYLES[date_style])
    table = pd.DataFrame({
        "date": day_text.astype(np.int64) if date_style == "yyyymmdd" else day_text,
        id_column: np.array(ids, dtype=object)[n_idx],
        "name": np.array(names, dtype=object)[n_idx],
        "exchange": exchange[n_idx],
        "currency": "USD",
        "sector": row_sector,
        "industry": row_industry,
        "close": close[t_idx, n_idx],
        "volume": volume[t_idx, n_idx].astype(np.int64),
    })
    table.to_csv(path, index=False, sep=delimiter, decimal="," if decimal_comma else ".", float_format="%.4f",
                 encoding=encoding)

    index = pd.Index(ids, name="ticker")
    return VendorFile(
        path=path, tickers=ids, dates=dates, splits=dict(splits), date_format=DATE_STYLES[date_style],
        adjusted=pd.DataFrame(adjusted, index=dates, columns=index),
        close=pd.DataFrame(close, index=dates, columns=index),
        sectors=pd.Series(np.where(blank, "Unknown", sector), index=index, name="sector"),
        industries=pd.Series(np.where(blank, "Unknown", industry), index=index, name="industry"),
        names=pd.Series(names, index=index, name="name"),
        accented=[ids[i] for i, nm in enumerate(names) if not nm.isascii()],
    )
