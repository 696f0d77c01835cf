"""Workspaces: what this user keeps on the server (their own, nobody else's): workspaces (kept fresh by `neuralfactors
refresh`), saved views (open one here, or by its link) and training jobs (the server's queue)."""
import pandas as pd
import streamlit as st

from core.workbench.keys import model_label
from core.workspaces import jobs as core_jobs
from dashboard import ownership, signin, uploads, views
from dashboard.pages import PAGES

st.title("Workspaces")
store, user = ownership.store(), signin.current_user()
TITLES = {p.stem: p.title for p in PAGES}

st.subheader("Your workspaces")
spaces = store.workspaces(user)
if spaces:
    rows = []
    for w in spaces:
        last = store.last_refresh(user, w.id)
        today = {} if last is None else last["summary"]["today"]
        rows.append({"workspace": w.name, "model": model_label(w.model), "training to": w.train_end.date(),
                     "validation to": w.valid_end.date(), "last day": None if last is None else last["last_date"].date(),
                     "VaR 99% published": today.get("var99"), "refreshed": w.updated})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"VaR 99% published": st.column_config.NumberColumn(format="percent")})
else:
    st.info("No workspace yet. `neuralfactors workspace create --name NAME --data FILE` makes one; "
            "`neuralfactors refresh --workspace NAME --data NEW.csv` adds the new days each morning.")

st.subheader("Saved views")
saved = store.views(user)
if saved:
    names = {w.id: w.name for w in spaces}
    st.dataframe(pd.DataFrame([{"view": v.name, "workspace": names.get(v.workspace, ""),
                                "page": TITLES.get(v.page, v.page), "dataset": uploads.dataset_label(v.dataset),
                                "model": model_label(v.model), "date": v.date, "portfolio": v.portfolio,
                                "saved": v.created} for v in saved]), hide_index=True, width="stretch")
    labels = {v.id: v.name + (f" (in {names[v.workspace]})" if v.workspace in names else "") for v in saved}
    pick = st.selectbox("Open a saved view", list(labels), key="open_view", format_func=labels.get)
    st.button("Open this view", key="open_view_go", type="primary", on_click=views.open_view, args=(pick,),
              help="its page with its dataset, model, date and portfolio (the app switches to the page)")
else:
    st.info("No saved view yet: 'Save this view' in the sidebar keeps the page and its choices under a name; "
            "its link then names the view, not the holdings.")

st.subheader("Your trainings")
core_jobs.pump(store)
mine = store.jobs(user)
if mine:
    st.dataframe(pd.DataFrame([{"run": f"run:{j.run}", "state": j.state, "submitted": j.submitted,
                                "ended": j.ended, "note": j.message} for j in reversed(mine)]),
                 hide_index=True, width="stretch")
else:
    st.caption("No training of yours (Your data starts one).")
