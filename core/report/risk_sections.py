"""The report's committee sections (issue 24): historical stress tests and ex-post attribution of one view, as HTML
strings with charts from core.report.charts. Each section is a function of the report's view (core.report.page.View;
read here: .panel, .forecasts, .date, .weights by ticker) returning the section's body; a view the model cannot serve
raises the project's NotAvailable (the report prints it as a one-line note)."""
from __future__ import annotations

import pandas as pd

from core.portfolio.weights import basis
from core.report import tables
from core.report.charts import line_chart, path_chart, windows_chart
from core.report.palette import SERIES
from core.workbench.attribution import COMPOUNDED, COMPOUNDING, SPECIFIC, SUM, TOTAL
from core.workbench.topn import largest

TOP_N = 12  # rows of a contribution table before the rest is summed
PERCENT = ["replay", "replay (daily rebalanced)", "worst day", "max drawdown", "factor replay", "specific band"]


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(border=0, na_rep="n/a", float_format=lambda v: f"{v:.2f}", escape=True)


def stress_section(v) -> str:
    """Every catalogue window inside the data (else the 21 trading days up to the date): a table and chart of the
    two readings; the worst window's path and its contributions by sector and by factor."""
    date = v.date
    results = tables.stress_results(v)
    table = tables.stress(v, results)
    worst = min(results, key=lambda s: s.replay.result.total)
    rep, fac = worst.replay, worst.factor_replay
    shown = table.drop(columns=["source"]).rename_axis(None)
    shown[PERCENT] = 100 * shown[list(PERCENT)]
    shown = shown.rename(columns={c: f"{c} (%)" for c in PERCENT})
    parts = [f'<p class="note">The weights of {pd.Timestamp(date).date()} bought at the close before each window and '
             "held (replay: the stocks' own returns; stocks without a return proxied through their factor exposures "
             "and listed), beside the factor replay: the window's stock returns projected on today's exposures (factor "
             "returns in today's coordinates, the same for every model), compounded daily, with the model's 90% "
             f"specific band. Returns are percent {basis(v.weights)}.</p>",
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
    date = v.date
    res = tables.attribution_result(v)
    cum = res.cumulative
    factors = cum.drop(columns=[TOTAL, SPECIFIC])
    keep = factors.iloc[-1].abs().sort_values(ascending=False).index[:len(SERIES) - 3]
    lines = factors[keep]
    if factors.shape[1] > len(keep):
        lines = lines.assign(**{f"other factors ({factors.shape[1] - len(keep)})": factors.drop(columns=keep)
                                .sum(axis=1)})
    lines = lines.assign(**{SPECIFIC: cum[SPECIFIC], TOTAL: cum[TOTAL]})
    frame = tables.attribution(v, res)
    table = frame.assign(contribution=100 * frame["contribution"]).rename(
        columns={"contribution": "contribution (%)"}).rename_axis(None)
    return (f'<p class="note">The weights of {pd.Timestamp(date).date()}, rebalanced to them daily, over '
            f"{res.daily.index[0].date()}..{res.daily.index[-1].date()} ({len(res.daily)} days): each day's return "
            "= exposures at the close before x the day's factor returns + specific (they sum to the realised return "
            f"every day); the compounding line closes the period. Factor returns: {res.source}. Returns are percent "
            f"{basis(v.weights)}.</p>"
            + line_chart(lines, "cumulative contribution", percent=True, bold=TOTAL, dashed=SPECIFIC) + _table(table)
            + "".join(f'<p class="note">{n}</p>' for n in res.notes)
            + f'<p class="note">{SUM} + {COMPOUNDING} = {COMPOUNDED}.</p>')
