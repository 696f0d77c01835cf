"""Your data: upload a file, see its validation (warnings summarised), choose its split, use it in
every page (pretrained NeuralFactors zero-shot, classical models fitted on it; every page's default view computed
once, dashboard/warmup.py), adapt the shipped NeuralFactors to it (a fine-tune on a time budget, then zero-shot vs
adapted vs PPCA on validation and the adapted run in every page) or train NeuralFactors on it from scratch."""
import math

import pandas as pd
import streamlit as st

from core.data.info import warning_summary
from core import runs
from core.errors import NeuralFactorsError, NotYours
from core.models.neuralfactors.config import PRESETS
from core.models.neuralfactors.finetune import selection_text
from core.workbench.keys import model_label, parse_dataset, run_key
from core.workspaces import jobs
from dashboard import ownership, services, signin, state, ui, uploads, warmup

st.title("Your data")
st.markdown("Upload a CSV or Parquet file of prices or returns, long (date, ticker, price/return, optional "
            "sector, name, volume ...) or wide (date plus one column per ticker). See docs/data_format.md.")


def _same_upload(a: str, b: str) -> bool:
    """Both dataset keys name the same uploaded file (whatever their splits)."""
    return parse_dataset(a).base == parse_dataset(b).base


def _presets() -> dict[str, str]:
    """NeuralFactors presets, shortest training first: name -> "4 factors + one per sector, 3,000 steps (sp500-20)"."""
    def factors(c) -> str:
        return f"{c.n_factors} factors" + (" + one per sector" if c.sector_factors else "")

    return {k: f"{factors(c)}, {c.steps:,} steps ({k})" for k, c in sorted(PRESETS.items(), key=lambda kc: kc[1].steps)}


def _limits_text() -> str:
    per_user, server = jobs.limits()
    return (f"at most {per_user} of yours and {server} on the server train at once; the others wait their turn "
            "(you can leave this page: training goes on, and a run appears in the sidebar's Model box once finished).")


def _submit(key: str, adapt: bool, **settings) -> None:
    """Queue a training of NeuralFactors on the user's stored file behind upload `key` (core.workspaces.jobs)."""
    job = jobs.submit(ownership.store(), signin.current_user(), ownership.check_upload(key).path, "neuralfactors",
                      split=services.panel(key).split, **settings)
    st.session_state.update(train_dataset=key, train_adapt=adapt, train_run=job.run)


def _status(run: str) -> dict:
    """The queue's status of `run`; a run of the user's that finished outside the queue (the CLI) reads as finished."""
    try:
        return jobs.status(ownership.store(), signin.current_user(), run)
    except NotYours:
        if not any(r.id == run for r in ownership.own_runs()):
            raise
        return runs.training_status(run, "finished", None, None)


def _served(run: str) -> str:
    """The model key an adapted run is served by: the run through the calibration layer."""
    return run_key(run) + "+cal"


def _use(key: str, model: str | None = None) -> None:
    """Take dataset `key` (and `model`, when given) into use in every page; this page then computes every page's
    default view once (warm_up)."""
    st.session_state.update(dataset=key, warm_up=key, **({"model": model} if model else {}))
    st.session_state.pop("date", None)  # this data's default date, not the old one snapped to its end


def warm_up() -> None:
    """Every page's default view computed once, with a progress bar (dashboard/warmup.py)."""
    sel = state.selection()
    bar = st.progress(0.0, text="Preparing every page ...")
    warmup.warm_up(sel, lambda done, what: bar.progress(done, text=f"Preparing every page: {what} ..."))
    bar.empty()
    st.session_state.pop("warm_up", None)
    st.success(f"Every page is ready for {model_label(sel.model)} on this dataset.")


upload = st.file_uploader("Data file", type=["csv", "parquet"], key="data_upload")
if upload is not None and st.session_state.get("upload_file") != (upload.name, upload.size):
    try:
        base = uploads.add_upload(upload.name, upload.getvalue())
    except NeuralFactorsError as exc:
        current = st.session_state.get("dataset")
        st.error(f"{upload.name} was not loaded: {ui.no_paths(str(exc))}. "
                 f"The dataset in every page is still {uploads.dataset_label(current) if current else 'unchanged'}.")
        st.stop()
    else:
        st.session_state.update(upload_key=base, upload_file=(upload.name, upload.size))

in_use = st.session_state.get("dataset", "")
key = st.session_state.get("upload_key")  # the last upload (or its re-split), else the upload in use
if in_use and parse_dataset(in_use).is_upload and (key is None or _same_upload(in_use, key)):
    key = in_use
if key is not None:
    try:
        p = services.panel(key)
    except NeuralFactorsError as exc:  # the server restarted: the upload is gone
        st.info(str(exc))
        st.stop()
    st.success(f"{p.name}: {p.n_tickers} stocks, {len(p.dates)} {p.frequency} dates, "
               f"{p.dates[0].date()} .. {p.dates[-1].date()}")

    # --- warnings, summarised -----------------------------------------------------------------
    groups = warning_summary(list(p.warnings))
    if groups:
        total = sum(g["count"] for g in groups)
        lines = [f"**{total} data warnings**: " + ", ".join(f"{g['count']} {g['kind']}" for g in groups)]
        lines += [f"- {e}" for g in groups for e in g["examples"][:2]]
        st.warning("\n".join(lines))
        listed = [w for w in p.warnings if not w.startswith("... and ")]
        shown = f"All {total} warnings" if len(listed) == total else \
            f"The first {len(listed)} of the {total} warnings (the rest are counted by kind above)"
        with st.expander(shown):
            st.dataframe(pd.DataFrame({"warning": list(p.warnings)}), hide_index=True, width="stretch")
    else:
        st.caption("No data warnings.")
    blank = int((p.sectors == "Unknown").sum())
    if blank:
        st.warning(f"{blank} of {p.n_tickers} stocks have no sector in the file: they are shown in the sector "
                   "'Unknown' (sector views, caps and the sector input of models group them together); give them a "
                   "sector in the file to place them.")

    # --- split --------------------------------------------------------------------------------
    st.subheader("Split")
    part = {x: p.split_dates(x) for x in ("train", "valid", "test")}
    st.caption(" · ".join(f"{ui.split_name(x)}: {d[0].date()} .. {d[-1].date()} ({len(d)} dates)" if len(d)
                          else f"{ui.split_name(x)}: none"
                          for x, d in part.items()))
    with st.form("split_form"):
        how = st.radio("Split by", ["shares of the dates", "end dates"], horizontal=True, key="split_how")
        c1, c2 = st.columns(2)
        n = len(p.dates)
        train_share = c1.number_input("Training share", 0.05, 0.95, round(len(part["train"]) / n, 2), 0.05,
                                      key="split_train")
        valid_share = c2.number_input("Validation share", 0.05, 0.9, round(len(part["valid"]) / n, 2), 0.05,
                                      key="split_valid")
        lo, hi = p.dates[0].date(), p.dates[-1].date()
        train_end = c1.date_input("Last training date", part["train"][-1].date() if len(part["train"]) else lo,
                                  lo, hi, key="split_train_end")
        valid_end = c2.date_input("Last validation date", part["valid"][-1].date() if len(part["valid"]) else hi,
                                  lo, hi, key="split_valid_end")
        if st.form_submit_button("Apply this split"):
            try:
                if how == "end dates":
                    new = uploads.resplit_upload(key, train_end=str(train_end), valid_end=str(valid_end))
                else:
                    new = uploads.resplit_upload(key, shares=(float(train_share), float(valid_share)))
            except NeuralFactorsError as exc:
                st.error(str(exc))
            else:
                st.session_state["upload_key"] = new
                if in_use and _same_upload(in_use, key):
                    st.session_state["dataset"] = new
                st.rerun()
    st.caption("The test part is what is left after the validation part. Classical models refit on the new "
               "training dates; the pretrained NeuralFactors is not retrained.")

    # --- use it -------------------------------------------------------------------------------
    if in_use == key:
        st.success("This dataset is in use in every page (see the sidebar).")
        if st.session_state.get("warm_up") == key:
            warm_up()
    else:
        warmup.prefetch()  # the network the button's zero-shot forecasts run, loaded while the checks are read
        st.button("Use this dataset in every page", on_click=_use, args=(key,), key="use_upload", type="primary")
    st.caption("The pretrained NeuralFactors scores it without training (its network is shared across stocks; "
               "the sidebar says how it reads this data); classical models (sample, Ledoit-Wolf, EWMA, PCA, PPCA) "
               "fit on it when picked in the sidebar.")

    # --- train ---------------------------------------------------------------------------------
    st.subheader("Train NeuralFactors on this file")
    st.caption("Trainings wait in the server's one queue: " + _limits_text())
    adapt, scratch = st.columns(2)
    with adapt:
        st.markdown("**Adapt the shipped model to this universe**")
        minutes = st.number_input("Time budget (minutes)", 0.5, 120.0, 5.0, 0.5, key="adapt_budget",
                                  help="fine-tuning stops after this long, keeping its best validated weights")
        st.caption("Fine-tunes the shipped NeuralFactors on this file's training dates (sectors it never saw get "
                   "their own), then compares it with zero-shot and PPCA on validation and uses it in every page.")
        if st.button("Adapt the shipped model", key="adapt_go", type="primary"):
            with ui.guard():
                _submit(key, True, init="shipped", time_budget=60 * float(minutes))
    with scratch:
        st.markdown("**Train from scratch**")
        presets = _presets()
        preset = st.selectbox("Preset", list(presets), key="train_preset", format_func=presets.get,
                              help="the network's size and training length (the preset's name in brackets)")
        steps = st.number_input("Max steps", 10, 100_000, 500, 50, key="train_steps")
        if st.button("Start training in the background", key="train_go"):
            with ui.guard():
                _submit(key, False, preset=preset, max_steps=int(steps))


def _fmt(x) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.4f}"


def _progress_view() -> None:
    run = st.session_state.get("train_run")
    status = _status(run)
    st.progress(status["fraction"], text=f"run {run}: {status['state']} · {status['text']}")
    m = st.columns(4)
    m[0].metric("Step", f"{status['step']} / {status['total'] or '?'}")
    m[1].metric("Loss", _fmt(status.get("loss")))
    m[2].metric("Validation NLL", _fmt(status.get("best", status.get("valid"))))
    m[3].metric("Time left", status.get("left", "?") if status["state"] == "running" else "0:00")
    if status["state"] in ("queued", "running"):
        if status["state"] == "queued":
            st.info(status["text"])
        if st.button("Cancel training", key="train_cancel"):
            jobs.cancel(ownership.store(), signin.current_user(), run)
            st.rerun(scope="app")
    elif status["state"] == "finished" and st.session_state.get("train_adapt"):
        if st.session_state.get("train_polling"):  # a rerun of this fragment (the sidebar's widgets are not drawn)
            _use(st.session_state["train_dataset"], _served(run))  # that follows the run: it takes the adapted model
        st.success(f"finished: the adapted model is {_served(run)}, served through the calibration layer (sidebar: "
                   "Model); before and after below")
    elif status["state"] == "finished":
        st.success(f"finished: pick the model run:{run} in the sidebar (this dataset)")
    else:
        if status["state"] == "cancelled":
            st.info("cancelled; its last checkpoint stays: resume it to continue")
        else:
            st.error(f"training {status['text']}; see the log below")
        if st.button("Resume from the last checkpoint", key="train_resume"):
            with ui.guard():
                jobs.resume(ownership.store(), signin.current_user(), run)
                st.rerun(scope="app")
    with st.expander("Training log"):
        st.code(status["log"] or "(no output yet)")
    if status["state"] not in ("queued", "running") and st.session_state.get("train_polling"):
        st.session_state["train_polling"] = False
        st.rerun(scope="app")  # the sidebar lists the new run; stop polling


if st.session_state.get("train_run"):
    waiting = _status(st.session_state["train_run"])["state"] in ("queued", "running")
    st.session_state["train_polling"] = waiting
    st.fragment(_progress_view, run_every=2.0 if waiting else None)()


def adaptation(run: str) -> None:
    """Which step the fine-tune kept (its selection rule: validation nll_joint and calib_port), validation
    nll_joint and calib_port of zero-shot, adapted (raw and as served, through the layer) and PPCA
    (dashboard/services.adaptation), and the adapted run in every page (a button when it is not)."""
    dataset = st.session_state["train_dataset"]
    st.subheader("Before and after adapting")
    with ui.guard():
        chosen = selection_text(runs.training_record(run).get("selection"))
        if chosen:
            (st.success if chosen.startswith("adapted") else st.warning)(chosen)
        table = services.adaptation(dataset, run)
        rows = {"neuralfactors": "NeuralFactors zero-shot (shipped, before)", run_key(run): f"Adapted ({run_key(run)})",
                _served(run): f"Adapted, through the calibration layer ({_served(run)}, served)",
                "ppca": "PPCA (fitted on this file)"}
        st.table(pd.DataFrame({"validation nll_joint": table["nll_joint"].map("{:.4f}".format).to_numpy(),
                               "validation calib_port": table["calib_port"].map("{:.4f}".format).to_numpy()},
                              index=pd.Index([rows[m] for m in table.index], name="model")))
        dates = table.attrs["dates"]
        st.caption(f"Joint negative log-likelihood per stock (returns / the training std "
                   f"{table.attrs['nll_scale']:.5f}) and the equal-weight portfolio's calibration error on the "
                   f"validation dates {dates[0]} .. {dates[1]}; lower is better for both. The fine-tune keeps the "
                   "step with the lowest nll_joint among those whose calib_port is no worse than zero-shot's, and "
                   "none when no step qualifies.")
    if (st.session_state.get("dataset"), st.session_state.get("model")) != (dataset, _served(run)):
        st.button("Use the adapted model in every page", on_click=_use, args=(dataset, _served(run)),
                  key="adapt_use", type="primary")


if st.session_state.get("train_adapt") and _status(st.session_state["train_run"])["state"] == "finished":
    adaptation(st.session_state["train_run"])
