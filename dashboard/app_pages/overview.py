"""Overview: dataset, model, split and the headline risk of the chosen portfolio on the date."""
import streamlit as st

from core.workbench.keys import model_label
from core.workbench.var import method_label
from dashboard import downloads, figures, services, state, ui, uploads

sel = state.selection()
st.title("Overview")
with ui.guard():
    p = services.panel(sel.dataset)
    if p.synthetic:
        st.warning("SYNTHETIC dataset: simulated returns with known factors, not market data.")
    split = p.split
    c1, c2, c3 = st.columns(3)
    c1.markdown(f"**Dataset** {uploads.dataset_label(sel.dataset)}  \n{p.n_tickers} stocks, {len(p.dates)} "
                f"{p.frequency} dates, {p.dates[0].date()} .. {p.dates[-1].date()}  \n{p.source}")
    c2.markdown(f"**Model** {model_label(sel.model)}  \n{len(services.forecast_dates(sel.dataset, sel.model))}"
                f" forecast dates")
    if split is not None:
        c3.markdown(f"**Split** train .. {split.train_end.date()}, validation .. {split.valid_end.date()}, "
                    f"test after  \nthis date is in **{ui.split_name(sel.part)}**")
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    r = services.risk(sel.dataset, sel.model, sel.date, weights)
    st.subheader(f"{sel.portfolio.capitalize()} portfolio, forecast at the close of {sel.date} for the next day")
    m = st.columns(6 if r.has_factors else 5)
    h = sel.horizon
    m[0].metric(f"Volatility ({h})", ui.risk(r.vol, h), help="forecast standard deviation of the return")
    m[1].metric(f"VaR 95% ({h})", ui.risk(r.var[0.95], h, sel.value), help="a loss exceeded on 1 day in 20")
    m[2].metric(f"VaR 99% ({h})", ui.risk(r.var[0.99], h, sel.value), help="a loss exceeded on 1 day in 100")
    m[3].metric(f"CVaR 99% ({h})", ui.risk(r.cvar[0.99], h, sel.value),
                help="average loss on the days beyond the 99% VaR")
    if r.has_factors:
        m[4].metric("Factor share", ui.pct(r.factor_share, 1),
                    help="share of the portfolio's forecast variance from the factors (= their share of the Euler "
                         "volatility contributions)")
    m[-1].metric("Next-day return", ui.pct(r.realised), help="realised return of the next trading day")
    st.caption(f"VaR and CVaR as positive losses, from {method_label(r.method)}"
               + (f"; in money for a portfolio of {sel.value:,.0f}" if sel.value else "") + ". "
               + ui.horizon_note(h))
    if r.note:
        pcs = "; the Factor exposures page shows the principal components of its forecast covariance instead" \
            if r.components else ""
        st.info(r.note + pcs)
    colours = figures.sector_colours(p.sectors)
    left, right = st.columns(2)
    with left:
        ui.plot(figures.bar_by_ticker(weights[weights.abs() > 0], p.sectors, colours, "Portfolio weights (held stocks)",
                                      "weight (%)"), "weights")
        ui.legs(weights)
    with right:
        if len(r.contributions):
            ui.plot(figures.bar_by_ticker(r.contributions[weights.reindex(r.contributions.index).abs() > 0], p.sectors,
                                          colours, "Contribution to daily volatility",
                                          "volatility contribution (% per day)"), "risk_contributions")
        else:
            st.info("Per-stock risk contributions need a joint model; this univariate model's portfolio risk "
                    "comes from the portfolio's own history.")

st.subheader("Report")
with ui.guard():
    if st.button("Prepare an HTML report of this view", key="report_go",
                 help="key metrics, weights, exposures, VaR with backtest verdicts, covariance, equity curve and "
                      "model comparison in one self-contained file, readable offline"):
        st.session_state["report_for"] = (sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    if st.session_state.get("report_for") == (sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom):
        page, book = services.report(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom,
                                     st.session_state.get("cmp_live", {}).get(sel.dataset), sel.value or None)
        downloads.offer("Download report (HTML)", page, mime="text/html", key="report_dl",
                        file_name=f"report_{sel.dataset}_{sel.model}_{sel.date}.html")
        downloads.offer("Download its tables (Excel)", book, key="workbook_dl",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        file_name=f"report_{sel.dataset}_{sel.model}_{sel.date}.xlsx")
