"""Checks on a loaded price / return table: frequency detection and the warnings a user sees.

All functions take wide frames (T dates x N tickers, NaN where a stock has no value) and
never change them. Warnings are one-line strings that start with "TICKER YYYY-MM-DD: " (or
"all tickers YYYY-MM-DD: " for calendar holes) so a person and a test can find them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DataError

# median gap between dates (calendar days) -> frequency; coarser than monthly is refused
FREQUENCY_MAX_GAP = {"daily": 4, "weekly": 10, "monthly": 45}
# a gap in the calendar longer than this (days) is a hole (9/11 closed NYSE for 7 days)
HOLE_DAYS = {"daily": 7, "weekly": 21, "monthly": 62}
SPLIT_RATIOS = (2.0, 3.0, 4.0)  # k:1 splits and 1:k reverse splits
SPLIT_TOLERANCE = 0.1  # |log(ratio) -/+ log(k)| below this (about +-10%) looks like a split
DAILY_JUMP = 0.40  # a daily move beyond +-40% is suspicious
MAX_PER_KIND = 20  # warnings of one kind listed before summarising the rest


def detect_frequency(dates: pd.DatetimeIndex, where: str) -> str:
    """"daily", "weekly" or "monthly" from the median gap between consecutive dates."""
    gap = float(np.median(np.diff(dates.values).astype("timedelta64[s]").astype(np.float64))) / 86400.0
    for name, limit in FREQUENCY_MAX_GAP.items():
        if gap <= limit:
            return name
    raise DataError(
        f"{where}: the median gap between dates is {gap:.0f} days, coarser than monthly; "
        "provide daily, weekly or monthly data"
    )


def corporate_action_warnings(gross: pd.DataFrame, frequency: str) -> list[str]:
    """Moves that look like unadjusted splits. gross: (T, N) price ratio P_t / P_{t-1}
    (1 + return); a ratio near 2, 3, 4 or their inverses, or on daily data any move beyond
    +-40%."""
    ratio = gross.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logr = np.log(ratio)
    near = np.zeros(ratio.shape, dtype=np.int64)  # k for a k:1 split, -k for a 1:k reverse split
    for k in SPLIT_RATIOS:
        near[np.abs(logr + np.log(k)) < SPLIT_TOLERANCE] = int(k)
        near[np.abs(logr - np.log(k)) < SPLIT_TOLERANCE] = -int(k)
    jump = np.abs(ratio - 1.0) > DAILY_JUMP if frequency == "daily" else np.zeros(ratio.shape, dtype=bool)
    out = []
    rows, cols = np.nonzero((near != 0) | jump)
    # split-like ratios first (they survive the summary of a long list), then by ticker and date
    for t, i in sorted(zip(rows, cols), key=lambda x: (near[x] == 0, x[1], x[0])):
        head = f"{gross.columns[i]} {gross.index[t].date()}: price ratio {ratio[t, i]:.3f} to the previous date"
        k = near[t, i]
        if k > 0:
            out.append(f"{head} looks like an unadjusted {k}:1 split; use split-adjusted prices")
        elif k < 0:
            out.append(f"{head} looks like an unadjusted 1:{-k} reverse split; use split-adjusted prices")
        else:
            out.append(f"{head} is a move beyond +-{DAILY_JUMP:.0%} in a day; check for an unadjusted corporate action")
    return out


def calendar_hole_warnings(dates: pd.DatetimeIndex, frequency: str) -> list[str]:
    """Gaps between consecutive dates of the file much longer than its frequency."""
    gaps = np.diff(dates.values).astype("timedelta64[D]").astype(np.int64)
    return [
        f"all tickers {dates[t + 1].date()}: no dates between {dates[t].date()} and {dates[t + 1].date()} "
        f"({gaps[t]} days in {frequency} data); the return on {dates[t + 1].date()} spans the hole"
        for t in np.flatnonzero(gaps > HOLE_DAYS[frequency])
    ]


def missing_inside_warnings(values: pd.DataFrame) -> list[str]:
    """Tickers with missing values between their first and last observation (T x N frame)."""
    obs = values.notna().to_numpy()
    seen = np.cumsum(obs, axis=0)
    inside = (seen > 0) & (seen < seen[-1]) & ~obs
    out = []
    for i in np.flatnonzero(inside.any(axis=0)):
        first = values.index[np.argmax(inside[:, i])]
        out.append(
            f"{values.columns[i]} {first.date()}: {int(inside[:, i].sum())} missing values inside its listed life "
            "(first shown); returns next to them are missing"
        )
    return out


def short_history_warnings(returns: pd.DataFrame, lookback: int) -> list[str]:
    """Tickers with fewer observed returns than the model's lookback window."""
    counts = returns.notna().sum(axis=0)
    out = []
    for ticker in counts.index[counts < lookback]:
        col = returns[ticker].dropna()
        when = col.index[0].date() if len(col) else returns.index[0].date()
        out.append(
            f"{ticker} {when}: only {int(counts[ticker])} returns, fewer than the lookback of {lookback}; "
            "it gets no forecast until it has more history"
        )
    return out


def summarise(kind: str, warnings: list[str]) -> list[str]:
    """The first MAX_PER_KIND warnings and a count of the rest."""
    if len(warnings) <= MAX_PER_KIND:
        return warnings
    return warnings[:MAX_PER_KIND] + [f"... and {len(warnings) - MAX_PER_KIND} more {kind} warnings"]


def panel_warnings(values: pd.DataFrame, gross: pd.DataFrame, returns: pd.DataFrame,
                   frequency: str, lookback: int) -> list[str]:
    """All warnings, summarised per kind. values: (T0, N) prices or returns as given;
    gross: (T, N) 1 + returns; returns: (T, N) the Panel's returns."""
    kinds = (
        ("corporate-action", corporate_action_warnings(gross, frequency)),
        ("calendar-hole", calendar_hole_warnings(values.index, frequency)),
        ("missing-value", missing_inside_warnings(values)),
        ("short-history", short_history_warnings(returns, lookback)),
    )
    return [w for kind, found in kinds for w in summarise(kind, found)]
