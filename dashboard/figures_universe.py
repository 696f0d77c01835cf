"""Pure Plotly builders (and the row picking they display) for large universes: 500+ stocks.

Data in, `go.Figure` or DataFrame out; no Streamlit, no model calls. Readable at any N: a
sector-level heatmap (one row per sector) with a drill-down to the top-N stocks of a sector,
ticker / name search, and a t-SNE map that labels only the stocks asked for. Sector colours
come from dashboard.figures.sector_colours, as everywhere else.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import DIVERGING, HEIGHT

#: stocks labelled on a map / rows in a drill-down by default
TOP_N = 30
LABEL_ALL_BELOW = 60
ROW_PX = 18


def search_terms(text: str) -> list[str]:
    """"aapl, Harbor " -> ["aapl", "harbor"]: comma or space separated, lower case."""
    return [t for t in text.replace(",", " ").lower().split() if t]


def matches(tickers: Iterable[str], names: pd.Series | None, text: str) -> list[str]:
    """Tickers whose ticker or name contains any search term (case-insensitive), in input order."""
    terms = search_terms(text)
    tickers = list(tickers)
    if not terms:
        return []
    names = (names if names is not None else pd.Series(dtype=str)).reindex(tickers).fillna("").astype(str)
    out = []
    for t in tickers:
        hay = f"{t} {names[t]}".lower()
        if any(term in hay for term in terms):
            out.append(t)
    return out


def sector_means(exposures: pd.DataFrame, sectors: pd.Series) -> pd.DataFrame:
    """Sectors x factors mean exposure, with an `n` column (stocks per sector), largest sector first."""
    sec = sectors.reindex(exposures.index).fillna("Unknown").rename("sector")
    out = exposures.groupby(sec).mean()
    out.insert(0, "n", sec.value_counts())
    return out.sort_values("n", ascending=False, kind="stable")


def pick_rows(exposures: pd.DataFrame, sectors: pd.Series, names: pd.Series | None = None, sector: str | None = None,
              search: str = "", top_n: int = TOP_N) -> list[str]:
    """The stocks a drill-down shows: those matching `search` when given (else all), within `sector`
    when given, largest total absolute exposure first, at most `top_n`."""
    sec = sectors.reindex(exposures.index).fillna("Unknown")
    rows = exposures.index if sector is None else exposures.index[sec == sector]
    if search_terms(search):
        rows = pd.Index(matches(rows, names, search))
    size = exposures.loc[rows].abs().sum(axis=1).sort_values(ascending=False, kind="stable")
    return list(size.index[:max(int(top_n), 1)])


def sector_heatmap(means: pd.DataFrame, title: str, unit: str = "beta", axis: str = "factor") -> go.Figure:
    """means: sector_means output (an `n` column, then factors or components); one row per sector;
    `unit` names the values (colour bar, hover), `axis` the columns."""
    z = means.drop(columns="n")
    labels = [f"{s} ({int(n)})" for s, n in means["n"].items()]
    lim = float(np.nanmax(np.abs(z.to_numpy()))) if z.size else 1.0
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[str(c) for c in z.columns], y=labels, colorscale=DIVERGING,
                               zmid=0, zmin=-lim, zmax=lim, colorbar=dict(title=f"mean {unit}"),
                               text=np.round(z.to_numpy(), 3), texttemplate="%{text}" if z.shape[1] <= 12 else None,
                               hovertemplate=f"%{{y}} on %{{x}}: mean {unit} %{{z:.3f}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", title_text="sector (stocks)", automargin=True)
    fig.update_xaxes(title_text=axis)
    fig.update_layout(title=title, height=max(HEIGHT, 28 * len(labels) + 160), margin=dict(l=60, r=20, t=60, b=50))
    return fig


def stock_heatmap(exposures: pd.DataFrame, sectors: pd.Series, title: str, unit: str = "beta",
                  axis: str = "factor") -> go.Figure:
    """exposures: a few stocks x factors or components (pick_rows first); rows labelled "TICKER · sector", in the
    given order; `unit` names the values, `axis` the columns."""
    sec = sectors.reindex(exposures.index).fillna("Unknown")
    labels = [f"{t} · {s}" for t, s in sec.items()]
    lim = float(np.nanmax(np.abs(exposures.to_numpy()))) if exposures.size else 1.0
    fig = go.Figure(go.Heatmap(z=exposures.to_numpy(), x=[str(c) for c in exposures.columns], y=labels,
                               colorscale=DIVERGING, zmid=0, zmin=-lim, zmax=lim, colorbar=dict(title=unit),
                               hovertemplate=f"%{{y}} on %{{x}}: {unit} %{{z:.3f}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", title_text="stock · sector", automargin=True)
    fig.update_xaxes(title_text=axis)
    fig.update_layout(title=title, height=max(HEIGHT, ROW_PX * len(labels) + 160), margin=dict(l=60, r=20, t=60, b=50))
    return fig


def embedding_map(points: pd.DataFrame, colours: Mapping[str, str], title: str,
                  highlight: Iterable[str] = ()) -> go.Figure:
    """points: columns x, y, ticker, name, sector. Every stock a marker (WebGL), hover for its name;
    text labels only on `highlight` (ringed) or on every stock when there are few."""
    highlight = set(highlight)
    label_all = len(points) <= LABEL_ALL_BELOW
    fig = go.Figure()
    for sector, grp in points.groupby("sector", sort=True):
        fig.add_trace(go.Scattergl(
            x=grp["x"], y=grp["y"], mode="markers+text" if label_all else "markers", name=f"{sector} ({len(grp)})",
            text=grp["ticker"] if label_all else None, textposition="top center",
            customdata=np.c_[grp["ticker"], grp["name"], grp["sector"]],
            marker=dict(size=11 if label_all else 7, color=colours.get(str(sector), "grey"), opacity=0.85),
            hovertemplate="%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}<extra></extra>"))
    hit = points[points["ticker"].isin(highlight)]
    if len(hit):
        fig.add_trace(go.Scatter(
            x=hit["x"], y=hit["y"], mode="markers+text", name=f"found ({len(hit)})", text=hit["ticker"],
            textposition="top center", marker=dict(size=15, color="rgba(0,0,0,0)", line=dict(width=2, color="black")),
            customdata=np.c_[hit["ticker"], hit["name"], hit["sector"]],
            hovertemplate="%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}<extra></extra>"))
    fig.update_layout(title=title, height=560, margin=dict(l=60, r=20, t=60, b=50), legend=dict(title_text="sector"))
    fig.update_xaxes(title_text="t-SNE 1 (arbitrary units)")
    fig.update_yaxes(title_text="t-SNE 2 (arbitrary units)")
    return fig


def nearest(points: pd.DataFrame, tickers: Iterable[str], k: int = 5) -> pd.DataFrame:
    """For each of `tickers`, its k nearest stocks on the map: columns ticker, neighbour, sector, distance."""
    xy = points[["x", "y"]].to_numpy(dtype=float)
    rows = []
    pos = {t: i for i, t in enumerate(points["ticker"])}
    for t in tickers:
        if t not in pos:
            continue
        d = np.hypot(*(xy - xy[pos[t]]).T)
        for j in np.argsort(d, kind="stable")[1:k + 1]:
            rows.append({"ticker": t, "neighbour": points["ticker"].iloc[j], "sector": points["sector"].iloc[j],
                         "distance": float(d[j])})
    return pd.DataFrame(rows, columns=["ticker", "neighbour", "sector", "distance"])
