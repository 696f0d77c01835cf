"""Pure Plotly figure builders: data in, `go.Figure` out. No Streamlit, no model calls.

Which module holds a builder: this one, the charts of the model and portfolio pages (Overview, exposures,
covariance, VaR, lab, scenarios) and what every figure shares (sector colours, layout); figures_risk.py, the
committee pages' (stress tests, shocks, attribution); figures_universe.py, the views built to scale to 500+ stocks
(sector heatmaps with drill-down, search, the t-SNE map). One builder per chart; the report draws its charts with
core/report/charts.py (matplotlib, the offline medium) and both take their colours from core/report/palette.py.

Colours: one colour per sector everywhere, from `sector_colours`. No background colours are
set, so Streamlit's light and dark themes both apply. Every figure has a title and axis
labels with units.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.report.palette import SERIES

PALETTE = list(SERIES) + qualitative.Set2 + qualitative.Pastel1  # the shared series colours first
PNG_CONFIG = {"displaylogo": False}
HEIGHT = 420
DIVERGING = "RdBu_r"


def sector_colours(sectors: Iterable[str]) -> dict[str, str]:
    """A stable sector -> colour map (sorted sector names take the palette in order)."""
    names = sorted({str(s) for s in sectors})
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(names)}


def png_config(filename: str) -> dict:
    """Plotly `config` whose modebar camera button saves a 1280-wide PNG named `filename`."""
    return {**PNG_CONFIG, "toImageButtonOptions": {"format": "png", "filename": filename, "width": 1280,
                                                   "height": 720, "scale": 2}}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=60, b=50))
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def _pct(x) -> np.ndarray:
    return 100.0 * np.asarray(x, dtype=float)


def exposure_heatmap(exposures: pd.DataFrame, sectors: pd.Series, colours: Mapping[str, str],
                     title: str = "Factor exposures (beta)") -> go.Figure:
    """exposures: tickers x factors; rows grouped by sector with a coloured sector strip."""
    order = sectors.reindex(exposures.index).fillna("Unknown").sort_values(kind="stable")
    e = exposures.loc[order.index]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.05, 0.95], shared_yaxes=True, horizontal_spacing=0.01)
    for sector, tickers in order.groupby(order, sort=False):
        fig.add_trace(go.Scatter(x=[0] * len(tickers), y=list(tickers.index), mode="markers", name=sector,
                                 marker=dict(symbol="square", size=14, color=colours.get(sector, "grey")),
                                 hovertemplate="%{y}: " + sector + "<extra></extra>"), 1, 1)
    lim = float(np.nanmax(np.abs(e.to_numpy()))) if e.size else 1.0
    fig.add_trace(go.Heatmap(z=e.to_numpy(), x=list(e.columns), y=list(e.index), colorscale=DIVERGING,
                             zmid=0, zmin=-lim, zmax=lim, colorbar=dict(title="beta"), showlegend=False,
                             hovertemplate="%{y} on %{x}: %{z:.3f}<extra></extra>"), 1, 2)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category")
    _layout(fig, title, "", "", height=max(HEIGHT, 18 * len(e) + 200))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, title_text="sector"),
                      margin=dict(b=130))
    fig.update_xaxes(title_text="factor", row=1, col=2)
    return fig


def mark_date(fig: go.Figure, date, label: str = "selected date") -> go.Figure:
    """A dashed vertical line at `date` across the whole plot (the sidebar's date), labelled."""
    if date is None:
        return fig
    x = pd.Timestamp(date)
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", xref="x",
                  line=dict(color="grey", width=1.5, dash="dash"), name=label)
    fig.add_annotation(x=x, y=1, yref="paper", text=f"{label} {x.date()}", showarrow=False, yanchor="bottom",
                       font=dict(size=11, color="grey"))
    return fig


def time_series(frame: pd.DataFrame, title: str, y_title: str, percent: bool = False,
                colours: Mapping[str, str] | None = None, date=None) -> go.Figure:
    """One line per column of `frame` (dates x series); values x100 when `percent`; `date` marked."""
    fig = go.Figure()
    for col in frame.columns:
        y = _pct(frame[col]) if percent else frame[col].to_numpy(dtype=float)
        colour = (colours or {}).get(str(col))
        fig.add_trace(go.Scatter(x=frame.index, y=y, mode="lines", name=str(col),
                                 line=dict(width=1.5, color=colour)))
    return mark_date(_layout(fig, title, "date", y_title), date)


FACTOR_RETURN_AXIS = "factor return z (per unit of exposure: B z is the daily return)"


def factor_returns_chart(frame: pd.DataFrame, title: str = "Realised factor returns", date=None) -> go.Figure:
    """Realised factor returns z (dates x factors) in the units of the exposures, NOT x100 as percent:
    z is a return per unit of exposure, so B z (exposure 0.004 x z 1.5 = 0.006, 0.6%) is a stock's return."""
    return time_series(frame, title, FACTOR_RETURN_AXIS, percent=False, date=date)


def risk_split(factor_var: float, specific_var: float,
               title: str = "Factor vs specific risk (share of variance)") -> go.Figure:
    """Share of the portfolio's forecast variance from factors and from stock-specific noise."""
    total = factor_var + specific_var
    shares = _pct([factor_var / total, specific_var / total]) if total > 0 else [0.0, 0.0]
    fig = go.Figure(go.Bar(x=["factor", "specific"], y=shares, text=[f"{s:.1f}%" for s in shares],
                           textposition="auto", marker_color=[PALETTE[0], PALETTE[1]]))
    return _layout(fig, title, "source of risk", "share of variance (%)")


def bar_by_ticker(values: pd.Series, sectors: pd.Series, colours: Mapping[str, str], title: str,
                  y_title: str, percent: bool = True, top: int = 30) -> go.Figure:
    """A bar per ticker, coloured by sector (risk contributions, weights); EVERY bar labelled with its
    ticker. Zeros are not drawn (a 30-stock portfolio of 497 shows 30 bars); more than `top` non-zero tickers: the
    `top` largest in absolute value, said in the title."""
    nonzero = values[values.abs() > 0]
    values = nonzero if len(nonzero) else values
    if len(values) > top:
        title = f"{title} (largest {top} of {len(values)})"
        values = values.loc[values.abs().sort_values(ascending=False).index[:top]]
    sec = sectors.reindex(values.index).fillna("Unknown")
    fig = go.Figure()
    for sector in sorted(sec.unique()):
        idx = sec.index[sec == sector]
        y = _pct(values[idx]) if percent else values[idx].to_numpy(dtype=float)
        fig.add_trace(go.Bar(x=[str(i) for i in idx], y=y, name=sector, marker_color=colours.get(sector, "grey")))
    labels = [str(i) for i in values.index]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, tickmode="array",
                     tickvals=labels, ticktext=labels, tickangle=-60 if len(labels) > 15 else 0)
    return _layout(fig, title, "ticker", y_title)


def bar(values: pd.Series, title: str, x_title: str, y_title: str) -> go.Figure:
    """A plain bar chart of a labelled series (e.g. the portfolio's factor exposures)."""
    fig = go.Figure(go.Bar(x=[str(i) for i in values.index], y=values.to_numpy(dtype=float),
                           marker_color=PALETTE[0]))
    return _layout(fig, title, x_title, y_title)


def factor_correlations(corr: pd.DataFrame, names: pd.Series | None = None,
                        title: str = "What the factors are: correlation of factor returns") -> go.Figure:
    """corr: factors x references (market, sectors, style ETFs), in [-1, 1] on a fixed diverging scale;
    rows labelled "f1: <suggested name>" when `names` (factor -> name) is given."""
    rows = [f"{f}: {names[f]}" if names is not None and f in names.index else str(f) for f in corr.index]
    fig = go.Figure(go.Heatmap(z=corr.to_numpy(dtype=float), x=[str(c) for c in corr.columns], y=rows,
                               colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1, colorbar=dict(title="corr"),
                               text=np.round(corr.to_numpy(dtype=float), 2), texttemplate="%{text}",
                               hovertemplate="%{y} vs %{x}: %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "reference return series", "factor (suggested name)",
                   height=max(HEIGHT, 60 + 40 * len(rows)))


def active_risk_bars(contributions: pd.Series, title: str, x_title: str) -> go.Figure:
    """Contributions to the daily tracking error (Euler: they sum to it), in % per day, largest first."""
    values = contributions.reindex(contributions.abs().sort_values(ascending=False).index)
    labels = [str(i) for i in values.index]
    fig = go.Figure(go.Bar(x=labels, y=_pct(values), marker_color=PALETTE[0],
                           hovertemplate="%{x}: %{y:.3f}% per day<extra></extra>"))
    fig.update_xaxes(type="category", tickmode="array", tickvals=labels, ticktext=labels)
    return _layout(fig, title, x_title, "contribution to tracking error (% per day)")


def correlation_heatmaps(forecast: pd.DataFrame, realised: pd.DataFrame, title: str, axis: str = "ticker") -> go.Figure:
    """Forecast, realised and their difference (forecast - realised), side by side; N x N each
    (stocks, or sectors with axis="sector")."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("forecast", "realised", "forecast - realised"),
                        horizontal_spacing=0.06)
    labels = list(forecast.index)
    for k, z in enumerate([forecast, realised, forecast - realised]):
        fig.add_trace(go.Heatmap(z=z.to_numpy(), x=labels, y=labels, colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0,
                                 showscale=k == 0, colorbar=dict(title="corr."),
                                 hovertemplate="%{y} / %{x}: %{z:.2f}<extra></extra>"), 1, k + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=k + 1)
    fig.update_layout(title=title, height=460, margin=dict(l=60, r=20, t=80, b=50))
    fig.update_xaxes(title_text=axis)
    fig.update_yaxes(title_text=axis, row=1, col=1)
    return fig


def eigen_spectra(forecast: np.ndarray, realised: np.ndarray, title: str = "Eigenvalue spectra") -> go.Figure:
    """Eigenvalues (descending) of forecast and realised covariance, in (daily %)^2, log scale."""
    fig = go.Figure()
    for name, vals, colour in (("forecast", forecast, PALETTE[0]), ("realised", realised, PALETTE[1])):
        v = np.sort(np.asarray(vals, dtype=float))[::-1] * 1e4
        fig.add_trace(go.Scatter(x=np.arange(1, len(v) + 1), y=v, mode="lines+markers", name=name,
                                 line=dict(color=colour)))
    fig.update_yaxes(type="log", tickformat="~g")  # plain numbers (0.001, 0.1, 10), not SI prefixes (1m, 1µ)
    return _layout(fig, title, "eigenvalue rank", "eigenvalue ((daily %)^2)")


def var_chart(returns: pd.Series, var: pd.DataFrame, title: str, date=None) -> go.Figure:
    """Realised portfolio returns with -VaR bands; exceedances (loss > VaR) marked per level.

    returns: realised return on each date (the day after the forecast); var: dates x levels
    (columns like "VaR 95%"), VaR as a positive loss. `date`: the selected date, marked.
    """
    fig = go.Figure(go.Scatter(x=returns.index, y=_pct(returns), mode="lines", name="portfolio return",
                               line=dict(width=1, color="rgba(128,128,128,0.8)")))
    for k, col in enumerate(var.columns):
        colour = PALETTE[(k + 1) % len(PALETTE)]
        fig.add_trace(go.Scatter(x=var.index, y=-_pct(var[col]), mode="lines", name=f"-{col}",
                                 line=dict(width=1.5, color=colour)))
        hit = returns.reindex(var.index) < -var[col]
        hits = returns.reindex(var.index)[hit]
        fig.add_trace(go.Scatter(x=hits.index, y=_pct(hits), mode="markers", name=f"breaches {col} ({len(hits)})",
                                 marker=dict(color=colour, size=8, symbol="x")))
    return mark_date(_layout(fig, title, "date", "daily return (%)"), date)


def frontier(points: pd.DataFrame, marks: pd.DataFrame | None = None,
             title: str = "Efficient frontier") -> go.Figure:
    """points: columns vol, ret (annualised, fractions) along the frontier; marks: named portfolios
    (index = name, columns vol, ret)."""
    fig = go.Figure(go.Scatter(x=_pct(points["vol"]), y=_pct(points["ret"]), mode="lines+markers",
                               name="frontier", line=dict(color=PALETTE[0])))
    if marks is not None:
        for k, (name, row) in enumerate(marks.iterrows()):
            fig.add_trace(go.Scatter(x=[100 * row["vol"]], y=[100 * row["ret"]], mode="markers", name=str(name),
                                     marker=dict(size=13, symbol="diamond", color=PALETTE[(k + 1) % len(PALETTE)])))
    return _layout(fig, title, "forecast volatility (% per year)", "forecast return (% per year)")


#: one colour per strategy whichever strategies are drawn (the benchmark keeps its colour when the
#: re-optimised strategies are switched on)
STRATEGY_COLOURS = {"chosen portfolio (fixed weights)": PALETTE[0], "equal weight": PALETTE[1],
                    "minimum variance": PALETTE[2], "mean-variance": PALETTE[4]}
BENCHMARK_COLOUR = "#7f7f7f"


def strategy_colour(name: str) -> str | None:
    return BENCHMARK_COLOUR if str(name).startswith("benchmark") else STRATEGY_COLOURS.get(str(name))


def equity_curves(values: pd.DataFrame, title: str = "Backtest: growth of 1", date=None) -> go.Figure:
    """values: dates x strategies, growth of 1 unit invested; fixed colour per strategy."""
    return time_series(values, title, "value of 1 invested", colours={c: strategy_colour(c) for c in values.columns},
                       date=date)


def scenario_histogram(scenarios: np.ndarray, history: np.ndarray,
                       title: str = "Portfolio return: model scenarios vs history") -> go.Figure:
    """Overlaid density histograms of simulated and historical daily portfolio returns."""
    fig = go.Figure()
    for name, x, colour in (("model scenarios", scenarios, PALETTE[0]), ("history", history, PALETTE[1])):
        fig.add_trace(go.Histogram(x=_pct(x), name=f"{name} (n={len(x)})", histnorm="probability density",
                                   opacity=0.55, nbinsx=80, marker_color=colour))
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, "daily portfolio return (%)", "density (1/%)")


def scenario_scatter(scenarios: np.ndarray, history: np.ndarray, names: tuple[str, str],
                     title: str = "Joint returns of two stocks") -> go.Figure:
    """scenarios, history: (n, 2) daily returns of two stocks."""
    fig = go.Figure()
    for name, xy, colour in (("history", history, PALETTE[1]), ("model scenarios", scenarios, PALETTE[0])):
        fig.add_trace(go.Scattergl(x=_pct(xy[:, 0]), y=_pct(xy[:, 1]), mode="markers", name=name,
                                   marker=dict(size=4, opacity=0.45, color=colour)))
    return _layout(fig, title, f"{names[0]} daily return (%)", f"{names[1]} daily return (%)", height=480)


def quantile_plot(scenarios: np.ndarray, history: np.ndarray,
                  title: str = "Quantiles: model scenarios vs history") -> go.Figure:
    """Q-Q plot of historical against simulated portfolio returns, with the 45-degree line."""
    q = np.linspace(0.005, 0.995, 199)
    qs, qh = _pct(np.quantile(scenarios, q)), _pct(np.quantile(history, q))
    lo, hi = float(min(qs.min(), qh.min())), float(max(qs.max(), qh.max()))
    fig = go.Figure([go.Scatter(x=qs, y=qh, mode="markers", name="quantiles", marker=dict(color=PALETTE[0])),
                     go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="equal",
                                line=dict(dash="dash", color="grey"))])
    return _layout(fig, title, "model quantile (daily %)", "historical quantile (daily %)")
