"""Sector clusters: t-SNE of the exposures on the date, coloured by sector, with kNN sector accuracy."""
import streamlit as st

from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Sector clusters")
st.caption("Stocks with similar exposures sit together; if the model has learnt sector structure, "
           "colours cluster. Change the date in the sidebar to see the map move.")
with ui.guard():
    p = services.panel(sel.dataset)
    emb = services.embedding(sel.dataset, sel.model, sel.date)
    left, right = st.columns([3, 1])
    with left:
        ui.plot(figures.embedding_scatter(emb["points"], figures.sector_colours(p.sectors),
                                          f"t-SNE of exposures on {sel.date}"), "tsne")
    with right:
        st.metric("kNN accuracy, exposures", ui.pct(emb["acc_exposures"], 1))
        st.metric("kNN accuracy, 2-D map", ui.pct(emb["acc_map"], 1))
        st.metric("Chance (largest sector)", ui.pct(emb["chance"], 1))
        st.caption(f"Sector accuracy of a leave-one-out k-nearest-neighbour vote (k = {emb['k']}) in the "
                   "exposure space and in the map; chance = share of the largest sector.")
