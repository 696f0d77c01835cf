"""VaR: the portfolio's returns with 95% / 99% VaR bands and exceedances; backtests; models side by side."""
import pandas as pd
import streamlit as st

from dashboard import figures, services, state, ui

sel = state.selection()
st.title("VaR: Value at Risk")
with ui.guard():
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    series = services.var_series(sel.dataset, sel.model, sel.part, weights)
    part = sel.part
    st.caption(f"{sel.portfolio.capitalize()} portfolio with the weights of {sel.date} held fixed, over the "
               f"{part} split: one-day VaR forecast at each close against the next day's return.")
    ui.plot(figures.var_chart(series["return"], series.drop(columns="return"),
                              f"{services.model_label(sel.model)}: daily returns and -VaR ({part} split)"), "var")
    st.subheader("Backtests")
    with ui.guard():
        st.dataframe(services.var_backtest(series), width="stretch")
    st.subheader("Models side by side")
    others = [m for m in services.model_options(sel.dataset) if m != sel.model]
    chosen = st.multiselect("Compare with", others, default=[], key="var_models",
                            format_func=services.model_label)
    with ui.guard():
        rows = []
        for m in [sel.model, *chosen]:
            d = sel.date if sel.date in services.forecast_dates(sel.dataset, m) else services.forecast_dates(sel.dataset, m)[-1]
            w = services.portfolio_weights(sel.dataset, m, d, sel.portfolio, sel.custom)
            bt = services.var_backtest(services.var_series(sel.dataset, m, sel.part, w))
            rows.append(bt.assign(model=services.model_label(m)).reset_index().set_index(["model", "level"]))
        st.dataframe(pd.concat(rows), width="stretch")
