"""NeuralFactors dashboard: navigation and the sidebar of global choices.

Run: `neuralfactors dashboard` (or `streamlit run dashboard/app.py`). The choices (dataset,
model, date, portfolio) live in the sidebar so they persist across pages, and in the URL.
"""
from __future__ import annotations

import streamlit as st

from core.errors import NeuralFactorsError
from core.portfolio.weights import parse_weights, weight_problems
from core.workbench.dates import default_date, split_of
from core.workbench.keys import model_label
from core.workbench.portfolios import PORTFOLIOS
from dashboard import ownership, serve, services, signin, state, ui, uploads, views
from dashboard.pages import NO_FORECASTS, PAGES

serve.page_run()  # the background imports of warm_later wait while a page runs
st.set_page_config(page_title="NeuralFactors", page_icon=":material/insights:", layout="wide")
signin.gate()  # on a sign-in server nothing below runs for a visitor who is not signed in


def date_control(dates: list[str]) -> str:
    """A typed date, applied on Enter or on leaving the box (snapped to the forecast date at or before it, said),
    and previous / next buttons."""
    st.session_state["date_pick"] = st.session_state["date"]
    st.sidebar.text_input("Forecast date (close), YYYY-MM-DD", key="date_pick", on_change=state.pick_date,
                          args=(dates,),
                          help=f"the forecast made at this close, for the next trading day ({dates[0]} to {dates[-1]});"
                               " press Enter to apply; a date without a forecast snaps to the forecast date before it")
    prev, nxt = st.sidebar.columns(2)
    prev.button("Previous date", key="date_prev", on_click=state.step_date, args=(dates, -1), width="stretch",
                help="the forecast date before this one")  # no icon: the label must fit half the sidebar
    nxt.button("Next date", key="date_next", on_click=state.step_date, args=(dates, 1), width="stretch",
               help="the forecast date after this one")
    return st.session_state["date"]


def sidebar() -> state.Selection | None:
    views.from_link()
    state.seed_from_query()
    st.sidebar.title("NeuralFactors")
    if signin.required():
        st.sidebar.caption(f"signed in as {signin.current_user().name or signin.current_user().subject}")
        st.sidebar.button("Sign out", key="sign_out", on_click=st.logout)
    datasets = uploads.dataset_options()
    state.ensure_option("dataset", datasets, state.DEFAULT_DATASET, uploads.dataset_label)
    dataset = st.sidebar.selectbox("Dataset", datasets, key="dataset", format_func=uploads.dataset_label)
    if dataset == "synthetic":
        st.sidebar.warning("SYNTHETIC data: a simulated market with known factors, not real prices.")
    models = ownership.model_keys(services.panel(dataset), services.fingerprint(dataset))
    if not models:
        return None
    state.ensure_option("model", models, models[0], model_label)
    model = st.sidebar.selectbox("Model", models, key="model", format_func=model_label)
    dates = services.forecast_dates(dataset, model)
    state.ensure_option("date", dates, str(default_date(dates).date()))
    date = date_control(dates)
    state.ensure_option("portfolio", list(PORTFOLIOS), PORTFOLIOS[0])
    portfolio = st.sidebar.selectbox("Portfolio", PORTFOLIOS, key="portfolio")
    st.session_state.setdefault("w", "")
    part = split_of(services.panel(dataset), date)
    horizon = st.sidebar.radio("Risk horizon", list(ui.HORIZONS), key="horizon", horizontal=True,
                               help="volatility, VaR and CVaR per day, or annualised (x sqrt(252)) on every page")
    value = st.sidebar.number_input("Portfolio value (optional)", min_value=0.0, value=0.0, step=100_000.0,
                                    key="value", format="%.0f",
                                    help="in your currency: VaR and CVaR are also shown as amounts; 0 = none")
    sel = state.Selection(dataset, model, date, portfolio, st.session_state["w"], part, horizon, float(value))
    if portfolio == "custom":
        tickers = services.forecast_at(dataset, model, date).tickers
        if not sel.custom:
            st.sidebar.warning("no custom weights yet: edit them in the Portfolio lab and press "
                               "'Use as the custom portfolio'; equal weights meanwhile")
        for problem in weight_problems(parse_weights(sel.custom), tickers) if sel.custom else []:
            st.sidebar.warning(f"custom weights: {problem}")
    for message in st.session_state.pop("_link_warnings", []):
        st.sidebar.warning(message)
    st.sidebar.caption(f"{uploads.dataset_label(dataset)} · {model_label(model)} · "
                       f"{sel.part} split")
    source = services.forecasts(dataset, model)
    notes = [source.note, *source.notes]
    if len(notes) > 1:  # how the model adapted to this data (zero-shot inputs, capped windows), said once here
        zero_shot = "zero-shot" in notes[0]
        with st.sidebar.expander("How the pretrained model reads this data" if zero_shot else
                                 "How this model was fitted to this data"):
            st.markdown("\n".join(f"- {n}" for n in notes))
    return sel


def save_view(sel: state.Selection, stem: str) -> None:
    """The sidebar's "Save this view": the page and choices kept under a name (in one of the user's workspaces, or
    none); the link then names the saved view, never the holdings."""
    with st.sidebar.popover("Save this view", width="stretch"):
        name = st.text_input("Name of the view", key="view_name")
        spaces = {w.id: w.name for w in ownership.store().workspaces(signin.current_user())}
        space = st.selectbox("In workspace", ["", *spaces], key="view_workspace",
                             format_func=lambda i: spaces.get(i, "(no workspace)"))
        if st.button("Save", key="view_save", disabled=not name.strip()):
            with ui.guard():
                view = views.save(sel, stem, name, space or None)
                st.success(f"saved as {view.name!r}: the page's link now names this view (open it from Workspaces)")


page = st.navigation([st.Page(f"app_pages/{p.stem}.py", title=p.title, icon=p.icon, default=p == PAGES[0])
                      for p in PAGES])  # every page stays reachable, whatever fails below
stem = page.url_path or PAGES[0].stem
try:
    selection, problem = sidebar(), "no model has outputs on this dataset"
except NeuralFactorsError as exc:
    selection, problem = None, ui.no_paths(str(exc))
if (opened := st.session_state.pop("_open_page", None)) and opened != stem:
    st.switch_page(f"app_pages/{opened}.py")  # a saved view opened from a link or from Workspaces
if selection is not None:
    save_view(selection, stem)
    state.publish(selection, views.in_use(selection), holdings=not signin.required())
    page.run()
else:
    st.query_params.from_dict({k: st.session_state[k] for k in ("dataset", "model") if k in st.session_state})
    st.sidebar.error(f"{problem}. Pick another model or dataset above.")
    if stem in NO_FORECASTS:
        page.run()
    else:
        st.title(page.title)
        st.info("This page needs a model's forecasts on the chosen dataset; pick another model or dataset in "
                "the sidebar (the problem is shown there), or open Your data.")
serve.warm_later()  # the libraries the other pages use, loaded once this run is over
