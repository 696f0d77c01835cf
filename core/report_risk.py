"""The report's committee sections (issue 24): historical stress tests and ex-post attribution of one view, as HTML
strings with charts drawn by matplotlib as small inline SVG (text kept as text, no scripts), so the report stays
one offline file. Each section is a function of the report's view (core.report.View; read here: .panel, .forecasts,
.date, .weights by ticker) returning the section's body; a view the model cannot serve raises the project's
NotAvailable (the report prints it as a one-line note)."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from matplotlib import dates as mdates, rc_context, ticker
from matplotlib.figure import Figure

from core.workbench.attribution import COMPOUNDED, COMPOUNDING, SPECIFIC, SUM, TOTAL, attribution
from core.workbench.stress import Window, stress_tests, summary_table, windows_in
from core.workbench.topn import largest

TOP_N = 12  # rows of a contribution table / lines of a chart before the rest is summed
QUARTER = 63  # trading days of the default attribution period
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
PERCENT = ["replay", "replay (daily rebalanced)", "worst day", "max drawdown", "factor replay", "specific band"]
_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.S)


def svg(fig: Figure) -> str:
    """The figure as an inline <svg> element (no XML header, text as text, no date stamp), shrinking to the page."""
    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "neuralfactors"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return _SVG_HEAD.sub("", buf.getvalue(), count=1).replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _figure(height: float = 3.2) -> tuple[Figure, object]:
    fig = Figure(figsize=(9.5, height))
    ax = fig.add_subplot()
    ax.grid(True, color="#eee")
    ax.set_axisbelow(True)
    return fig, ax


def _percent_axis(axis) -> None:
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}%"))
    axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))


def _dates_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(border=0, na_rep="n/a", float_format=lambda v: f"{v:.2f}", escape=True)


def windows_chart(table: pd.DataFrame) -> str:
    """Grouped bars per window: replay and factor replay (+- specific band as error bars), in percent."""
    fig, ax = _figure(3.6)
    x = np.arange(len(table))
    ax.bar(x - 0.2, 100 * table["replay"], 0.4, label="replay (stocks' own returns)", color=COLOURS[0])
    if table["factor replay"].notna().any():
        ax.bar(x + 0.2, 100 * table["factor replay"], 0.4, yerr=100 * table["specific band"], capsize=3,
               label="factor replay (+- specific band, 90%)", color=COLOURS[1])
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xticks(x, [str(i) for i in table.index], rotation=30, ha="right")
    ax.set_ylabel("return over the window")
    _percent_axis(ax.yaxis)
    ax.legend(frameon=False, fontsize=8)
    return svg(fig)


def path_chart(replay: pd.Series, factor: pd.Series | None, band: float, title: str) -> str:
    """Cumulative returns through a window (percent), the factor replay's specific band widening as sqrt(days)."""
    fig, ax = _figure()
    if factor is not None:
        width = band * np.sqrt(np.arange(1, len(factor) + 1) / len(factor))
        ax.fill_between(factor.index, 100 * (factor - width), 100 * (factor + width), color=COLOURS[1], alpha=0.18,
                        lw=0, label="specific band (90%)")
        ax.plot(factor.index, 100 * factor, "--", color=COLOURS[1], lw=1.6, label="factor replay")
    ax.plot(replay.index, 100 * replay, color=COLOURS[0], lw=1.8, label="replay")
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("cumulative return")
    _percent_axis(ax.yaxis)
    _dates_axis(ax)
    ax.legend(frameon=False, fontsize=8)
    return svg(fig)


def lines_chart(frame: pd.DataFrame, y_label: str, bold: str | None = None, dashed: str | None = None) -> str:
    """One line per column (at most len(COLOURS); dates x series, fractions) in percent; `bold` drawn thick,
    `dashed` dashed; the legend below the axes."""
    fig, ax = _figure()
    for k, col in enumerate(frame.columns):
        ax.plot(frame.index, 100 * frame[col], color=COLOURS[k % len(COLOURS)], lw=2.6 if col == bold else 1.3,
                ls="--" if col == dashed else "-", label=str(col))
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_ylabel(y_label)
    _percent_axis(ax.yaxis)
    _dates_axis(ax)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper left", bbox_to_anchor=(0.0, -0.12))
    return svg(fig)


def _windows(panel, date) -> list[Window]:
    """The catalogue's windows inside the data, else the 21 trading days up to `date`."""
    inside = windows_in(panel)
    if inside:
        return inside
    end = panel.dates[panel.dates.searchsorted(pd.Timestamp(date), "right") - 1]
    start = panel.dates[max(panel.dates.get_loc(end) - 20, 1)]
    return [Window(f"{start.date()}..{end.date()}", start, end,
                   "no catalogue window lies inside the data: the 21 trading days up to the forecast date")]


def stress_section(v) -> str:
    """Every catalogue window inside the data (else the 21 trading days up to the date): a table and chart of the
    two readings; the worst window's path and its contributions by sector and by factor."""
    date = v.date
    results = stress_tests(v.panel, v.forecasts, date, v.weights, _windows(v.panel, date))
    table = summary_table(results)
    worst = min(results, key=lambda s: s.replay.result.total)
    rep, fac = worst.replay, worst.factor_replay
    shown = table.drop(columns=["source"])
    shown[PERCENT] = 100 * shown[list(PERCENT)]
    shown = shown.rename(columns={c: f"{c} (%)" for c in PERCENT})
    parts = [f'<p class="note">The weights of {pd.Timestamp(date).date()} bought at the close before each window and '
             "held (replay: the stocks' own returns; stocks without a return proxied through their factor exposures "
             "and listed), beside the factor replay: the window's realised factor returns through today's exposures, "
             "with the 90% specific band.</p>",
             windows_chart(table), _table(shown),
             "<p class=\"note\">Sources of the windows' dates: "
             + "; ".join(f"{n}: {s}" for n, s in table["source"].items()) + ".</p>",
             f"<h3>Worst window: {worst.window.name}</h3>",
             path_chart(rep.result.path, fac.result.path if fac else None, fac.band if fac else 0.0,
                        f"{worst.window.name}: cumulative return")]
    sector = pd.DataFrame({"replay contribution (%)": 100 * largest(rep.by_sector, TOP_N)})
    parts.append("<h4>Contributions by sector</h4>" + _table(sector))
    if fac is not None:
        parts.append(f"<h4>Contributions by factor (factor returns: {fac.source})</h4>"
                     + _table(pd.DataFrame({"factor replay contribution (%)": 100 * largest(fac.by_factor, TOP_N)})))
    notes = worst.notes + ([f"{len(rep.proxied)} stocks proxied: " + ", ".join(list(rep.proxied)[:20])]
                           if rep.proxied else [])
    parts += [f'<p class="note">{n}</p>' for n in notes]
    return "".join(parts)


def attribution_section(v) -> str:
    """The quarter (63 forecast dates) up to the date: cumulative contributions chart and the period's table, the
    specific and compounding lines shown."""
    date, dates = v.date, v.forecasts.series.dates
    pos = dates.get_loc(pd.Timestamp(date))
    start = dates[max(pos - (QUARTER - 1), min(1, len(dates) - 1))]
    res = attribution(v.panel, v.forecasts, v.weights, start, date)
    cum = res.cumulative
    factors = cum.drop(columns=[TOTAL, SPECIFIC])
    keep = factors.iloc[-1].abs().sort_values(ascending=False).index[:len(COLOURS) - 3]
    lines = factors[keep]
    if factors.shape[1] > len(keep):
        lines = lines.assign(**{f"other factors ({factors.shape[1] - len(keep)})": factors.drop(columns=keep)
                                .sum(axis=1)})
    lines = lines.assign(**{SPECIFIC: cum[SPECIFIC], TOTAL: cum[TOTAL]})
    s = res.summary
    kind = ["factor"] * (len(s) - 4) + ["specific", "sum of the daily parts", "compounding", "total"]
    table = pd.DataFrame({"contribution (%)": 100 * s, "line": kind})
    return (f'<p class="note">The weights of {pd.Timestamp(date).date()}, rebalanced to them daily, over '
            f"{res.daily.index[0].date()}..{res.daily.index[-1].date()} ({len(res.daily)} days): each day's return "
            "= exposures at the close before x the day's factor returns + specific (they sum to the realised return "
            f"every day); the compounding line closes the period. Factor returns: {res.source}.</p>"
            + lines_chart(lines, "cumulative contribution", bold=TOTAL, dashed=SPECIFIC) + _table(table)
            + "".join(f'<p class="note">{n}</p>' for n in res.notes)
            + f'<p class="note">{SUM} + {COMPOUNDING} = {COMPOUNDED}.</p>')
