"""A presentation report: the view of one dataset / model / date / portfolio as ONE self-contained
HTML file, readable offline (no scripts, no external files: tables and inline SVG charts).

Sections: key metrics, weights and risk contributions, factor exposures (models with factors),
VaR over the date's split with the backtest verdicts, forecast correlation (joint models),
equity curve of the fixed weights against equal weight and the benchmark, model comparison
(shipped metrics). Everything is computed by core.workbench, the same functions the dashboard
pages call; `neuralfactors report` and the dashboard's "Download report" button both call
`build_report`.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from core import store
from core.errors import NeuralFactorsError
from core.models.registry import label
from core.risk.backtest import TONE_COLOURS
from core.scorecard import LABELS
from core.workbench.backtests import backtest
from core.workbench.covariance import covariance_view
from core.workbench.dates import split_of, window
from core.workbench.portfolios import named_portfolio, portfolio_risk
from core.workbench.var import method_label, var_series, verdict_table

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
color:#222;padding:0 1em}h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 7px;
text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}.kpi{display:flex;gap:1em;flex-wrap:wrap}
.kpi div{border:1px solid #ddd;border-radius:6px;padding:.5em 1em}.kpi b{display:block;font-size:1.4em}
.note{color:#555;font-size:13px}svg text{font-size:11px;fill:#333}"""


def _e(x) -> str:
    return html.escape(str(x))


def _pct(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def table_html(frame: pd.DataFrame, fmt=None, colour_col: str | None = None, index: bool = True) -> str:
    """A plain HTML table; numbers with 4 significant digits (or `fmt`); with `colour_col`, that column's cells in
    the colour of the row's "tone" (core.risk.backtest.tone), the tone column itself not shown."""
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
        left = ' class="l"' if not isinstance(v, int | float | np.number) else ""
        return f"<td{left}{style}>{_e(text)}</td>"

    head = ('<th class="l"></th>' if index else "") + "".join(f'<th class="l">{_e(c)}</th>' for c in frame.columns)
    rows = []
    for idx, row in frame.iterrows():
        first = f'<td class="l">{_e(idx)}</td>' if index else ""
        rows.append("<tr>" + first + "".join(cell(v, c, tones[idx]) for c, v in row.items()) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def line_svg(frame: pd.DataFrame, y_title: str, scale: float = 1.0, width: int = 1000, height: int = 300,
             mark=None) -> str:
    """Inline SVG line chart: one line per column of `frame` (dates x series), values x `scale`."""
    frame = frame.dropna(how="all")
    if frame.empty:
        return '<p class="note">no data</p>'
    x = (frame.index - frame.index[0]).days.to_numpy(dtype=float)
    y = frame.to_numpy(dtype=float) * scale
    lo, hi = np.nanmin(y), np.nanmax(y)
    hi = hi if hi > lo else lo + 1.0
    l, r, t, b = 60, 10, 10, 30
    sx = lambda v: l + (v - x.min()) / max(x.max() - x.min(), 1.0) * (width - l - r)  # noqa: E731
    sy = lambda v: t + (hi - v) / (hi - lo) * (height - t - b)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20 * frame.shape[1]}">']
    for k in range(5):
        v = lo + k * (hi - lo) / 4
        parts.append(f'<line x1="{l}" x2="{width - r}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                     f'<text x="{l - 5}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    for k in range(5):
        pos = int(k * (len(x) - 1) / 4)
        parts.append(f'<text x="{sx(x[pos]):.1f}" y="{height - 10}" text-anchor="middle">'
                     f'{frame.index[pos].date()}</text>')
    for j, col in enumerate(frame.columns):
        ok = np.isfinite(y[:, j])
        pts = " ".join(f"{sx(a):.1f},{sy(v):.1f}" for a, v in zip(x[ok], y[ok, j]))
        c = COLOURS[j % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.3" points="{pts}"/>')
        parts.append(f'<rect x="{l}" y="{height + 20 * j + 2}" width="12" height="8" fill="{c}"/>'
                     f'<text x="{l + 18}" y="{height + 20 * j + 10}">{_e(col)}</text>')
    if mark is not None and frame.index[0] <= pd.Timestamp(mark) <= frame.index[-1]:
        mx = sx((pd.Timestamp(mark) - frame.index[0]).days)
        parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{t}" y2="{height - b}" stroke="#888" '
                     f'stroke-dasharray="4,3"/><text x="{mx + 3:.1f}" y="{t + 10}">{pd.Timestamp(mark).date()}</text>')
    parts.append(f'<text x="12" y="{(height - b) / 2:.0f}" transform="rotate(-90 12,{(height - b) / 2:.0f})" '
                 f'text-anchor="middle">{_e(y_title)}</text></svg>')
    return "".join(parts)


def bar_svg(values: pd.Series, y_title: str, scale: float = 100.0, width: int = 1000, height: int = 260) -> str:
    """Inline SVG bar chart with every category labelled."""
    if values.empty:
        return '<p class="note">no data</p>'
    v = values.to_numpy(dtype=float) * scale
    lo, hi = min(0.0, v.min()), max(0.0, v.max())
    hi = hi if hi > lo else lo + 1.0
    l, b, t = 60, 70, 10
    step = (width - l - 10) / len(v)
    sy = lambda z: t + (hi - z) / (hi - lo) * (height - t - b)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">',
             f'<text x="{l - 5}" y="{sy(hi) + 4:.1f}" text-anchor="end">{hi:.3g}</text>',
             f'<text x="{l - 5}" y="{sy(lo) + 4:.1f}" text-anchor="end">{lo:.3g}</text>',
             f'<line x1="{l}" x2="{width - 10}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" stroke="#999"/>']
    for k, (name, z) in enumerate(zip(values.index, v)):
        x0, y0, y1 = l + k * step, sy(max(z, 0.0)), sy(min(z, 0.0))
        parts.append(f'<rect x="{x0 + 1:.1f}" y="{y0:.1f}" width="{max(step - 2, 1):.1f}" height="{y1 - y0:.1f}" '
                     f'fill="{COLOURS[0]}"><title>{_e(name)}: {z:.4g}</title></rect>')
        cx = x0 + step / 2
        parts.append(f'<text x="{cx:.1f}" y="{height - b + 12}" text-anchor="end" '
                     f'transform="rotate(-60 {cx:.1f},{height - b + 12})">{_e(name)}</text>')
    parts.append(f'<text x="12" y="{(height - b) / 2:.0f}" transform="rotate(-90 12,{(height - b) / 2:.0f})" '
                 f'text-anchor="middle">{_e(y_title)}</text></svg>')
    return "".join(parts)


def heatmap_html(corr: pd.DataFrame) -> str:
    """A correlation matrix as a table with red (positive) / blue (negative) cells."""
    def colour(v):
        a = min(abs(v), 1.0)
        return f"rgba(214,39,40,{a:.2f})" if v > 0 else f"rgba(31,119,180,{a:.2f})"

    head = '<th></th>' + "".join(f"<th>{_e(c)}</th>" for c in corr.columns)
    rows = "".join("<tr><th>" + _e(i) + "</th>" + "".join(
        f'<td style="background:{colour(v)}">{v:.2f}</td>' for v in row) + "</tr>" for i, row in corr.iterrows())
    return f"<table>{head}{rows}</table>"


def _section(title: str, body) -> str:
    try:
        content = body()
    except NeuralFactorsError as exc:  # a view this model cannot serve says so in one line
        content = f'<p class="note">{_e(exc)}</p>'
    return f"<h2>{_e(title)}</h2>{content}"


def build_report(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
                 comparison: pd.DataFrame | None = None) -> str:
    """The HTML report. forecasts: core.workbench.Forecasts; date: a forecast date; portfolio: one of
    core.workbench.portfolios.PORTFOLIOS; comparison: an evaluation table (models x metrics) or None."""
    series = forecasts.series
    date = pd.Timestamp(date)
    if date not in series.dates:
        raise NeuralFactorsError(f"no forecast of {label(forecasts.name)} at {date.date()}; forecasts exist for "
                                 f"{series.dates[0].date()}..{series.dates[-1].date()}")
    fc = series.at(date)
    weights = named_portfolio(panel, fc, portfolio, custom)
    part = split_of(panel, date)
    risk = portfolio_risk(panel, fc, weights)
    sectors = panel.sectors.reindex(weights.index).fillna("")
    title = f"{label(forecasts.name)} · {panel.name} · {date.date()} · {portfolio}"

    def key_metrics():
        kpis = [("Volatility (daily)", _pct(risk.vol)), ("VaR 95%", _pct(risk.var[0.95])),
                ("VaR 99%", _pct(risk.var[0.99])), ("CVaR 99%", _pct(risk.cvar[0.99]))]
        if risk.has_factors:
            kpis.append(("Factor share of variance", _pct(risk.factor_share, 1)))
        kpis.append(("Next-day return (realised)", _pct(risk.realised)))
        boxes = "".join(f"<div>{_e(k)}<b>{_e(v)}</b></div>" for k, v in kpis)
        note = f'<p class="note">{_e(risk.note)}</p>' if risk.note else ""
        return (f'<div class="kpi">{boxes}</div><p class="note">One-day VaR / CVaR as positive losses of the '
                f"portfolio's next-day return (method: {_e(method_label(risk.method))}).</p>{note}")

    def holdings():
        frame = pd.DataFrame({"sector": sectors, "weight": weights.round(10)})
        if len(risk.contributions):
            frame["volatility contribution (% per day)"] = 100 * risk.contributions.reindex(weights.index)
        return bar_svg(weights, "weight (%)") + table_html(frame, fmt=lambda v: f"{v:.4g}")

    def exposures():
        if not risk.has_factors:
            raise NeuralFactorsError(risk.note or f"{label(forecasts.name)} has no factor structure")
        y = risk.exposures.iloc[:20]
        frame = pd.DataFrame({"exposure w'B": y, "volatility contribution (% per day)":
                              100 * risk.factor_contributions.reindex(y.index)})
        return bar_svg(y, "exposure (beta units)", scale=1.0) + table_html(frame)

    def var_section():
        vs = var_series(panel, series, window(panel, series, part), weights)
        chart = line_svg(pd.DataFrame({"portfolio return": vs["return"], "-VaR 95%": -vs["VaR 95%"],
                                       "-VaR 99%": -vs["VaR 99%"]}), "daily return (%)", 100.0, mark=date)
        verdicts = verdict_table(vs)
        return (f'<p class="note">Weights of {date.date()} held fixed over the {part} split. Each test at the '
                "5% level; the Basel traffic light counts 99% breaches in the last 250 days only.</p>" + chart
                + table_html(verdicts, colour_col="verdict", index=False))

    def covariance():
        view = covariance_view(panel, fc)
        return (f'<p class="note">Forecast correlation at {date.date()}; realised over the next {view["h"]} '
                "days below.</p>" + heatmap_html(view["forecast"]) + heatmap_html(view["realised"]))

    def equity():
        bt = backtest(panel, series, window(panel, series, part), weights)
        return (line_svg(bt["values"], "value of 1 invested", mark=date) + table_html(bt["metrics"]))

    def models():
        if comparison is None or comparison.empty:
            raise NeuralFactorsError("no model comparison for this dataset (no shipped evaluation)")
        shown = comparison.rename(index=label, columns=lambda c: LABELS.get(c, c))
        return table_html(shown)

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join([
        f"<h1>{_e(title)}</h1><p class=\"note\">{_e(panel.name)}: {panel.n_tickers} stocks, "
        f"{panel.dates[0].date()}..{panel.dates[-1].date()}; forecast made at the close of {date.date()} for the "
        f"next trading day ({part} split); forecasts: {_e(forecasts.note)}. Generated {generated}.</p>",
        _section("Key metrics", key_metrics), _section("Weights and risk contributions", holdings),
        _section("Factor exposures", exposures), _section("VaR and backtests", var_section),
        _section("Covariance", covariance), _section("Equity curve", equity),
        _section("Model comparison", models)])
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>")


def for_view(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "") -> str:
    """`build_report` with the shipped model comparison of the date's split (none for your own data):
    what the dashboard's button and `neuralfactors report` write."""
    try:
        comparison = store.metrics_table(panel.name, "test" if split_of(panel, date) == "test" else "valid")
    except NeuralFactorsError:
        comparison = None
    return build_report(panel, forecasts, date, portfolio, custom, comparison)
