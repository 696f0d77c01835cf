"""VaR over several trading days (1, 10, 21): a portfolio's multi-day VaR / CVaR at one date, and over a split its
h-day VaR at every forecast date against the realised h-day return, backtested on non-overlapping windows and
checked for calibration on the overlapping ones (core.risk.horizon holds the maths)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.forecast import FactorForecast, ForecastSeries
from core.risk.backtest import verdicts
from core.risk.horizon import HORIZONS, OverlapCheck, compound, horizon_backtest, horizon_vars, overlap_check, simulate
from core.workbench.portfolios import VAR_LEVELS, aligned, realised_path
from core.workbench.var import MC_SAMPLES, method_label

LONGER = tuple(h for h in HORIZONS if h > 1)  # the horizons backtested here (one day: core.workbench.var)
VIEW_SAMPLES = 20_000  # paths behind one date's table
DRAW_BUDGET = 2e8  # random numbers the overlapping check of a series may draw before it thins its dates


def days(h: int) -> str:
    """A horizon in words: "1 day", "10 days"."""
    return f"{h} day" if h == 1 else f"{h} days"


def var_col(level: float) -> str:
    return f"VaR {int(round(level * 100))}%"


def horizon_table(panel, fc: FactorForecast, weights: pd.Series, horizons=HORIZONS,
                  n_samples: int = VIEW_SAMPLES) -> pd.DataFrame:
    """One row per horizon, one day first (index "1 day", "10 days", ...): horizon (days), VaR / CVaR at VAR_LEVELS
    (positive losses, fractions), "1-day VaR 99% x sqrt(h)" (the square-root-of-time figure, a reference beside the
    simulated one, never used for it), the method in words and the simulated paths behind it (0: closed form)."""
    fc = fc.with_history(panel.returns)  # what a univariate model's portfolio rule reads
    res = horizon_vars(fc, aligned(fc, weights), {1, *horizons}, VAR_LEVELS, n_samples)
    one = res[1][0.99].var
    rows = {}
    for h, tail in res.items():
        row = {"horizon": h}
        for lv, r in tail.items():
            row |= {var_col(lv): r.var, f"C{var_col(lv)}": r.cvar}
        row |= {"1-day VaR 99% x sqrt(h)": one * np.sqrt(h), "method": method_label(tail[0.99].method),
                "paths": tail[0.99].n_samples}
        rows[days(h)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("horizon (trading days)")


def check_every(series: ForecastSeries, dates, horizons=LONGER, n_samples: int = MC_SAMPLES) -> int:
    """Every how many forecast dates the overlapping calibration check simulates: 1 (every date) unless that would
    draw more than DRAW_BUDGET random numbers (n_samples x longest horizon x stocks and factors per date, one per
    path and day for a closed-form family), then every k-th date."""
    width = 1 if series.at(series.dates[0]).distribution.closed_form else len(series.tickers) + series.n_factors
    return max(1, int(np.ceil(len(dates) * n_samples * max(horizons) * width / DRAW_BUDGET)))


def horizon_series(panel, series: ForecastSeries, dates, weights: pd.Series, horizons=LONGER,
                   n_samples: int = MC_SAMPLES, every: int | str | None = "auto") -> dict[int, pd.DataFrame]:
    """{h: frame} per horizon: for forecast dates t of `dates` with h trading days after them, the h-day VaR 95% and
    99% (positive losses) of the fixed weights (rebalanced daily), the realised h-day return over t+1..t+h only
    ("return"), its PIT under the forecast, t's trading-day position, whether t starts one of the non-overlapping
    windows (greedily from the first, as core.risk.horizon.non_overlapping) and the method. Dates: the
    non-overlapping windows' and every `every`-th date ("auto": `check_every`; 1: all, for the overlapping check;
    None: the non-overlapping ones only). ONE set of n_samples paths per date, as long as the longest horizon, serves
    every horizon."""
    every = check_every(series, dates, horizons, n_samples) if every == "auto" else every
    series = series.with_history(panel.returns)
    longest, last = max(horizons), {h: -np.inf for h in horizons}
    rows = {h: {} for h in horizons}
    for k, d in enumerate(pd.DatetimeIndex(dates)):
        pos, checked = panel.date_position(d), bool(every) and k % every == 0
        if not (checked or any(pos >= last[h] + h for h in horizons)):
            continue
        fc = series.at(d)
        w = weights.reindex(fc.tickers).fillna(0.0)
        path = realised_path(panel, d, w, longest)
        if w.abs().sum() < 1e-9 or path.size < min(horizons) or not np.isfinite(path[0]):
            continue
        try:
            draws = simulate(fc, w.to_numpy(), longest, n_samples)
        except NotAvailable:  # too little portfolio history before this date
            continue
        realised = compound(path[None, :])[0]
        for h in horizons:
            anchor = pos >= last[h] + h  # the first date of a new non-overlapping window
            if path.size >= h and np.isfinite(realised[h - 1]) and (checked or anchor):
                last[h] = pos if anchor else last[h]
                rows[h][d] = {**{var_col(lv): draws.tail(h, lv).var for lv in VAR_LEVELS}, "return": realised[h - 1],
                              "PIT": draws.cdf(h, realised[h - 1]), "position": pos, "non-overlapping": anchor,
                              "method": draws.method}
    cols = [*(var_col(lv) for lv in VAR_LEVELS), "return", "PIT", "position", "non-overlapping", "method"]
    return {h: pd.DataFrame.from_dict(r, orient="index", columns=cols).rename_axis("date") for h, r in rows.items()}


def horizon_verdicts(frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The backtests of one horizon's `horizon_series` frame on NON-overlapping windows, in plain language
    (core.risk.backtest.verdicts: one row per test and level; the window column says how many windows)."""
    unit = f"non-overlapping {horizon}-day windows"
    windows = frame[frame["non-overlapping"].astype(bool)]
    rows = []
    for lv in VAR_LEVELS:
        bt = horizon_backtest(windows["return"].to_numpy(), windows[var_col(lv)].to_numpy(), lv, horizon,
                              windows["position"].to_numpy())
        rows += verdicts(bt, unit)
    return pd.DataFrame(rows)


def horizon_check(frame: pd.DataFrame, horizon: int) -> OverlapCheck:
    """The calibration of one horizon's frame on every date's (overlapping, dependent) window."""
    return overlap_check(frame["return"].to_numpy(), {lv: frame[var_col(lv)].to_numpy() for lv in VAR_LEVELS},
                         frame["PIT"].to_numpy(), horizon, frame["position"].to_numpy())


def check_table(check: OverlapCheck) -> pd.DataFrame:
    """An `OverlapCheck` as rows per VaR level: windows, breach rate, expected rate (fractions)."""
    return pd.DataFrame([{"VaR": f"{int(round(lv * 100))}%", "overlapping windows": check.n_windows,
                          "breach rate": rate, "expected": 1.0 - lv} for lv, rate in check.breach_rates.items()])


def check_rows(check: OverlapCheck) -> pd.DataFrame:
    """An `OverlapCheck` in the verdict table's columns: a breach-rate row per level and the PIT calibration error,
    said as a check (no test, no verdict: the windows are dependent)."""
    span = f"all {check.n_windows} overlapping {check.horizon}-day windows"
    shares = ", ".join(f"{100 * s:.0f}%" for s in check.pit_histogram)

    def row(var, test, result, checks):
        return {"VaR": var, "test": test, "window": span, "result": result, "p-value": "",
                "verdict": "not tested: dependent windows", "tone": "", "what it checks": checks}

    return pd.DataFrame([*(row(f"{int(round(lv * 100))}%", "breach rate, overlapping windows",
                               f"{100 * rate:.2f}% (expected {100 * (1 - lv):.0f}%)", check.note)
                           for lv, rate in check.breach_rates.items()),
                         row("all", "PIT calibration error", f"{check.calibration_error:.3f} (0 = perfect)",
                             f"shares of outcomes in the PIT deciles (10% each when calibrated): {shares}")])


def backtest_table(frames: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per horizon of `horizon_series`'s frames: its verdicts on non-overlapping windows, then its overlapping check's
    rows; a "horizon" column first (what the report and the workbook show)."""
    parts = [pd.concat([horizon_verdicts(f, h), check_rows(horizon_check(f, h))], ignore_index=True)
             .assign(horizon=days(h)) for h, f in frames.items()]
    out = pd.concat(parts, ignore_index=True)
    return out[["horizon", *out.columns.drop("horizon")]]
