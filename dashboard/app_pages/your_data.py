"""Your data: upload a file, see the validation and its warnings, use it everywhere, train NeuralFactors on it."""
import streamlit as st

from core.errors import NeuralFactorsError
from dashboard import services, ui

st.title("Your data")
st.markdown("Upload a CSV or Parquet file of prices or returns, long (date, ticker, price/return, optional "
            "sector, name, volume ...) or wide (date plus one column per ticker). See docs/data_format.md.")


def _use(key: str) -> None:
    st.session_state["dataset"] = key


upload = st.file_uploader("Data file", type=["csv", "parquet"], key="data_upload")
if upload is not None:
    try:
        key = services.add_upload(upload.name, upload.getvalue())
    except NeuralFactorsError as exc:
        st.error(f"{exc}")
        key = None
    if key is not None:
        p = services.panel(key)
        st.success(f"{upload.name}: {p.n_tickers} stocks, {len(p.dates)} {p.frequency} dates, "
                   f"{p.dates[0].date()} .. {p.dates[-1].date()}")
        for w in p.warnings:
            st.warning(w)
        st.button("Use this dataset in every page", on_click=_use, args=(key,), key="use_upload")
        st.caption("Classical models (sample, Ledoit-Wolf, EWMA, PCA, PPCA) fit on it when picked in the sidebar; "
                   "the pretrained NeuralFactors scores it without training (its network is shared across stocks).")
        st.subheader("Train NeuralFactors on this file")
        c1, c2 = st.columns(2)
        preset = c1.selectbox("Preset", ["tiny", "sp500-20", "paper"], key="train_preset")
        steps = c2.number_input("Max steps", 10, 100_000, 500, 50, key="train_steps")
        if st.button("Start training in the background", key="train_go"):
            with ui.guard():
                st.session_state["train_run"] = services.start_training(key, upload.name, upload.getvalue(),
                                                                        preset, int(steps))


@st.fragment(run_every=2.0)
def progress() -> None:
    run = st.session_state.get("train_run")
    if not run:
        return
    status = services.training_status(run)
    st.progress(status["fraction"], text=f"run {run}: {status['state']} - {status['text']}")
    with st.expander("Training log"):
        st.code(status["log"] or "(no output yet)")
    if status["state"] == "finished":
        st.success(f"finished: pick model run:{run} in the sidebar")


if st.session_state.get("train_run"):
    progress()
