"""VaR: the portfolio's returns with 95% / 99% VaR bands and exceedances; backtests; models side by side."""
import pandas as pd
import streamlit as st

from core.report.palette import TONE_COLOURS
from core.workbench.keys import model_label
from core.workbench.var import method_label, verdict_table as verdicts
from dashboard import figures, ownership, services, state, ui

sel = state.selection()
st.title("VaR: Value at Risk")


def _colour(row: pd.Series) -> list[str]:
    """The verdict cell in its tone's colour (core.risk.backtest.tone: the one rule), the rest plain."""
    c = TONE_COLOURS.get(row["tone"], "")
    return [f"color: {c}; font-weight: 600" if c and col == "verdict" else "" for col in row.index]


def verdict_table(table: pd.DataFrame) -> None:
    shown = [c for c in table.columns if c != "tone"]
    st.dataframe(table.style.apply(_colour, axis=1), width="stretch", hide_index=True, column_order=shown,
                 column_config={"what it checks": st.column_config.TextColumn(width="large")})


with ui.guard():
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    series = services.var_series(sel.dataset, sel.model, sel.part, weights)
    part = ui.split_name(sel.part)
    now = services.risk(sel.dataset, sel.model, sel.date, weights)
    method = now.method
    m = st.columns(3)
    m[0].metric(f"VaR 95% on {sel.date} ({sel.horizon})", ui.risk(now.var[0.95], sel.horizon, sel.value))
    m[1].metric(f"VaR 99% on {sel.date} ({sel.horizon})", ui.risk(now.var[0.99], sel.horizon, sel.value))
    m[2].metric(f"CVaR 99% on {sel.date} ({sel.horizon})", ui.risk(now.cvar[0.99], sel.horizon, sel.value))
    if sel.horizon != "daily":
        st.caption(ui.horizon_note(sel.horizon) + " The backtest below judges the one-day VaR, as it was forecast.")
    st.caption(f"{sel.portfolio.capitalize()} portfolio with the weights of {sel.date} held fixed, "
               f"over the {part} split: one-day VaR forecast at each close against the next day's return. "
               f"VaR method: {method_label(method)}.")
    ui.plot(figures.var_chart(series["return"], series.drop(columns="return"),
                              f"{model_label(sel.model)}: daily returns and -VaR ({part} split)",
                              date=sel.date), "var")
    st.subheader("Backtests")
    st.caption("Each test at the 5% significance level. Kupiec and Christoffersen use every day of the split; "
               "the Basel traffic light counts 99% VaR breaches in the last 250 days only (green 0-4, yellow 5-9, "
               "red 10 or more) and reads n/a on a shorter split. A verdict is green only when its test passes AND "
               "the breach rate of its VaR level is inside its plausible range; a pass beside an implausible "
               "breach rate is amber.")
    with ui.guard():
        verdict_table(verdicts(series))
    st.subheader("Models side by side")
    others = [m for m in ownership.model_keys(services.panel(sel.dataset)) if m != sel.model]
    chosen = st.multiselect("Compare with", others, default=[], key="var_models",
                            format_func=model_label)
    with ui.guard():
        rows = []
        for m in [sel.model, *chosen]:
            dates = services.forecast_dates(sel.dataset, m)
            d = sel.date if sel.date in dates else dates[-1]
            w = services.portfolio_weights(sel.dataset, m, d, sel.portfolio, sel.custom)
            bt = verdicts(services.var_series(sel.dataset, m, sel.part, w))
            rows.append(bt.assign(model=model_label(m))[["model", *bt.columns.drop("what it checks")]])
        verdict_table(pd.concat(rows, ignore_index=True))
