"""Covariance: forecast vs realised correlation, their difference, eigenvalue spectra, scores over time."""
import streamlit as st

from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Covariance: forecast vs realised")
h = st.slider("Realised window h (trading days after the date)", 5, 63, 21, key="cov_h")
with ui.guard():
    view = services.covariance_view(sel.dataset, sel.model, sel.date, h)
    st.caption(f"Realised correlation from the {view['h']} trading days after {sel.date}; "
               f"{view['forecast'].shape[0]} stocks with complete returns in that window.")
    ui.plot(figures.correlation_heatmaps(view["forecast"], view["realised"],
                                         f"Correlation forecast at {sel.date} vs realised over the next {view['h']} days"),
            "correlation")
    left, right = st.columns(2)
    with left:
        ui.plot(figures.eigen_spectra(view["eig_forecast"], view["eig_realised"]), "eigenvalues")
    with right:
        scores = services.covariance_scores(sel.dataset, sel.model, sel.part, h)
        ui.plot(figures.time_series(scores, "Covariance forecast errors (every 5th date)", "score (lower is better)",
                                    date=sel.date), "covariance_scores")
