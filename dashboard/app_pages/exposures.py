"""Factor exposures: stocks x factors beta on the date, the portfolio's exposures over time,
realised factor returns, factor vs specific risk."""
import streamlit as st

from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Factor exposures")
with ui.guard():
    p = services.panel(sel.dataset)
    colours = figures.sector_colours(p.sectors)
    beta = services.exposures_table(sel.dataset, sel.model, sel.date)
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    r = services.risk(sel.dataset, sel.model, sel.date, weights)
    st.metric("Factor share of portfolio volatility", ui.pct(r.factor_share, 1))
    if beta.shape[1] > 40:
        st.caption(f"{beta.shape[1]} factors (a full-covariance model written in factor form): "
                   "the 40 largest are shown.")
        beta = beta[beta.abs().sum().sort_values(ascending=False).index[:40]]
    ui.plot(figures.exposure_heatmap(beta, p.sectors, colours, f"Exposures (beta) on {sel.date}, grouped by sector"),
            "exposure_heatmap")
    left, right = st.columns([2, 1])
    with left:
        y = services.exposures_over_time(sel.dataset, sel.model, sel.part, weights)
        ui.plot(figures.time_series(y.iloc[:, :10], f"{sel.portfolio.capitalize()} portfolio exposures over time",
                                    "exposure (beta units)"), "portfolio_exposures")
    with right:
        ui.plot(figures.risk_split(r.factor_share, 1.0 - r.factor_share, "Factor vs specific risk"), "risk_split")
    with ui.guard():
        fr = services.factor_returns(sel.dataset, sel.model, sel.part)
        ui.plot(figures.time_series(fr.iloc[:, :10], "Realised factor returns", "factor return (% per day)",
                                    percent=True), "factor_returns")
