"""Covariance: forecast vs realised correlation, their difference, eigenvalue spectra, scores over time."""
import streamlit as st

from core.workbench.covariance import COV_HORIZON, MAX_HEATMAP_STOCKS, by_sector as sector_averages, largest_holdings
from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Covariance: forecast vs realised")
h = st.slider("Realised window h (trading days after the date)", 5, 63, COV_HORIZON, key="cov_h")
with ui.guard():
    view = services.covariance_view(sel.dataset, sel.model, sel.date, h)
    n = view["forecast"].shape[0]
    st.caption(f"Realised correlation from the {view['h']} trading days after {sel.date}; "
               f"{n} stocks with complete returns in that window.")
    title = f"Correlation forecast at {sel.date} vs realised over the next {view['h']} days"
    shown, limit = "All stocks", MAX_HEATMAP_STOCKS
    if n > limit:
        top = f"The {limit} largest holdings"
        shown = st.radio("Show", ["Sector averages", top, f"All {n} stocks (slow to draw)"], horizontal=True,
                         key="cov_show", help="Sector averages: the mean correlation of the pairs of stocks within "
                         "and between sectors. Largest holdings: by absolute weight in the chosen portfolio.")
        if shown == top:
            weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
            view = largest_holdings(view, weights)
    if shown == "Sector averages":
        by_sector = sector_averages(view, services.panel(sel.dataset).sectors)
        ui.plot(figures.correlation_heatmaps(by_sector["forecast"], by_sector["realised"],
                                             f"{title}: sector averages", axis="sector"), "correlation")
    else:
        ui.plot(figures.correlation_heatmaps(view["forecast"], view["realised"], title), "correlation")
    left, right = st.columns(2)
    with left:
        ui.plot(figures.eigen_spectra(view["eig_forecast"], view["eig_realised"]), "eigenvalues")
    with right:
        scores = services.covariance_scores(sel.dataset, sel.model, sel.part, h)
        ui.plot(figures.time_series(scores, "Covariance forecast errors (every 5th date)", "score (lower is better)",
                                    date=sel.date), "covariance_scores")
