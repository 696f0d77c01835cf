"""A presentation report for an investment committee: the view of one dataset / model / date / portfolio as ONE
self-contained HTML file, readable offline (no scripts, no external files: tables, and inline SVG charts from
core.report.charts), that scales to 500+ stocks (top holdings and sector tables, sector correlations instead of
N x N; no table wider than the page) and prints to a clean PDF from the browser (print CSS).

The report is the list SECTIONS of (title, function of a `View` returning HTML): a new section is one line there.
A section a model cannot fill says why in one line. Everything is computed by core.workbench, the same functions
the dashboard pages call; `neuralfactors report` and the dashboard's "Download report" button both call
`build_report` (through `for_view`).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from core import store
from core.errors import NeuralFactorsError, NotAvailable
from core.portfolio.weights import legs as book_legs
from core.report import tables
from core.report.charts import bar_chart, line_chart
from core.report.palette import NEGATIVE, POSITIVE, TONE_COLOURS
from core.report.risk_sections import attribution_section, stress_section
from core.risk.backtest import rate_tone
from core.scorecard import HIGHER_IS_BETTER, LABELS
from core.workbench.backtests import backtest
from core.workbench.covariance import by_sector, covariance_view
from core.workbench.dates import split_of, window
from core.workbench.factor_names import factor_names
from core.workbench.keys import model_label as label
from core.workbench.name_check import CHECK_DAYS, names_on
from core.workbench.portfolios import ANNUAL, Risk, named_portfolio, portfolio_risk
from core.workbench.var import method_label

TOP_HOLDINGS = 15  # rows of the holdings table and bars of its chart
MAX_COLUMNS = 8  # models per comparison table (metrics are rows), so no table is wider than the page
#: backtest metrics (core.workbench.backtests.PERFORMANCE_LABELS) that are fractions, shown as percentages
PERCENT_METRICS = ("total return", "annualised return", "annualised volatility", "maximum drawdown", "daily turnover")
#: the evaluation metrics in plain words (core.scorecard keys), beside the model comparison
METRIC_WORDS = {
    "nll_joint": "how unlikely the model found the realised returns of all stocks together (lower is better)",
    "nll_ind": "the same for each stock on its own",
    "cov_mse": "error of the forecast covariance against the realised one",
    "box_m": "Box's M: distance between forecast and realised covariance matrices (0 = identical)",
    "calib_uni": "how far stocks' forecast quantiles are from the realised frequencies (0 = perfect)",
    "calib_port": "the same for portfolios",
    "var95_rate": "share of days the 95% VaR was breached (5% expected)",
    "var99_rate": "share of days the 99% VaR was breached (1% expected)",
    "kupiec_p95": "p-value that the 95% breach count is right (below 0.05: rejected)",
    "kupiec_p99": "p-value that the 99% breach count is right (below 0.05: rejected)",
    "christoffersen_p99": "p-value that 99% breaches are the right number and do not cluster",
    "sharpe_mv_lo": "Sharpe ratio of the model's mean-variance portfolio, long-only",
    "sharpe_mv_ls": "the same, long-short",
    "sharpe_mv_lo_l1": "the same, long-only with a turnover penalty",
    "sharpe_mv_ls_l1": "the same, long-short with a turnover penalty",
    "r2_total": "share of stock return variance the factors explain on the day",
    "r2_pred": "share explained by the forecast mean",
}
RATE_METRICS = {"var95_rate": 0.95, "var99_rate": 0.99}  # breach rates, judged by the one verdict rule
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;
color:#222;padding:0 1em}h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:12px;margin:.5em 0;max-width:100%}td,th{border:1px solid #ddd;
padding:3px 6px;text-align:right;vertical-align:top}th{background:#f4f4f4}td.l,th.l{text-align:left}
td.w{text-align:left;color:#555;max-width:22em}.kpi{display:flex;gap:.8em;flex-wrap:wrap}
.kpi div{border:1px solid #ddd;border-radius:6px;padding:.5em .8em;max-width:15em;font-size:13px}
.kpi b{display:block;font-size:1.4em}.kpi i{display:block;color:#555;font-style:normal;font-size:11px}
.note{color:#555;font-size:13px}
@media print{body{max-width:none;margin:0;font-size:11px}h2{break-after:avoid}table,svg,.kpi div{break-inside:avoid}
@page{size:A4;margin:14mm}}"""


def _e(x) -> str:
    return html.escape(str(x))


def _pct(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def _pcts(values: pd.Series, digits: int = 2) -> pd.Series:
    """Fractions as percentage strings ("12.34%")."""
    return values.map(lambda x: _pct(x, digits))


def table_html(frame: pd.DataFrame, fmt=None, colour_col: str | None = None, index: bool = True,
               wrap: tuple[str, ...] = ()) -> str:
    """A plain HTML table; numbers with 4 significant digits (or `fmt`); with `colour_col`, that column's cells in
    the colour (palette.TONE_COLOURS) of the row's "tone" (core.risk.backtest.tone), the tone column itself not
    shown; `wrap`: columns of words, set as wrapping grey text."""
    frame = frame.copy()
    tones = frame.pop("tone") if colour_col and "tone" in frame else pd.Series("", index=frame.index)

    def cell(v, col, tone_=""):
        if isinstance(v, float | np.floating):
            text = "n/a" if not np.isfinite(v) else (fmt(v) if fmt else f"{v:.4g}")
        else:
            text = str(v)
        style = ""
        if col == colour_col and TONE_COLOURS.get(tone_):
            style = f' style="color:{TONE_COLOURS[tone_]};font-weight:600"'
        left = ' class="w"' if col in wrap else ' class="l"' if not isinstance(v, int | float | np.number) else ""
        return f"<td{left}{style}>{_e(text)}</td>"

    head = ('<th class="l"></th>' if index else "") + "".join(f'<th class="l">{_e(c)}</th>' for c in frame.columns)
    rows = []
    for idx, row in frame.iterrows():
        first = f'<td class="l">{_e(idx)}</td>' if index else ""
        rows.append("<tr>" + first + "".join(cell(v, c, tones[idx]) for c, v in row.items()) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def heatmap_html(corr: pd.DataFrame) -> str:
    """A correlation matrix (K x K) as a table with red (positive) / blue (negative) cells."""
    def colour(v):
        r, g, b = POSITIVE if v > 0 else NEGATIVE
        return f"rgba({r},{g},{b},{min(abs(v), 1.0):.2f})"

    head = '<th></th>' + "".join(f"<th>{_e(c)}</th>" for c in corr.columns)
    rows = "".join("<tr><th>" + _e(i) + "</th>" + "".join(
        f'<td style="background:{colour(v)}">{v:.2f}</td>' for v in row) + "</tr>" for i, row in corr.iterrows())
    return f"<table>{head}{rows}</table>"


@dataclass
class View:
    """What every section reads: the chosen view and the numbers computed once for it."""

    panel: object
    forecasts: object  # core.workbench.sources.Forecasts
    date: pd.Timestamp
    portfolio: str
    weights: pd.Series  # by forecast ticker, summing to 1 (a dollar-neutral book: a gross of 1)
    part: str  # the date's split
    risk: Risk
    named: pd.DataFrame | None  # factor_names checked on the date (core.workbench.name_check), None: no names
    comparison: pd.DataFrame | None  # models x metrics, None when none exists
    value: float | None = None  # portfolio value in `currency`: VaR / CVaR in money too
    #: the tables computed for this view (core.report.tables `per_view`): the page and the workbook of one view
    #: compute each once
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def series(self):
        return self.forecasts.series

    def money(self, loss: float) -> str:
        """A loss as a percentage, and in money when a portfolio value is given."""
        return _pct(loss) + ("" if not self.value else f" ({loss * self.value:,.0f})")


def key_metrics(v: View) -> str:
    r = v.risk
    kpis = [("Volatility", f"{_pct(r.vol)} a day, {_pct(r.vol * ANNUAL ** 0.5, 1)} a year",
             "the forecast standard deviation of the portfolio's return"),
            ("VaR 95%", v.money(r.var[0.95]), "a one-day loss exceeded on about 1 day in 20"),
            ("VaR 99%", v.money(r.var[0.99]), "a one-day loss exceeded on about 1 day in 100"),
            ("CVaR 99%", v.money(r.cvar[0.99]), "the average loss on the days beyond the 99% VaR")]
    if r.has_factors:
        kpis.append(("Factor share of variance", _pct(r.factor_share, 1),
                     "how much of the risk comes from market-wide factors rather than single stocks"))
    kpis.append(("Next-day return (realised)", _pct(r.realised), "what the portfolio actually returned the next day"))
    boxes = "".join(f"<div>{_e(k)}<b>{_e(x)}</b><i>{_e(w)}</i></div>" for k, x, w in kpis)
    value = f" Portfolio value {v.value:,.0f}: money amounts in brackets." if v.value else ""
    note = f'<p class="note">{_e(r.note)}</p>' if r.note else ""
    return (f'<div class="kpi">{boxes}</div><p class="note">One-day VaR / CVaR as positive losses of the '
            f"portfolio's next-day return. VaR method: {_e(method_label(r.method))}.{value}</p>"
            + note)


def holdings(v: View) -> str:
    frame, by = tables.holdings(v), tables.sectors(v)
    top = frame.head(TOP_HOLDINGS)
    shown = top.assign(**{c: _pcts(top[c]) for c in ("weight", "share of risk") if c in top})
    by_shown = by.assign(**{c: _pcts(by[c]) for c in ("weight", "share of risk") if c in by})
    return (f'<p class="note">{_e(book_legs(v.weights).words())}. {len(frame)} of {len(v.weights)} stocks held; the '
            f"largest {len(top)} below, then every sector. Share of risk: the stock's (sector's) Euler contribution "
            "to the forecast volatility; they sum to 100%.</p>" + bar_chart(top["weight"], "weight")
            + table_html(shown.rename_axis(None)) + "<h3>By sector</h3>" + table_html(by_shown.rename_axis(None)))


def exposures(v: View) -> str:
    frame = tables.exposures(v)
    why = "" if v.named is None else (
        "Each factor is named after the reference series its realised returns follow most closely over the "
        "validation split (correlation in the name) and shown as a beta to it: a beta of 1 moves one for one "
        "with the reference; the market's own market beta is 1. A name holds on this date only while its factor "
        f"still follows its reference over the {CHECK_DAYS} trading days to it; one that does not is dropped here, "
        "said in the factor's label. ")
    shown = frame.assign(exposure=frame["exposure"].round(3), **{"share of risk": _pcts(frame["share of risk"])})
    return (f'<p class="note">{why}Share of risk: the factor\'s Euler contribution to the forecast volatility.</p>'
            + bar_chart(frame["exposure"], "exposure (beta)", percent=False) + table_html(shown.rename_axis(None)))


def var_backtests(v: View) -> str:
    vs, verdicts = tables.var_backtest(v)
    chart = line_chart(pd.DataFrame({"portfolio return": vs["return"], "-VaR 95%": -vs["VaR 95%"],
                                     "-VaR 99%": -vs["VaR 99%"]}), "daily return", percent=True, mark=v.date)
    return (f'<p class="note">Weights of {v.date.date()} held fixed over the {v.part} split. A breach is a day whose '
            "loss was larger than that day's VaR. Each test at the 5% level; green only when the test passes and the "
            "breach rate is in its plausible range. The Basel traffic light counts 99% breaches in the last 250 days "
            "and is not judged on a shorter window.</p>" + chart
            + table_html(verdicts, colour_col="verdict", index=False, wrap=("what it checks",)))


def horizon_var(v: View) -> str:
    """VaR / CVaR over 1, 10 and 21 trading days at the date; each longer horizon's VaR over the split against the
    realised returns, its backtest on non-overlapping windows and the check on overlapping ones."""
    table = tables.horizon_var(v)
    methods = "; ".join(f"{i}: {m}" for i, m in table["method"].items())
    shown = table.drop(columns=["horizon", "method"]).rename_axis(None)
    shown = shown.assign(**{c: _pcts(shown[c]) for c in shown.columns if c != "paths"})
    frames, verdicts = tables.horizon_backtest(v)
    parts = [f'<p class="note">The weights of {v.date.date()}, rebalanced to them daily, over the next 1, 10 and 21 '
             "trading days: losses simulated day after day from the model's own distribution and compounded, never "
             f"scaled by the square root of time (that column is a reference only). Methods: {_e(methods)}.</p>",
             table_html(shown)]
    for h, frame in frames.items():
        n = int(frame["non-overlapping"].sum())
        parts += [f"<h3>{h}-day VaR over the {v.part} split</h3>",
                  line_chart(pd.DataFrame({f"{h}-day return": frame["return"], "-VaR 95%": -frame["VaR 95%"],
                                           "-VaR 99%": -frame["VaR 99%"]}), f"{h}-day return", percent=True,
                             mark=v.date),
                  f'<p class="note">Backtest on {n} non-overlapping {h}-day windows (few: the tests have little '
                  "power); the overlapping windows of every date are dependent, so they are a calibration check, not "
                  "a test.</p>",
                  table_html(verdicts[verdicts["horizon"] == f"{h} days"].drop(columns="horizon"),
                             colour_col="verdict", index=False, wrap=("what it checks",))]
    return "".join(parts)


def covariance(v: View) -> str:
    view = covariance_view(v.panel, v.series.at(v.date))
    sectors = v.panel.sectors.reindex(view["forecast"].index).fillna("Unknown")
    few = len(view["forecast"]) <= MAX_COLUMNS
    if not few:
        view = by_sector(view, sectors)
    what = "stock by stock" if few else "the mean correlation within and between sectors (stocks in brackets)"
    return (f'<p class="note">Forecast correlation at {v.date.date()}, {what}; below it the realised one over the '
            f'next {view["h"]} days. Close colours mean the model foresaw how stocks would move together.</p>'
            + heatmap_html(view["forecast"]) + heatmap_html(view["realised"]))


def equity(v: View) -> str:
    bt = backtest(v.panel, v.series, window(v.panel, v.series, v.part), v.weights)
    metrics = bt["metrics"].T
    shown = metrics.apply(lambda row: _pcts(row) if row.name in PERCENT_METRICS else row.map(lambda x: f"{x:.2f}"),
                          axis=1)
    return (f'<p class="note">Growth of 1 invested over the {v.part} split, rebalanced daily to the weights of '
            f"{v.date.date()}, against equal weight (and the benchmark where the data has one). Sharpe: annualised "
            "return per unit of annualised volatility; drawdown: the largest fall from a peak.</p>"
            + line_chart(bt["values"], "value of 1 invested", mark=v.date) + table_html(shown))


def models(v: View) -> str:
    if v.comparison is None or v.comparison.empty:
        raise NotAvailable("no model comparison for this data yet (run one on the Model comparison page, or "
                           "`neuralfactors evaluate`)")
    table = v.comparison.T.dropna(how="all")
    n_days = comparison_days(v.panel, v.comparison)
    parts = []
    for k in range(0, table.shape[1], MAX_COLUMNS):
        cols = table.columns[k:k + MAX_COLUMNS]
        shown = pd.DataFrame({label(m): [_metric(x, key, n_days) for key, x in table[m].items()] for m in cols},
                             index=[LABELS.get(key, key) for key in table.index])
        shown["what it measures"] = [METRIC_WORDS.get(key, "") + ("" if key not in LABELS else (
            "; higher is better" if key in HIGHER_IS_BETTER else "")) for key in table.index]
        parts.append(table_html(shown, wrap=("what it measures",)))
    return "".join(parts)


def comparison_days(panel, comparison: pd.DataFrame) -> int:
    """Days the comparison's breach rates were counted on (its attrs["dates"] span of the panel), 0 when unknown."""
    span = comparison.attrs.get("dates")
    return 0 if not span else int(((panel.dates >= span[0]) & (panel.dates <= span[1])).sum())


def _metric(x, key: str, n_days: int = 0) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    if key not in RATE_METRICS:
        return f"{x:.4g}"
    judged = rate_tone(x, n_days, RATE_METRICS[key]) == "bad"
    return _pct(x) + (" (implausible)" if judged else "")


class Section(NamedTuple):
    title: str
    render: Callable[[View], str]


#: the report, in order; add a section with one line here (a function of a View returning HTML)
SECTIONS = [
    Section("Key metrics", key_metrics),
    Section("Holdings and risk contributions", holdings),
    Section("Factor exposures", exposures),
    Section("VaR and backtests", var_backtests),
    Section("Multi-day VaR", horizon_var),
    Section("Covariance", covariance),
    Section("Equity curve", equity),
    Section("Stress tests", stress_section),
    Section("Attribution", attribution_section),
    Section("Model comparison", models),
]


def _section(section: Section, view: View) -> str:
    try:
        content = section.render(view)
    except NeuralFactorsError as exc:  # a view this model cannot serve says so in one line
        content = f'<p class="note">{_e(exc)}</p>'
    return f"<h2>{_e(section.title)}</h2>{content}"


def make_view(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
              comparison: pd.DataFrame | None = None, value: float | None = None) -> View:
    """The View of a (data, model, date, portfolio): the weights, their risk and the factors' names (arguments as
    `build_report`'s)."""
    series = forecasts.series
    date = pd.Timestamp(date)
    if date not in series.dates:
        raise NeuralFactorsError(f"no forecast of {label(forecasts.name)} at {date.date()}; forecasts exist for "
                                 f"{series.dates[0].date()}..{series.dates[-1].date()}")
    fc = series.at(date)
    weights = named_portfolio(panel, fc, portfolio, custom)
    try:  # the names fitted on validation that hold on the date (a name its factor no longer earns is dropped)
        named = names_on(panel, forecasts, date, factor_names(panel, forecasts))
    except NeuralFactorsError:
        named = None
    return View(panel, forecasts, date, portfolio, weights, split_of(panel, date), portfolio_risk(panel, fc, weights),
                named, comparison, value)


def build_report(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
                 comparison: pd.DataFrame | None = None, sections: list[str] | None = None,
                 value: float | None = None) -> str:
    """The HTML report. forecasts: core.workbench.Forecasts; date: a forecast date; portfolio: one of
    core.workbench.portfolios.PORTFOLIOS; comparison: an evaluation table (models x metrics) or None; sections:
    titles of SECTIONS to include (None: all); value: the portfolio's value, to show VaR / CVaR in money."""
    unknown = sorted(set(sections or []) - {s.title for s in SECTIONS})
    if unknown:
        raise NeuralFactorsError(f"unknown report sections {unknown}; choose from {[s.title for s in SECTIONS]}")
    return render_page(make_view(panel, forecasts, date, portfolio, custom, comparison, value), sections)


def render_page(view: View, sections: list[str] | None = None) -> str:
    """The HTML report of `view` (make_view), its SECTIONS titled in `sections` (None: all)."""
    panel, forecasts, date = view.panel, view.forecasts, view.date
    title = f"{label(forecasts.name)} · {panel.name} · {date.date()} · {view.portfolio}"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join([
        f"<h1>{_e(title)}</h1><p class=\"note\">{_e(panel.name)}: {panel.n_tickers} stocks, "
        f"{panel.dates[0].date()}..{panel.dates[-1].date()}; forecast made at the close of {date.date()} for the "
        f"next trading day ({view.part} split); forecasts: {_e(forecasts.note)}. Generated {generated}.</p>",
        *(_section(s, view) for s in SECTIONS if sections is None or s.title in sections)])
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>")


def for_view(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
             comparison: pd.DataFrame | None = None, value: float | None = None) -> str:
    """`build_report` with `comparison`, else the shipped model comparison of the date's split (none for your own
    data): what `neuralfactors report --out` writes (with --xlsx too, and the dashboard's button: core.report.bundle,
    the same page)."""
    return build_report(panel, forecasts, date, portfolio, custom, shipped_comparison(panel, date, comparison),
                        value=value)


def shipped_comparison(panel, date, comparison: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """`comparison` when given, else the shipped model comparison of the date's split (None for your own data)."""
    if comparison is not None:
        return comparison
    try:
        return store.metrics_table(panel.name, "test" if split_of(panel, date) == "test" else "valid")
    except NeuralFactorsError:
        return None
