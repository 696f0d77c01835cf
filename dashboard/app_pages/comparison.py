"""Model comparison: the evaluation table for the chosen split, with the paper's numbers for orientation."""
import pandas as pd
import streamlit as st

from core.report import RATE_METRICS, comparison_days
from core.report.palette import TONE_COLOURS
from core.risk.backtest import rate_tone
from core.scorecard import HIGHER_IS_BETTER, LABELS, PAPER_TABLE
from core.workbench.keys import model_label
from dashboard import ownership, services, state, ui

sel = state.selection()


def _rate_colours(table: pd.DataFrame, n_days: int) -> pd.DataFrame:
    """CSS per cell: breach rates in the colour of the one verdict rule (core.risk.backtest.rate_tone)."""
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    for key, level in RATE_METRICS.items():
        if key in table and n_days:
            css[key] = [f"color: {TONE_COLOURS[t]}; font-weight: 600" if t else ""
                        for t in (rate_tone(x, n_days, level) for x in table[key])]
    return css


def readable(table: pd.DataFrame) -> None:
    """The table with model labels as rows and metric labels as columns, the key and direction in tooltips; breach
    rates green inside their plausible range, red outside."""
    css = _rate_colours(table, comparison_days(services.panel(sel.dataset), table))
    shown = table.rename(index=model_label, columns=lambda c: LABELS.get(c, c))
    shown.index.name = "model"
    css.index, css.columns = shown.index, shown.columns
    config = {LABELS.get(c, c): st.column_config.NumberColumn(
        LABELS.get(c, c), format="percent" if c in RATE_METRICS else "%.4g",
        help=f"{c}: {'higher' if c in HIGHER_IS_BETTER else 'lower'} is better") for c in table.columns
        if c in LABELS}
    width = 8 * max(map(len, shown.index), default=10) + 24  # the longest model name in full
    st.dataframe(shown.style.apply(lambda _: css, axis=None), width="stretch",
                 column_config={"_index": st.column_config.TextColumn(width=width)} | config)
    if RATE_METRICS.keys() & set(table.columns):
        st.caption("Breach rates in green inside their plausible range for the split's length, in red outside "
                   "(the rule of every VaR verdict).")
st.title("Model comparison")
split = st.radio("Split", ["valid", "test"], horizontal=True, key="cmp_split", format_func=ui.split_name)
with ui.guard():
    table = services.metrics_table(sel.dataset, split)
    if table.empty:
        st.info("no shipped evaluation for this dataset yet; compute it below (fits the fast models on the spot)")
    else:
        readable(table)
        ui.csv_download(table, "Download table (CSV)", f"evaluation_{split}.csv")
    options = ownership.model_keys(services.panel(sel.dataset), services.fingerprint(sel.dataset))
    models = st.multiselect("Evaluate now", options, key="cmp_models", default=options[:3], format_func=model_label)
    if st.button("Evaluate", key="cmp_go") and models:
        live = services.evaluate(sel.dataset, tuple(models), split)
        st.session_state.setdefault("cmp_live", {})[sel.dataset] = live  # the report includes it
        readable(live)
        ui.csv_download(live, "Download evaluation (CSV)", f"evaluation_live_{split}.csv")

st.subheader("The paper's numbers, for orientation")
st.caption("From Gopal (2024), S&P 500 test period 2019-2023: different data, universe and period from "
           "ours, so compare the ORDER of models, not the numbers.")
st.dataframe(pd.DataFrame(PAPER_TABLE).set_index("model"), width="stretch")
