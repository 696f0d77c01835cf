"""Sector clusters: t-SNE of the exposures on the date, coloured by sector, with kNN sector accuracy.
At any universe size: markers only (hover for the name), search labels the stocks asked for and
lists their nearest neighbours on the map. The map is cached per (dataset, model, date). For a model given the
sector as an input, NeuralFactors' score is shown beside its no-sector ablation's (core.workbench.ablation)."""
import streamlit as st

from core.errors import NotAvailable
from core.workbench.ablation import STEP
from dashboard import figures, services, state, ui
from dashboard import figures_universe as fu


def ablation_words(sel: state.Selection) -> str:
    """The chosen model's sector score beside that of the same network trained without the sector input."""
    try:
        day = services.sector_scores(sel.dataset, sel.model, sel.date)
        split = services.split_sector_scores(sel.dataset, sel.model, sel.part)
    except NotAvailable as exc:
        return f"No score without the sector input here: {ui.no_paths(str(exc))}."
    out = (f"kNN sector accuracy of the exposures{' (both networks zero-shot on this universe)' * day.zero_shot}: "
           f"on {sel.date} **{ui.pct(day.with_input, 1)}** with the sector input and "
           f"**{ui.pct(day.without_input, 1)}** without it (the same network trained without the sector input, "
           f"the ablation), chance {ui.pct(day.chance, 1)}")
    if split:
        out += (f"; over the {ui.split_name(sel.part)} split ({split.n_dates} dates, one in {STEP}) "
                f"**{ui.pct(split.with_input, 1)}** with and **{ui.pct(split.without_input, 1)}** without, "
                f"chance {ui.pct(split.chance, 1)}")
    return f"{out}. {'Over the split' if split else 'On this date'}, {(split or day).meaning()}."


sel = state.selection()
st.title("Sector clusters")
st.caption("Stocks with similar exposures sit together; if the model has learnt sector structure, "
           "colours cluster. Change the date in the sidebar to see the map move.")
with ui.guard():
    p = services.panel(sel.dataset)
    emb = services.embedding(sel.dataset, sel.model, sel.date)
    points = emb["points"]
    c1, c2 = st.columns([3, 1])
    search = c1.text_input("Find tickers or names (labelled on the map)", key="tsne_search",
                           placeholder="e.g. AAPL, Harbor")
    top_n = c2.number_input("Show at most", 1, 200, 20, key="tsne_top", help="stocks labelled and listed")
    found = fu.matches(points["ticker"], points.set_index("ticker")["name"], search)[:int(top_n)]
    if fu.search_terms(search) and not found:
        st.info(f"no stock matches {search!r}")
    left, right = st.columns([3, 1])
    with left:
        ui.plot(fu.embedding_map(points, figures.sector_colours(p.sectors),
                                 f"t-SNE of exposures on {sel.date}, {len(points)} stocks", found), "tsne")
    with right:
        st.metric("kNN accuracy, exposures", ui.pct(emb["acc_exposures"], 1))
        st.metric("kNN accuracy, 2-D map", ui.pct(emb["acc_map"], 1))
        st.metric("Chance (largest sector)", ui.pct(emb["chance"], 1))
        st.caption(f"Sector accuracy of a leave-one-out k-nearest-neighbour vote (k = {emb['k']}) in the "
                   "exposure space and in the map; chance = share of the largest sector.")
    if services.sector_input(sel.dataset, sel.model):
        st.warning("This model is given each stock's sector as an input, so its exposures cluster by sector "
                   f"partly by construction. {ablation_words(sel)} Compare with a model that sees returns only, "
                   "such as PPCA (the sector ablation: docs/results.md).", icon=":material/info:")
    if found:
        st.subheader("Nearest stocks on the map")
        st.dataframe(fu.nearest(points, found).round(3), hide_index=True, width="stretch",
                     height=min(38 + 35 * 5 * len(found), 420))
    sizes = points.groupby("sector").size().sort_values(ascending=False).rename("stocks").to_frame()
    with st.expander(f"Stocks per sector ({len(sizes)} sectors)"):
        st.dataframe(sizes, width="stretch")
