"""Historical stress test: today's weights through a past window [a, b] of the data, two readings side by side.

- replay: the stocks' own returns, buy-and-hold from the close before a to the close of b,
  total = sum_i w_i (prod_s (1 + r_i,s) - 1); the daily-rebalanced prod_s (1 + w'r_s) - 1 beside it. A stock
  without a return on a day is proxied by its factor replay B_i,t f_s (today's exposures) and listed as proxied;
  for a model without factors it earns 0 that day and is listed as uncovered.
- factor replay, in TODAY's coordinates and the same for every model: each window day's stock returns projected on
  today's exposures B_t weighted by 1/d_t (core.workbench.projection: f_s = (B'D^-1 B)^-1 B'D^-1 r_s), so a
  model whose factors rotate from one fit to the next is read in one set of coordinates; the factor P&L
  x'f_s with x = B_t'w, compounded: prod_s (1 + x'f_s) - 1, with the model's own specific band
  +-z sqrt(sum_i w_i^2 d_i,t * len(window)) (its specific variances, never the realised residual).
Weights are fractions of capital (what is not invested earns 0); a dollar-neutral book comes normalised to a gross
of 1 (core.portfolio.weights.normalise), so its figures are fractions of gross."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import DataError, PortfolioError
from core.workbench.capabilities import has_factors
from core.workbench.projection import COLLINEAR, collinearity, in_today_coordinates
from core.workbench.sources import Forecasts

BAND_Z = 1.645  # the specific band covers 90% of a Normal specific return
SOURCE = ("the window's stock returns projected on today's exposures (a cross-sectional regression weighted by "
          "1/today's specific variance): factor returns in today's coordinates")


@dataclass(frozen=True)
class Window:
    """A named window of realised dates, both ends included, and where its dates come from."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    source: str = "typed by the user"


def _w(name: str, start: str, end: str, source: str) -> Window:
    return Window(name, pd.Timestamp(start), pd.Timestamp(end), source)


SPX = "S&P 500 closing levels"
WINDOWS = (
    _w("1998 LTCM", "1998-08-17", "1998-10-08", f"Russian default (1998-08-17) to the {SPX} low of 1998-10-08"),
    _w("2000-02 dot-com", "2000-03-24", "2002-10-09", f"{SPX}: peak of 2000-03-24 to the low of 2002-10-09"),
    _w("2008 GFC", "2008-09-01", "2008-11-20",
       f"pyfolio's 'Sept08' start (Lehman month, 2008-09-01) to the {SPX} low of 2008-11-20"),
    _w("2010 flash crash", "2010-05-05", "2010-05-10", "pyfolio's 'Flash Crash' period"),
    _w("2011 US downgrade", "2011-08-05", "2011-09-05", "pyfolio's 'US downgrade/European Debt Crisis' period"),
    _w("2015 China devaluation", "2015-08-11", "2015-08-25",
       f"PBoC devaluation (2015-08-11) to the {SPX} low of 2015-08-25"),
    _w("2018-02 volatility shock", "2018-01-26", "2018-02-08", f"{SPX}: peak of 2018-01-26 to the low of 2018-02-08"),
    _w("2020 COVID crash", "2020-02-20", "2020-03-23", f"{SPX}: the day after the 2020-02-19 peak to the low of "
       "2020-03-23 (issue 24)"),
    _w("2022 rate shock", "2022-01-03", "2022-10-12", f"{SPX}: peak of 2022-01-03 to the low of 2022-10-12"),
)


@dataclass
class Reading:
    """A cumulative return path (realised dates) and its summary: total, worst day, maximum drawdown."""

    path: pd.Series
    daily: pd.Series
    total: float
    worst_date: pd.Timestamp
    worst_day: float
    max_drawdown: float


@dataclass
class Replay:
    """Replay of the stocks' own returns: buy-and-hold path, the daily-rebalanced total beside it, contributions
    by stock and by sector (sum to the buy-and-hold total), stocks proxied through factors or left at 0."""

    result: Reading
    rebalanced: float
    by_stock: pd.Series
    by_sector: pd.Series
    proxied: dict[str, int] = field(default_factory=dict)  # ticker -> days proxied
    uncovered: dict[str, int] = field(default_factory=dict)  # ticker -> days at 0 (no return, no factors)


@dataclass
class FactorReplay:
    """Factor replay through today's exposures: path, contributions by factor (sums of x_k f_k,s; with
    "compounding" they add to the total), the +-band_z sd specific band over the window and the factor source."""

    result: Reading
    by_factor: pd.Series
    exposures: pd.Series
    band: float
    band_z: float
    source: str


@dataclass
class Stress:
    """One window's stress test of the weights held at `date`."""

    window: Window
    date: pd.Timestamp
    dates: pd.DatetimeIndex
    replay: Replay
    factor_replay: FactorReplay | None
    notes: list[str] = field(default_factory=list)


def window_dates(panel, window: Window) -> pd.DatetimeIndex:
    """The realised dates of `window` in the data; DataError naming the data's range when it is not inside."""
    first, last = panel.dates[0], panel.dates[-1]
    if window.start > window.end:
        raise DataError(f"window {window.name!r} starts {window.start.date()} after it ends {window.end.date()}")
    dates = panel.dates[(panel.dates >= window.start) & (panel.dates <= window.end)]
    if window.start <= first or window.end > last or len(dates) == 0:
        raise DataError(f"window {window.name!r} ({window.start.date()}..{window.end.date()}) is not inside the data "
                        f"of {panel.name!r}, which runs {first.date()}..{last.date()} (a window needs the close "
                        "before its first date); pick a window inside that range")
    return dates


def windows_in(panel) -> list[Window]:
    """The catalogue's windows inside the data."""
    return [w for w in WINDOWS if panel.dates[0] < w.start and w.end <= panel.dates[-1]
            and ((panel.dates >= w.start) & (panel.dates <= w.end)).any()]


def summarise(path: pd.Series) -> Reading:
    """Reading of a cumulative return path (value of 1 invested = 1 + path; drawdowns from the start's 1)."""
    value = 1.0 + path
    daily = value / value.shift(1, fill_value=1.0) - 1.0
    peak = np.maximum.accumulate(np.maximum(value.to_numpy(), 1.0))
    return Reading(path=path, daily=daily, total=float(path.iloc[-1]), worst_date=daily.idxmin(),
                 worst_day=float(daily.min()), max_drawdown=float(min((value / peak - 1.0).min(), 0.0)))


def stress_test(panel, forecasts: Forecasts, date, weights: pd.Series, window: Window,
                band_z: float = BAND_Z, names: dict[str, str] | None = None) -> Stress:
    """Replay and factor replay of `weights` (by ticker) held at forecast date `date` through `window`; names: the
    factors' vocabulary (core.workbench.vocabulary) for the contributions by factor."""
    dates = window_dates(panel, window)
    fc = forecasts.series.at(date)
    w = weights[weights != 0].astype(float)
    unknown = w.index.difference(panel.tickers)
    if len(unknown):
        raise PortfolioError(f"tickers {list(unknown[:5])} are not in {panel.name!r}; use tickers from the data")
    notes = []
    factor = None
    proxy = pd.DataFrame(0.0, index=dates, columns=w.index)
    if has_factors(fc):
        f = in_today_coordinates(panel.returns.loc[dates], fc)
        if f.isna().all(axis=1).any():
            notes.append(f"{int(f.isna().all(axis=1).sum())} days with fewer stocks than factors count as 0 in the "
                         "factor replay")
        if (cond := collinearity(fc)) > COLLINEAR:
            notes.append(f"today's exposures to the {fc.n_factors} factors are nearly collinear across the "
                         f"{fc.n_stocks} stocks (condition number {cond:,.0f}): the factor replay's total is well "
                         "determined, its split by factor is not (contributions offset each other)")
        f = f.fillna(0.0)
        b = pd.DataFrame(fc.exposures, index=fc.tickers, columns=fc.factor_names).reindex(w.index).fillna(0.0)
        proxy = f @ b.T
        factor = factor_replay(f, b, w, fc.idio_var, fc.tickers, len(dates), band_z, SOURCE)
        factor.by_factor = factor.by_factor.rename(index=names or {})
        factor.exposures = factor.exposures.rename(index=names or {})
    else:
        notes.append(f"{forecasts.name} has no factors: no factor replay, and stocks without returns count as 0")
    r = panel.returns.loc[dates, w.index]
    missing = r.isna().sum()
    filled = pd.DataFrame(np.where(r.isna().to_numpy(), proxy.to_numpy() if factor is not None else 0.0, r.to_numpy()),
                          index=r.index, columns=r.columns)  # a missing return: its factor proxy, else 0
    gross = (1.0 + filled).cumprod()
    by_stock = (gross.iloc[-1] - 1.0) * w
    sectors = panel.sectors.reindex(w.index).fillna("Unknown")
    missing = {t: int(n) for t, n in missing.items() if n}
    replay = Replay(result=summarise((gross - 1.0) @ w), rebalanced=float(np.prod(1.0 + filled.to_numpy() @ w) - 1.0),
                    by_stock=by_stock, by_sector=by_stock.groupby(sectors).sum().sort_values(),
                    proxied=missing if factor is not None else {},
                    uncovered={} if factor is not None else missing)
    return Stress(window=window, date=fc.date, dates=dates, replay=replay, factor_replay=factor, notes=notes)


def factor_replay(f: pd.DataFrame, b: pd.DataFrame, w: pd.Series, idio_var: np.ndarray, tickers: list[str],
                  days: int, band_z: float, source: str) -> FactorReplay:
    """f: days x K factor returns in today's coordinates; b: stocks x K today's exposures of the weights' stocks;
    w: weights by stock; idio_var (N,) on `tickers`: the specific variance of today's forecast."""
    x = b.T @ w
    contrib = f * x
    path = (1.0 + contrib.sum(axis=1)).cumprod() - 1.0
    result = summarise(path)
    by_factor = contrib.sum()
    by_factor["compounding"] = result.total - float(by_factor.sum())
    d = pd.Series(idio_var, index=tickers).reindex(w.index).fillna(0.0)
    band = band_z * float(np.sqrt(np.sum(w.to_numpy() ** 2 * d.to_numpy()) * days))
    return FactorReplay(result=result, by_factor=by_factor, exposures=x, band=band, band_z=band_z, source=source)


def stress_tests(panel, forecasts: Forecasts, date, weights: pd.Series, windows=None,
                 names: dict[str, str] | None = None) -> list[Stress]:
    """`stress_test` for each of `windows` (default: the catalogue's windows inside the data)."""
    return [stress_test(panel, forecasts, date, weights, w, names=names) for w in (windows or windows_in(panel))]


def summary_table(results: list[Stress]) -> pd.DataFrame:
    """One row per window: dates, replay (buy-and-hold, rebalanced, worst day, drawdown), factor replay, band."""
    rows = {}
    for s in results:
        rep, fac = s.replay.result, s.factor_replay
        rows[s.window.name] = {
            "start": s.window.start.date(), "end": s.window.end.date(), "days": len(s.dates),
            "replay": rep.total, "replay (daily rebalanced)": s.replay.rebalanced, "worst day": rep.worst_day,
            "worst date": rep.worst_date.date(), "max drawdown": rep.max_drawdown,
            "factor replay": fac.result.total if fac else np.nan, "specific band": fac.band if fac else np.nan,
            "proxied": ", ".join(s.replay.proxied), "source": s.window.source}
    return pd.DataFrame.from_dict(rows, orient="index")
