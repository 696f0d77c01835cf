"""The report's tables as numbers (fractions, not formatted text), one function of a `View` each: what the HTML
page formats and the Excel workbook (core.report.workbook) writes, so both show the same figures."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from core.errors import NotAvailable
from core.portfolio.weights import legs as book_legs
from core.workbench.attribution import Attribution, attribution as attribute
from core.workbench.dates import window
from core.workbench.factor_names import baskets_on, in_reference_units
from core.workbench.horizon import backtest_table, horizon_series, horizon_table
from core.workbench.vocabulary import vocabulary
from core.workbench.keys import model_label as label
from core.workbench.portfolios import ANNUAL
from core.workbench.stress import Stress, Window, stress_tests, summary_table, windows_in
from core.workbench.var import var_series, verdict_table

QUARTER = 63  # trading days of the default attribution period


def per_view(table):
    """`table(v)` computed once per View (kept in v.memo): the page and the workbook of one view read the same
    numbers, and the Monte Carlo behind them (VaR paths, backtests, replays) runs once. Callers do not modify what
    it returns."""
    @functools.wraps(table)
    def once(v):
        if table.__name__ not in v.memo:
            v.memo[table.__name__] = table(v)
        return v.memo[table.__name__]
    return once


def risk(v) -> pd.DataFrame:
    """The key risk figures: rows by name, columns value (a fraction or a ratio) and what (in words)."""
    r = v.risk
    rows = [("volatility, one day", r.vol, "forecast standard deviation of the next-day return"),
            ("volatility, annualised", r.vol * ANNUAL ** 0.5, "the one-day volatility x sqrt(252)"),
            *[(f"VaR {lv:.0%}, one day", r.var[lv], "positive loss exceeded on 1 - level of days") for lv in r.var],
            *[(f"CVaR {lv:.0%}, one day", r.cvar[lv], "average loss beyond the VaR") for lv in r.cvar],
            ("factor share of variance", r.factor_share if r.has_factors else np.nan,
             "share of the variance from market-wide factors"),
            ("next-day return (realised)", r.realised, "what the portfolio returned the next day")]
    return pd.DataFrame(rows, columns=["figure", "value", "what"]).set_index("figure")


def holdings(v) -> pd.DataFrame:
    """Every stock held (largest weight first): name, sector, weight, share of risk (Euler contribution / vol)."""
    w = v.weights
    held = w[w.abs() > 1e-9]
    held = held.reindex(held.abs().sort_values(ascending=False).index)
    frame = pd.DataFrame({"name": v.panel.meta["name"].reindex(held.index).fillna(""),
                          "sector": v.panel.sectors.reindex(held.index).fillna("Unknown"), "weight": held})
    if len(v.risk.contributions):
        frame["share of risk"] = (v.risk.contributions.reindex(held.index) / v.risk.vol if v.risk.vol > 0
                                  else np.nan)
    return frame.rename_axis("ticker")


def legs(v) -> pd.DataFrame:
    """The book's gross, net, long and short legs (core.portfolio.weights.Legs.table): weight, stocks, unit."""
    return book_legs(v.weights).table()


def sectors(v) -> pd.DataFrame:
    """By sector (largest weight first): stocks held, weight, share of risk."""
    w = v.weights
    sec = v.panel.sectors.reindex(w.index).fillna("Unknown")
    by = pd.DataFrame({"stocks held": (w.abs() > 1e-9).groupby(sec).sum().astype(int), "weight": w.groupby(sec).sum()})
    if len(v.risk.contributions) and v.risk.vol > 0:
        by["share of risk"] = v.risk.contributions.reindex(w.index).groupby(sec).sum() / v.risk.vol
    return by.sort_values("weight", ascending=False).rename_axis("sector")


def exposures(v) -> pd.DataFrame:
    """By factor (largest first): exposure (a beta to the factor's reference where it has a name, else model
    units), unit, share of risk; NotAvailable for a model without factors."""
    r = v.risk
    if not r.has_factors:
        raise NotAvailable(r.note or f"{label(v.forecasts.name)} has no factor structure")
    contrib = r.factor_contributions / r.vol if r.vol > 0 else r.factor_contributions * np.nan
    if v.named is None:
        y, unit = r.exposures, pd.Series("model units", index=r.exposures.index)
    else:
        y = in_reference_units(r.exposures, v.named, baskets_on(v.panel, v.series.at(v.date), v.named))
        unit = v.named.set_index("label")["unit"].reindex(y.index)
        contrib = contrib.rename(index=v.named["label"].to_dict())
    y = y.reindex(y.abs().sort_values(ascending=False).index)
    return pd.DataFrame({"exposure": y, "unit": unit.reindex(y.index),
                         "share of risk": contrib.reindex(y.index)}).rename_axis("factor")


@per_view
def var_backtest(v) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per forecast date of the view's split: VaR 95%, VaR 99% and the realised return; the verdicts)."""
    vs = var_series(v.panel, v.series, window(v.panel, v.series, v.part), v.weights)
    return vs.rename_axis("date"), verdict_table(vs)


@per_view
def horizon_var(v) -> pd.DataFrame:
    """VaR / CVaR over 1, 10 and 21 trading days at the view's date, simulated day after day, with the method and the
    square-root-of-time figure for reference (core.workbench.horizon.horizon_table)."""
    return horizon_table(v.panel, v.series.at(v.date), v.weights)


@per_view
def horizon_backtest(v) -> tuple[dict[int, pd.DataFrame], pd.DataFrame]:
    """({h: the h-day VaR series over the view's split}, per horizon the verdicts on non-overlapping windows and the
    calibration check on overlapping ones)."""
    frames = horizon_series(v.panel, v.series, window(v.panel, v.series, v.part), v.weights)
    return frames, backtest_table(frames)


def stress_windows(panel, date) -> list[Window]:
    """The catalogue's windows inside the data, else the 21 trading days up to `date`."""
    inside = windows_in(panel)
    if inside:
        return inside
    end = panel.dates[panel.dates.searchsorted(pd.Timestamp(date), "right") - 1]
    start = panel.dates[max(panel.dates.get_loc(end) - 20, 1)]
    return [Window(f"{start.date()}..{end.date()}", start, end,
                   "no catalogue window lies inside the data: the 21 trading days up to the forecast date")]


@per_view
def stress_results(v) -> list[Stress]:
    """The view's weights through every stress window of `stress_windows` (core.workbench.stress)."""
    return stress_tests(v.panel, v.forecasts, v.date, v.weights, stress_windows(v.panel, v.date),
                        names=vocabulary(v.named))


def stress(v, results: list[Stress] | None = None) -> pd.DataFrame:
    """One row per window: dates, replays and drawdowns (fractions), factor replay and its specific band."""
    return summary_table(stress_results(v) if results is None else results).rename_axis("window")


@per_view
def attribution_result(v) -> Attribution:
    """Ex-post attribution of the view's weights over the quarter (QUARTER forecast dates) up to the date."""
    dates = v.forecasts.series.dates
    pos = dates.get_loc(pd.Timestamp(v.date))
    start = dates[max(pos - (QUARTER - 1), min(1, len(dates) - 1))]
    return attribute(v.panel, v.forecasts, v.weights, start, v.date, names=vocabulary(v.named))


def attribution(v, res: Attribution | None = None) -> pd.DataFrame:
    """The period's contributions (fractions): each factor, specific, the sum of the daily parts, compounding,
    total, with the kind of each line."""
    s = (attribution_result(v) if res is None else res).summary
    kind = ["factor"] * (len(s) - 4) + ["specific", "sum of the daily parts", "compounding", "total"]
    return pd.DataFrame({"contribution": s, "line": kind}).rename_axis("line item")
