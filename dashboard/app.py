"""NeuralFactors dashboard: navigation and the sidebar of global choices.

Run: `neuralfactors dashboard` (or `streamlit run dashboard/app.py`). The choices (dataset,
model, date, portfolio) live in the sidebar so they persist across pages, and in the URL.
"""
from __future__ import annotations

import streamlit as st

from core.errors import NeuralFactorsError
from dashboard import services, state

st.set_page_config(page_title="NeuralFactors", page_icon=":material/insights:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/exposures.py", title="Factor exposures", icon=":material/grid_on:"),
    st.Page("app_pages/clusters.py", title="Sector clusters", icon=":material/bubble_chart:"),
    st.Page("app_pages/covariance.py", title="Covariance", icon=":material/blur_on:"),
    st.Page("app_pages/var.py", title="VaR", icon=":material/warning:"),
    st.Page("app_pages/lab.py", title="Portfolio lab", icon=":material/tune:"),
    st.Page("app_pages/comparison.py", title="Model comparison", icon=":material/table_chart:"),
    st.Page("app_pages/scenarios.py", title="Scenarios", icon=":material/scatter_plot:"),
    st.Page("app_pages/your_data.py", title="Your data", icon=":material/upload_file:"),
]


def sidebar() -> state.Selection | None:
    state.seed_from_query()
    st.sidebar.title("NeuralFactors")
    datasets = services.dataset_options()
    state.ensure_option("dataset", datasets, "sp500-20")
    dataset = st.sidebar.selectbox("Dataset", datasets, key="dataset", format_func=services.dataset_label)
    if dataset == "synthetic":
        st.sidebar.warning("SYNTHETIC data: a simulated market with known factors, not real prices.")
    models = services.model_options(dataset)
    if not models:
        st.sidebar.error("no model has outputs on this dataset; pick another dataset")
        return None
    state.ensure_option("model", models, models[0])
    model = st.sidebar.selectbox("Model", models, key="model", format_func=services.model_label)
    dates = services.forecast_dates(dataset, model)
    state.ensure_option("date", dates, dates[max(len(dates) - 1 - services.COV_HORIZON, 0)])
    date = st.sidebar.select_slider("Forecast date (close)", dates, key="date",
                                    help="the forecast made at this close, for the next trading day")
    state.ensure_option("portfolio", list(services.PORTFOLIOS), services.PORTFOLIOS[0])
    portfolio = st.sidebar.selectbox("Portfolio", services.PORTFOLIOS, key="portfolio")
    st.session_state.setdefault("w", "")
    sel = state.Selection(dataset, model, date, portfolio, st.session_state["w"], services.split_of(dataset, date))
    if portfolio == "custom":
        tickers = services.forecast_at(dataset, model, date).tickers
        if not sel.custom:
            st.sidebar.warning("no custom weights yet: edit them in the Portfolio lab and press "
                               "'Use as the custom portfolio'; equal weights meanwhile")
        for problem in services.check_custom(services.parse_weights(sel.custom), tickers) if sel.custom else []:
            st.sidebar.warning(f"custom weights: {problem}. Shown meanwhile: unknown tickers dropped, "
                               "weights rescaled to sum to 1.")
    st.sidebar.caption(f"{services.dataset_label(dataset)} · {services.model_label(model)} · "
                       f"{sel.part} split")
    return sel


try:
    selection = sidebar()
except NeuralFactorsError as exc:
    st.error(str(exc))
    selection = None
if selection is not None:
    state.publish(selection)
    st.navigation(PAGES).run()
else:
    st.navigation(PAGES[-1:]).run()
