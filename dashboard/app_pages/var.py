"""VaR: the portfolio's returns with 95% / 99% VaR bands and exceedances over 1, 10 or 21 trading days (simulated
day after day, never scaled by the square root of time); backtests; models side by side."""
import pandas as pd
import streamlit as st

from core.report.palette import TONE_COLOURS
from core.workbench.horizon import HORIZONS, check_table, days, horizon_check, horizon_verdicts
from core.workbench.keys import model_label
from core.workbench.var import method_label, verdict_table as verdicts
from dashboard import figures, figures_risk, ownership, services, state, ui

sel = state.selection()
st.title("VaR: Value at Risk")
h = st.radio("VaR horizon", HORIZONS, format_func=days, horizontal=True, key="var_horizon",
             help="the loss over the next 1, 10 or 21 trading days, the weights rebalanced to today's every day; "
                  "longer horizons simulate the model's own distribution day after day")
PERCENT = {c: st.column_config.NumberColumn(format="percent") for c in (
    "VaR 95%", "CVaR 95%", "VaR 99%", "CVaR 99%", "1-day VaR 99% x sqrt(h)", "breach rate", "expected")}


def _colour(row: pd.Series) -> list[str]:
    """The verdict cell in its tone's colour (core.risk.backtest.tone: the one rule), the rest plain."""
    c = TONE_COLOURS.get(row["tone"], "")
    return [f"color: {c}; font-weight: 600" if c and col == "verdict" else "" for col in row.index]


def verdict_table(table: pd.DataFrame) -> None:
    shown = [c for c in table.columns if c != "tone"]
    st.dataframe(table.style.apply(_colour, axis=1), width="stretch", hide_index=True, column_order=shown,
                 column_config={"what it checks": st.column_config.TextColumn(width="large")})


def backtest(model: str, weights: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the VaR series of the horizon over the split, its verdicts): one day, or h-day windows."""
    if h == 1:
        series = services.var_series(sel.dataset, model, sel.part, weights)
        return series, verdicts(series)
    frame = services.horizon_series(sel.dataset, model, sel.part, weights)[h]
    return frame, horizon_verdicts(frame, h)


def headline(weights: pd.Series) -> tuple[dict, str]:
    """({"VaR 95%", "VaR 99%", "CVaR 99%": loss}, the method in words) at the date over the chosen horizon."""
    if h == 1:
        r = services.risk(sel.dataset, sel.model, sel.date, weights)
        return {"VaR 95%": r.var[0.95], "VaR 99%": r.var[0.99], "CVaR 99%": r.cvar[0.99]}, method_label(r.method)
    row = services.horizon_table(sel.dataset, sel.model, sel.date, weights).loc[days(h)]
    return {k: row[k] for k in ("VaR 95%", "VaR 99%", "CVaR 99%")}, row["method"]


with ui.guard():
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    part = ui.split_name(sel.part)
    now, method = headline(weights)
    scale = sel.horizon if h == 1 else "daily"  # the sidebar's sqrt(252) switch scales one-day figures only
    shown = sel.horizon if h == 1 else days(h)
    for col, (name, loss) in zip(st.columns(3), now.items()):
        col.metric(f"{name} on {sel.date} ({shown})", ui.risk(loss, scale, sel.value))
    if sel.horizon != "daily":
        st.caption(ui.horizon_note(sel.horizon) + (" The backtest below judges the one-day VaR, as it was forecast."
                                                    if h == 1 else f" Not applied to the {days(h)} figures: they "
                                                    "are simulated over that horizon, not scaled."))
    st.caption(f"{sel.portfolio.capitalize()} portfolio with the weights of {sel.date}, rebalanced to them daily. "
               f"VaR method ({days(h)}): {method}.")
    ui.legs(weights)
    if h > 1:
        st.dataframe(services.horizon_table(sel.dataset, sel.model, sel.date, weights).drop(columns="horizon"),
                     width="stretch", column_config=PERCENT)
        st.caption("VaR and CVaR over 1, 10 and 21 trading days as positive losses. The square-root-of-time column "
                   "(the one-day 99% VaR x sqrt(days)) is shown for reference only; the VaR columns are simulated.")
    series, bt = backtest(sel.model, weights)
    title = f"{model_label(sel.model)}: {days(h)} returns and -VaR ({part} split)"
    if h == 1:
        st.caption(f"Over the {part} split: one-day VaR forecast at each close against the next day's return.")
        ui.plot(figures.var_chart(series["return"], series.drop(columns="return"), title, date=sel.date), "var")
    else:
        st.caption(f"Over the {part} split: the {h}-day VaR forecast at each close against the return of the next "
                   f"{h} trading days (t+1..t+{h}).")
        ui.plot(figures_risk.horizon_var(series, h, title, date=sel.date), f"var_{h}d")
    st.subheader("Backtests")
    if h == 1:
        st.caption("Each test at the 5% significance level. Kupiec and Christoffersen use every day of the split; "
                   "the Basel traffic light counts 99% VaR breaches in the last 250 days only (green 0-4, yellow 5-9, "
                   "red 10 or more) and reads n/a on a shorter split. A verdict is green only when its test passes "
                   "AND the breach rate of its VaR level is inside its plausible range; a pass beside an implausible "
                   "breach rate is amber.")
    else:
        n = int(series["non-overlapping"].sum())
        st.caption(f"On {n} NON-overlapping {h}-day windows (one forecast every {h} trading days): few windows, so "
                   "the tests have little power and the plausible range is wide. Each test at the 5% level; a "
                   "verdict is green only when its test passes AND the breach rate is plausible. The Basel traffic "
                   "light is defined for 250 one-day outcomes and is not shown.")
    with ui.guard():
        verdict_table(bt)
    if h > 1:
        st.subheader("Calibration on overlapping windows")
        check = horizon_check(series, h)
        st.caption(f"{check.n_windows} {h}-day windows: {check.note}. A calibrated forecast puts 10% of outcomes in "
                   "each PIT bin.")
        c1, c2 = st.columns([2, 3])
        c1.dataframe(check_table(check), hide_index=True, column_config=PERCENT)
        c1.metric("Calibration error (0 = perfect)", f"{check.calibration_error:.3f}")
        with c2:
            ui.plot(figures_risk.pit_histogram(check.pit_histogram, f"PIT of the {h}-day returns ({part} split)"),
                    f"pit_{h}d")
    st.subheader("Models side by side")
    keys = ownership.model_keys(services.panel(sel.dataset), services.fingerprint(sel.dataset))
    others = [m for m in keys if m != sel.model]
    chosen = st.multiselect("Compare with", others, default=[], key="var_models",
                            format_func=model_label)
    with ui.guard():
        rows = []
        for m in [sel.model, *chosen]:
            dates = services.forecast_dates(sel.dataset, m)
            d = sel.date if sel.date in dates else dates[-1]
            w = services.portfolio_weights(sel.dataset, m, d, sel.portfolio, sel.custom)
            bt = backtest(m, w)[1]
            rows.append(bt.assign(model=model_label(m))[["model", *bt.columns.drop("what it checks")]])
        verdict_table(pd.concat(rows, ignore_index=True))
