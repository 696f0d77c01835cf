"""Your data: upload a file, see its validation (warnings summarised), choose its split, use it in
every page (pretrained NeuralFactors zero-shot, classical models fitted on it), train NeuralFactors on it."""
import math
from pathlib import Path

import pandas as pd
import streamlit as st

from core import runs
from core.data.info import warning_summary
from core.errors import NeuralFactorsError
from core.models.neuralfactors.config import PRESETS
from core.workbench.keys import parse_dataset
from dashboard import services, ui, uploads

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


def _use(key: str) -> None:
    st.session_state["dataset"] = key
    st.session_state.pop("date", None)  # this data's default date, not the old one snapped to its end


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
        st.session_state.update(upload_key=base, upload_file=(upload.name, upload.size),
                                upload_bytes=upload.getvalue())

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
    else:
        st.button("Use this dataset in every page", on_click=_use, args=(key,), key="use_upload", type="primary")
    st.caption("The pretrained NeuralFactors scores it without training (its network is shared across stocks; "
               "the sidebar says how it reads this data); classical models (sample, Ledoit-Wolf, EWMA, PCA, PPCA) "
               "fit on it when picked in the sidebar.")

    # --- train --------------------------------------------------------------------------------
    st.subheader("Train NeuralFactors on this file")
    data = st.session_state.get("upload_bytes")
    if data is None or not _same_upload(st.session_state.get("upload_key", ""), key):
        st.caption("Upload the file again (above) to train on it.")
    else:
        c1, c2 = st.columns(2)
        presets = _presets()
        preset = c1.selectbox("Preset", list(presets), key="train_preset", format_func=presets.get,
                              help="the network's size and training length (the preset's name in brackets)")
        steps = c2.number_input("Max steps", 10, 100_000, 500, 50, key="train_steps")
        if st.button("Start training in the background", key="train_go"):
            with ui.guard():
                suffix = Path(st.session_state["upload_file"][0]).suffix.lower()
                st.session_state["train_run"] = runs.start_training(data, suffix, "neuralfactors", preset, int(steps),
                                                                    split=services.panel(key).split)


def _fmt(x) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.4f}"


def _progress_view() -> None:
    run = st.session_state.get("train_run")
    status = runs.training_status(run)
    st.progress(status["fraction"], text=f"run {run}: {status['state']} · {status['text']}")
    m = st.columns(4)
    m[0].metric("Step", f"{status['step']} / {status['total'] or '?'}")
    m[1].metric("Loss", _fmt(status.get("loss")))
    m[2].metric("Validation NLL", _fmt(status.get("best", status.get("valid"))))
    m[3].metric("Time left", status.get("left", "?") if status["state"] == "running" else "0:00")
    if status["state"] == "running":
        if st.button("Cancel training", key="train_cancel"):
            runs.cancel_training(run)
            st.rerun(scope="app")
    elif status["state"] == "finished":
        st.success(f"finished: pick the model run:{run} in the sidebar (this dataset)")
    elif status["state"] == "cancelled":
        st.info("cancelled; its last checkpoint stays (`neuralfactors train ... --resume` continues it)")
    elif status["state"] == "unknown":
        st.info("this server did not start this run (it restarted?); its last progress and log are shown")
    else:
        st.error(f"training {status['state']}; see the log below")
    with st.expander("Training log"):
        st.code(status["log"] or "(no output yet)")
    if status["state"] != "running" and st.session_state.get("train_polling"):
        st.session_state["train_polling"] = False
        st.rerun(scope="app")  # the sidebar lists the new run; stop polling


if st.session_state.get("train_run"):
    running = runs.training_status(st.session_state["train_run"])["state"] == "running"
    st.session_state["train_polling"] = running
    st.fragment(_progress_view, run_every=2.0 if running else None)()
