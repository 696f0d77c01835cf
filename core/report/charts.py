"""The report's charts: ONE matplotlib builder per chart kind, each returning an inline SVG string through `svg` (text
as text, no scripts, no date stamp), so the report stays one offline file. Series take palette.SERIES in order."""
from __future__ import annotations

import io

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.report.palette import SERIES

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: the dashboard imports this package for its palette
    from matplotlib.figure import Figure

NO_DATA = '<p class="note">no data</p>'
ZERO = dict(color="#999", lw=0.8)  # the zero line of a chart of returns


def svg(fig: Figure) -> str:
    """The figure as an inline <svg> element (no XML header, text as text, no date stamp), shrinking to the page."""
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "neuralfactors"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):].replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _figure(height: float = 3.2) -> tuple[Figure, object]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.5, height))
    ax = fig.add_subplot()
    ax.grid(True, color="#eee")
    ax.set_axisbelow(True)
    return fig, ax


def _percent_axis(axis) -> None:
    from matplotlib import ticker

    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}%"))
    axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))


def _dates_axis(ax) -> None:
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def line_chart(frame: pd.DataFrame, y_label: str, percent: bool = False, mark=None, bold: str | None = None,
               dashed: str | None = None) -> str:
    """One line per column of `frame` (dates x series, at most len(SERIES)); percent: fractions drawn in percent
    about a zero line; mark: a date drawn as a dashed vertical line when inside the dates; `bold` drawn thick,
    `dashed` dashed; the legend below the axes."""
    frame = frame.dropna(how="all")
    if frame.empty:
        return NO_DATA
    fig, ax = _figure()
    scale = 100.0 if percent else 1.0
    for k, col in enumerate(frame.columns):
        ax.plot(frame.index, scale * frame[col], color=SERIES[k % len(SERIES)], lw=2.6 if col == bold else 1.3,
                ls="--" if col == dashed else "-", label=str(col))
    if percent:
        ax.axhline(0, **ZERO)
        _percent_axis(ax.yaxis)
    if mark is not None and frame.index[0] <= pd.Timestamp(mark) <= frame.index[-1]:
        at = pd.Timestamp(mark)
        right_half = at > frame.index[0] + (frame.index[-1] - frame.index[0]) / 2
        ax.axvline(at, color="#888", lw=1, ls=(0, (4, 3)))
        ax.text(at, 0.98, f" {at.date()} ", transform=ax.get_xaxis_transform(), ha="right" if right_half else "left",
                va="top", fontsize=8, color="#555")
    ax.set_ylabel(y_label)
    _dates_axis(ax)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper left", bbox_to_anchor=(0.0, -0.12))
    return svg(fig)


def bar_chart(values: pd.Series, y_label: str, percent: bool = True) -> str:
    """A bar per category (values: (K,) indexed by category, fractions when `percent`), every category labelled."""
    if values.empty:
        return NO_DATA
    fig, ax = _figure(3.6)
    x = np.arange(len(values))
    ax.bar(x, (100.0 if percent else 1.0) * values.to_numpy(dtype=float), color=SERIES[0])
    ax.axhline(0, **ZERO)
    ax.set_xticks(x, [str(i) for i in values.index], rotation=60, ha="right", fontsize=8)
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_ylabel(y_label)
    if percent:
        _percent_axis(ax.yaxis)
    return svg(fig)


def windows_chart(table: pd.DataFrame) -> str:
    """Grouped bars per stress window (table: windows x readings, fractions): replay and factor replay (+- specific
    band as error bars), in percent."""
    fig, ax = _figure(3.6)
    x = np.arange(len(table))
    ax.bar(x - 0.2, 100 * table["replay"], 0.4, label="replay (stocks' own returns)", color=SERIES[0])
    if table["factor replay"].notna().any():
        ax.bar(x + 0.2, 100 * table["factor replay"], 0.4, yerr=100 * table["specific band"], capsize=3,
               label="factor replay (+- specific band, 90%)", color=SERIES[1])
    ax.axhline(0, **ZERO)
    ax.set_xticks(x, [str(i) for i in table.index], rotation=30, ha="right")
    ax.set_ylabel("return over the window")
    _percent_axis(ax.yaxis)
    ax.legend(frameon=False, fontsize=8)
    return svg(fig)


def path_chart(replay: pd.Series, factor: pd.Series | None, band: float, title: str) -> str:
    """Cumulative returns through a window (replay, factor: (T,) by date, fractions) in percent, the factor replay's
    specific band widening as sqrt(days) to `band` at the end."""
    fig, ax = _figure()
    if factor is not None:
        width = band * np.sqrt(np.arange(1, len(factor) + 1) / len(factor))
        ax.fill_between(factor.index, 100 * (factor - width), 100 * (factor + width), color=SERIES[1], alpha=0.18,
                        lw=0, label="specific band (90%)")
        ax.plot(factor.index, 100 * factor, "--", color=SERIES[1], lw=1.6, label="factor replay")
    ax.plot(replay.index, 100 * replay, color=SERIES[0], lw=1.8, label="replay")
    ax.axhline(0, **ZERO)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("cumulative return")
    _percent_axis(ax.yaxis)
    _dates_axis(ax)
    ax.legend(frameon=False, fontsize=8)
    return svg(fig)
