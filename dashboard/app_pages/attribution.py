"""Attribution: a period's realised return of the sidebar's weights split into factor contributions and specific
(core.workbench.attribution), the compounding difference on its own line; active against a benchmark."""
import pandas as pd
import streamlit as st

from core.errors import PortfolioError
from core.portfolio.weights import basis, read_weights_csv
from core.workbench.active import BENCHMARKS, benchmark_weights
from core.workbench.attribution import COMPOUNDED, COMPOUNDING, SPECIFIC, SUM, TOTAL
from dashboard import figures_risk, services, state, ui, warmup

NONE = "none"
sel = state.selection()
st.title("Attribution")


def period() -> tuple[str, str]:
    """Two date inputs; by default warmup.attribution_period (the quarter up to the sidebar's date it prepared)."""
    p = services.panel(sel.dataset)
    start, end = (pd.Timestamp(d) for d in warmup.attribution_period(sel))
    lo, hi = p.dates[1].date(), p.dates[-1].date()
    c1, c2 = st.columns(2)
    a = c1.date_input("First day of the period", start.date(), lo, hi, key="attr_start", format="YYYY-MM-DD")
    b = c2.date_input("Last day of the period", end.date(), lo, hi, key="attr_end", format="YYYY-MM-DD")
    return str(a), str(b)


def benchmark() -> tuple[pd.Series | None, list[str]]:
    """The benchmark weights picked (None: attribute the portfolio's own return) and notes about them."""
    c1, c2 = st.columns([1, 2])
    kind = c1.radio("Against a benchmark", [NONE, *BENCHMARKS], format_func=lambda k: BENCHMARKS.get(k, "none"),
                    key="attr_benchmark", horizontal=True,
                    help="with a benchmark, the active weights (portfolio minus benchmark) are attributed")
    if kind == NONE:
        return None, []
    uploaded = None
    if kind == "uploaded":
        file = c2.file_uploader("Benchmark weights CSV (ticker,weight)", type=["csv"], key="attr_csv")
        if file is None:
            st.info("upload a benchmark weights CSV (columns ticker,weight) to attribute the active return")
            return None, []
        try:
            uploaded = read_weights_csv(file.getvalue())
        except PortfolioError as exc:
            st.error(str(exc))
            return None, []
    tickers = list(services.forecast_at(sel.dataset, sel.model, sel.date).tickers)
    return benchmark_weights(tickers, kind, uploaded)


with ui.guard():
    start, end = period()
    bench, notes = benchmark()
    res = services.attribution(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom, start, end, bench)
    held = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    what = "active return against the benchmark" if res.active else "return"
    st.caption(f"The {what} of {ui.holdings_phrase(sel.portfolio, sel.date)}, rebalanced to them every day, over "
               f"{res.daily.index[0].date()}..{res.daily.index[-1].date()} ({len(res.daily)} days): each day's "
               "return = exposures at the close before x the day's factor returns + specific. Factor returns: "
               f"{res.source}. Returns in percent {basis(held)}.")
    ui.legs(held)
    for note in [*notes, *res.notes]:
        st.caption(note)
    s = res.summary
    factors = s.drop([SPECIFIC, SUM, COMPOUNDING, COMPOUNDED])
    m = st.columns(4)
    m[0].metric("Compounded " + ("active return" if res.active else "return"), ui.pct(s[COMPOUNDED]))
    m[1].metric("Factors", ui.pct(float(factors.sum())), help="sum of the factors' daily contributions")
    m[2].metric("Specific", ui.pct(s[SPECIFIC]), help="the part no factor explains: never hidden")
    m[3].metric("Compounding", ui.pct(s[COMPOUNDING]),
                help="compounded return minus the sum of the daily returns (its own line, not spread)")
    ui.plot(figures_risk.attribution_paths(res.cumulative, TOTAL, SPECIFIC), "attribution_paths")
    ui.plot(figures_risk.contributions(s.drop([SUM, COMPOUNDED]), "Contributions over the period", "part"),
            "attribution_parts")
    table = pd.DataFrame({"contribution (%)": 100 * s})
    table["line"] = ["factor"] * len(factors) + ["specific", "sum of the daily parts", "compounding", "total"]
    st.dataframe(table.round(4), width="stretch")
    ui.csv_download(res.daily, "Download the daily parts (CSV)", "attribution_daily.csv")
