"""VaR: the portfolio's returns with 95% / 99% VaR bands and exceedances; backtests; models side by side."""
import pandas as pd
import streamlit as st

from core.workbench.keys import model_label
from core.workbench.sources import model_keys
from core.workbench.var import verdict_table as verdicts
from dashboard import figures, services, state, ui

sel = state.selection()
st.title("VaR: Value at Risk")
VERDICT_COLOURS = {"pass": "#2ca02c", "plausible": "#2ca02c", "green zone": "#2ca02c", "yellow zone": "#d4a017",
                   "reject at 5%": "#d62728", "red zone": "#d62728"}


def _colour(v: str) -> str:
    c = VERDICT_COLOURS.get(v, "#d62728" if str(v).startswith("implausible") else "")
    return f"color: {c}; font-weight: 600" if c else ""


def verdict_table(table: pd.DataFrame) -> None:
    st.dataframe(table.style.map(_colour, subset=["verdict"]), width="stretch", hide_index=True,
                 column_config={"what it checks": st.column_config.TextColumn(width="large")})


with ui.guard():
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    series = services.var_series(sel.dataset, sel.model, sel.part, weights)
    part = ui.split_name(sel.part)
    st.caption(f"{sel.portfolio.capitalize()} portfolio with the weights of {sel.date} held fixed, "
               f"over the {part} split: one-day VaR forecast at each close against the next day's return.")
    if not services.forecasts(sel.dataset, sel.model).series.joint:
        st.info("Univariate model: the portfolio's VaR comes from a GARCH(1,1)-t fitted on the portfolio's own "
                "daily returns up to each date (refit every 20 dates), never from the stocks combined as if "
                "independent.")
    ui.plot(figures.var_chart(series["return"], series.drop(columns="return"),
                              f"{model_label(sel.model)}: daily returns and -VaR ({part} split)",
                              date=sel.date), "var")
    st.subheader("Backtests")
    st.caption("Each test at the 5% significance level. Kupiec and Christoffersen use every day of the split; "
               "the Basel traffic light counts 99% VaR breaches in the last 250 days only (green 0-4, yellow 5-9, "
               "red 10 or more), so it can be green while Kupiec rejects.")
    with ui.guard():
        verdict_table(verdicts(series))
    st.subheader("Models side by side")
    others = [m for m in model_keys(services.panel(sel.dataset)) if m != sel.model]
    chosen = st.multiselect("Compare with", others, default=[], key="var_models",
                            format_func=model_label)
    with ui.guard():
        rows = []
        for m in [sel.model, *chosen]:
            dates = services.forecast_dates(sel.dataset, m)
            d = sel.date if sel.date in dates else dates[-1]
            w = services.portfolio_weights(sel.dataset, m, d, sel.portfolio, sel.custom)
            bt = verdicts(services.var_series(sel.dataset, m, sel.part, w))
            rows.append(bt.assign(model=model_label(m))[["model", *bt.columns[:-1]]])
        verdict_table(pd.concat(rows, ignore_index=True))
