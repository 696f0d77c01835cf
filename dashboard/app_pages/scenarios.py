"""Scenarios: joint return scenarios sampled from the model for the portfolio, against history."""
import streamlit as st

from core.workbench.scenarios import history, stock_scenarios
from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Scenarios")
with ui.guard():
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    draws = services.scenarios(sel.dataset, sel.model, sel.date, weights)
    p = services.panel(sel.dataset)
    hist = history(p, sel.date, weights=weights)
    st.caption(f"{len(draws):,} draws of the portfolio's next-day return from the forecast at {sel.date} (seed 0; "
               "a univariate model's come from a GARCH(1,1)-t fitted on the portfolio's own history) against the "
               f"last {len(hist)} daily returns of the same weights up to that date.")
    left, right = st.columns(2)
    with left:
        ui.plot(figures.scenario_histogram(draws, hist), "scenario_histogram")
    with right:
        ui.plot(figures.quantile_plot(draws, hist), "scenario_qq")
    tickers = list(weights.index)
    c1, c2 = st.columns(2)
    a = c1.selectbox("Stock 1", tickers, index=0, key="scen_a")
    b = c2.selectbox("Stock 2", tickers, index=min(1, len(tickers) - 1), key="scen_b")
    if a == b:
        st.warning("pick two different stocks to see their joint distribution")
    else:
        with ui.guard():  # a univariate model says in one line that it has no joint distribution
            pair = stock_scenarios(services.forecast_at(sel.dataset, sel.model, sel.date), (a, b))
            ui.plot(figures.scenario_scatter(pair, history(p, sel.date, tickers=(a, b)), (a, b)),
                    "scenario_pair")
