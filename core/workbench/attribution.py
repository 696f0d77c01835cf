"""Ex-post attribution of a fixed-weight portfolio (rebalanced to `weights` every day) over a period of realised
dates s (each with a forecast made at t = s-1):

    r_p,s = w'r_s = sum_k x_k,t f_k,s + specific_s,   x_t = B_t'w

with f_s the realised factor returns (core.workbench.realised: posterior means, or a cross-sectional regression)
and specific the rest, so the parts sum exactly to the realised return every day. Over the period the daily parts
are summed; the difference between the compounded return and that sum is its own line ("compounding"), never
spread. Active attribution: the same with w - w_benchmark, its compounded return prod(1 + r_p) - prod(1 + r_b).
Stocks without a return on a day earn 0 that day (as in the realised returns of the other views)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import DataError
from core.workbench.realised import forecasts_at, previous_dates, realised_factor_returns
from core.workbench.sources import Forecasts

SPECIFIC, TOTAL, SUM, COMPOUNDING, COMPOUNDED = ("specific", "total", "sum of daily returns", "compounding",
                                                 "compounded return")


@dataclass
class Attribution:
    """daily: realised dates x [factors..., SPECIFIC, TOTAL] (each row's parts sum to TOTAL, the realised return);
    exposures: forecast dates x factors (x_t); summary: per factor and SPECIFIC the sum over the period, then SUM,
    COMPOUNDING and COMPOUNDED (parts + COMPOUNDING = COMPOUNDED); active: against a benchmark."""

    daily: pd.DataFrame
    exposures: pd.DataFrame
    summary: pd.Series
    source: str
    active: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def cumulative(self) -> pd.DataFrame:
        """Cumulative sums of the daily parts (the chart), dates x [factors..., SPECIFIC, TOTAL]."""
        return self.daily.cumsum()


def period_dates(panel, start, end) -> pd.DatetimeIndex:
    """Realised dates in [start, end] that have a trading date before them; DataError naming the data's range."""
    first, last = panel.dates[0], panel.dates[-1]
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    dates = panel.dates[(panel.dates > first) & (panel.dates >= a) & (panel.dates <= b)]
    if a > b or a < first or b > last or len(dates) == 0:
        raise DataError(f"period {a.date()}..{b.date()} is not inside the data of {panel.name!r}, which runs "
                        f"{first.date()}..{last.date()}; pick a period inside that range")
    return dates


def attribution(panel, forecasts: Forecasts, weights: pd.Series, start, end, benchmark: pd.Series | None = None,
                root: str | Path | None = None, names: dict[str, str] | None = None) -> Attribution:
    """Attribution of `weights` (by ticker) over realised dates start..end; with `benchmark` (by ticker), of the
    active weights w - benchmark. names: the factors' vocabulary (core.workbench.factor_names.vocabulary), raw
    name -> the name shown; contributions are exposure x factor return, the same in any factor units."""
    dates = period_dates(panel, start, end)
    prev = previous_dates(panel, dates)
    series = forecasts_at(panel, forecasts, prev)
    f, source = realised_factor_returns(panel, forecasts, dates, root)
    tickers = series.tickers
    w = weights.reindex(tickers).fillna(0.0)
    active = benchmark is not None
    if active:
        w = w - benchmark.reindex(tickers).fillna(0.0)
    b = np.nan_to_num(series.exposures[series.dates.get_indexer(prev)])  # (T, N, F)
    x = pd.DataFrame(np.einsum("n,tnf->tf", w.to_numpy(), b), index=prev, columns=series.factor_names)
    notes = []
    if f.isna().all(axis=1).any():
        notes.append(f"{int(f.isna().all(axis=1).sum())} days without factor returns: their return is all specific")
    contrib = pd.DataFrame(x.to_numpy() * f.fillna(0.0).to_numpy(), index=dates, columns=series.factor_names)
    r = panel.returns.reindex(columns=tickers).loc[dates].fillna(0.0)
    total = r @ w
    daily = contrib.assign(**{SPECIFIC: total - contrib.sum(axis=1), TOTAL: total})
    if active:
        base = weights.reindex(tickers).fillna(0.0)
        compounded = float(np.prod(1.0 + r @ base) - np.prod(1.0 + r @ (base - w)))
    else:
        compounded = float(np.prod(1.0 + total) - 1.0)
    summary = daily.drop(columns=TOTAL).sum()
    summary[SUM] = float(total.sum())
    summary[COMPOUNDING] = compounded - summary[SUM]
    summary[COMPOUNDED] = compounded
    names = names or {}
    return Attribution(daily=daily.rename(columns=names), exposures=x.rename(columns=names),
                       summary=summary.rename(index=names), source=source, active=active, notes=notes)
