"""Model comparison: the evaluation table for the chosen split, with the paper's numbers for orientation."""
import pandas as pd
import streamlit as st

from dashboard import services, state, ui

sel = state.selection()
st.title("Model comparison")
split = st.radio("Split", ["valid", "test"], horizontal=True, key="cmp_split")
with ui.guard():
    table = services.metrics_table(sel.dataset, split)
    if table.empty:
        st.info("no shipped evaluation for this dataset yet; compute it below (fits the fast models on the spot)")
    else:
        st.dataframe(table, width="stretch")
        ui.csv_download(table, "Download table (CSV)", f"evaluation_{split}.csv")
    models = st.multiselect("Evaluate now", services.model_options(sel.dataset), key="cmp_models",
                            default=[m for m in services.model_options(sel.dataset)[:3]],
                            format_func=services.model_label)
    if st.button("Evaluate", key="cmp_go") and models:
        live = services.evaluate(sel.dataset, tuple(models), split)
        st.dataframe(live, width="stretch")
        ui.csv_download(live, "Download evaluation (CSV)", f"evaluation_live_{split}.csv")

st.subheader("The paper's numbers, for orientation")
st.caption("From Gopal (2024), S&P 500 test period 2019-2023: different data, universe and period from "
           "ours, so compare the ORDER of models, not the numbers.")
st.dataframe(pd.DataFrame(services.PAPER_TABLE).set_index("model"), width="stretch")
