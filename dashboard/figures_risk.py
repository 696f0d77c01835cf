"""Pure Plotly builders for the committee questions (issue 24): historical stress tests, factor / series shocks and
ex-post attribution. Data in, `go.Figure` out; no Streamlit, no model calls. Returns are fractions of capital in,
percent on the axes. Readable at 500 stocks: per-stock views show the `top` largest, the rest summed or by sector.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.forecast.distributions import normal_pdf
from core.workbench.topn import largest
from dashboard.figures import PALETTE, _layout, _pct, mark_date

TOP_N = 20  # bars per chart before the rest is summed into one "other" bar
REPLAY, FACTOR = PALETTE[0], PALETTE[1]


def stress_windows(table: pd.DataFrame, title: str = "Historical windows: today's weights replayed") -> go.Figure:
    """table: windows x ["replay", "factor replay", "specific band"] (core.workbench.stress.summary_table):
    grouped bars per window, the factor replay with its +-band as an error bar (NaN: no factor replay)."""
    names = [wrapped(str(i)) for i in table.index]  # whole names on two or three lines: no label cut at the edge
    fig = go.Figure(go.Bar(x=names, y=_pct(table["replay"]), name="replay (stocks' own returns)",
                           marker_color=REPLAY, hovertemplate="%{x}: %{y:.1f}%<extra>replay</extra>"))
    if table["factor replay"].notna().any():
        fig.add_trace(go.Bar(x=names, y=_pct(table["factor replay"]), name="factor replay (+- specific band)",
                             marker_color=FACTOR, error_y=dict(type="data", array=_pct(table["specific band"])),
                             hovertemplate="%{x}: %{y:.1f}%<extra>factor replay</extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.3))
    fig.update_xaxes(type="category", tickangle=0, automargin=True)
    return _layout(fig, title, "window", "return over the window (%)")


def wrapped(label: str, width: int = 14) -> str:
    """`label` broken at spaces into lines of about `width` characters (Plotly's <br>), so a long tick label is
    shown whole instead of running off the chart."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def stress_path(replay: pd.Series, factor: pd.Series | None = None, band: float = 0.0,
                title: str = "Path through the window") -> go.Figure:
    """Cumulative returns (dates, fractions) of the replay and of the factor replay; around the factor replay the
    specific band, `band` over the whole window, widening as sqrt(days so far / days) (independent daily parts)."""
    fig = go.Figure()
    if factor is not None:
        width = band * np.sqrt(np.arange(1, len(factor) + 1) / len(factor))
        x = list(factor.index) + list(factor.index[::-1])
        y = np.concatenate([_pct(factor + width), _pct((factor - width)[::-1])])
        fig.add_trace(go.Scatter(x=x, y=y, fill="toself", line=dict(width=0), fillcolor="rgba(255,127,14,0.18)",
                                 name="specific band", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=factor.index, y=_pct(factor), mode="lines", name="factor replay",
                                 line=dict(color=FACTOR, width=2, dash="dash")))
    fig.add_trace(go.Scatter(x=replay.index, y=_pct(replay), mode="lines+markers", name="replay",
                             line=dict(color=REPLAY, width=2), marker=dict(size=4)))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    return _layout(fig, title, "date", "cumulative return (%)")


def contributions(values: pd.Series, title: str, axis: str, top: int = TOP_N,
                  unit: str = "contribution to the return (%)") -> go.Figure:
    """Horizontal bars of contributions (fractions, e.g. by sector or by factor), largest at the top, the rest
    beyond `top` summed into one bar; values labelled in percent."""
    v = largest(values, top)[::-1]
    colours = [PALETTE[3] if x < 0 else PALETTE[2] for x in v]
    fig = go.Figure(go.Bar(x=_pct(v), y=[str(i) for i in v.index], orientation="h", marker_color=colours,
                           text=[f"{x:+.2f}%" for x in _pct(v)], textposition="auto",
                           hovertemplate="%{y}: %{x:.3f}%<extra></extra>"))
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, unit, axis, height=max(300, 60 + 26 * len(v)))


def shock_pnl(mean: float, sd: float, quantiles: Mapping[float, float],
              title: str = "Portfolio P&L given the shock") -> go.Figure:
    """The conditional Normal density of the portfolio's return (mean, sd: fractions) with its quantiles marked
    (e.g. 5%, 50%, 95%) and the 5-95% band shaded."""
    sd = max(sd, 1e-12)
    x = np.linspace(mean - 4 * sd, mean + 4 * sd, 201)
    pdf = normal_pdf((x - mean) / sd) / sd / 100.0  # density per percentage point
    fig = go.Figure(go.Scatter(x=_pct(x), y=pdf, mode="lines", name="conditional density",
                               line=dict(color=PALETTE[0], width=2)))
    lo, hi = min(quantiles), max(quantiles)
    inside = (x >= quantiles[lo]) & (x <= quantiles[hi])
    fig.add_trace(go.Scatter(x=_pct(x[inside]), y=pdf[inside], fill="tozeroy", mode="none",
                             fillcolor="rgba(31,119,180,0.2)", name=f"{lo:.0%}-{hi:.0%} band"))
    for q, v in sorted(quantiles.items()):
        fig.add_vline(x=100 * v, line=dict(color="grey", dash="dot"), annotation_text=f"{q:.0%}: {100 * v:+.2f}%",
                      annotation_position="top")
    return _layout(fig, title, "portfolio return on the shocked day (%)", "density (per % point)")


def shock_moves(moves: pd.Series, sectors: pd.Series, colours: Mapping[str, str], top: int = TOP_N,
                title: str = "Expected move of each stock given the shock") -> go.Figure:
    """moves: expected move by ticker (conditional minus unconditional mean, fractions). The `top` largest by
    absolute size as bars coloured by sector, each labelled with its ticker; more stocks than that: said in the
    title (the sector view, `sector_moves`, covers the rest)."""
    v = moves.reindex(moves.abs().sort_values(ascending=False).index[:top])
    if len(moves) > top:
        title = f"{title} (largest {top} of {len(moves)})"
    sec = sectors.reindex(v.index).fillna("Unknown")
    fig = go.Figure()
    for sector in sorted(sec.unique()):
        idx = sec.index[sec == sector]
        fig.add_trace(go.Bar(x=[str(i) for i in idx], y=_pct(v[idx]), name=sector,
                             marker_color=colours.get(sector, "grey")))
    labels = [str(i) for i in v.index]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, tickangle=-60 if top > 15 else 0)
    return _layout(fig, title, "ticker", "expected move (%)")


def sector_moves(moves: pd.Series, sectors: pd.Series, colours: Mapping[str, str],
                 title: str = "Expected move by sector (mean and range)") -> go.Figure:
    """moves by ticker (fractions) summarised per sector: the mean as a bar, the sector's lowest and highest
    stock as the error bar; one bar per sector at any number of stocks."""
    g = moves.groupby(sectors.reindex(moves.index).fillna("Unknown"))
    frame = pd.DataFrame({"mean": g.mean(), "low": g.min(), "high": g.max()}).sort_values("mean")
    fig = go.Figure(go.Bar(x=[str(s) for s in frame.index], y=_pct(frame["mean"]),
                           marker_color=[colours.get(str(s), "grey") for s in frame.index],
                           error_y=dict(type="data", symmetric=False, array=_pct(frame["high"] - frame["mean"]),
                                        arrayminus=_pct(frame["mean"] - frame["low"])),
                           hovertemplate="%{x}: mean %{y:.2f}%<extra></extra>"))
    fig.update_xaxes(type="category", tickangle=-30)
    return _layout(fig, title, "sector", "expected move (%)")


def attribution_paths(cumulative: pd.DataFrame, total: str, specific: str, top: int = 8,
                      title: str = "Cumulative contributions (sum of daily parts)") -> go.Figure:
    """cumulative: dates x [factors..., specific, total] (fractions, cumulative sums). The `top` factors by final
    absolute size as lines, the other factors summed into one, specific dashed, the total thick."""
    factors = cumulative.drop(columns=[total, specific])
    keep = factors.iloc[-1].abs().sort_values(ascending=False).index[:top]
    fig = go.Figure()
    for k, col in enumerate(keep):
        fig.add_trace(go.Scatter(x=cumulative.index, y=_pct(factors[col]), mode="lines", name=str(col),
                                 line=dict(width=1.5, color=PALETTE[(k + 2) % len(PALETTE)])))
    rest = factors.drop(columns=keep)
    if rest.shape[1]:
        fig.add_trace(go.Scatter(x=cumulative.index, y=_pct(rest.sum(axis=1)), mode="lines",
                                 name=f"other factors ({rest.shape[1]})", line=dict(width=1.5, color="grey")))
    fig.add_trace(go.Scatter(x=cumulative.index, y=_pct(cumulative[specific]), mode="lines", name=specific,
                             line=dict(width=2, dash="dash", color=PALETTE[1])))
    fig.add_trace(go.Scatter(x=cumulative.index, y=_pct(cumulative[total]), mode="lines", name=total,
                             line=dict(width=3, color=PALETTE[0])))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    return _layout(fig, title, "date", "cumulative contribution (%)")


def horizon_var(frame: pd.DataFrame, horizon: int, title: str, date=None) -> go.Figure:
    """An h-day VaR over a split. frame (core.workbench.horizon.horizon_series): per forecast date "return" (the
    realised h-day return after it), "VaR 95%" / "VaR 99%" (positive losses) and "non-overlapping" (the backtest's
    windows). The overlapping returns as a thin grey line, the -VaR lines, the non-overlapping windows as dots and
    their breaches as crosses per level (counted in the legend)."""
    fig = go.Figure(go.Scatter(x=frame.index, y=_pct(frame["return"]), mode="lines", name=f"{horizon}-day return "
                               "(every date: overlapping)", line=dict(width=1, color="rgba(128,128,128,0.6)")))
    windows = frame[frame["non-overlapping"].astype(bool)]
    fig.add_trace(go.Scatter(x=windows.index, y=_pct(windows["return"]), mode="markers", marker=dict(
        color="rgba(60,60,60,0.9)", size=5), name=f"non-overlapping windows ({len(windows)})"))
    for k, col in enumerate(c for c in frame.columns if c.startswith("VaR ")):
        colour = PALETTE[(k + 1) % len(PALETTE)]
        fig.add_trace(go.Scatter(x=frame.index, y=-_pct(frame[col]), mode="lines", name=f"-{col}",
                                 line=dict(width=1.5, color=colour)))
        hits = windows[windows["return"] < -windows[col]]
        fig.add_trace(go.Scatter(x=hits.index, y=_pct(hits["return"]), mode="markers", marker=dict(
            color=colour, size=9, symbol="x"), name=f"breaches {col}, windows ({len(hits)})"))
    return mark_date(_layout(fig, title, "forecast date", f"{horizon}-day return (%)"), date)


def pit_histogram(shares, title: str = "Calibration: PIT histogram") -> go.Figure:
    """shares (B,): the share of outcomes whose PIT fell in each of B equal bins of [0, 1] (a calibrated forecast
    gives 1/B each: the dashed line); as percentages."""
    shares = np.asarray(shares, dtype=float)
    edges = np.linspace(0.0, 1.0, shares.size + 1)
    labels = [f"{a:.1f}-{b:.1f}" for a, b in zip(edges[:-1], edges[1:])]
    fig = go.Figure(go.Bar(x=labels, y=_pct(shares), marker_color=REPLAY, name="share of outcomes",
                           hovertemplate="PIT %{x}: %{y:.1f}%<extra></extra>"))
    fig.add_hline(y=100.0 / shares.size, line_dash="dash", annotation_text="calibrated")
    fig.update_xaxes(type="category")
    return _layout(fig, title, "PIT of the realised return (forecast CDF)", "share of outcomes (%)")
