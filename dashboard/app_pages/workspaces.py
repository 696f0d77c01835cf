"""Workspaces: what this user keeps on the server (their own, nobody else's): workspaces (made here or by `neuralfactors
workspace create`, refreshed here with new prices or by `neuralfactors refresh`: the same core.workspaces.refresh
functions), saved views (open one here, or by its link) and training jobs (the server's queue)."""
import pandas as pd
import streamlit as st

from core.errors import DataError
from core.models.registry import models_where
from core.workbench.keys import model_label
from core.workspaces import jobs as core_jobs
from core.workspaces.refresh import open_workspace, refresh
from core.workspaces.summary import summary_lines
from dashboard import ownership, signin, ui, uploads, views
from dashboard.pages import PAGES

st.title("Workspaces")
store, user = ownership.store(), signin.current_user()
TITLES = {p.stem: p.title for p in PAGES}
#: the models a workspace made here can take: the pretrained NeuralFactors (zero-shot, with its calibration layer)
#: and the classical models fitted in seconds (a run of yours: `neuralfactors workspace create --model run:ID`)
MODELS = ("neuralfactors+cal", *models_where(quick_fit=True))


def chosen_file(form: str) -> tuple[str, bytes] | None:
    """(file name, bytes) a form names: a file uploaded in it, else the one of the user's uploads picked in it, else
    None."""
    stored = {f.id: f for f in store.files(user, "data")}
    pick = st.selectbox("One of your uploads", ["", *stored], key=f"{form}_stored",
                        format_func=lambda i: f"{stored[i].filename} ({stored[i].size / 1e3:,.0f} kB)" if i else
                        "(none: a new file below)")
    upload = st.file_uploader("or a new file (CSV or Parquet)", type=["csv", "parquet"], key=f"{form}_upload")
    if upload is not None:
        return upload.name, upload.getvalue()
    return (stored[pick].filename, stored[pick].path.read_bytes()) if pick else None


def given(file: tuple[str, bytes] | None) -> tuple[str, bytes]:
    """The file a submitted form names (DataError with the fix when it names none)."""
    if file is None:
        raise DataError("no file: pick one of your uploads or upload a file")
    return file


def done(message: str, result) -> None:
    """Keep a refresh's summary for the next run of the page (shown at its top), then rerun it."""
    st.session_state["ws_summary"] = (message, summary_lines(result))
    st.rerun()


if "ws_summary" in st.session_state:
    message, lines = st.session_state.pop("ws_summary")
    st.success(message)
    st.code("\n".join(lines), language="text")

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
    for w in spaces:
        with st.expander(f"Refresh {w.name} with new prices"), st.form(f"refresh_{w.id[:16]}"):
            st.caption("a newer file of the same stocks: only new or restated days are forecast, and you see what "
                       "changed since the last refresh (as `neuralfactors refresh` prints it)")
            file = chosen_file(f"refresh_{w.id[:16]}")
            if st.form_submit_button("Refresh with new prices", type="primary"):
                with ui.guard(), st.spinner(f"refreshing {w.name} ..."):
                    done(f"{w.name} refreshed", refresh(store, user, w.name, *given(file)).result)
else:
    st.info("No workspace yet. Make one below, or from the command line: `neuralfactors workspace create --name NAME "
            "--data FILE`; `neuralfactors refresh --workspace NAME --data NEW.csv` adds the new days each morning.")

with st.expander("New workspace", expanded=not spaces), st.form("new_workspace"):
    name = st.text_input("Name", key="new_ws_name")
    file = chosen_file("new_ws")
    model = st.selectbox("Model", MODELS, key="new_ws_model", format_func=model_label)
    st.caption("the file's default split is frozen from now on (new days extend the test period); equal weights")
    if st.form_submit_button("Create the workspace", type="primary"):
        with ui.guard(), st.spinner(f"making {name.strip() or 'the workspace'}: its first forecasts ..."):
            done(f"workspace {name.strip()!r} made", open_workspace(store, user, name, *given(file), model).result)

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
